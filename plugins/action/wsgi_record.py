# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the deploy record: the one host fact (wsgi_deploy) through which roles tell each other what a deploy did."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible_collections.pyops.wsgi.plugins.filter.deploy_record import changed_files

# The fields of one app's record, as the module's documentation lists them.
FIELDS = {
    "release": {"type": "raw"},
    "running": {"type": "raw"},
    "path": {"type": "raw"},
    "venv": {"type": "str"},
    "built": {"type": "bool"},
    "code_changed": {"type": "bool"},
    "changed": {"type": "bool"},
    "venv_installed": {"type": "bool"},
    "switched": {"type": "bool"},
    "venv_changed": {"type": "bool"},
    "taken_out": {"type": "bool"},
    "reload": {"type": "str"},
    "server_packages": {"type": "list", "elements": "str"},
    "build_packages": {"type": "list", "elements": "str"},
    "interface": {"type": "raw"},
    "processes": {"type": "list", "elements": "str"},
}
EMPTY = {
    "release": None, "running": None, "path": None, "venv": "", "built": False, "code_changed": False,
    "changed": False, "venv_installed": False, "switched": False, "venv_changed": False, "taken_out": False, "reload": "none",
    "server_packages": [], "build_packages": [], "interface": None, "processes": [], "files": [],
}
ARGUMENTS = {
    "app": {"type": "str"},
    "set": {"type": "dict", "default": {}},
    "apps": {"type": "dict", "default": {}},
    "files": {"type": "list", "elements": "raw", "default": []},
    "reset": {"type": "bool", "default": False},
}


def _checked(app, fields):
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise AnsibleActionFail("wsgi_record (%s): no field %s in a deploy record; the fields are %s"
                                % (app, ", ".join(unknown), ", ".join(sorted(FIELDS))))
    result = ArgumentSpecValidator({key: FIELDS[key] for key in fields}).validate(dict(fields))
    if result.error_messages:
        raise AnsibleActionFail("wsgi_record (%s): %s" % (app, "; ".join(result.error_messages)))
    return result.validated_parameters


class ActionModule(ActionBase):
    """Merge fields and changed files into wsgi_deploy[app], on the controller."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        validation, args = self.validate_argument_spec(argument_spec=ARGUMENTS)
        del validation
        updates = {name: dict(fields) for name, fields in args["apps"].items()}
        # By app name: the registered results of the files it changed (apps: NAME: files).
        files = {name: list(fields.pop("files", None) or []) for name, fields in updates.items()}
        if args["app"]:
            updates.setdefault(args["app"], {}).update(args["set"])
            files[args["app"]] = files.get(args["app"], []) + list(args["files"])
        elif args["set"] or args["files"]:
            raise AnsibleActionFail("wsgi_record: set and files need app, the app's name")
        # Read from the host's facts, where this plugin writes it (never as an injected top-level variable).
        record = dict(((task_vars or {}).get("ansible_facts") or {}).get("wsgi_deploy") or {})
        for name, fields in updates.items():
            base = dict(EMPTY) if args["reset"] else dict(EMPTY, **record.get(name, {}))
            base.update(_checked(name, fields))
            # A check run changes no file: there is nothing to put back.
            if not self._play_context.check_mode:
                base["files"] = list(base["files"]) + changed_files(files.get(name, []), name)
            record[name] = base
        result.update(changed=False, ansible_facts={"wsgi_deploy": record}, record=record)
        return result
