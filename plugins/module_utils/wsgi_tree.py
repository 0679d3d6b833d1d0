# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the wsgi_tree action plugin (on the controller) and module (on the host) both need: the kinds of the
listing they exchange, and one file's digest. Standard library only."""

from __future__ import annotations

import hashlib
import os
import stat

from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_owners import names

# What a task gives both: the module takes the listing and the archive besides, from the action plugin.
ARGUMENTS = {
    "src": {"type": "path", "required": True},
    "dest": {"type": "path", "required": True},
    "owner": {"type": "str", "default": "root"},
    "group": {"type": "str", "default": "root"},
    "file_mode": {"type": "str", "default": "0640"},
    "exec_mode": {"type": "str", "default": "0750"},
    "dir_mode": {"type": "str", "default": "0750"},
    # Read on the controller only (the action plugin never sends it): files of src whose SHA-256 the task returns.
    "checksums": {"type": "list", "elements": "str", "default": []},
    # Controller only too: a read of the host (module wsgi_lock's `host`) whose `trees` may show dest as it should be.
    "host": {"type": "dict", "default": {}},
}
# A listing maps a relative path, separated by /, to [kind, sha1]; a folder's sha1 is empty.
KINDS = ("dir", "file", "exec")


def digest_of(path, algorithm="sha1"):
    """The hex digest of a file's content (SHA-1, or another hashlib algorithm), read in blocks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_digest(entries):
    """One SHA-256 of a folder's entries, each (relative path, dir|file|other, SHA-1 or "", mode, owner, group), the
    folder itself as "."; the same entries in any order give the same digest."""
    lines = sorted("%s\0%s\0%s\0%04o\0%s\0%s" % tuple(entry) for entry in entries)
    return hashlib.sha256("\n".join(lines).encode("utf-8", "surrogateescape")).hexdigest()


def host_tree_digest(dest):
    """tree_digest of a folder as it is, links not followed (a link is `other`); None when it is not a folder."""
    if os.path.islink(dest) or not os.path.isdir(dest):
        return None
    entries = []
    for relative, info, path in [(".", os.lstat(dest), dest)] + [
            (os.path.relpath(os.path.join(top, name), dest), os.lstat(os.path.join(top, name)), os.path.join(top, name))
            for top, dirs, files in os.walk(dest) for name in dirs + files]:
        kind = "dir" if stat.S_ISDIR(info.st_mode) else "file" if stat.S_ISREG(info.st_mode) else "other"
        entries.append((relative, kind, digest_of(path) if kind == "file" else "", stat.S_IMODE(info.st_mode))
                       + names(info.st_uid, info.st_gid))
    return tree_digest(entries)


def wanted_tree_digest(found, owner, group, modes):
    """tree_digest of a folder holding a controller listing (relative path -> [kind, sha1]) with owner, group and
    modes ({dir|file|exec: mode}) as wsgi_tree leaves it."""
    entries = [(".", "dir", "", modes["dir"], owner, group)]
    entries += [(path, "dir" if kind == "dir" else "file", digest, modes[kind], owner, group)
                for path, (kind, digest) in found.items()]
    return tree_digest(entries)
