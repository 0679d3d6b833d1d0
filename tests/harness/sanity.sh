#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection at ansible_collections/pyops/wsgi
# (ansible-test needs that path). Copies what git tracks plus new, unignored files,
# so it checks the working tree. Extra arguments go to ansible-test.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dest=${PYOPS_SANITY_DIR:-${TMPDIR:-/tmp}/pyops-wsgi-sanity}/ansible_collections/pyops/wsgi
rm -rf "$dest"
mkdir -p "$dest"
cd "$root"
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' file; do [[ -e $file ]] && printf '%s\0' "$file"; done \
  | tar --null --files-from=- -cf - | tar -xf - -C "$dest"
# ansible-test downloads its pip bootstrap from a host we cannot reach; it uses a
# cached copy when there is one, so offer ours (see pip_bootstrap.py).
pip_version=$(python3 -c 'import re, ansible_test, pathlib
text = (pathlib.Path(ansible_test.__file__).parent / "_internal/python_requirements.py").read_text()
print(re.search(r"pip=.([0-9.]+).", text).group(1))')
cache=$HOME/.ansible/test/cache
mkdir -p "$cache"
cp "$root/tests/harness/pip_bootstrap.py" "$cache/get_pip_${pip_version//./_}.py"
cd "$dest"
exec ansible-test sanity --venv --color no "$@"
