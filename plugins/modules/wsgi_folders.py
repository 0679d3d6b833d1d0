#!/usr/bin/python
# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: wsgi_folders
short_description: Make folders with their owner, group and mode, all in one call
version_added: "1.0.0"
description:
  - Makes each folder of O(folders) that is missing and sets its owner, group and mode, in the order given, in one
    call (a loop of M(ansible.builtin.file) costs one call per folder).
  - Missing folders above one of them are made too, as root's with mode 0755 (as C(mkdir -p) would). A link or a
    file where a folder belongs is refused, not replaced, and nothing is changed then.
options:
  folders:
    description:
      - The folders.
    type: list
    elements: dict
    required: true
extends_documentation_fragment:
  - pyops.wsgi.attributes.folders
  - pyops.wsgi.folders
author:
  - pyops.wsgi developers (@pyops)
"""

EXAMPLES = r"""
- name: Make the shop's folders
  pyops.wsgi.wsgi_folders:
    folders:
      - {path: /srv/shop, group: shop}
      - {path: /srv/shop/data, owner: shop, group: shop}
"""

RETURN = r"""
made:
  description: Folders made (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [/srv/shop/data]
fixed:
  description: Folders whose owner, group or mode was set (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [/srv/shop]
diff:
  description: Each folder made or fixed, with its owner, group and mode before and after.
  returned: when something changed
  type: dict
  sample: {"before": "/srv/shop root:root 0755\n", "after": "/srv/shop root:shop 0750\n"}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_folders import FOLDER, make, plan


def main():
    module = AnsibleModule(
        argument_spec={"folders": {"type": "list", "elements": "dict", "required": True, "options": FOLDER}},
        supports_check_mode=True,
    )
    made, fixed, before, after = make(module, plan(module, module.params["folders"]))
    result = {"changed": bool(made or fixed), "made": made, "fixed": fixed}
    if result["changed"]:
        result["diff"] = {"before": "".join(before), "after": "".join(after)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
