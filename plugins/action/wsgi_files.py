# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render each file's template on the controller, then write every file and link in one call to the host."""

from __future__ import annotations

import fnmatch
import hashlib
import hmac

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_files import ARGUMENTS, CONTROLLER_ONLY


class ActionModule(ActionBase):
    """The module receives text only: templates are rendered here, secret texts moved to its no_log option."""

    _supports_check_mode = True

    def _render(self, entry, task_vars):
        """The text of a template, rendered as the template module renders it, with the entry's vars besides."""
        lookup = self._shared_loader_obj.lookup_loader.get(
            "ansible.builtin.template", loader=self._loader, templar=self._templar)
        try:
            text = lookup.run([entry["template"]], variables=task_vars, template_vars=entry["vars"])[0]
        except AnsibleError as error:
            raise AnsibleActionFail("wsgi_files: %s: %s" % (entry["dest"], error)) from error
        return text if isinstance(text, str) else to_text(text)

    @staticmethod
    def _covered(path, patterns):
        """Whether a pattern (as glob takes it: a component's * never matches a / or a leading dot) matches path."""
        parts = path.split("/")
        for pattern in patterns:
            wanted = pattern.split("/")
            if len(wanted) == len(parts) and all(
                    fnmatch.fnmatchcase(part, glob) and (not part.startswith(".") or glob.startswith("."))
                    for part, glob in zip(parts, wanted)):
                return True
        return False

    def _as_read(self, entry, content, host, key):
        """Whether the host's read shows the entry as it should be, so that it needs no call. A secret file's text
        is compared by its HMAC under the key the read was made with (host_key), never by a checksum."""
        found = (host.get("files") or {}).get(entry["dest"])
        if entry["state"] == "absent":
            return found is None and self._covered(entry["dest"], host.get("patterns") or [])
        if found is None:
            return False
        if entry["state"] == "link":
            return found.get("type") == "link" and found.get("src") == entry["src"]
        try:
            mode = "%04o" % int(entry["mode"], 8)
        except ValueError:
            return False
        if entry["secret"]:
            text = key and hmac.new(key.encode("utf-8"), content.encode("utf-8"), hashlib.sha256).hexdigest()
            same = bool(text) and found.get("hmac") == text
        else:
            same = found.get("checksum") == hashlib.sha256(content.encode("utf-8")).hexdigest()
        return (same and found.get("type") == "file" and found.get("owner") == entry["owner"]
                and found.get("group") == entry["group"] and found.get("mode") == mode)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        validation, args = self.validate_argument_spec(argument_spec=ARGUMENTS)
        del validation
        entries, secrets, as_read = [], [], bool(args["host"])
        for entry in args["files"]:
            if entry["template"] is not None and entry["content"] is not None:
                raise AnsibleActionFail("wsgi_files: %s: give content or template, not both" % entry["dest"])
            # Only a file is rendered: a task can name the template of an entry whose state it switches.
            rendered = entry["template"] is not None and entry["state"] == "file"
            content = self._render(entry, task_vars or {}) if rendered else entry["content"]
            as_read = as_read and self._as_read(entry, content, args["host"], args["host_key"])
            sent = {key: value for key, value in entry.items() if key not in CONTROLLER_ONLY}
            if entry["secret"] and content is not None:
                secrets.append(content)
                content = None
            sent["content"] = content
            entries.append(sent)
        if as_read:
            # Nothing to write: what the module would answer for files it left as they were.
            result.update(changed=False, files=[{"dest": entry["dest"], "state": entry["state"], "changed": False,
                                                 "created": False} for entry in entries],
                          invocation={"module_args": {"files": [{key: value for key, value in entry.items()
                                                                 if key != "content"} for entry in entries]}})
            return result
        try:
            answer = self._execute_module("pyops.wsgi.wsgi_files", module_args={"files": entries, "secrets": secrets},
                                          task_vars=task_vars)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        # The texts are in the diff where wanted; the invocation names the paths only.
        answer["invocation"] = {"module_args": {"files": [
            {key: value for key, value in entry.items() if key != "content"} for entry in entries]}}
        result.update(answer)
        return result
