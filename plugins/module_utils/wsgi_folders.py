# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Folders with their owner, group and mode, as the modules wsgi_folders and wsgi_users make them: every folder
checked first, then made or fixed. Standard library only."""

from __future__ import annotations

import grp
import os
import pwd
import stat

from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_owners import describe, wanted

# The options of one folder, as both modules take them.
FOLDER = {
    "path": {"type": "path", "required": True},
    "owner": {"type": "str", "default": "root"},
    "group": {"type": "str", "default": "root"},
    "mode": {"type": "str", "default": "0750"},
}
# Module wsgi_users's options (its action plugin takes `host` besides, on the controller only).
USERS_ARGUMENTS = {
    "users": {"type": "list", "elements": "dict", "default": [], "options": {
        "name": {"type": "str", "required": True},
        "group": {"type": "str", "required": True},
        "home": {"type": "path", "required": True},
        "shell": {"type": "path", "default": "/usr/sbin/nologin"},
    }},
    "members": {"type": "list", "elements": "dict", "default": [], "options": {
        "name": {"type": "str", "required": True},
        "groups": {"type": "list", "elements": "str", "required": True},
    }},
    "folders": {"type": "list", "elements": "dict", "default": [], "options": FOLDER},
    "host": {"type": "dict", "default": {}},
}


def plan(module, folders, coming=()):
    """[(path, uid, gid, mode)] for the folders and the missing ones above them, in order, or a failure naming
    the folder, before any change. Users and groups of `coming` (made by the same call, before the folders)
    stay names."""
    who = (module._name or "").rsplit(".", 1)[-1]
    steps, planned = [], set()
    for folder in folders:
        path = os.path.normpath(folder["path"])
        if not os.path.isabs(path):
            module.fail_json(msg="%s: %s is not an absolute path" % (who, folder["path"]))
        uid, gid, mode = wanted(module, folder["path"], folder["owner"], folder["group"], folder["mode"], coming)
        if os.path.islink(path) or (os.path.lexists(path) and not os.path.isdir(path)):
            module.fail_json(msg="%s: %s exists and is not a folder; move it away and run again" % (who, path))
        # Missing folders above it are made as root's, 0755, as mkdir -p would.
        missing, parent = [], os.path.dirname(path)
        while parent not in planned and not os.path.lexists(parent):
            missing.insert(0, parent)
            parent = os.path.dirname(parent)
        if parent not in planned and not os.path.isdir(parent):
            module.fail_json(msg="%s: %s exists and is not a folder; move it away and run again" % (who, parent))
        for above in missing:
            planned.add(above)
            steps.append((above, 0, 0, 0o755))
        planned.add(path)
        steps.append((path, uid, gid, mode))
    return steps


def _number(name_or_id, lookup):
    """A uid or gid; a name kept by plan() is looked up now, once an earlier step has made it."""
    if not isinstance(name_or_id, str):
        return name_or_id
    try:
        return lookup(name_or_id)
    except KeyError:
        return name_or_id


def make(module, steps):
    """Make or fix each planned folder (nothing in check mode); return (made, fixed, before lines, after lines)."""
    made, fixed, before, after = [], [], [], []
    for path, uid, gid, mode in steps:
        uid = _number(uid, lambda name: pwd.getpwnam(name).pw_uid)
        gid = _number(gid, lambda name: grp.getgrnam(name).gr_gid)
        info = os.lstat(path) if os.path.lexists(path) else None
        now = (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) if info else None
        if now == (uid, gid, mode):
            continue
        (fixed if info else made).append(path)
        before.append("%s %s\n" % (path, describe(*now) if now else "(absent)"))
        after.append("%s %s\n" % (path, describe(uid, gid, mode)))
        if module.check_mode:
            continue
        if info is None:
            os.mkdir(path, 0o700)
        os.chown(path, uid, gid, follow_symlinks=False)
        os.chmod(path, mode)
    return made, fixed, before, after
