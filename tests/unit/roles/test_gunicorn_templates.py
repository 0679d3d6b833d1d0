"""gunicorn.conf.py and the Gunicorn unit, rendered by Ansible and read by Python."""

from __future__ import annotations

import logging
import os
import runpy
import socket
import types

import pytest

SHOP = {
    "name": "shop",
    "source": {"type": "local", "path": "/src"},
    "entry": "shop.wsgi:application",
    "worker_class": "gthread",
    "threads": 4,
    "protocol": "uwsgi",
    "bind": ["unix", "127.0.0.1:8000"],
    "mount": "/shop",
    "control_socket": False,
}


@pytest.fixture(scope="module")
def shop(render, tmp_path_factory):
    rendered = render(SHOP, ["gunicorn.conf.py", "gunicorn.service"])
    path = tmp_path_factory.mktemp("conf") / "gunicorn.conf.py"
    path.write_text(rendered["gunicorn.conf.py"])
    return runpy.run_path(str(path)), rendered["gunicorn.service"]


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("wsgi_app", "pyops_wsgi_entry:application"),
        ("chdir", "/srv/shop/current"),
        ("pythonpath", "/srv/shop/current,/etc/pyops-wsgi/shop"),
        ("raw_env", ["SCRIPT_NAME=/shop"]),
        ("bind", ["unix:/run/shop/gunicorn.sock", "127.0.0.1:8000"]),
        ("umask", 0o117),
        ("protocol", "uwsgi"),
        ("workers", 5),
        ("worker_class", "gthread"),
        ("threads", 4),
        ("timeout", 30),
        ("graceful_timeout", 30),
        ("max_requests", 1000),
        ("max_requests_jitter", 100),
        ("accesslog", "/var/log/shop/access.log"),
        ("control_socket_disable", True),
        ("preload_app", False),
    ],
)
def test_gunicorn_settings_follow_the_spec(shop, setting, expected):
    settings = shop[0]
    assert settings[setting] == expected


def test_socket_mode_from_umask_is_0660(shop):
    settings = shop[0]
    assert 0o777 & ~settings["umask"] == 0o660


def test_unit_runs_as_the_app_user_and_reloads_with_hup(shop):
    unit = shop[1]
    lines = set(unit.splitlines())
    for line in (
        "User=shop",
        "Group=shop",
        "Type=notify",
        "RuntimeDirectory=shop",
        "RuntimeDirectoryMode=0750",
        "Restart=on-failure",
        "ExecStart=/srv/shop/current/venv/bin/gunicorn --config /etc/pyops-wsgi/shop/gunicorn.conf.py",
        "ExecReload=/bin/sh -c 'kill -s HUP ${MAINPID}'",
    ):
        assert line in lines, line


def test_control_socket_is_per_app_when_on(render, tmp_path):
    app = {"name": "blog", "source": {"type": "local", "path": "/src"}, "entry": "blog:app"}
    path = tmp_path / "gunicorn.conf.py"
    path.write_text(render(app, ["gunicorn.conf.py"])["gunicorn.conf.py"])
    settings = runpy.run_path(str(path))
    assert settings["control_socket"] == "/run/blog/gunicorn.ctl"
    assert settings["control_socket_mode"] == 0o600
    assert "control_socket_disable" not in settings
    assert "raw_env" not in settings


@pytest.mark.parametrize(("version", "expected"), [
    ("23.0.0", set()),
    ("25.0.0", {"protocol"}),
    ("25.1.0", {"protocol", "control_socket_disable"}),
    ("27.0.1", {"protocol", "control_socket_disable"}),
])
def test_settings_gunicorn_lacks_are_left_out(render, tmp_path, version, expected):
    """Gunicorn 23 (Python 3.9) has no protocol setting and no control socket: they are not written."""
    path = tmp_path / "gunicorn.conf.py"
    path.write_text(render(SHOP, ["gunicorn.conf.py"], gunicorn=version)["gunicorn.conf.py"])
    settings = runpy.run_path(str(path))
    assert {"protocol", "control_socket", "control_socket_mode", "control_socket_disable"} & set(settings) == expected


@pytest.mark.parametrize(("master_pid", "expected"), [(4242, "MAINPID=%d"), (0, None)])
def test_a_new_master_after_usr2_becomes_systemds_main_process(shop, tmp_path, monkeypatch, master_pid, expected):
    settings = shop[0]
    address = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(address)
        listener.settimeout(0.5)
        monkeypatch.setenv("NOTIFY_SOCKET", address)
        settings["when_ready"](types.SimpleNamespace(master_pid=master_pid, log=logging.getLogger("test")))
        try:
            received = listener.recv(4096).decode()
        except socket.timeout:
            received = None
    assert received == (expected % os.getpid() if expected else None)


def test_unit_lets_the_upgraded_master_notify(shop):
    assert "NotifyAccess=all" in shop[1].splitlines()


def test_preload_app_is_passed_to_gunicorn(render, tmp_path):
    rendered = render(dict(SHOP, preload_app=True), ["gunicorn.conf.py"])
    path = tmp_path / "gunicorn.conf.py"
    path.write_text(rendered["gunicorn.conf.py"])
    assert runpy.run_path(str(path))["preload_app"] is True


def test_unit_is_sandboxed(shop):
    unit = shop[1].splitlines()
    for directive in ("ProtectSystem=strict", "NoNewPrivileges=yes", "CapabilityBoundingSet=",
                      "ReadWritePaths=-/srv/shop/data -/srv/shop/shared"):
        assert directive in unit
    assert unit.index("ProtectSystem=strict") < unit.index("[Install]")


def test_unit_without_sandbox(render):
    unit = render(dict(SHOP, sandbox=False), ["gunicorn.service"])["gunicorn.service"]
    assert "ProtectSystem" not in unit and "[Install]" in unit
