# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read what `systemctl show` prints for several units; write a command line systemd reads back."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def systemd_show(text):
    """{Id: {property: value}} of `systemctl show --property=Id,... UNIT...` output.

    systemctl prints one block of NAME=VALUE lines per unit, the blocks apart by an
    empty line; a block without Id is refused, as the units could not be told apart.
    """
    if not isinstance(text, str):
        raise AnsibleFilterError("systemd_show: expects the text systemctl show printed, got %s" % type(text).__name__)
    units = {}
    for block in text.strip().split("\n\n"):
        properties = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if not properties:
            continue
        if "Id" not in properties:
            raise AnsibleFilterError("systemd_show: a unit's block has no Id; ask systemctl show for --property=Id")
        units[properties["Id"]] = properties
    return units


# Inside double quotes systemd reads C escapes; % starts a specifier and $ a variable.
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "%": "%%", "$": "$$"}


def systemd_command(argv):
    """An ExecStart= line's command from a list of arguments: each double-quoted, so that systemd hands
    the program exactly these arguments (spaces, quotes, backslashes, % and $ kept as they are)."""
    if not isinstance(argv, list) or not argv or not all(isinstance(arg, str) for arg in argv):
        raise AnsibleFilterError("systemd_command: expects a non-empty list of strings, got %r" % (argv,))
    if any(ord(char) < 32 and char not in "\n\t" for arg in argv for char in arg):
        raise AnsibleFilterError("systemd_command: an argument holds a control character: %r" % (argv,))
    return " ".join('"%s"' % "".join(_ESCAPES.get(char, char) for char in arg) for arg in argv)


class FilterModule(object):
    """pyops.wsgi systemd filters."""

    def filters(self):
        return {"systemd_show": systemd_show, "systemd_command": systemd_command}
