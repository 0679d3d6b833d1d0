"""The environment file (role app) read back by the entry module every worker imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

ENVIRONMENT = {
    "QUOTES": 'say "hi" \\ bye',
    "UNICODE": "équipe ünïcode ✓",
    "EQUALS": "a=b=c",
    "NEWLINE": "line1\nline2",
    "SPACES": "  padded  ",
    "EMPTY": "",
    "HASH": "#not a comment",
}
FAKE_APP = '''
import os

def create_app(name, debug=False, extra=None):
    return {"name": name, "debug": debug, "extra": extra, "env": {k: os.environ[k] for k in %r}}

class Holder:
    application = {"plain": True}
''' % (sorted(ENVIRONMENT),)


def build(folder):
    (folder / "fakeapp.py").write_text(FAKE_APP)
    code = (
        "import json, runpy, sys; sys.path.insert(0, %r); "
        "print(json.dumps(runpy.run_path(%r)['application']))" % (str(folder), str(folder / "pyops_wsgi_entry.py"))
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("fakeapp:create_app('shop', debug=True, extra={'a': [1, 2]})",
         {"name": "shop", "debug": True, "extra": {"a": [1, 2]}}),
        ("fakeapp:create_app(\"quoted 'name'\")", {"name": "quoted 'name'", "debug": False, "extra": None}),
        ("fakeapp:Holder.application", {"plain": True}),
    ],
)
def test_entry_module_builds_the_app_with_the_environment(render, tmp_path, entry, expected):
    app = {"name": "shop", "source": {"type": "local", "path": "/src"}, "entry": entry, "environment": ENVIRONMENT}
    rendered = render(app, ["app.env", "pyops_wsgi_entry.py"], overrides={"env_file": str(tmp_path / "app.env")})
    for name, text in rendered.items():
        (tmp_path / name).write_text(text)
    application = build(tmp_path)
    env = application.pop("env", None)
    assert application == expected
    if env is not None:
        assert env == ENVIRONMENT
