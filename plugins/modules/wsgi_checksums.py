#!/usr/bin/python
# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: wsgi_checksums
short_description: Read the checksums of several files in one call
version_added: "1.0.0"
description:
  - Reads the SHA-256 checksum of each file of O(paths) in one call (M(ansible.builtin.stat) reads one file a
    call), for a deploy that must tell, for every app at once, which requirements file or venv marker changed.
  - A path that is missing, or is not a regular file (after links), has no checksum; that is no error.
options:
  paths:
    description:
      - The files to read, as absolute paths.
    type: list
    elements: path
    required: true
extends_documentation_fragment:
  - pyops.wsgi.attributes.read_only
author:
  - pyops.wsgi developers (@pyops)
"""

EXAMPLES = r"""
- name: Read the checksums of two apps' requirements files
  pyops.wsgi.wsgi_checksums:
    paths:
      - /srv/shop/source/requirements.txt
      - /srv/blog/source/requirements/prod.txt
  register: requirements

- name: Show the shop's, or nothing when it has none
  ansible.builtin.debug:
    msg: "{{ requirements.checksums['/srv/shop/source/requirements.txt'] }}"
"""

RETURN = r"""
checksums:
  description: By path as given, the file's SHA-256 checksum (hex), or null when it is missing or not a file.
  returned: always
  type: dict
  sample: {/srv/shop/source/requirements.txt: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae,
           /srv/blog/source/requirements/prod.txt: null}
"""

import os

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(paths=dict(type="list", elements="path", required=True)),
                           supports_check_mode=True)
    relative = [path for path in module.params["paths"] if not os.path.isabs(path)]
    if relative:
        module.fail_json(msg="paths: absolute paths only, got %s" % ", ".join(relative))
    try:
        # None for a path that is missing or not a regular file.
        checksums = dict((path, module.sha256(path) if os.path.isfile(path) else None) for path in module.params["paths"])
    except OSError as error:
        module.fail_json(msg="cannot read %s: %s" % (error.filename, error.strerror))
    module.exit_json(changed=False, checksums=checksums)


if __name__ == "__main__":
    main()
