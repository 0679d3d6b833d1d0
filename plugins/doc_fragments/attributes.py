# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Attributes shared by the collection's modules."""

    # Modules that only read: wsgi_app_info, wsgi_checksums, wsgi_probe, uwsgi_stats.
    READ_ONLY = r"""
attributes:
  check_mode:
    support: full
    description: The module only reads; it does the same in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
  idempotent:
    support: full
    description: Reads only; the same state gives the same result.
"""

    # Modules that change the host: wsgi_release.
    RELEASE = r"""
attributes:
  check_mode:
    support: full
    description: Reports the release it would build, switch to or remove, and changes nothing.
  diff_mode:
    support: full
    description: Shows the release C(current) pointed at before and after a switch.
  idempotent:
    support: full
    description: The same code, salt and release give the same state; a second run reports no change.
"""

    # Modules that copy a controller folder to the host: wsgi_tree.
    TREE = r"""
attributes:
  check_mode:
    support: full
    description: Reports the files it would send, remove or fix, and changes nothing.
  diff_mode:
    support: full
    description: Lists each file added, updated or removed, with the start of its SHA-1.
  idempotent:
    support: full
    description: The same folder gives the same state; a second run reports no change.
"""

    # Modules that make folders: wsgi_folders.
    FOLDERS = r"""
attributes:
  check_mode:
    support: full
    description: Reports the folders it would make or fix, and changes nothing.
  diff_mode:
    support: full
    description: Shows each folder's owner, group and mode before and after.
  idempotent:
    support: full
    description: The same folders give the same state; a second run reports no change.
"""

    FILES = r"""
attributes:
  check_mode:
    support: full
    description: Reports each file and link it would write, remove or fix, and changes nothing.
  diff_mode:
    support: full
    description: A diff per entry that changed - its text, its link, or its owner, group and mode; never the text of
      a secret file.
  idempotent:
    support: full
    description: The same entries give the same files; a second run reports no change.
"""

    USERS = r"""
attributes:
  check_mode:
    support: full
    description: Reports the groups, users and folders it would make or fix, and changes nothing.
  diff_mode:
    support: full
    description: Shows each group, user and folder made or fixed, before and after.
  idempotent:
    support: full
    description: The same users and folders give the same accounts and folders; a second run reports no change.
"""
