# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The folders option of wsgi_folders and wsgi_users (module_utils/wsgi_folders.py, FOLDER); each module
    gives the option's description and whether it is required."""

    DOCUMENTATION = r"""
options:
  folders:
    type: list
    elements: dict
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
"""
