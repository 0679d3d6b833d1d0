"""What Galaxy shows of each role agrees with the role and the collection.

README.md is the one its argument specs give (make role-readmes); meta/main.yml
names the same description, the collection's license, the oldest ansible-core
tested and the Debian releases the scenarios run on.
"""

from __future__ import annotations

import importlib.util
import pathlib
import re

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
_SPEC = importlib.util.spec_from_file_location("role_readmes", ROOT / "tests" / "harness" / "role_readmes.py")
role_readmes = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(role_readmes)

ROLES = [path.name for path in role_readmes.role_dirs()]


def test_every_role_has_argument_specs():
    assert sorted(ROLES) == sorted(path.name for path in (ROOT / "roles").iterdir() if path.is_dir())


@pytest.mark.parametrize("role", ROLES)
def test_the_readme_is_the_one_the_argument_specs_give(role):
    readme = ROOT / "roles" / role / "README.md"
    assert readme.exists(), "roles/%s/README.md is missing: run make role-readmes" % role
    assert readme.read_text() == role_readmes.render(ROOT / "roles" / role), (
        "roles/%s/README.md differs from its argument specs: run make role-readmes" % role)


@pytest.mark.parametrize("role", ROLES)
def test_every_entry_point_and_variable_is_in_the_readme(role):
    text = (ROOT / "roles" / role / "README.md").read_text()
    specs = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    for entry_point, spec in specs.items():
        assert "\n## %s\n" % entry_point in text
        for option in spec.get("options") or {}:
            assert "| `%s` |" % option in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C(nginx -t) and V(true)", "`nginx -t` and `true`"),
        ("O(uwsgi_package=pyuwsgi)", "`uwsgi_package=pyuwsgi`"),
        ("module P(pyops.wsgi.wsgi_lock#module)", "module `pyops.wsgi.wsgi_lock` (module)"),
        ("I(one) B(two) U(https://example.org)", "*one* **two** <https://example.org>"),
        ("L(the docs, https://example.org/a)", "[the docs](https://example.org/a)"),
        ("two\n  lines", "two lines"),
    ],
)
def test_markup_becomes_markdown(text, expected):
    assert role_readmes.markdown(text) == expected


def _floor(text):
    return re.search(r">=\s*(\d+\.\d+)", text).group(1)


@pytest.mark.parametrize("role", ROLES)
def test_galaxy_info_agrees_with_the_specs_and_the_collection(role):
    meta = yaml.safe_load((ROOT / "roles" / role / "meta" / "main.yml").read_text())
    specs = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
    compat = re.search(r"^ansible-core==(\d+\.\d+)\.", (ROOT / "requirements-compat.txt").read_text(), re.M).group(1)
    images = re.search(r"^images:(.*)$", (ROOT / "Makefile").read_text(), re.M).group(1).split()
    info = meta["galaxy_info"]
    assert info["description"] == specs["main"]["short_description"]
    assert [info["license"]] == galaxy["license"]
    # The floor is the oldest controller a scenario runs under.
    assert info["min_ansible_version"] == _floor(runtime["requires_ansible"]) == compat
    assert info["platforms"] == [{"name": "Debian", "versions": sorted(
        (image.replace("image-", "") for image in images), key=["bullseye", "bookworm", "trixie"].index)}]
    assert meta["dependencies"] == []


def test_the_collection_readme_lists_every_role_as_the_specs_give():
    text = (ROOT / "README.md").read_text()
    assert role_readmes.with_roles_table(text) == text, "README.md's table of roles is stale: run make role-readmes"
    table = role_readmes.roles_table()
    for role in ROLES:
        assert "(roles/%s/README.md)" % role in table
