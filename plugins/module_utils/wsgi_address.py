# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The addresses app servers listen on: a unix socket path or HOST:PORT, and where the host reaches them.

Standard library only: used by controller-side filters and by modules on the targets.
"""

from __future__ import annotations

import re

_TCP = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[^:\s\[\]]*):(?P<port>[0-9]{1,5})\Z")
# A host that means every address of the machine (brackets removed).
WILDCARD_HOSTS = frozenset(("0.0.0.0", "::", "*", ""))
LOOPBACK_HOSTS = frozenset(("127.0.0.1", "localhost", "::1"))


def split_tcp(address):
    """(host, port) of HOST:PORT, an IPv6 host without its brackets; None for anything else (a socket path)."""
    text = str(address).strip()
    if text.startswith(("/", "@", "unix:")):
        return None
    match = _TCP.match(text)
    return (match.group("host").strip("[]"), int(match.group("port"))) if match else None


def is_wildcard(host):
    """Whether a server bound to host listens on every address of the machine."""
    return str(host).strip("[]") in WILDCARD_HOSTS


def is_loopback(host):
    """Whether host is the machine's own loopback."""
    return str(host).strip("[]") in LOOPBACK_HOSTS


def local_host(host):
    """Where the machine itself reaches a server bound to host: the loopback for a wildcard."""
    host = str(host).strip("[]")
    if host == "::":
        return "::1"
    return "127.0.0.1" if host in WILDCARD_HOSTS else host
