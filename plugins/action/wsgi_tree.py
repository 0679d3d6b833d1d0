# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""List a controller folder, ask the host what differs, and send only that, in one archive."""

from __future__ import annotations

import os
import stat
import tarfile
import tempfile

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.plugins.action import ActionBase
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_tree import ARGUMENTS, digest_of, wanted_tree_digest


def listing(top):
    """relative path -> [kind, sha1] of everything under top, links followed (a loop of links is refused)."""
    if not os.path.isdir(top):
        raise AnsibleActionFail("wsgi_tree: %s is not a folder on the controller" % top)
    found, seen = {}, set()
    for folder, dirs, files in os.walk(top, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            raise AnsibleActionFail("wsgi_tree: %s leads back into a folder already listed (a loop of links)"
                                    % folder)
        seen.add(real)
        for name in dirs:
            found[os.path.relpath(os.path.join(folder, name), top)] = ["dir", ""]
        for name in files:
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, top)
            try:
                info = os.stat(path)
            except OSError as error:
                raise AnsibleActionFail("wsgi_tree: cannot read %s: %s" % (path, error)) from error
            if not stat.S_ISREG(info.st_mode):
                raise AnsibleActionFail("wsgi_tree: %s is neither a file nor a folder" % path)
            executable = info.st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            found[relative] = ["exec" if executable else "file", digest_of(path)]
    return {path.replace(os.sep, "/"): entry for path, entry in found.items()}


def checksums(top, found, wanted):
    """relative path -> SHA-256 of each wanted file of the listing, or None when the listing has no such file."""
    sums = {}
    for relative in wanted:
        name = os.path.normpath(relative).replace(os.sep, "/")
        if os.path.isabs(relative) or name == ".." or name.startswith("../"):
            raise AnsibleActionFail("wsgi_tree: checksums: %s is not a path inside src" % relative)
        kind = found.get(name, ["", ""])[0]
        sums[relative] = digest_of(os.path.join(top, name), "sha256") if kind in ("file", "exec") else None
    return sums


class ActionModule(ActionBase):
    """One module call when the host already holds the folder; a second with the archive when it does not."""

    TRANSFERS_FILES = True
    _supports_check_mode = True

    @staticmethod
    def _as_read(args, found, host):
        """Whether a read of the host (module wsgi_lock's `host`) shows dest as this task would leave it."""
        read = (host.get("trees") or {}).get(args["dest"])
        if not read:
            return False
        try:
            modes = {kind: int(args[kind + "_mode"], 8) for kind in ("dir", "file", "exec")}
        except ValueError:
            return False
        return read == wanted_tree_digest(found, args["owner"], args["group"], modes)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        validation, args = self.validate_argument_spec(argument_spec=ARGUMENTS)
        del validation
        wanted = args.pop("checksums")
        host = args.pop("host")
        src = os.path.expanduser(args["src"])
        if not os.path.isabs(src):
            # Found as the copy module finds it: the role's files, then beside the playbook.
            try:
                src = self._find_needle("files", src)
            except AnsibleError as error:
                raise AnsibleActionFail("wsgi_tree: %s is not a folder on the controller" % args["src"]) from error
        found = listing(src)
        result["checksums"] = checksums(src, found, wanted)
        arguments = dict(args, src=src, listing=found)
        if self._as_read(args, found, host):
            # The host's read shows dest holding exactly this: what the module would answer, without asking it.
            result.update(changed=False, sent=[], removed=[], fixed=[])
            return result
        try:
            first = self._execute_module("pyops.wsgi.wsgi_tree", module_args=arguments, task_vars=task_vars)
            if first.get("failed") or self._task.check_mode or not first.get("sent"):
                result.update(first)
                return result
            with tempfile.TemporaryDirectory(prefix="wsgi_tree-") as folder:
                archive = os.path.join(folder, "files.tar")
                with tarfile.open(archive, "w", dereference=True) as tar:
                    for path in first["sent"]:
                        tar.add(os.path.join(src, path), arcname=path, recursive=False)
                self._make_tmp_path()
                remote = self._connection._shell.join_path(self._connection._shell.tmpdir, "files.tar")
                self._transfer_file(archive, remote)
                self._fixup_perms2((self._connection._shell.tmpdir, remote))
                second = self._execute_module("pyops.wsgi.wsgi_tree", module_args=dict(arguments, archive=remote),
                                              task_vars=task_vars)
            if not second.get("failed"):
                # The first call already removed and fixed what it reports; the second sends.
                second["removed"] = first["removed"]
                second["fixed"] = sorted(set(first["fixed"]) | set(second["fixed"]))
                second["changed"] = True
                second["diff"] = first.get("diff", second.get("diff"))
            result.update(second)
            return result
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
