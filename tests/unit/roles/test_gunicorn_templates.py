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
        # gthread: one worker per core (2 here), 4 threads each.
        ("workers", 2),
        ("worker_class", "gthread"),
        ("threads", 4),
        ("timeout", 30),
        ("graceful_timeout", 30),
        ("max_requests", 0),
        ("max_requests_jitter", 0),
        ("accesslog", None),
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


def test_the_apps_own_request_log_is_a_file_when_asked(render, tmp_path):
    rendered = render(dict(SHOP, access_log=True), ["gunicorn.conf.py"])
    path = tmp_path / "gunicorn.conf.py"
    path.write_text(rendered["gunicorn.conf.py"])
    assert runpy.run_path(str(path))["accesslog"] == "/var/log/shop/access.log"


@pytest.mark.parametrize(("limit", "recycled"), [("16M", True), ("64G", False)])
def test_a_worker_past_its_memory_limit_leaves_after_its_request(render, tmp_path, limit, recycled):
    """The hook reads this process's own resident memory: pytest holds more than 16 MiB."""
    rendered = render(dict(SHOP, memory_limit=limit), ["gunicorn.conf.py", "gunicorn.service"])
    path = tmp_path / "gunicorn.conf.py"
    path.write_text(rendered["gunicorn.conf.py"])
    messages = []
    log = types.SimpleNamespace(warning=lambda text, *args: messages.append(text % args))
    worker = types.SimpleNamespace(alive=True, pid=os.getpid(), log=log)
    runpy.run_path(str(path))["post_request"](worker, None, {}, None)
    assert worker.alive is not recycled
    assert bool(messages) is recycled
    if recycled:
        assert "over memory_limit (16 MiB): recycled" in messages[0]
    mib = 16 if recycled else 65536
    # 2 workers (gthread on 2 cores) and the master, and margins for the page cache.
    assert "MemoryHigh=%dM" % (3 * mib + 128) in rendered["gunicorn.service"].splitlines()
    assert "MemoryMax=%dM" % (4 * mib + 256) in rendered["gunicorn.service"].splitlines()


def test_without_a_memory_limit_there_is_no_guard(render, tmp_path):
    rendered = render(dict(SHOP, memory_limit=0), ["gunicorn.conf.py", "gunicorn.service"])
    path = tmp_path / "gunicorn.conf.py"
    path.write_text(rendered["gunicorn.conf.py"])
    assert "post_request" not in runpy.run_path(str(path))
    assert "MemoryHigh" not in rendered["gunicorn.service"] and "MemoryMax" not in rendered["gunicorn.service"]


@pytest.mark.parametrize(
    ("overrides", "keepalive"),
    [
        ({"worker_class": "sync", "threads": 1, "protocol": "http"}, None),
        ({"worker_class": "gthread", "protocol": "http"}, ("keepalive 16;", "keepalive_timeout 1s;")),
        ({"worker_class": "gthread", "protocol": "http", "keepalive": 10}, ("keepalive 16;", "keepalive_timeout 9s;")),
        ({"worker_class": "gthread", "protocol": "http", "keepalive": 0}, None),
    ],
)
def test_nginx_keeps_upstream_connections_only_to_workers_that_keep_them(render, overrides, keepalive):
    conf = render(dict(SHOP, **overrides), ["nginx.conf"])["nginx.conf"]
    upstream = conf[conf.index("upstream wsgi_shop {"):]
    upstream = [line.strip() for line in upstream[:upstream.index("}")].splitlines()]
    if keepalive is None:
        assert not [line for line in upstream if line.startswith("keepalive")]
    else:
        for line in keepalive:
            assert line in upstream, upstream


def test_nginx_logs_each_request_once_in_blocks(shop, render):
    conf = render(SHOP, ["nginx.conf"])["nginx.conf"]
    assert "access_log /var/log/nginx/wsgi-shop.access.log combined buffer=64k flush=5s;" in conf


def test_nginx_follows_a_link_below_a_static_folder_only_to_the_links_owners_files(render):
    app = dict(SHOP, static=[{"url": "/static/", "path": "shop/static"}, {"url": "/media/", "path": "/srv/shop/shared/media"}])
    conf = render(app, ["nginx.conf"])["nginx.conf"]
    for folder in ("/srv/shop/current/shop/static", "/srv/shop/shared/media"):
        block = conf.split("alias %s/;" % folder, 1)[1].split("}", 1)[0]
        assert "disable_symlinks if_not_owner from=%s;" % folder in block, conf
