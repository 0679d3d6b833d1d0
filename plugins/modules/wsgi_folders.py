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
    suboptions:
      path:
        description:
          - An absolute path.
        type: path
        required: true
      owner:
        description:
          - Its owner.
        type: str
        default: root
      group:
        description:
          - Its group.
        type: str
        default: root
      mode:
        description:
          - Its mode, in octal.
        type: str
        default: "0750"
extends_documentation_fragment:
  - pyops.wsgi.attributes.folders
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

import os
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_owners import describe, wanted


def main():
    module = AnsibleModule(
        argument_spec={
            "folders": {"type": "list", "elements": "dict", "required": True, "options": {
                "path": {"type": "path", "required": True},
                "owner": {"type": "str", "default": "root"},
                "group": {"type": "str", "default": "root"},
                "mode": {"type": "str", "default": "0750"},
            }},
        },
        supports_check_mode=True,
    )
    plan, planned = [], set()
    for folder in module.params["folders"]:
        path = os.path.normpath(folder["path"])
        if not os.path.isabs(path):
            module.fail_json(msg="wsgi_folders: %s is not an absolute path" % folder["path"])
        uid, gid, mode = wanted(module, folder["path"], folder["owner"], folder["group"], folder["mode"])
        if os.path.islink(path) or (os.path.lexists(path) and not os.path.isdir(path)):
            module.fail_json(msg="wsgi_folders: %s exists and is not a folder; move it away and run again" % path)
        # Missing folders above it are made as root's, 0755, as mkdir -p would.
        missing, parent = [], os.path.dirname(path)
        while parent not in planned and not os.path.lexists(parent):
            missing.insert(0, parent)
            parent = os.path.dirname(parent)
        if parent not in planned and not os.path.isdir(parent):
            module.fail_json(msg="wsgi_folders: %s exists and is not a folder; move it away and run again" % parent)
        for above in missing:
            planned.add(above)
            plan.append((above, 0, 0, 0o755))
        planned.add(path)
        plan.append((path, uid, gid, mode))
    made, fixed, before, after = [], [], [], []
    for path, uid, gid, mode in plan:
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
    result = {"changed": bool(made or fixed), "made": made, "fixed": fixed}
    if result["changed"]:
        result["diff"] = {"before": "".join(before), "after": "".join(after)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
