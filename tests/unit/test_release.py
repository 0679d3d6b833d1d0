"""The release is coherent: one version in galaxy.yml, the changelog and every `version_added`.

CHANGELOG.rst is what antsibull-changelog writes from changelogs/changelog.yaml, the
fragments waiting for the next release pass its lint, and `requires_ansible` is the
ansible-core the oldest tested controller runs (requirements-compat.txt).
"""

from __future__ import annotations

import ast
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from ansible.module_utils.compat.version import LooseVersion

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
CHANGES = yaml.safe_load((ROOT / "changelogs" / "changelog.yaml").read_text())
RELEASED = sorted(CHANGES["releases"], key=LooseVersion)


def _documentation(path):
    """A module's DOCUMENTATION, or a filter's documentation file, as data."""
    if path.suffix == ".py":
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and [target.id for target in node.targets] == ["DOCUMENTATION"]:
                return yaml.safe_load(node.value.value)
        raise AssertionError("%s has no DOCUMENTATION" % path)
    return yaml.safe_load(path.read_text())["DOCUMENTATION"]


def _versions_added(document, where):
    """Every version_added in a document, with where it is."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "version_added":
                yield where, str(value)
            else:
                yield from _versions_added(value, "%s.%s" % (where, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _versions_added(value, "%s[%d]" % (where, index))


PLUGINS = sorted((ROOT / "plugins" / "modules").glob("*.py")) + sorted((ROOT / "plugins" / "filter").glob("*.yml"))


def test_galaxy_yml_has_the_newest_release():
    assert RELEASED, "changelogs/changelog.yaml lists no release"
    assert str(GALAXY["version"]) == RELEASED[-1]


@pytest.mark.parametrize("path", PLUGINS, ids=[path.name for path in PLUGINS])
def test_every_version_added_is_a_release(path):
    found = list(_versions_added(_documentation(path), path.stem))
    assert found and found[0][0] == path.stem, "%s says nowhere which version added it" % path
    for where, version in found:
        assert version in RELEASED, "%s: version_added %s is no release (%s)" % (where, version, RELEASED)


def test_the_changelog_is_what_antsibull_changelog_writes(tmp_path):
    copy = tmp_path / "wsgi"
    copy.mkdir()
    shutil.copy(ROOT / "galaxy.yml", copy)
    shutil.copytree(ROOT / "changelogs", copy / "changelogs")
    (copy / "CHANGELOG.rst").write_text("stale\n")
    subprocess.run([str(BIN / "antsibull-changelog"), "generate"], cwd=copy, check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert (copy / "CHANGELOG.rst").read_text() == (ROOT / "CHANGELOG.rst").read_text(), \
        "CHANGELOG.rst differs from changelogs/changelog.yaml: run antsibull-changelog generate"


def test_the_fragments_pass_antsibull_changelogs_lint():
    result = subprocess.run([str(BIN / "antsibull-changelog"), "lint"], cwd=ROOT, check=False,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout


def test_requires_ansible_is_the_oldest_tested_core():
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
    pins = dict(re.findall(r"^([\w.-]+)==(\S+)$", (ROOT / "requirements-compat.txt").read_text(), re.M))
    oldest = ".".join(pins["ansible-core"].split(".")[:2])
    assert runtime["requires_ansible"] == ">=%s.0" % oldest
