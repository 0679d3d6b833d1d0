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


FAKE_DJANGO_APP = """
import importlib
import os

settings = importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
application = {"module": os.environ["DJANGO_SETTINGS_MODULE"], "static_root": getattr(settings, "STATIC_ROOT", None),
               "secret": settings.SECRET_KEY, "private": hasattr(settings, "_helper")}
"""


@pytest.mark.parametrize(("collectstatic", "static_root"), [(True, "/srv/notes/shared/static"), (False, None)])
def test_django_apps_run_with_the_deploys_settings_module(render, tmp_path, collectstatic, static_root):
    """The entry module points Django at pyops_django_settings, which keeps the app's settings
    (the upper-case ones) and adds STATIC_ROOT when collectstatic runs."""
    app = {"name": "notes", "source": {"type": "local", "path": "/src"}, "entry": "fakedjango:application",
           "django": {"collectstatic": collectstatic}, "environment": {"DJANGO_SETTINGS_MODULE": "ignored.settings"}}
    rendered = render(app, ["app.env", "pyops_wsgi_entry.py", "pyops_django_settings.py"],
                      overrides={"env_file": str(tmp_path / "app.env")})
    for name, text in rendered.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "fakedjango.py").write_text(FAKE_DJANGO_APP)
    (tmp_path / "fakesite").mkdir()
    (tmp_path / "fakesite" / "__init__.py").write_text("")
    (tmp_path / "fakesite" / "settings.py").write_text("SECRET_KEY = 'from the app'\n_helper = 1\n")
    (tmp_path / "fakeapp.py").write_text("")
    application = build(tmp_path)
    assert application == {"module": "pyops_django_settings", "static_root": static_root, "secret": "from the app",
                           "private": False}


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        ({"type": "package", "requirement": "shop==1.4.2"}, ["shop==1.4.2"]),
        ({"type": "package", "requirement": "shop==1.4.2", "index_url": "https://pypi.example/simple/"},
         ["--index-url https://pypi.example/simple/", "shop==1.4.2"]),
        ({"type": "package", "src": "/dist/shop-1.4.2-py3-none-any.whl"},
         ["/srv/shop/archives/shop-1.4.2-py3-none-any.whl"]),
    ],
)
def test_package_sources_are_named_in_the_requirements_file(render, source, lines):
    """pip reads the requirements file role app writes for a package source; comments aside, it is
    exactly the package (and its index); a copied file's checksum is in it, so a rebuilt file is a new venv."""
    app = {"name": "shop", "source": source, "entry": "shop.wsgi:application"}
    text = render(app, ["requirements.txt"])["requirements.txt"]
    assert [line for line in text.splitlines() if line and not line.startswith("#")] == lines
    assert ("0123456789abcdef0123456789abcdef01234567" in text) == bool(source.get("src"))


GUARD_RUN = """
import json, os, runpy, signal, sys
sys.path.insert(0, %r)
signals = []
signal.signal(signal.SIGHUP, lambda number, frame: signals.append(number))
application = runpy.run_path(%r)["application"]
statuses = []
body = application({}, lambda status, headers: statuses.append(status))
chunks = list(body)
asked_first = len(signals)
body = application({}, lambda status, headers: statuses.append(status))
print(json.dumps({"statuses": statuses, "chunks": [c.decode() for c in chunks], "body": type(body).__name__,
                  "signals": [asked_first, len(signals)]}))
"""
WSGI_APP = """
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]
"""


@pytest.mark.parametrize(
    ("server", "limit", "signals"),
    [("uwsgi", "16M", 1), ("uwsgi", "64G", 0), ("uwsgi", 0, 0), ("gunicorn", "16M", 0)],
)
def test_a_uwsgi_worker_past_its_memory_limit_asks_to_be_recycled_when_a_request_arrives(
        render, tmp_path, server, limit, signals):
    """Under uWSGI the entry module guards memory (SIGHUP: finish the requests and leave) as a
    request arrives; this Python holds more than 16 MiB. Under Gunicorn the config's
    post_request does it, so nothing here."""
    app = {"name": "shop", "source": {"type": "local", "path": "/src"}, "entry": "plainwsgi:application",
           "server": server, "memory_limit": limit}
    rendered = render(app, ["app.env", "pyops_wsgi_entry.py"], overrides={"env_file": str(tmp_path / "app.env")})
    for name, text in rendered.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "plainwsgi.py").write_text(WSGI_APP)
    code = GUARD_RUN % (str(tmp_path), str(tmp_path / "pyops_wsgi_entry.py"))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    # The answer is the app's own (a list, not wrapped); the worker asks at the first
    # request, once, however many requests come after.
    assert outcome == {"statuses": ["200 OK", "200 OK"], "chunks": ["hello"], "body": "list",
                       "signals": [signals, signals]}
    assert ("over memory_limit (16 MiB): recycled" in result.stderr) is bool(signals)


@pytest.mark.parametrize("bad_line", ["NOT A SETTING", '=value', 'KEY="unterminated', "KEY=[1]", 'KEY="\\q"'])
def test_the_entry_module_and_the_import_check_refuse_the_same_lines(render, tmp_path, bad_line):
    """One reader (module_utils/wsgi_environment.py) for the worker's entry module and the deploy's
    import check (wsgi_app_info): a hand-edited line either refuses, the worker refuses with the same message."""
    from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_environment import parse_environment

    app = {"name": "shop", "source": {"type": "local", "path": "/src"}, "entry": "fakeapp:Holder.application",
           "environment": {"GOOD": "yes"}}
    rendered = render(app, ["app.env", "pyops_wsgi_entry.py"], overrides={"env_file": str(tmp_path / "app.env")})
    text = rendered["app.env"] + bad_line + "\n"
    (tmp_path / "app.env").write_text(text)
    (tmp_path / "pyops_wsgi_entry.py").write_text(rendered["pyops_wsgi_entry.py"])
    if bad_line == "KEY=[1]":  # not quoted: a plain value, accepted by both
        assert parse_environment(text)["KEY"] == "[1]"
        assert build(tmp_path) == {"plain": True}
        return
    with pytest.raises(ValueError) as expected:
        parse_environment(text)
    (tmp_path / "fakeapp.py").write_text(FAKE_APP)
    code = "import runpy, sys; sys.path.insert(0, %r); runpy.run_path(%r)" % (str(tmp_path), str(tmp_path / "pyops_wsgi_entry.py"))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == "ValueError: %s" % expected.value
