"""granian_serve.py, uvicorn_serve.py and their units, rendered by Ansible and read as Python."""

from __future__ import annotations

import ast
import pathlib
import runpy

import pytest

API = {
    "name": "api",
    "source": {"type": "local", "path": "/src"},
    "entry": "main:app",
    "interface": "asgi",
    "workers": 3,
    "backpressure": 64,
    "mount": "/api",
    "access_log": True,
    "memory_limit": "512M",
}


def _launch_call(text, name):
    """The keywords of the call of `name` under `if __name__ == "__main__"`, each a literal or its source."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == name:
            keywords = {}
            for keyword in node.keywords:
                try:
                    keywords[keyword.arg] = ast.literal_eval(keyword.value)
                except ValueError:
                    keywords[keyword.arg] = ast.unparse(keyword.value)
            return [ast.literal_eval(arg) for arg in node.args], keywords
    raise AssertionError("no call of %s" % name)


@pytest.fixture(scope="module")
def granian(render, tmp_path_factory):
    rendered = render(dict(API, server="granian"), ["granian_serve.py", "granian.service"])
    path = tmp_path_factory.mktemp("granian") / "granian_serve.py"
    path.write_text(rendered["granian_serve.py"])
    return rendered, runpy.run_path(str(path), run_name="granian_serve")


@pytest.fixture(scope="module")
def uvicorn(render, tmp_path_factory):
    rendered = render(dict(API, server="uvicorn", bind=["unix", "127.0.0.1:8010"]),
                      ["uvicorn_serve.py", "uvicorn.service"])
    path = tmp_path_factory.mktemp("uvicorn") / "uvicorn_serve.py"
    path.write_text(rendered["uvicorn_serve.py"])
    return rendered, runpy.run_path(str(path), run_name="uvicorn_serve")


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("interface", "Interfaces('asgi')"),
        ("workers", 3),
        ("backpressure", 64),
        ("url_path_prefix", "/api"),
        ("log_access", True),
        ("respawn_failed_workers", True),
        ("respawn_interval", 1),
        ("workers_kill_timeout", 30),
        ("workers_max_rss", 512),
        ("websockets", True),
    ],
)
def test_granian_settings_follow_the_spec(granian, setting, expected):
    args, keywords = _launch_call(granian[0]["granian_serve.py"], "Granian")
    assert args == ["pyops_wsgi_entry:application"]
    assert keywords[setting] == expected
    # An ASGI app: Granian's one blocking thread, its own default.
    assert "blocking_threads" not in keywords


def test_granian_listens_on_the_apps_socket_0660(granian):
    settings = granian[1]
    assert settings["binding"]() == {"uds": pathlib.Path("/run/api/granian.sock"), "uds_permissions": 0o660}
    assert settings["logging_config"]()["handlers"]["access"]["filename"] == "/var/log/api/access.log"


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("workers", 3),
        ("root_path", "/api"),
        ("limit_concurrency", 64),
        ("limit_max_requests", None),
        ("timeout_graceful_shutdown", 30),
        ("timeout_keep_alive", 2),
        ("access_log", True),
        ("lifespan", "auto"),
        ("forwarded_allow_ips", "127.0.0.1,::1"),
    ],
)
def test_uvicorn_settings_follow_the_spec(uvicorn, setting, expected):
    args, keywords = _launch_call(uvicorn[0]["uvicorn_serve.py"], "Config")
    assert args == ["pyops_wsgi_entry:application"]
    assert keywords[setting] == expected


def test_uvicorn_binds_each_address_of_the_spec(uvicorn, tmp_path):
    settings = uvicorn[1]
    assert settings["ADDRESSES"] == ["/run/api/uvicorn.sock", "127.0.0.1:8010"]
    sock = settings["listen"](str(tmp_path / "s.sock"))
    try:
        assert (tmp_path / "s.sock").stat().st_mode & 0o777 == 0o660
    finally:
        sock.close()


@pytest.mark.parametrize("server", ["granian", "uvicorn"])
def test_the_unit_runs_the_launcher_with_the_venv_current_links(granian, uvicorn, server):
    unit = (granian if server == "granian" else uvicorn)[0]["%s.service" % server]
    assert "\nType=exec\n" in unit
    assert "NotifyAccess" not in unit
    assert "\nExecStart=/srv/api/current/venv/bin/python /etc/pyops-wsgi/api/%s_serve.py\n" % server in unit
    assert "\nExecReload=/bin/sh -c 'kill -s HUP ${MAINPID}'\n" in unit
    assert "\nKillMode=mixed\n" in unit


def test_a_wsgi_app_under_granian_gets_the_threads_of_its_spec(render, tmp_path):
    rendered = render(dict(API, server="granian", interface="wsgi", threads=8, backpressure=0, bind="127.0.0.1:8020"),
                      ["granian_serve.py"])
    _args, keywords = _launch_call(rendered["granian_serve.py"], "Granian")
    assert (keywords["interface"], keywords["blocking_threads"]) == ("Interfaces('wsgi')", 8)
    assert "backpressure" not in keywords
    path = tmp_path / "granian_serve.py"
    path.write_text(rendered["granian_serve.py"])
    assert runpy.run_path(str(path), run_name="x")["binding"]() == {"address": "127.0.0.1", "port": 8020}


def test_a_wsgi_app_under_granian_without_threads_gets_64_not_granians_512(render):
    # Granian's own default (half its backpressure) served the CPU-bound route about a fifth slower behind nginx.
    rendered = render(dict(API, server="granian", interface="wsgi", backpressure=0), ["granian_serve.py"])
    _args, keywords = _launch_call(rendered["granian_serve.py"], "Granian")
    assert (keywords["interface"], keywords["blocking_threads"]) == ("Interfaces('wsgi')", 64)
