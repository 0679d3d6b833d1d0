"""The app spec's documentation (app_specs' _input suboptions, what ansible-doc shows and where the filter takes its
defaults and choices from) against what the filter does and against the README."""

from __future__ import annotations

import pathlib
import re

import pytest
import yaml

from ansible_collections.pyops.wsgi.plugins.filter import app_spec
from ansible_collections.pyops.wsgi.plugins.module_utils import wsgi_interface

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
def test_each_documented_default_is_the_readmes(key):
    doc, readme = KEYS[key], dict(README)[key]
    if doc.get("required"):
        assert readme == "required" and key not in app_spec._DEFAULTS
    elif "default" in doc:
        assert readme == _readme_default(doc["default"])
    else:
        # A default that depends on the rest of the spec: the description says it.
        assert re.search(r"default", doc["description"]), key


def test_the_documented_choices_are_the_filters():
    assert KEYS["server"]["choices"] == list(app_spec.SERVERS)
    assert KEYS["process_manager"]["choices"] == list(app_spec.PROCESS_MANAGERS)
    assert KEYS["front_end"]["choices"] == list(app_spec.FRONT_ENDS)
    assert KEYS["worker_class"]["choices"] == list(app_spec.GUNICORN_WORKER_CLASSES)
    assert set(KEYS["protocol"]["choices"]) == {protocol for protocols in app_spec.PROTOCOLS.values()
                                                for protocol in protocols}


BASE = {"name": "shop", "source": {"type": "local", "path": "/src/shop"}, "server_names": ["shop.example.com"]}


def _normalized(**keys):
    return app_spec.app_specs([dict(BASE, **keys)], 2, 80)[0]


@pytest.mark.parametrize("key", sorted(key for key in KEYS if "default" in KEYS[key] and key not in BASE))
def test_writing_a_documented_default_is_leaving_the_key_out(key):
    assert _normalized(**{key: KEYS[key]["default"]}) == _normalized()


# A mapping whose documented suboption defaults, written out, must mean what the mapping without them means,
# beside the keys that make it apply.
SUBOPTIONS = [
    ("health", {}),
    ("django", {}),
    ("tls", {"self_signed": True}),
    ("hooks", {}),
]


@pytest.mark.parametrize(("key", "base"), SUBOPTIONS, ids=[case[0] for case in SUBOPTIONS])
def test_writing_documented_suboption_defaults_is_leaving_them_out(key, base):
    options = KEYS[key]["suboptions"]
    written = dict({name: option["default"] for name, option in options.items() if "default" in option}, **base)
    assert _normalized(**{key: written}) == _normalized(**{key: base})


def test_a_static_entry_and_a_source_take_their_documented_defaults():
    static = {"url": "/static/", "path": "static"}
    written = dict(static, expires=KEYS["static"]["suboptions"]["expires"]["default"])
    assert _normalized(static=[written]) == _normalized(static=[static])
    archive = {"type": "archive", "src": "/tmp/shop.tar.gz"}
    defaults = {name: option["default"] for name, option in KEYS["source"]["suboptions"].items()
                if "default" in option and name != "index_url"}
    assert _normalized(source=dict(archive, **defaults)) == _normalized(source=archive)
    package = {"type": "package", "requirement": "shop==1.0"}
    assert (_normalized(source=dict(package, index_url=KEYS["source"]["suboptions"]["index_url"]["default"]),
                        entry="shop:app")
            == _normalized(source=package, entry="shop:app"))


def test_every_documented_source_type_and_key_is_taken():
    assert list(KEYS["source"]["suboptions"]["type"]["choices"]) == list(app_spec.SOURCE_TYPES)
    sources = ({"type": "local", "path": "/src"},
               {"type": "git", "repo": "https://example.com/r.git", "version": "v1"},
               {"type": "archive", "src": "/a.tar.gz", "checksum": "sha256:ab", "strip_components": 1},
               {"type": "package", "requirement": "shop==1", "index_url": "https://pypi.example.com/simple"})
    for source in sources:
        assert set(source) <= set(KEYS["source"]["suboptions"])
        assert _normalized(source=source, entry="shop:app")["source"]["type"] == source["type"]


def test_the_servers_of_each_interface_are_servers_of_the_spec():
    servers = {server for servers in wsgi_interface.SERVERS.values() for server in servers}
    assert servers == set(KEYS["server"]["choices"])
    assert KEYS["interface"]["choices"] == list(wsgi_interface.SERVERS) == list(wsgi_interface.INTERFACES)
