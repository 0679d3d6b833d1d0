"""The app spec's documentation (app_specs' _input suboptions, what ansible-doc shows) against the code and the README."""

from __future__ import annotations

import pathlib
import re

import pytest
import yaml

from ansible_collections.pyops.wsgi.plugins.filter import app_spec

ROOT = pathlib.Path(__file__).resolve().parents[4]
DOCS = yaml.safe_load((ROOT / "plugins" / "filter" / "app_specs.yml").read_text())["DOCUMENTATION"]
KEYS = DOCS["options"]["_input"]["suboptions"]
SECTION = (ROOT / "README.md").read_text().split("## The app spec", 1)[1].split("Unknown keys are refused", 1)[0]
README = re.findall(r"^\| `(\w+)` \| (.*?) \| .* \|$", SECTION, re.M)


def _readme_default(value):
    """A default as the README's table writes it."""
    if isinstance(value, bool):
        return "`%s`" % str(value).lower()
    if value == "":
        return "`''`"
    if isinstance(value, list):
        return "`[%s]`" % ", ".join(value)
    return "`%s`" % (value if value != {} else "{}")


def test_the_documented_keys_are_the_keys_the_filter_takes():
    assert set(KEYS) == set(app_spec._INPUT_KEYS)


def test_the_readme_table_has_the_same_keys_in_the_same_order():
    assert [row[0] for row in README] == list(KEYS)


@pytest.mark.parametrize("key", sorted(KEYS))
def test_each_documented_default_is_the_filters_and_the_readmes(key):
    doc, readme = KEYS[key], dict(README)[key]
    if doc.get("required"):
        assert readme == "required" and key not in app_spec._DEFAULTS
    elif "default" in doc:
        assert doc["default"] == app_spec._DEFAULTS[key]
        assert readme == _readme_default(doc["default"])
    else:
        # A default that depends on the rest of the spec: the description says it.
        assert re.search(r"default", doc["description"]), key


def test_the_documented_choices_are_the_filters():
    assert KEYS["server"]["choices"] == list(app_spec.SERVERS)
    assert KEYS["process_manager"]["choices"] == list(app_spec.PROCESS_MANAGERS)
    assert KEYS["worker_class"]["choices"] == list(app_spec.GUNICORN_WORKER_CLASSES)
    assert set(KEYS["protocol"]["choices"]) == {protocol for protocols in app_spec.PROTOCOLS.values()
                                                for protocol in protocols}
