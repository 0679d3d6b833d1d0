"""RETURN documents exactly the keys each module returns (and the nested keys it documents)."""

from __future__ import annotations

import importlib
import sys

import pytest
import yaml

from .conftest import run_module


def documented(name):
    module = importlib.import_module("ansible_collections.pyops.wsgi.plugins.modules." + name)
    return yaml.safe_load(module.RETURN)


CASES = [
    ("wsgi_probe", lambda s: dict(socket=s["u_sock"], protocol="uwsgi")),
    ("uwsgi_stats", lambda s: dict(socket=s["u_stats_sock"])),
    ("wsgi_app_info", lambda s: dict(path=str(s["folder"]), hint="probeapp", python=sys.executable)),
    ("wsgi_release", lambda s: dict(path=str(s["folder"].parent / "release-home"), source=str(s["folder"]))),
    ("wsgi_lock", lambda s: dict(path=str(s["folder"].parent / "locks" / "deploy.lock"), token="t", holder="me")),
    ("wsgi_folders", lambda s: dict(folders=[{"path": str(s["folder"].parent / "folders" / "a")}])),
    ("wsgi_tree", lambda s: dict(src=str(s["folder"]), dest=str(s["folder"].parent / "tree"),
                                 listing={"a.py": ["file", "0" * 40]})),
]


@pytest.mark.parametrize(("name", "args"), CASES, ids=[case[0] for case in CASES])
def test_return_keys_match_the_documentation(servers, name, args):
    failed, result = run_module(name, **args(servers))
    assert not failed, result
    docs = documented(name)
    always = {key for key, doc in docs.items() if doc["returned"] == "always"}
    assert always <= set(result) - {"changed", "invocation"} <= set(docs)
    for key, doc in docs.items():
        if "contains" not in doc:
            continue
        if key not in result:
            continue
        values = result[key] if doc["type"] == "list" else [result[key]]
        for value in values:
            assert set(value) == set(doc["contains"]), key
