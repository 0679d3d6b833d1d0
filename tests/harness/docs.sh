#!/usr/bin/env bash
# Build the collection's docs site, offline:
#
#   tests/harness/docs.sh VENV_BIN OUT_DIR
#
# antsibull-docs lints the collection's docs (every module, filter and role's own
# documentation, and the guides in docs/docsite), writes their pages, and Sphinx
# builds them into OUT_DIR/html, failing on any warning. docs/conf.py says how.
set -euo pipefail

bin=${1:?usage: docs.sh VENV_BIN OUT_DIR}
out=${2:?usage: docs.sh VENV_BIN OUT_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "$bin" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The collection as ansible-doc finds it: this checkout, beside the collections
# the docs venv's `ansible` package holds (community.crypto for the nginx role).
collections="$out/collections"
mkdir -p "$collections/ansible_collections/pyops"
ln -sfn "$root" "$collections/ansible_collections/pyops/wsgi"
export PATH="$bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$collections"

(cd "$root" && antsibull-docs lint-collection-docs --plugin-docs .)

rm -rf "$out/rst" "$out/html"
mkdir -m 0755 "$out/rst"
antsibull-docs collection --use-current --squash-hierarchy --cleanup everything --dest-dir "$out/rst" pyops.wsgi
# Targets the generated pages name in Ansible's own docs, which are not fetched.
cp "$root/docs/ansible_references.rst" "$out/rst/"
sphinx-build -M html "$out/rst" "$out/build" -c "$root/docs" -W --keep-going -q
rm -rf "$out/html"
mv "$out/build/html" "$out/html"
echo "docs: $out/html/index.html"
