# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build, switch or mark an app's release in one call to the host, or none for a build a read of it shows done."""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase


def as_read(args, host):
    """Whether a read of the host (module wsgi_lock's `host`, its `releases`) shows that building this source
    would give the running release with nothing to prune: the build would change nothing."""
    read = (host.get("releases") or {}).get(args.get("path"))
    if not read or args.get("state", "present") != "present" or not read.get("current"):
        return False
    venv = args.get("venv")
    return (read.get("id") == read["current"] and venv is not None and read.get("venv") == venv
            and args.get("salt", "") == venv and read.get("keep") == args.get("keep", 0)
            and read.get("shared_dirs") == list(args.get("shared_dirs") or [])
            and read.get("shared_files") == list(args.get("shared_files") or [])
            and not read.get("doomed") and read["current"] not in (read.get("failed") or []))


class ActionModule(ActionBase):
    """The module, unless `host` shows a build with nothing to do."""

    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        host = args.pop("host", None) or {}
        if host and as_read(args, host):
            read = host["releases"][args["path"]]
            result.update(changed=False, id=read["current"], switched=False, built=False,
                          release_path=os.path.join(args["path"], "releases", read["current"]),
                          current=read["current"], previous=read.get("previous"), releases=read.get("releases", []),
                          pruned=[], venv_before=None, venv_after=None,
                          failed_releases=[name for name in read.get("releases", []) if name in (read.get("failed") or [])])
            return result
        try:
            result.update(self._execute_module("pyops.wsgi.wsgi_release", module_args=args, task_vars=task_vars))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
