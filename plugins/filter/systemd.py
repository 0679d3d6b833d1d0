# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read what `systemctl show` prints for several units."""

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


class FilterModule(object):
    """pyops.wsgi systemd filters."""

    def filters(self):
        return {"systemd_show": systemd_show}
