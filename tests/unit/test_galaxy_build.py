"""The tarball `ansible-galaxy collection build` makes holds only what an installed collection uses.

No file that builds or tests the collection, no link (a working checkout holds one
back to its own root), no cache; and everything the collection is made of.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHIPPED = {"MANIFEST.json", "FILES.json", "CHANGELOG.rst", "LICENSE", "README.md", "ansible-navigator.yml", "changelogs", "docs", "examples",
           "execution-environment.yml", "meta", "playbooks", "plugins", "roles"}


# What a checkout in use holds beside the collection, made in a copy of it (the
# checkout itself is left alone: other tests write caches into it meanwhile).
STRAYS = (".ansible/collections/ansible_collections/pyops/wsgi", ".cache/molecule.log", ".git/HEAD",
          ".pytest_cache/README.md", ".venv/bin/python", "plugins/filter/__pycache__/stray.cpython-313.pyc",
          "roles/app/__pycache__/stray.pyc", "pyops-wsgi-0.0.1.tar.gz")


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    tree = tmp_path_factory.mktemp("checkout") / "wsgi"
    shutil.copytree(ROOT, tree, symlinks=True,
                    ignore=shutil.ignore_patterns(".git", ".venv*", ".cache", ".ansible", ".pytest_cache",
                                                  "__pycache__", "*.tar.gz"))
    for stray in STRAYS:
        path = tree / stray
        path.parent.mkdir(parents=True, exist_ok=True)
        if stray.startswith(".ansible/"):
            path.symlink_to("../../../..")
        else:
            path.write_bytes(b"")
    result = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-galaxy"), "collection", "build", "--force",
         "--output-path", str(out), str(tree)],
        cwd=tree, env=dict(os.environ, ANSIBLE_CONFIG=str(tree / "ansible.cfg")),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    tarball = out / ("%s-%s-%s.tar.gz" % (galaxy["namespace"], galaxy["name"], galaxy["version"]))
    with tarfile.open(tarball) as archive:
        return archive.getmembers()


def test_only_what_the_collection_is_made_of(members):
    tops = {member.name.split("/")[0] for member in members}
    assert tops <= SHIPPED, sorted(tops - SHIPPED)
    assert {"LICENSE", "README.md", "meta", "plugins", "playbooks", "roles"} <= tops


def test_no_link_and_no_cache(members):
    assert [member.name for member in members if member.issym() or member.islnk()] == []
    assert [member.name for member in members
            if "__pycache__" in member.name or member.name.endswith(".pyc") or ".pytest_cache" in member.name] == []


@pytest.mark.parametrize("role", sorted(path.name for path in (ROOT / "roles").iterdir()))
def test_every_role_ships_its_readme_and_meta(members, role):
    names = {member.name for member in members}
    for path in ("README.md", "meta/main.yml", "meta/argument_specs.yml", "tasks/main.yml"):
        assert "roles/%s/%s" % (role, path) in names


def test_the_guides_ship_and_the_site_settings_do_not(members):
    names = {member.name for member in members}
    assert "docs/docsite/extra-docs.yml" in names and "docs/docsite/rst/deploy.rst" in names
    assert not names & {"docs/conf.py", "docs/ansible_references.rst"}


def test_the_license_is_the_one_galaxy_yml_names(members):
    text = (ROOT / "LICENSE").read_text()
    assert yaml.safe_load((ROOT / "galaxy.yml").read_text())["license"] == ["GPL-3.0-or-later"]
    assert "GNU GENERAL PUBLIC LICENSE" in text and "Version 3, 29 June 2007" in text
