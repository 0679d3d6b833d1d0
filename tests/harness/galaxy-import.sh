#!/usr/bin/env bash
# Build the collection's tarball and import it as Galaxy would, offline:
#
#   tests/harness/galaxy-import.sh VENV_BIN OUT_DIR
#
# Fails when the import fails or logs a warning or an error (a missing role
# README, a module ansible-doc cannot read, an ansible-lint finding, no
# changelog), and prints what the importer printed. Leaves the tarball and
# importer_result.json in OUT_DIR.
set -euo pipefail

bin=${1:?usage: galaxy-import.sh VENV_BIN OUT_DIR}
out=${2:?usage: galaxy-import.sh VENV_BIN OUT_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "$bin" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/*.tar.gz "$out/importer_result.json" "$out/import.log"

"$bin/ansible-galaxy" collection build --force --output-path "$out" "$root" >/dev/null
tarball=$(ls "$out"/*.tar.gz)

# The importer runs ansible-doc and ansible-lint by name: its own venv's.
status=0
(cd "$out" && PATH="$bin:$PATH" GALAXY_IMPORTER_CONFIG="$root/tests/galaxy/galaxy-importer.cfg" \
  "$bin/python" -m galaxy_importer.main "$tarball") >"$out/import.log" 2>&1 || status=$?
grep -v '^Loading ' "$out/import.log" || true

if [ "$status" -ne 0 ] || [ ! -s "$out/importer_result.json" ]; then
  echo "galaxy-import: the import of $(basename "$tarball") failed (exit $status); full log: $out/import.log" >&2
  exit 1
fi
if grep -Eq '^(WARNING|ERROR|CRITICAL)' "$out/import.log"; then
  echo "galaxy-import: the import of $(basename "$tarball") logged the warnings or errors above" >&2
  exit 1
fi
echo "galaxy-import: $(basename "$tarball") imports clean"
