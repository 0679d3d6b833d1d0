"""Make `ansible_collections.pyops.wsgi` importable from this checkout.

`make venv` links the checkout at .ansible/collections/ansible_collections/pyops/wsgi.
"""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
COLLECTIONS = ROOT / ".ansible" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "pyops" / "wsgi"
if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to("../../../..")
sys.path.insert(0, str(COLLECTIONS))
