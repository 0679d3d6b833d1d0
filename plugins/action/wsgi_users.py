# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make users, groups, memberships and folders in one call to the host, or none when a read of it shows them all."""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_folders import USERS_ARGUMENTS


def as_read(args, host):
    """Whether the read (module wsgi_lock's `host`) shows every user, group, membership and folder as it should be."""
    users, groups, files = host.get("users") or {}, host.get("groups"), host.get("files") or {}
    if groups is None:
        return False
    for user in args["users"]:
        found = users.get(user["name"])
        wanted = (user["group"], user["home"], user["shell"])
        if (found is None or user["group"] not in groups or found.get("locked") is not True
                or (found.get("group"), found.get("home"), found.get("shell")) != wanted):
            return False
    for member in args["members"]:
        if any(member["name"] not in groups.get(group, ()) for group in member["groups"]):
            return False
    for folder in args["folders"]:
        found = files.get(os.path.normpath(folder["path"])) or {}
        try:
            mode = "%04o" % int(folder["mode"], 8)
        except ValueError:
            return False
        if (found.get("type"), found.get("owner"), found.get("group"), found.get("mode")) != (
                "dir", folder["owner"], folder["group"], mode):
            return False
    return True


class ActionModule(ActionBase):
    """The module, unless `host` shows nothing for it to do."""

    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        validation, args = self.validate_argument_spec(argument_spec=USERS_ARGUMENTS)
        del validation
        host = args.pop("host")
        if host and as_read(args, host):
            result.update(changed=False, groups_made=[], users_made=[], users_fixed=[], members_added={},
                          folders_made=[], folders_fixed=[])
            return result
        try:
            result.update(self._execute_module("pyops.wsgi.wsgi_users", module_args=args, task_vars=task_vars))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
