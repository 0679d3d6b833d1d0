# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owners and modes as the modules wsgi_files and wsgi_folders take and show them. Standard library only."""

from __future__ import annotations

import grp
import pwd


def wanted(module, path, owner, group, mode, coming=()):
    """(uid, gid, mode) of the names and the octal mode, or a failure naming path. A user or group of `coming`
    (which the same call makes first), or in check mode one an earlier task of the run would make, stays a name,
    so that a new app's run is previewed, not refused."""
    who = (module._name or "").rsplit(".", 1)[-1]
    try:
        bits = int(mode, 8)
    except ValueError:
        module.fail_json(msg="%s: %s: mode %r is not octal, for example 0640" % (who, path, mode))
    if not 0 <= bits <= 0o7777:
        module.fail_json(msg="%s: %s: mode %s is out of range" % (who, path, mode))
    ids = []
    for name, lookup in ((owner, lambda name: pwd.getpwnam(name).pw_uid),
                         (group, lambda name: grp.getgrnam(name).gr_gid)):
        try:
            ids.append(lookup(name))
        except KeyError:
            if not module.check_mode and name not in coming:
                module.fail_json(msg="%s: %s: no such user or group: %s" % (who, path, name))
            ids.append(name)
    return ids[0], ids[1], bits


def names(uid, gid):
    """(user, group) by name where the host knows the number; a name stays a name."""
    found = []
    for number, lookup in ((uid, lambda number: pwd.getpwuid(number).pw_name),
                           (gid, lambda number: grp.getgrgid(number).gr_name)):
        try:
            found.append(number if isinstance(number, str) else lookup(number))
        except KeyError:
            found.append(str(number))
    return found[0], found[1]


def describe(uid, gid, mode):
    """user:group mode, by name where the host knows the number."""
    return "%s:%s %04o" % (names(uid, gid) + (mode,))


def shadow_locks():
    """{user: whether its password is locked (starts with ! or is *)} from /etc/shadow; None when it cannot be
    read (not root)."""
    locks = {}
    try:
        with open("/etc/shadow") as handle:
            for line in handle:
                fields = line.rstrip("\n").split(":")
                if len(fields) > 1:
                    locks[fields[0]] = fields[1].startswith("!") or fields[1] == "*"
    except OSError:
        return None
    return locks
