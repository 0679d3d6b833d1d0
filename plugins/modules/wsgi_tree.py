#!/usr/bin/python
# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: wsgi_tree
short_description: Make a folder on the host hold exactly a folder of the controller, in one round trip when it does
version_added: "1.0.0"
description:
  - Makes O(dest) on the host hold exactly the files and folders of O(src) on the controller. What is missing or
    differs is sent (as one archive), what O(src) no longer has is removed, and owners and modes are set.
  - The action plugin lists O(src) with a SHA-1 of each file and asks the host what differs; when nothing does,
    that one call is the whole task. Only then does it send the files that differ, in one archive.
  - Links in O(src) are followed (the host gets the file or folder they point at). On the host, a link or any
    other kind of file where O(src) has a file or a folder is replaced; nothing is written through a link.
  - Files executable by anyone on the controller get O(exec_mode), other files O(file_mode), folders O(dir_mode).
options:
  src:
    description:
      - The folder on the controller. A relative path is looked for as M(ansible.builtin.copy) looks for one (the
        role's C(files), then beside the playbook).
    type: path
    required: true
  dest:
    description:
      - The folder on the host. Made when missing; its parent must exist.
    type: path
    required: true
  owner:
    description:
      - Owner of everything under O(dest) and of O(dest) itself.
    type: str
    default: root
  group:
    description:
      - Group of everything under O(dest) and of O(dest) itself.
    type: str
    default: root
  file_mode:
    description:
      - Mode of the files.
    type: str
    default: "0640"
  exec_mode:
    description:
      - Mode of the files executable on the controller.
    type: str
    default: "0750"
  dir_mode:
    description:
      - Mode of the folders, O(dest) included.
    type: str
    default: "0750"
  checksums:
    description:
      - Files of O(src), as paths relative to it, whose SHA-256 the task returns in RV(checksums) (read on the
        controller, as O(dest) holds the same files once the task has run), so that a caller needs no second call
        to read them on the host.
    type: list
    elements: str
    default: []
  host:
    description:
      - What a read of the host found, as module M(pyops.wsgi.wsgi_lock) returns it (RV(pyops.wsgi.wsgi_lock#module:host)),
        for example the deploy's read when it took the host's lock. When its C(trees) shows O(dest) holding exactly
        what this task would leave there (every path, its text, owner, group and mode), the host is not called at
        all and nothing is reported changed.
      - Read on the controller only.
    type: dict
    default: {}
  listing:
    description:
      - Set by the action plugin from O(src) (a task cannot set it). Each path under O(src), relative and
        separated by C(/), mapped to its kind (V(dir), V(file) or V(exec)) and a file's SHA-1.
    type: dict
    required: true
  archive:
    description:
      - Set by the action plugin (a task cannot set it). A tar archive on the host holding the files that
        the first call reported in RV(sent).
    type: path
extends_documentation_fragment:
  - pyops.wsgi.attributes.tree
author:
  - pyops.wsgi developers (@pyops)
"""

EXAMPLES = r"""
- name: Put the shop's code from the controller on the host, exactly
  pyops.wsgi.wsgi_tree:
    src: "{{ playbook_dir }}/../shop"
    dest: /srv/shop/source
    owner: root
    group: shop
"""

RETURN = r"""
checksums:
  description: By path as given in O(checksums), the file's SHA-256, or null when O(src) has no such file.
  returned: always, by the action plugin (read on the controller)
  type: dict
  sample: {requirements.txt: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae}
sent:
  description: Files sent, because the host lacked them or held other content (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [shop/views.py]
removed:
  description: Paths removed, because O(src) no longer has them (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [shop/old.py]
fixed:
  description: Paths whose kind, owner, group or mode was set (or would be, in check mode); folders made are here.
  returned: always
  type: list
  elements: str
  sample: [static]
diff:
  description: The files added, updated and removed, one line each.
  returned: when something changed
  type: dict
  sample: {"before": "shop/old.py\nshop/views.py\n", "after": "shop/new.py\nshop/views.py\n"}
"""

import os
import shutil
import stat
import tarfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_owners import wanted
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_tree import ARGUMENTS, KINDS, digest_of


def on_host(dest):
    """Everything under dest, not following links: relative path -> os.lstat result."""
    found = {}
    for top, dirs, files in os.walk(dest):
        for name in dirs + files:
            path = os.path.join(top, name)
            found[os.path.relpath(path, dest)] = os.lstat(path)
    return found


def remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


class Tree:
    """Compare dest with the manifest and bring it in line."""

    def __init__(self, module, manifest):
        self.module = module
        self.params = module.params
        # dest itself is not followed if it is a link: it is replaced.
        dest = os.path.abspath(self.params["dest"])
        self.dest = os.path.join(os.path.realpath(os.path.dirname(dest)), os.path.basename(dest))
        self.manifest = manifest
        self.modes = {}
        for kind in ("dir", "file", "exec"):
            self.uid, self.gid, self.modes[kind] = wanted(module, self.dest, self.params["owner"],
                                                          self.params["group"], self.params[kind + "_mode"])
        self.removed = []
        # SHA-1 of each file the host has that the controller has too.
        self.before = {}

    def wrong_kind(self, kind, info):
        return not (stat.S_ISDIR(info.st_mode) if kind == "dir" else stat.S_ISREG(info.st_mode))

    def wrong_attributes(self, kind, info):
        return (stat.S_IMODE(info.st_mode) != self.modes[kind] or info.st_uid != self.uid
                or info.st_gid != self.gid)

    def plan(self):
        """What differs: paths to remove (deepest first), folders to make, files to send, attributes to set."""
        there = on_host(self.dest) if os.path.isdir(self.dest) and not os.path.islink(self.dest) else {}
        gone = set()
        for path in sorted(there, key=lambda name: name.count(os.sep), reverse=True):
            entry = self.manifest.get(path)
            if entry is None or self.wrong_kind(entry[0], there[path]):
                gone.add(path)
        # Whatever lies below a path that goes, goes with it.
        self.removed = sorted(path for path in gone if not any(path.startswith(other + os.sep) for other in gone))
        for path in gone:
            there.pop(path, None)
        make, send, fix = [], [], []
        for path in sorted(self.manifest):
            kind, digest = self.manifest[path]
            info = there.get(path)
            if info is None:
                (make if kind == "dir" else send).append(path)
                continue
            if kind != "dir":
                self.before[path] = digest_of(os.path.join(self.dest, path))
            if kind != "dir" and self.before[path] != digest:
                send.append(path)
            elif self.wrong_attributes(kind, info):
                fix.append(path)
        top = os.lstat(self.dest) if os.path.lexists(self.dest) else None
        if top is None or self.wrong_kind("dir", top) or self.wrong_attributes("dir", top):
            fix.insert(0, ".")
        return make, send, fix

    def settle(self, path, kind):
        full = os.path.join(self.dest, path) if path != "." else self.dest
        os.chown(full, self.uid, self.gid, follow_symlinks=False)
        os.chmod(full, self.modes[kind])

    def apply(self, make, fix):
        if os.path.islink(self.dest) or (os.path.lexists(self.dest) and not os.path.isdir(self.dest)):
            os.unlink(self.dest)
        if not os.path.isdir(self.dest):
            os.mkdir(self.dest, self.modes["dir"])
        for path in self.removed:
            remove(os.path.join(self.dest, path))
        for path in make:
            os.mkdir(os.path.join(self.dest, path), self.modes["dir"])
            self.settle(path, "dir")
        for path in fix:
            self.settle(path, "dir" if path == "." else self.manifest[path][0])

    def unpack(self, archive, send):
        """Write each sent file from the archive beside its place, check it, then rename it into place."""
        pending = set(send)
        with tarfile.open(archive, "r") as tar:
            for member in tar:
                if member.name not in pending or not member.isfile():
                    continue
                kind, digest = self.manifest[member.name]
                target = os.path.join(self.dest, member.name)
                temporary = os.path.join(os.path.dirname(target), ".wsgi_tree-%s" % os.path.basename(target))
                with open(temporary, "wb") as handle:
                    shutil.copyfileobj(tar.extractfile(member), handle)
                os.chown(temporary, self.uid, self.gid)
                os.chmod(temporary, self.modes[kind])
                if digest_of(temporary) != digest:
                    os.unlink(temporary)
                    self.module.fail_json(msg="wsgi_tree: %s arrived damaged (its SHA-1 differs); run again"
                                          % member.name)
                os.rename(temporary, target)
                pending.discard(member.name)
        if pending:
            self.module.fail_json(msg="wsgi_tree: the archive lacks %s" % ", ".join(sorted(pending)))


def main():
    module = AnsibleModule(
        argument_spec=dict(ARGUMENTS, listing={"type": "dict", "required": True}, archive={"type": "path"}),
        supports_check_mode=True,
    )
    manifest = module.params["listing"]
    for path, entry in manifest.items():
        parts = path.split("/")
        if (not isinstance(entry, list) or len(entry) != 2 or entry[0] not in KINDS or os.path.isabs(path)
                or ".." in parts or "" in parts or "." in parts):
            module.fail_json(msg="wsgi_tree: a bad entry in the listing: %r" % path)
    # In check mode an earlier task of the run would have made it: everything is new.
    if not os.path.isdir(os.path.dirname(os.path.realpath(module.params["dest"]))) and not module.check_mode:
        module.fail_json(msg="wsgi_tree: the folder holding %s does not exist" % module.params["dest"])
    tree = Tree(module, manifest)
    make, send, fix = tree.plan()
    # Without the archive, `sent` is what the action plugin must send; with it, what was written.
    if not module.check_mode:
        tree.apply(make, fix)
        if module.params["archive"]:
            tree.unpack(module.params["archive"], send)
    result = {"changed": bool(tree.removed or make or fix or send), "sent": send, "removed": tree.removed,
              "fixed": make + fix}
    if result["changed"]:
        before = ["%s %s" % (path, tree.before[path][:12]) for path in send if path in tree.before]
        result["diff"] = {
            "before_header": "%s (file, SHA-1)" % module.params["dest"],
            "after_header": "%s (file, SHA-1)" % module.params["src"],
            "before": "".join("%s\n" % line for line in sorted(before + tree.removed)),
            "after": "".join("%s %s\n" % (path, manifest[path][1][:12]) for path in send),
        }
    module.exit_json(**result)


if __name__ == "__main__":
    main()
