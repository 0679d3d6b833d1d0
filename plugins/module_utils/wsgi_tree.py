# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the wsgi_tree action plugin (on the controller) and module (on the host) both need: the kinds of the
listing they exchange, and one file's digest. Standard library only."""

from __future__ import annotations

import hashlib

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
