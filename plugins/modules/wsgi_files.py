#!/usr/bin/python
# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: wsgi_files
short_description: Write files and links, or remove them, with owner, group and mode, all in one call
version_added: "1.0.0"
description:
  - Makes each entry of O(files) what it asks for, in the order given, in one call to the host. A
    M(ansible.builtin.template) task costs two calls per unchanged file, a loop of M(ansible.builtin.file) one per
    item.
  - A file's text is O(files[].content), or is rendered on the controller from O(files[].template) with the task's
    variables and O(files[].vars); the host receives only the text.
  - Every entry is checked before the first change, and nothing changes when one is refused - a folder where a file
    or link belongs, a file where a link belongs, an unknown owner or group, a mode that is not octal.
  - A link where a file belongs is replaced by the file, not written through. A new or changed file is written to a
    temporary file beside it and moved over it, so a reader sees the old text or the new, never part of it.
  - Missing folders above an entry are made as root's, mode 0755 (as C(mkdir -p) would).
options:
  files:
    description:
      - The files and links.
    type: list
    elements: dict
    required: true
    suboptions:
      dest:
        description:
          - An absolute path on the host.
        type: path
        required: true
      state:
        description:
          - V(file) writes O(files[].content) there, V(link) makes a symbolic link to O(files[].src), V(absent)
            removes a file or link (a folder is refused).
        type: str
        choices: [file, link, absent]
        default: file
      content:
        description:
          - The text of a V(file); or give O(files[].template).
        type: str
      template:
        description:
          - A template rendered on the controller into the text of a V(file), found as M(ansible.builtin.template)
            finds its O(ansible.builtin.template#module:src) (the role's C(templates) folder, then beside the
            playbook).
        type: str
      vars:
        description:
          - Variables the template sees besides the task's.
        type: dict
        default: {}
      src:
        description:
          - What a V(link) points to.
        type: str
      owner:
        description:
          - The owner of a V(file).
        type: str
        default: root
      group:
        description:
          - The group of a V(file).
        type: str
        default: root
      mode:
        description:
          - The mode of a V(file), in octal.
        type: str
        default: "0644"
      backup:
        description:
          - Keep a copy of a V(file) replaced with new text, or removed, beside it; its path is the entry's
            RV(files[].backup_file).
        type: bool
        default: false
      secret:
        description:
          - The text is never shown - the diff says only that the file changed - and the task's result and
            invocation carry no text of it.
        type: bool
        default: false
  host:
    description:
      - What a read of the host found of these paths, as module M(pyops.wsgi.wsgi_lock) returns it (RV(pyops.wsgi.wsgi_lock#module:host);
        its C(files) and C(patterns)), for example the deploy's read when it took the host's lock. When it shows
        every entry as it should be (a file's owner, group, mode and checksum, a link's target, an absent path
        that one of its patterns covers), the host is not called at all and nothing is reported changed. A
        O(files[].secret) entry is taken as it should be only by an HMAC of its text under O(host_key).
      - Only on the controller; the module ignores it.
    type: dict
    default: {}
  host_key:
    description:
      - The key of the HMACs of O(host) (the O(pyops.wsgi.wsgi_lock#module:token) of the read); empty, a secret
        file is always sent to the host. Only on the controller.
    type: str
    default: ''
  secrets:
    description:
      - Set by the action plugin, not by a task - the text of each entry with O(files[].secret), in order, kept
        out of the host's log and the task's result.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - pyops.wsgi.attributes.files
author:
  - pyops.wsgi developers (@pyops)
"""

EXAMPLES = r"""
- name: Write the shop's site, enable it, and drop Debian's default
  pyops.wsgi.wsgi_files:
    files:
      - dest: /etc/nginx/sites-available/shop.conf
        template: shop.conf.j2
        vars: {port: 8000}
        backup: true
      - {dest: /etc/nginx/sites-enabled/shop.conf, state: link, src: /etc/nginx/sites-available/shop.conf}
      - {dest: /etc/nginx/sites-enabled/default, state: absent}
"""

RETURN = r"""
files:
  description: Each entry of O(files), in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    dest:
      description: Its path.
      type: str
      sample: /etc/nginx/sites-available/shop.conf
    state:
      description: What it was asked to be.
      type: str
      sample: file
    changed:
      description: Whether its text, link, owner, group or mode changed, or it was removed (or would be, in check
        mode).
      type: bool
      sample: true
    created:
      description: Whether it was not there before, as what it was asked to be (a file or a link).
      type: bool
      sample: false
    backup_file:
      description: The copy of what was there before; only when one was kept.
      type: str
      returned: when a copy was kept
      sample: /etc/nginx/sites-available/shop.conf.4711.2026-12-06@07:10:00~
diff:
  description: One diff per entry that changed, its header the path; a secret file's text is left out.
  returned: when something changed and diffs were asked for
  type: list
  elements: dict
"""

import os
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_files import CONTROLLER_ONLY, HIDDEN, MODULE_ARGUMENTS
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_owners import describe, wanted


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


def _checked(module, entry):
    """The entry with what it needs on the host (uid, gid, mode, bytes), or a failure naming it; changes nothing."""
    path, state = entry["dest"], entry["state"]
    if not os.path.isabs(path):
        module.fail_json(msg="wsgi_files: %s is not an absolute path" % path)
    if entry.get(CONTROLLER_ONLY[0]):
        module.fail_json(msg="wsgi_files: %s: a template is rendered by the action plugin; send content" % path)
    if os.path.isdir(path) and not os.path.islink(path):
        module.fail_json(msg="wsgi_files: %s is a folder; move it away and run again" % path)
    plan = dict(entry)
    if state == "file":
        if entry["content"] is None:
            module.fail_json(msg="wsgi_files: %s: a file needs content or a template" % path)
        plan["uid"], plan["gid"], plan["mode"] = wanted(module, path, entry["owner"], entry["group"], entry["mode"])
        plan["bytes"] = entry["content"].encode("utf-8")
    elif state == "link":
        if not entry["src"]:
            module.fail_json(msg="wsgi_files: %s: a link needs src" % path)
        if os.path.lexists(path) and not os.path.islink(path):
            module.fail_json(msg="wsgi_files: %s is a file where a link belongs; move it away and run again" % path)
    parent = os.path.dirname(path)
    while not os.path.lexists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        module.fail_json(msg="wsgi_files: %s exists and is not a folder; move it away and run again" % parent)
    return plan


def _parents(path):
    """Make the missing folders above path as root's, 0755."""
    missing, parent = [], os.path.dirname(path)
    while not os.path.lexists(parent):
        missing.insert(0, parent)
        parent = os.path.dirname(parent)
    for folder in missing:
        os.mkdir(folder, 0o755)
        os.chown(folder, 0, 0)
        os.chmod(folder, 0o755)


def _file(module, plan):
    """Write one file when its text, owner, group or mode differ: (changed, before, after, backup)."""
    path = plan["dest"]
    target = (plan["uid"], plan["gid"], plan["mode"])
    info = os.lstat(path) if os.path.lexists(path) else None
    regular = info is not None and stat.S_ISREG(info.st_mode)
    old = _read(path) if regular else None
    now = (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) if regular else None
    if old == plan["bytes"] and now == target:
        return False, None, None, None
    if plan["secret"]:
        before, after = HIDDEN[0] if regular else "", HIDDEN[1]
    else:
        before = old.decode("utf-8", "replace") if regular else ""
        after = plan["content"]
    if old == plan["bytes"]:
        before, after = "%s %s\n" % (path, describe(*now)), "%s %s\n" % (path, describe(*target))
    elif info is not None and not regular:
        before = "(a link to %s)\n" % os.readlink(path)
    if module.check_mode:
        return True, before, after, None
    _parents(path)
    backup = None
    if old is not None and old != plan["bytes"] and plan["backup"]:
        backup = module.backup_local(path)
    if old == plan["bytes"]:
        os.chown(path, plan["uid"], plan["gid"])
        os.chmod(path, plan["mode"])
        return True, before, after, backup
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".%s." % os.path.basename(path))
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(plan["bytes"])
        os.chown(temporary, plan["uid"], plan["gid"])
        os.chmod(temporary, plan["mode"])
        os.rename(temporary, path)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise
    return True, before, after, backup


def _link(module, plan):
    path, target = plan["dest"], plan["src"]
    current = os.readlink(path) if os.path.islink(path) else None
    if current == target:
        return False, None, None, None
    before = "(absent)\n" if current is None else "a link to %s\n" % current
    after = "a link to %s\n" % target
    if not module.check_mode:
        _parents(path)
        temporary = os.path.join(os.path.dirname(path), ".%s.%d.link" % (os.path.basename(path), os.getpid()))
        if os.path.lexists(temporary):
            os.unlink(temporary)
        os.symlink(target, temporary)
        os.rename(temporary, path)
    return True, before, after, None


def _absent(module, plan):
    path = plan["dest"]
    if not os.path.lexists(path):
        return False, None, None, None
    if os.path.islink(path):
        before = "a link to %s\n" % os.readlink(path)
    else:
        before = HIDDEN[0] if plan["secret"] else _read(path).decode("utf-8", "replace")
    if module.check_mode:
        return True, before, "(absent)\n", None
    backup = module.backup_local(path) if plan["backup"] and not os.path.islink(path) else None
    os.unlink(path)
    return True, before, "(absent)\n", backup


def main():
    module = AnsibleModule(argument_spec=MODULE_ARGUMENTS, supports_check_mode=True)
    secrets = list(module.params["secrets"])
    for entry in module.params["files"]:
        if entry["secret"] and entry["state"] == "file" and entry["content"] is None and secrets:
            entry["content"] = secrets.pop(0)
    plans = [_checked(module, entry) for entry in module.params["files"]]
    files, diffs = [], []
    for plan in plans:
        link = os.path.islink(plan["dest"])
        created = {"file": link or not os.path.lexists(plan["dest"]), "link": not link, "absent": False}[plan["state"]]
        if plan["state"] == "file":
            changed, before, after, backup = _file(module, plan)
        elif plan["state"] == "link":
            changed, before, after, backup = _link(module, plan)
        else:
            changed, before, after, backup = _absent(module, plan)
        entry = {"dest": plan["dest"], "state": plan["state"], "changed": changed, "created": created}
        if backup:
            entry["backup_file"] = backup
        files.append(entry)
        if changed:
            diffs.append({"before_header": plan["dest"], "after_header": plan["dest"], "before": before,
                          "after": after})
    result = {"changed": any(entry["changed"] for entry in files), "files": files}
    if diffs and module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
