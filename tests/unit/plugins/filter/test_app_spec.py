"""The app spec filter: what it derives and what it refuses."""

from __future__ import annotations

import copy
import os
import pathlib
import subprocess
import sys

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.pyops.wsgi.plugins.filter import app_spec
from ansible_collections.pyops.wsgi.plugins.filter.app_spec import (
    KEYS, FilterModule, app_folders, app_specs, normalized, redacted, removed_apps)

LOCAL = {"type": "local", "path": "/src/hello/"}


def app(**overrides):
    spec = {"name": "hello", "source": dict(LOCAL), "entry": "hello:create_app()"}
    spec.update(overrides)
    return spec


def test_filter_is_registered_under_its_name():
    assert FilterModule().filters() == {"app_specs": app_specs, "removed_apps": removed_apps, "normalized": normalized,
                                        "redacted": redacted, "app_folders": app_folders}


def test_an_app_to_remove_needs_only_its_name_and_is_left_out_of_the_specs():
    apps = [app(), {"name": "old-shop", "state": "absent", "server": "uwsgi", "workers": "whatever"},
            {"name": "gone", "state": "absent", "purge": "yes"}]
    assert [spec["name"] for spec in app_specs(apps)] == ["hello"]
    assert app_specs(apps)[0]["state"] == "present" and app_specs(apps)[0]["purge"] is False
    assert removed_apps(apps) == [
        {"name": "old-shop", "state": "absent", "purge": False, "server": "uwsgi", "process_manager": "systemd",
         "front_end": "nginx", "user": "old-shop", "group": "old-shop", "home": "/srv/old-shop",
         "config_dir": "/etc/pyops-wsgi/old-shop", "runtime_dir": "/run/old-shop", "log_dir": "/var/log/old-shop",
         "tls_dir": "/etc/ssl/pyops-wsgi/old-shop", "units": "wsgi-old-shop.*"},
        {"name": "gone", "state": "absent", "purge": True, "server": "gunicorn", "process_manager": "systemd",
         "front_end": "nginx", "user": "gone", "group": "gone", "home": "/srv/gone", "config_dir": "/etc/pyops-wsgi/gone",
         "runtime_dir": "/run/gone", "log_dir": "/var/log/gone", "tls_dir": "/etc/ssl/pyops-wsgi/gone",
         "units": "wsgi-gone.*"},
    ]
    assert removed_apps([app()]) == [] and removed_apps(None) == []


@pytest.mark.parametrize(
    ("apps", "message"),
    [
        ([{"name": "gone", "state": "absent", "purge": "maybe"}], "wsgi_apps[0] (gone).purge: argument 'purge' is of type"),
        ([{"name": "gone", "state": "absent", "server": "waitress"}], "wsgi_apps[0] (gone).server: value of server must be"),
        ([{"name": "gone", "state": "absent", "colour": "red"}], "wsgi_apps[0] (gone): unknown key(s) colour"),
        ([{"name": "root", "state": "absent"}], "wsgi_apps[0] (root).name: 'root' is already used by the system"),
        ([{"name": "gone", "state": "removed"}], "wsgi_apps[0] (gone).state: value of state must be one of: present, absent"),
        ([app(purge=True)], "wsgi_apps[0] (hello).purge: applies to an app removed (state: absent) only"),
        ([{"name": "hello", "state": "absent"}, app()],
         "wsgi_apps: wsgi_apps[0] (hello) is to be removed (state: absent) and deployed under the same name"),
        ([{"name": "x", "state": "absent"}, {"name": "x", "state": "absent"}],
         "wsgi_apps: wsgi_apps[0] (x) and wsgi_apps[1] (x) have the same name"),
    ],
)
def test_an_app_to_remove_is_checked_too(apps, message):
    with pytest.raises(AnsibleFilterError) as raised:
        app_specs(apps)
    assert message in str(raised.value)


def test_app_folders_are_root_s_but_data_dir_and_follow_the_spec():
    spec = app_specs([app()], 2)[0]
    folders = app_folders([spec])
    assert [folder["path"] for folder in folders] == [
        "/srv/hello", "/etc/pyops-wsgi/hello", spec["data_dir"], "/srv/hello/source", "/srv/hello/releases",
        "/srv/hello/shared", "/srv/hello/venvs", "/srv/hello/archives"]
    assert {folder["group"] for folder in folders} == {spec["group"]}
    assert [folder["owner"] for folder in folders] == ["root", "root", spec["user"]] + ["root"] * 5


def test_minimal_spec_gets_defaults_and_derived_values():
    (spec,) = app_specs([app()], cpu_count=2)
    assert spec["workers"] == 5
    assert spec["user"] == spec["group"] == "hello"
    assert spec["source"] == {"type": "local", "path": "/src/hello"}
    assert spec["code_dir"] == "/srv/hello/current"
    assert spec["venv_dir"] == "/srv/hello/current/venv"
    assert (spec["source_dir"], spec["releases_dir"], spec["shared_dir"], spec["venvs_dir"]) == (
        "/srv/hello/source", "/srv/hello/releases", "/srv/hello/shared", "/srv/hello/venvs")
    assert (spec["keep_releases"], spec["shared_dirs"], spec["shared_files"]) == (5, [], [])
    assert spec["data_dir"] == "/srv/hello/data"
    assert spec["env_file"] == "/etc/pyops-wsgi/hello/app.env"
    assert spec["socket"] == "/run/hello/gunicorn.sock"
    assert spec["unit"] == "wsgi-hello.service"
    assert spec["log_dir"] == "/var/log/hello"
    assert spec["upstream"] == {
        "name": "wsgi_hello",
        "servers": ["unix:/run/hello/gunicorn.sock"],
        "pass": "proxy_pass",
        "keepalive": 0,
        "keepalive_timeout": 1,
    }
    assert spec["control_socket"] is True
    # Serving speed: no recycling by count, a memory guard instead, requests logged by nginx only.
    assert (spec["max_requests"], spec["max_requests_jitter"], spec["threads"]) == (0, 0, 1)
    assert spec["memory_limit"] == 1024
    assert spec["systemd_limits"] == ["MemoryHigh=6272M", "MemoryMax=7424M"]
    assert spec["access_log"] is False


@pytest.mark.parametrize(
    ("overrides", "workers", "threads"),
    [
        ({}, 5, 1),
        ({"worker_class": "gthread"}, 2, 4),
        ({"worker_class": "gthread", "threads": 8}, 2, 8),
        ({"server": "uwsgi"}, 2, 4),
        ({"server": "uwsgi", "workers": 3, "threads": 1}, 3, 1),
        # Granian and Uvicorn: a process per core; Granian's threads are its own default (0).
        ({"server": "granian"}, 2, 0),
        ({"server": "granian", "threads": 8}, 2, 8),
        ({"server": "uvicorn"}, 2, 1),
        ({"server": "mod_wsgi", "front_end": "apache"}, 2, 4),
        ({"threads": "0", "workers": "0"}, 5, 1),
    ],
)
def test_workers_and_threads_default_per_server(overrides, workers, threads):
    (spec,) = app_specs([app(**overrides)], cpu_count=2)
    assert (spec["workers"], spec["threads"]) == (workers, threads)
    # A normalized spec normalizes to itself.
    assert app_specs([spec], cpu_count=2) == [spec]


@pytest.mark.parametrize(
    ("overrides", "interface", "worker_class", "workers"),
    [
        # Left to the code (found on the host), the worker class then follows it.
        ({}, None, None, 5),
        ({"interface": "asgi"}, "asgi", "asgi", 2),
        ({"interface": "wsgi"}, "wsgi", "sync", 5),
        ({"worker_class": "asgi"}, "asgi", "asgi", 2),
        ({"worker_class": "gthread"}, "wsgi", "gthread", 2),
        ({"worker_class": "asgi", "interface": "asgi"}, "asgi", "asgi", 2),
        ({"interface": None}, None, None, 5),
        ({"server": "uwsgi"}, "wsgi", None, 2),
        ({"server": "uvicorn"}, "asgi", None, 2),
        ({"server": "granian"}, None, None, 2),
        ({"server": "granian", "interface": "wsgi"}, "wsgi", None, 2),
    ],
)
def test_the_interface_is_given_implied_or_left_to_the_code(overrides, interface, worker_class, workers):
    (spec,) = app_specs([app(**overrides)], cpu_count=2)
    assert (spec["interface"], spec["worker_class"], spec["workers"]) == (interface, worker_class, workers)
    assert app_specs([spec], cpu_count=2) == [spec]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"server": "uwsgi", "interface": "asgi"},
         "(hello).interface: server uwsgi does not run ASGI apps; servers that do: gunicorn with worker_class asgi"),
        ({"worker_class": "gthread", "interface": "asgi"},
         "(hello).worker_class: gthread calls WSGI apps, and interface is asgi: use worker_class asgi, or leave "
         "worker_class out"),
        ({"worker_class": "asgi", "interface": "wsgi"},
         "(hello).worker_class: asgi calls ASGI apps, and interface is wsgi: use a WSGI worker class such as sync"),
        ({"interface": "rsgi"}, "(hello).interface: value of interface must be one of: wsgi, asgi, got: rsgi"),
        ({"server": "uvicorn", "interface": "wsgi"},
         "(hello).interface: server uvicorn does not run WSGI apps; servers that do: gunicorn, uwsgi, granian, mod_wsgi"),
        # What Granian and Uvicorn cannot take.
        ({"server": "uvicorn", "threads": 4},
         "(hello).threads: uvicorn runs an ASGI app on one event loop per worker: leave threads out"),
        ({"server": "granian", "interface": "asgi", "threads": 2}, "(hello).threads: granian runs an ASGI app"),
        ({"server": "granian", "bind": ["unix", "127.0.0.1:8000"]},
         "(hello).bind: Granian listens on one address: give one (unix or HOST:PORT), got unix, 127.0.0.1:8000"),
        ({"server": "granian", "max_requests": 1000}, "(hello).max_requests: Granian does not replace workers by"),
        ({"backpressure": 64}, "(hello).backpressure: only applies with server: granian or uvicorn (gunicorn's"),
        ({"server": "uvicorn", "protocol": "uwsgi"}, "(hello).protocol: must be one of http with server uvicorn"),
    ],
)
def test_a_server_that_cannot_call_the_interface_is_refused(overrides, message):
    with pytest.raises(AnsibleFilterError) as error:
        app_specs([app(**overrides)], cpu_count=2)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("overrides", "keepalive"),
    [
        ({}, 0),
        ({"worker_class": "gthread"}, 16),
        ({"threads": 4}, 16),
        ({"worker_class": "gevent"}, 16),
        ({"worker_class": "gthread", "keepalive": 0}, 0),
        ({"worker_class": "gthread", "protocol": "uwsgi"}, 0),
        ({"server": "uwsgi"}, 0),
        ({"server": "uwsgi", "protocol": "http"}, 0),
        ({"server": "uwsgi", "protocol": "fastcgi"}, 0),
        ({"server": "granian"}, 16),
        ({"server": "uvicorn"}, 16),
        ({"server": "uvicorn", "keepalive": 0}, 0),
    ],
)
def test_nginx_keeps_connections_only_to_workers_that_keep_them(overrides, keepalive):
    (spec,) = app_specs([app(**overrides)], cpu_count=2)
    assert spec["upstream"]["keepalive"] == keepalive
    assert spec["upstream"]["keepalive_timeout"] == max(1, spec["keepalive"] - 1)


@pytest.mark.parametrize(
    ("value", "mib", "limits"),
    [
        ("512M", 512, ["MemoryHigh=3200M", "MemoryMax=3840M"]),
        ("2g", 2048, ["MemoryHigh=12416M", "MemoryMax=14592M"]),
        (300, 300, ["MemoryHigh=1928M", "MemoryMax=2356M"]),
        ("16M", 16, ["MemoryHigh=224M", "MemoryMax=368M"]),
        (0, 0, []),
        ("0", 0, []),
    ],
)
def test_memory_limit_is_per_worker_and_bounds_the_service(value, mib, limits):
    (spec,) = app_specs([app(memory_limit=value)], cpu_count=2)
    assert (spec["memory_limit"], spec["systemd_limits"]) == (mib, limits)
    assert app_specs([spec], cpu_count=2) == [spec]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1T", "(hello).memory_limit: must be a size such as 512M or 1G (MiB as a number), or 0 for none, got '1T'"),
        ("lots", "(hello).memory_limit: must be a size such as 512M"),
        (True, "(hello).memory_limit: must be a size such as 512M or 1G, or 0 for none, got True"),
        ("8M", "(hello).memory_limit: must be from 16M to 1024G, or 0 for none, got '8M'"),
        ("2000G", "(hello).memory_limit: must be from 16M to 1024G, or 0 for none, got '2000G'"),
        ("512M\n", "(hello).memory_limit: must be a size"),
        ("512 M", "(hello).memory_limit: must be a size"),
    ],
)
def test_bad_memory_limits_name_the_key(value, message):
    with pytest.raises(AnsibleFilterError) as caught:
        app_specs([app(memory_limit=value)], cpu_count=2)
    assert message in str(caught.value)


def test_max_requests_keeps_a_jitter_of_a_tenth_unless_given():
    (spec,) = app_specs([app(max_requests=5000)], cpu_count=2)
    assert spec["max_requests_jitter"] == 500
    (spec,) = app_specs([app(max_requests=5000, max_requests_jitter=7)], cpu_count=2)
    assert spec["max_requests_jitter"] == 7


def test_access_log_is_a_boolean():
    (spec,) = app_specs([app(access_log="yes")], cpu_count=2)
    assert spec["access_log"] is True
    with pytest.raises(AnsibleFilterError) as caught:
        app_specs([app(access_log="sometimes")], cpu_count=2)
    assert "(hello).access_log:" in str(caught.value)


@pytest.mark.parametrize(
    ("overrides", "key", "expected"),
    [
        ({"protocol": "uwsgi"}, "upstream", {
            "name": "wsgi_hello_api", "servers": ["unix:/run/hello-api/gunicorn.sock"], "pass": "uwsgi_pass",
            "keepalive": 0, "keepalive_timeout": 1}),
        ({"workers": "3"}, "workers", 3),
        ({"workers": 0}, "workers", 9),
        ({"control_socket": "no"}, "control_socket", False),
        ({"server": "uwsgi"}, "upstream", {
            "name": "wsgi_hello_api", "servers": ["unix:/run/hello-api/uwsgi.sock"], "pass": "uwsgi_pass",
            "keepalive": 0, "keepalive_timeout": 1}),
        ({"server": "uwsgi", "protocol": "fastcgi", "bind": ["unix", "127.0.0.1:9000"]}, "upstream", {
            "name": "wsgi_hello_api", "servers": ["unix:/run/hello-api/uwsgi.sock", "127.0.0.1:9000"],
            "pass": "fastcgi_pass", "keepalive": 0, "keepalive_timeout": 1}),
        ({"server": "uwsgi", "protocol": "router", "bind": "0.0.0.0:9090"}, "addresses", ["0.0.0.0:9090"]),
        ({"server": "uwsgi", "uwsgi_options": {"chmod-socket": 666}, "uwsgi_allow_world_socket": True},
         "uwsgi_options", {"chmod-socket": "666"}),
        ({"server": "uwsgi", "uwsgi_options": {"stats": "0.0.0.0:1717"}, "uwsgi_allow_public_stats": True},
         "uwsgi_options", {"stats": "0.0.0.0:1717"}),
        ({"server": "uwsgi", "uwsgi_options": {"--stats": "127.0.0.1:1717", "log_maxsize": 100, "vacuum": True}},
         "uwsgi_options", {"stats": "127.0.0.1:1717", "log-maxsize": "100", "vacuum": "true"}),
        ({"server": "uwsgi", "uwsgi_options": {"env": ["A=1", "B=2"]}}, "uwsgi_options", {"env": ["A=1", "B=2"]}),
        ({"mount": "/api/"}, "mount", "/api"),
        ({"entry": "pkg.mod:make(1, 'a', flag=True)"}, "entry_args", [1, "a"]),
        ({"entry": "pkg.mod:make(1, 'a', flag=True)"}, "entry_kwargs", {"flag": True}),
        ({"entry": "pkg.mod"}, "entry_callable", "application"),
        ({"server_names": "hello.example.com"}, "server_names", ["hello.example.com"]),
        ({"shared_dirs": ["/media/", "var/db"]}, "shared_dirs", ["media", "var/db"]),
        ({"shared_files": "db.sqlite3"}, "shared_files", ["db.sqlite3"]),
        ({"keep_releases": "3"}, "keep_releases", 3),
        # No entry: the app role finds it in the code.
        ({"entry": ""}, "entry", ""),
        # The health check and how it reaches the app server directly.
        ({}, "health", {"enabled": True, "path": "/", "status_codes": [], "body_regex": "", "timeout": 5,
                        "retries": 10, "delay": 1}),
        ({"health": False}, "health", {"enabled": False, "path": "/", "status_codes": [], "body_regex": "",
                                       "timeout": 5, "retries": 10, "delay": 1}),
        ({"health": {"path": "/healthz?deep=1", "status_codes": 204, "retries": "3"}}, "health",
         {"enabled": True, "path": "/healthz?deep=1", "status_codes": [204], "body_regex": "", "timeout": 5,
          "retries": 3, "delay": 1}),
        ({}, "probe", {"protocol": "http", "path": "/", "host_header": "localhost",
                       "socket": "/run/hello-api/gunicorn.sock"}),
        ({"server": "uwsgi", "mount": "/api", "server_names": ["a.example"], "health": {"path": "/healthz"}}, "probe",
         {"protocol": "uwsgi", "path": "/api/healthz", "host_header": "a.example",
          "socket": "/run/hello-api/uwsgi.sock"}),
        ({"server": "uwsgi", "protocol": "router", "bind": ["0.0.0.0:9090"]}, "probe",
         {"protocol": "http", "path": "/", "host_header": "localhost", "host": "127.0.0.1", "port": 9090}),
        ({"server": "uwsgi", "protocol": "http", "bind": ["[::1]:9091", "unix"]}, "probe",
         {"protocol": "http", "path": "/", "host_header": "localhost", "host": "::1", "port": 9091}),
        ({"server": "uwsgi", "protocol": "fastcgi"}, "probe", None),
        # Where the host itself reaches the first address (the vassal's wait, the probe).
        ({}, "local_address", {"socket": "/run/hello-api/gunicorn.sock"}),
        ({"server": "uwsgi", "protocol": "fastcgi", "bind": ["0.0.0.0:9000"]}, "local_address",
         {"host": "127.0.0.1", "port": 9000}),
        ({"bind": ["[::]:8000"]}, "local_address", {"host": "::1", "port": 8000}),
        ({"bind": ["10.0.0.5:8000", "unix"]}, "local_address", {"host": "10.0.0.5", "port": 8000}),
        ({"static": [{"url": "/static", "path": "hello/static/"}]}, "static",
         [{"url": "/static/", "path": "hello/static", "expires": "30d"}]),
        ({"static": [{"url": "/s/", "path": "s", "expires": "max"}]}, "static",
         [{"url": "/s/", "path": "s", "expires": "max"}]),
        ({"environment": {"DEBUG": False, "PORT": 8000}}, "environment", {"DEBUG": "false", "PORT": "8000"}),
        ({"source": {"type": "git", "repo": "https://git.example/hello.git", "version": "v1"}}, "source",
         {"type": "git", "repo": "https://git.example/hello.git", "version": "v1"}),
        ({"source": {"type": "archive", "src": "/build/shop-1.2.tar.gz", "strip_components": "1"}}, "source",
         {"type": "archive", "src": "/build/shop-1.2.tar.gz", "url": False, "checksum": "", "strip_components": 1,
          "format": "tar"}),
        ({"source": {"type": "archive", "src": "https://files.example/shop.zip", "checksum": "sha256:ab12"}}, "source",
         {"type": "archive", "src": "https://files.example/shop.zip", "url": True, "checksum": "sha256:ab12",
          "strip_components": 0, "format": "zip"}),
        ({"source": {"type": "package", "requirement": "shop==1.4.2", "index_url": "https://pypi.example/simple"}},
         "source", {"type": "package", "requirement": "shop==1.4.2", "src": "", "index_url": "https://pypi.example/simple",
                    "file": ""}),
        ({"source": {"type": "package", "src": "dist/shop-1.4.2-py3-none-any.whl"}}, "source",
         {"type": "package", "requirement": "", "src": "dist/shop-1.4.2-py3-none-any.whl", "index_url": "",
          "file": "shop-1.4.2-py3-none-any.whl"}),
        ({}, "archive_dir", "/srv/hello-api/archives"),
        ({"sandbox": "no"}, "systemd_sandbox", []),
        ({"writable_paths": "/var/cache/shop/"}, "writable_paths", ["/var/cache/shop"]),
        ({}, "hooks", {"before_build": "", "after_build": "", "before_switch": "", "after_switch": ""}),
        ({}, "release_command", []),
        ({"release_command": "flask --app 'shop app' db upgrade"}, "release_command",
         ["flask", "--app", "shop app", "db", "upgrade"]),
        ({"release_command": ["alembic", "upgrade", "head"]}, "release_command", ["alembic", "upgrade", "head"]),
        ({}, "maintenance", {"allow": [], "page": "", "retry_after": 600}),
        ({"maintenance": {"allow": ["203.0.113.7", " 10.20.1.0/16", "2001:db8::1/32", "::1"], "page": "/inv/down.html",
                          "retry_after": "60"}},
         "maintenance", {"allow": ["203.0.113.7", "10.20.0.0/16", "2001:db8::/32", "::1"], "page": "/inv/down.html",
                         "retry_after": 60}),
        ({}, "timers", []),
        ({}, "timer_files", ["/etc/systemd/system/wsgi-hello-api.*.timer", "/etc/systemd/system/wsgi-hello-api.*[!@].service"]),
        ({}, "processes", []),
        ({}, "process_files", ["/etc/systemd/system/wsgi-hello-api.*@.service",
                               "/etc/systemd/system/multi-user.target.wants/wsgi-hello-api.*@*.service"]),
        ({"processes": [{"name": "worker", "command": "celery -A 'shop app' worker"}]},
         "processes", [{"name": "worker", "command": ["celery", "-A", "shop app", "worker"], "replicas": 1, "stop_signal": "TERM",
                        "stop_timeout": 60, "unit": "wsgi-hello-api.worker@.service",
                        "instances": ["wsgi-hello-api.worker@1.service"]}]),
        ({"processes": [{"name": "rq_1", "command": ["rq", "worker"], "replicas": "3", "stop_signal": "INT", "stop_timeout": "5"},
                        {"name": "idle", "command": ["rq", "worker"], "replicas": 0}]},
         "processes", [{"name": "rq_1", "command": ["rq", "worker"], "replicas": 3, "stop_signal": "INT", "stop_timeout": 5,
                        "unit": "wsgi-hello-api.rq_1@.service",
                        "instances": ["wsgi-hello-api.rq_1@1.service", "wsgi-hello-api.rq_1@2.service",
                                      "wsgi-hello-api.rq_1@3.service"]},
                       {"name": "idle", "command": ["rq", "worker"], "replicas": 0, "stop_signal": "TERM", "stop_timeout": 60,
                        "unit": "wsgi-hello-api.idle@.service", "instances": []}]),
        ({"timers": [{"name": "purge", "command": "flask --app 'shop app' purge", "schedule": " *-*-*\n 03:15:00 "}]},
         "timers", [{"name": "purge", "command": ["flask", "--app", "shop app", "purge"], "schedule": "*-*-* 03:15:00",
                     "once_per_fleet": False, "timeout": 0, "unit": "wsgi-hello-api.purge"}]),
        ({"timers": [{"name": "r_1", "command": ["python", "-m", "report"], "schedule": "daily", "once_per_fleet": "yes",
                      "timeout": "3600"}]},
         "timers", [{"name": "r_1", "command": ["python", "-m", "report"], "schedule": "daily", "once_per_fleet": True,
                     "timeout": 3600, "unit": "wsgi-hello-api.r_1"}]),
        ({"hooks": {"after_switch": "/inv/hooks/notify.yml"}}, "hooks",
         {"before_build": "", "after_build": "", "before_switch": "", "after_switch": "/inv/hooks/notify.yml"}),
        ({}, "django", {"enabled": False}),
        ({"django": False}, "django", {"enabled": False}),
        ({"django": {"enabled": False, "settings": "x y"}}, "django", {"enabled": False}),
        ({"django": True}, "django",
         {"enabled": True, "settings": "", "manage": "manage.py", "migrate": True, "collectstatic": True,
          "static_url": "/static/", "check_deploy": True, "superuser": None,
          "static_root": "/srv/hello-api/shared/static"}),
        ({"django": {"collectstatic": False, "migrate": "no", "manage": "/src/manage.py"},
          "environment": {"DJANGO_SETTINGS_MODULE": "shop.settings.prod"}}, "django",
         {"enabled": True, "settings": "shop.settings.prod", "manage": "src/manage.py", "migrate": False,
          "collectstatic": False, "static_url": "/static/", "check_deploy": True, "superuser": None}),
        ({"django": {"superuser": {"username": "admin", "password": "s3cret"}}}, "django",
         {"enabled": True, "settings": "", "manage": "manage.py", "migrate": True, "collectstatic": True,
          "static_url": "/static/", "check_deploy": True,
          "superuser": {"username": "admin", "password": "s3cret", "email": ""},
          "static_root": "/srv/hello-api/shared/static"}),
        # Django's static root is served by nginx at django.static_url, after the app's own static entries.
        ({"django": {"static_url": "/assets"}, "static": [{"url": "/media/", "path": "/srv/hello-api/shared/media"}]},
         "static", [{"url": "/media/", "path": "/srv/hello-api/shared/media", "expires": "30d"},
                    {"url": "/assets/", "path": "/srv/hello-api/shared/static", "expires": "30d"}]),
    ],
)
def test_values_are_normalized(overrides, key, expected):
    (spec,) = app_specs([app(name="hello-api", **overrides)], cpu_count=4)
    assert spec[key] == expected


def test_tls_paths_and_defaults():
    tls = {"certificate_content": "C", "key_content": "K", "chain_content": "CH"}
    (spec,) = app_specs([app(server_names=["a.test", "b.test"], tls=tls)])
    assert spec["tls"] == {"self_signed": False, "certificate": "", "key": "", "chain": "", "certificate_content": "C",
                           "key_content": "K", "chain_content": "CH", "redirect": True, "hsts": 0, "port": 443}
    assert spec["tls_files"] == {"dir": "/etc/ssl/pyops-wsgi/hello", "certificate": "/etc/ssl/pyops-wsgi/hello/fullchain.pem",
                                 "key": "/etc/ssl/pyops-wsgi/hello/privkey.pem", "chain": "/etc/ssl/pyops-wsgi/hello/chain.pem"}
    (plain,) = app_specs([app()])
    assert plain["tls"] is None and plain["tls_files"] is None
    assert (plain["security_headers"], plain["websocket"], plain["nginx_directives"]) == (True, False, [])


def test_normalizing_twice_changes_nothing():
    once = app_specs([app(server_names=["a.example"]), app(name="two", protocol="uwsgi"),
                      app(name="dj", server_names=["dj.example"], django={"superuser": {"username": "a", "password": "p"}},
                          source={"type": "archive", "src": "https://f.example/a.tgz", "checksum": "sha1:ab"}),
                      app(name="pkg", server_names=["pkg.example"], source={"type": "package", "requirement": "pkg"},
                          hooks={"before_switch": "/h/b.yml"}),
                      app(name="tls", server_names=["tls.example"], tls={"self_signed": True, "hsts": 600},
                          nginx_directives="gzip off;", content_security_policy="default-src 'self'"),
                      app(name="bound", server_names=["b.example"], bind=["unix", "127.0.0.1:8080"]),
                      app(name="quiet", server_names=["q.example"], health=False, django={"enabled": False})],
                     cpu_count=2, http_port=8081)
    assert all(spec["normalized"] == {"cpu_count": 2, "http_port": 8081} for spec in once)
    twice = app_specs(copy.deepcopy(once), cpu_count=2, http_port=8081)
    assert twice == once
    # A normalized spec keeps its port check: nginx's port is the app's own TCP port.
    with pytest.raises(AnsibleFilterError, match=r"\(bound\).bind 127.0.0.1:8080 collides with nginx"):
        app_specs(copy.deepcopy(once), cpu_count=2, http_port=8080)


# Every documented key of these types, given what no conversion makes one: ansible-core's argument spec validation
# (types and choices read from the documentation) refuses it, naming the app and the key.
_NOT_A = {"bool": "perhaps", "int": "several", "dict": "k=v", "list": 5}
_TYPED_KEYS = sorted(key for key, option in KEYS.items() if option["type"] in _NOT_A and key not in ("name", "source"))


@pytest.mark.parametrize("key", _TYPED_KEYS)
def test_each_documented_type_is_enforced(key):
    with pytest.raises(AnsibleFilterError, match=r"^wsgi_apps\[0\] \(hello\)\.%s: " % key):
        app_specs([app(**{key: _NOT_A[KEYS[key]["type"]]})])


@pytest.mark.parametrize("key", sorted(key for key, option in KEYS.items() if "choices" in option))
def test_each_documented_choice_is_enforced(key):
    with pytest.raises(AnsibleFilterError, match=r"^wsgi_apps\[0\] \(hello\)\.%s: value of %s must be one of: %s, got: "
                       r"zzz$" % (key, key, ", ".join(KEYS[key]["choices"]))):
        app_specs([app(**{key: "zzz"})])


@pytest.mark.parametrize("overrides, key, expected", [
    ({"workers": "3"}, "workers", 3),
    ({"nginx": "no"}, "nginx", False),
    ({"access_log": "on"}, "access_log", True),
    ({"keep_releases": "4"}, "keep_releases", 4),
    ({"packages": "flask>=2,<4"}, "packages", ["flask>=2,<4"]),
    ({"health": {"retries": "3"}}, "health", dict(app_specs([app()])[0]["health"], retries=3)),
    ({"health": {"enabled": False}}, "health", app_specs([app(health=False)])[0]["health"]),
    ({"django": {"enabled": "no"}}, "django", {"enabled": False}),
    ({"tls": {"self_signed": "yes"}, "server_names": ["a.example"]}, "tls",
     app_specs([app(tls={"self_signed": True}, server_names=["a.example"])])[0]["tls"]),
])
def test_documented_types_convert_what_they_can(overrides, key, expected):
    assert app_specs([app(**overrides)])[0][key] == expected


@pytest.mark.parametrize("overrides, message", [
    ({"source": dict(LOCAL, branch="main")}, "(hello).source: unknown key(s) source.branch. Supported parameters include: "),
    ({"source": {"type": "archive", "src": "/a.tgz", "url": True}}, "(hello).source: unknown key(s) source.url."),
    ({"django": {"static_root": "/srv/x"}}, "(hello).django: unknown key(s) static_root."),
    ({"health": {"path": "/", "verb": "GET"}}, "(hello).health: unknown key(s) verb."),
    ({"packages": ["flask", 5]}, "(hello).packages: Elements value for option 'packages' is of type int and we were "
     "unable to convert to string: a string is needed, got 5"),
    ({"entry": ["hello:app"]}, "(hello).entry: argument 'entry' is of type list and we were unable to convert to text: "
     "a string is needed, got ['hello:app']"),
    ({"tls": {"self_signed": True, "ocsp": True}, "server_names": ["a.example"]}, "(hello).tls: unknown key(s) ocsp."),
    ({"static": [{"url": "/s/", "path": "s", "gzip": True}]}, "(hello).static: unknown key(s) static.gzip."),
])
def test_unknown_or_derived_suboptions_are_refused(overrides, message):
    with pytest.raises(AnsibleFilterError) as raised:
        app_specs([app(**overrides)])
    assert message in str(raised.value)


def test_the_apps_of_a_host_behind_a_front_end_share_one(monkeypatch):
    # One front end exists today; a second choice, as the next one will add, is refused beside the first.
    monkeypatch.setitem(app_spec._ARGUMENT_SPEC["front_end"], "choices", ["nginx", "apache"])
    apps = [app(server_names=["a.example"]), app(name="two", front_end="apache", server_names=["b.example"])]
    with pytest.raises(AnsibleFilterError, match=r"^wsgi_apps: wsgi_apps\[0\] \(hello\) names front_end nginx but "
                       r"wsgi_apps\[1\] \(two\) names front_end apache; the apps of a host behind a front end share one"):
        app_specs(apps)
    # An app in front of nothing does not count.
    apps[1]["nginx"] = False
    assert [spec["front_end"] for spec in app_specs(apps)] == ["nginx", "apache"]


ROOT = pathlib.Path(__file__).resolve().parents[4]
# Values templated in the inventory reach the filter as ansible-core's lazily templated containers (2.19 on);
# the validator copies what it is given, and copying such a container broke the rendering of every value
# still to be templated in it ("The filter plugin 'default' failed to load").
TEMPLATED_SPECS = """
- hosts: localhost
  gather_facts: false
  vars:
    apps:
      - name: hello
        source: {type: local, path: "{{ '/src' ~ '/hello' }}"}
        entry: hello:app
        environment: {GREETING: "{{ greeting | default('Hello') }}"}
        static: [{url: /s/, path: "{{ 'STATIC' | lower }}"}]
        hooks: {before_build: "{{ '/hooks/b.yml' | trim }}"}
        health: {path: "{{ '/up' | default('/') }}"}
    specs: "{{ apps | pyops.wsgi.app_specs(2) }}"
  tasks:
    - ansible.builtin.validate_argument_spec:
        argument_spec: {specs: {type: list, elements: dict}}
    - ansible.builtin.debug:
        msg: "{{ [specs[0].environment.GREETING, specs[0].static[0].path, specs[0].source.path,
                  specs[0].hooks.before_build, specs[0].health.path] | join(' ') }}"
"""


@pytest.mark.parametrize("venv", [".venv", ".venv-compat"])
def test_values_templated_in_the_inventory_render_after_the_filter(tmp_path, venv):
    playbook = tmp_path / "specs.yml"
    playbook.write_text(TEMPLATED_SPECS)
    program = ROOT / venv / "bin" / "ansible-playbook"
    if venv != ".venv" and not program.exists():
        pytest.skip("%s is not made here (make venv-compat)" % venv)
    if venv == ".venv":
        program = pathlib.Path(sys.executable).parent / "ansible-playbook"
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_FORCE_COLOR="0")
    result = subprocess.run([str(program), "-i", "localhost,", "-c", "local", str(playbook)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    assert result.returncode == 0, result.stdout
    assert "msg: Hello static /src/hello /hooks/b.yml /up" in result.stdout, result.stdout


def test_a_controller_path_expands_the_home_folder(monkeypatch):
    monkeypatch.setenv("HOME", "/home/dev")
    assert app_specs([app(source={"type": "local", "path": "~/hello"})])[0]["source"]["path"] == "/home/dev/hello"


@pytest.mark.parametrize("key, instead", [
    ("user", "name"), ("socket", "bind and protocol"), ("unit", "name"), ("entry_module", "entry"),
    ("systemd_limits", "memory_limit and workers"), ("normalized", "the arguments of pyops.wsgi.app_specs"),
])
def test_a_raw_spec_that_sets_a_derived_key_is_refused_naming_what_to_set(key, instead):
    with pytest.raises(AnsibleFilterError, match=r"^wsgi_apps\[0\] \(hello\)\.%s: is derived, not set: it follows from %s; "
                       r"set that instead$" % (key, instead)):
        app_specs([app(**{key: "x"})])


def test_roles_take_normalized_specs_only():
    (spec,) = app_specs([app()], cpu_count=2, http_port=8080)
    assert normalized(spec, "gunicorn_app") is spec
    assert normalized([spec], "nginx_apps", 8080) == [spec]
    for raw in (app(), [app()], [spec, app(name="two")], "hello"):
        with pytest.raises(AnsibleFilterError, match=r"takes app specs normalized by pyops.wsgi.app_specs"):
            normalized(raw, "gunicorn_app")
    with pytest.raises(AnsibleFilterError, match=r"^nginx_apps \(hello\): was normalized for nginx's HTTP port 8080, "
                       r"but nginx listens on 80"):
        normalized([spec], "nginx_apps", 80)


@pytest.mark.parametrize(
    ("apps", "message"),
    [
        ("hello", "wsgi_apps: must be a list of apps"),
        ([{"source": LOCAL, "entry": "a:b"}], "wsgi_apps[0].name: is required"),
        ([app(name="Hello")], "wsgi_apps[0] (Hello).name: 'Hello' is not a valid unix user name"),
        ([app(name="9lives")], "is not a valid unix user name"),
        ([app(name="a" * 33)], "is not a valid unix user name"),
        ([app(name="www-data")], "(www-data).name: 'www-data' is already used by the system"),
        ([app(server="waitress")], "(hello).server: value of server must be one of: gunicorn, uwsgi, granian, uvicorn, mod_wsgi, got: waitress"),
        ([app(process_manager="supervisor")], "(hello).process_manager: value of process_manager must be one of: systemd, got: supervisor"),
        ([app(workers=-1)], "(hello).workers: must be 0 or more, got -1"),
        ([app(workers="many")], "(hello).workers: argument 'workers' is of type str and we were unable to convert to int"),
        ([app(workers=True)], "(hello).workers: must be a whole number"),
        ([app(threads=-1)], "(hello).threads: must be 0 or more"),
        ([app(server="uwsgi", uwsgi_options={"disable-logging": False})],
         "(hello).uwsgi_options.disable-logging:"),
        ([app(server="uwsgi", uwsgi_options={"reload-on-rss": 100})], "(hello).uwsgi_options.reload-on-rss:"),
        ([app(server="uwsgi", uwsgi_options={"max-requests": 100})], "(hello).uwsgi_options.max-requests:"),
        ([app(worker_class="eventlet")], "(hello).worker_class: value of worker_class must be one of: sync, gthread"),
        ([app(protocol="fastcgi")], "(hello).protocol: must be one of http, uwsgi with server gunicorn"),
        ([app(server="uwsgi", protocol="h2")], "(hello).protocol: value of protocol must be one of: http, uwsgi, fastcgi, router, daemon, got: h2"),
        ([app(server="uwsgi", protocol="router")], "(hello).bind: uWSGI's HTTP router (protocol: router) listens"),
        ([app(bind="0.0.0.0")], "(hello).bind: '0.0.0.0' is neither 'unix'"),
        ([app(bind=["127.0.0.1:70000"])], "(hello).bind: '127.0.0.1:70000' is neither"),
        ([app(bind=["unix", "unix"])], "(hello).bind: 'unix' is listed twice"),
        ([app(bind=[])], "(hello).bind: must be 'unix' or HOST:PORT"),
        ([app(mount="api")], "(hello).mount: must be a URL prefix"),
        ([app(nginx="sometimes")], "(hello).nginx: argument 'nginx' is of type str and we were unable to convert to bool"),
        ([app(server_names=["a.test"], tls=True)], "(hello).tls: must be a mapping: {self_signed: true}"),
        ([app(server_names=["a.test"], tls={})], "(hello).tls: needs exactly one certificate: self_signed: true, or "
         "certificate and key (files on the controller), or certificate_content and key_content; got none"),
        ([app(server_names=["a.test"], tls={"self_signed": True, "certificate": "a.pem"})],
         "(hello).tls: needs exactly one certificate: self_signed: true, or certificate and key (files on the "
         "controller), or certificate_content and key_content; got self_signed and files"),
        ([app(server_names=["a.test"], tls={"certificate": "a.pem"})], "(hello).tls.key: is required with certificate and key"),
        ([app(server_names=["a.test"], tls={"key_content": "k"})],
         "(hello).tls.certificate_content: is required with certificate_content and key_content"),
        ([app(server_names=["a.test"], tls={"self_signed": True, "chain": "c.pem"})],
         "(hello).tls.chain: does not apply to a self-signed certificate"),
        ([app(server_names=["a.test"], tls={"self_signed": True, "hsts": -1})], "(hello).tls.hsts: must be 0 or more"),
        ([app(server_names=["a.test"], tls={"self_signed": True, "port": 70000})], "(hello).tls.port: must be 65535 or less, got 70000"),
        ([app(server_names=["a.test"], tls={"self_signed": True, "ocsp": True})], "(hello).tls: unknown key(s) ocsp"),
        ([app(tls={"self_signed": True})], "(hello).tls: needs server_names"),
        ([app(static=[{"url": "/s/", "path": "s", "expires": "forever"}])],
         "(hello).static[0].expires: must be an nginx time such as 30d or 12h, or max or off, got 'forever'"),
        ([app(nginx_directives={"gzip": "off"})],
         "(hello).nginx_directives: must be a list (or one string), got"),
        ([app(nginx_directives=["gzip off"])],
         "(hello).nginx_directives[0]: must be a whole nginx directive ending with ';' or '}', got 'gzip off'"),
        ([app(content_security_policy='default-src "self"')], "(hello).content_security_policy: may not hold double"),
        ([app(websocket="maybe")], "(hello).websocket: argument 'websocket' is of type str and we were unable to convert to bool"),
        ([app(protocol="uwsgi", websocket=True)], "(hello).websocket: needs an app nginx reaches over HTTP"),
        # What the apache front end cannot do for an app.
        ([app(front_end="apache", nginx_directives=["gzip off;"])],
         "(hello).nginx_directives: are nginx's directives and the app's front end is apache; remove them, or use "
         "front_end: nginx"),
        ([app(front_end="apache", server_names=["a.test"], tls={"self_signed": True})],
         "(hello).tls: is served by front_end nginx only (the apache front end serves plain HTTP)"),
        ([app(front_end="apache", server="uwsgi", protocol="fastcgi")],
         "(hello).protocol: fastcgi is not one apache speaks to the app server; use http or uwsgi, or front_end: nginx"),
        ([app(front_end="apache", server="uwsgi", protocol="router", bind="127.0.0.1:9090")],
         "(hello).protocol: router is not one apache speaks to the app server"),
        ([app(front_end="caddy")], "(hello).front_end: value of front_end must be one of: nginx, apache, got: caddy"),
        # mod_wsgi runs the app inside Apache, over nothing but its own daemon socket.
        ([app(server="mod_wsgi")],
         "(hello).front_end: server mod_wsgi runs the app inside Apache: set front_end: apache (and leave nginx at true)"),
        ([app(server="mod_wsgi", front_end="apache", nginx=False)], "(hello).front_end: server mod_wsgi runs the app"),
        ([app(server="mod_wsgi", front_end="apache", bind="127.0.0.1:8000")],
         "(hello).bind: mod_wsgi's daemon processes take requests from Apache only, on a socket Apache makes: leave "
         "bind out"),
        ([app(server="mod_wsgi", front_end="apache", protocol="http")],
         "(hello).protocol: must be one of daemon with server mod_wsgi, got 'http'"),
        ([app(server="mod_wsgi", front_end="apache", interface="asgi")],
         "(hello).interface: server mod_wsgi does not run ASGI apps; servers that do: gunicorn with worker_class "
         "asgi, granian, uvicorn"),
        ([app(server="mod_wsgi", front_end="apache", websocket=True)], "(hello).websocket: needs an app nginx reaches"),
        ([app(uwsgi_options={"harakiri-verbose": True})], "(hello).uwsgi_options: only apply with server: uwsgi"),
        ([app(server="uwsgi", uwsgi_options={"chmod-socket": 666})],
         "(hello).uwsgi_options.chmod-socket: 666 lets every local user talk to the app"),
        ([app(server="uwsgi", uwsgi_options={"chmod-socket": True})], "uwsgi_options.chmod-socket: true lets every"),
        ([app(server="uwsgi", uwsgi_options={"stats": "0.0.0.0:1717"})],
         "(hello).uwsgi_options.stats: 0.0.0.0:1717 would publish the stats server"),
        ([app(server="uwsgi", uwsgi_options={"stats-server": ":1717"})], "uwsgi_options.stats-server: :1717 would"),
        ([app(server="uwsgi", uwsgi_options={"daemonize": "/var/log/x.log"})],
         "(hello).uwsgi_options.daemonize: is refused: systemd supervises uWSGI"),
        ([app(server="uwsgi", uwsgi_options={"py-autoreload": 1})], "uwsgi_options.py-autoreload: is refused"),
        ([app(server="uwsgi", uwsgi_options={"socket": ":3031"})],
         "(hello).uwsgi_options.socket: is set by the app spec; use bind and protocol instead"),
        ([app(server="uwsgi", uwsgi_options={"processes": 4})], "uwsgi_options.processes: is set by the app spec; use workers"),
        ([app(server="uwsgi", uwsgi_options={"listen": "lots"})], "uwsgi_options.listen: must be a positive whole number"),
        ([app(server="uwsgi", uwsgi_options={"Bad Name": 1})], "uwsgi_options.Bad Name: is not a uWSGI option name"),
        ([app(server="uwsgi", uwsgi_options={"env": {"A": 1}})], "uwsgi_options.env: values must be strings"),
        ([app(bind="127.0.0.1:8000"), app(name="two", server_names=["t"], bind=["127.0.0.1:8000"])],
         "wsgi_apps[1] (two).bind 127.0.0.1:8000 collides with wsgi_apps[0] (hello).bind 127.0.0.1:8000: both "
         "need port 8000"),
        ([app(control_socket="maybe")], "(hello).control_socket: argument 'control_socket' is of type str and we were unable to convert to bool"),
        ([app(preload_app="later")], "(hello).preload_app: argument 'preload_app' is of type str and we were unable to convert to bool"),
        ([app(server="uwsgi", preload_app=True)], "(hello).preload_app: only applies with server: gunicorn"),
        ([app(entry="hello:create_app(")], "(hello).entry: 'create_app(' is not a name or a call"),
        ([app(entry="hello:create_app(os.getcwd())")], "(hello).entry: factory arguments must be literals"),
        ([app(entry="hello world:app")], "(hello).entry: 'hello world' is not a dotted module path"),
        ([app(health="yes")], "(hello).health: must be false or a mapping with keys enabled, path"),
        ([app(keep_releases=1)], "(hello).keep_releases: must be 2 or more, got 1"),
        ([app(shared_dirs=["../etc"])], "(hello).shared_dirs: '../etc' is not a path inside the code"),
        ([app(shared_dirs=["venv"])], "(hello).shared_dirs: 'venv' is not a path inside the code"),
        ([app(shared_files={"a": 1})], "(hello).shared_files: must be a list (or one string), got {'a': 1}"),
        ([app(health={"url": "/"})], "(hello).health: unknown key(s) url"),
        ([app(health={"path": "healthz"})], "(hello).health.path: must be a URL path starting with '/'"),
        ([app(health={"path": "/a b"})], "(hello).health.path: must be a URL path"),
        ([app(health={"status_codes": [200, 700]})], "(hello).health.status_codes: must be 599 or less, got 700"),
        ([app(health={"body_regex": "("})], "(hello).health.body_regex: is not a regular expression"),
        ([app(health={"retries": -1})], "(hello).health.retries: must be 0 or more"),
        ([{"name": "hello", "entry": "a:b"}], "(hello).source: is required"),
        ([app(source={"type": "svn"})], "(hello).source: value of type must be one of: local, git, archive, package, got: svn found in source"),
        ([app(source={"type": "archive"})], "(hello).source.src: is required for an archive source"),
        ([app(source={"type": "archive", "src": "/a/app.rar"})], "(hello).source.src: must end in one of .tar.gz"),
        ([app(source={"type": "archive", "src": "https://f.example/app.tar.gz"})],
         "(hello).source.checksum: is required for an archive from a URL"),
        ([app(source={"type": "archive", "src": "/a.tgz", "checksum": "md4:zz"})],
         "(hello).source.checksum: must be ALGORITHM:HEX"),
        ([app(source={"type": "archive", "src": "/a.zip", "strip_components": 1})],
         "(hello).source.strip_components: works with tar archives only"),
        ([app(source={"type": "archive", "src": "/a.tar", "strip_components": -1})],
         "(hello).source.strip_components: must be 0 or more"),
        ([app(source={"type": "package"})], "(hello).source: a package source takes exactly one of 'requirement'"),
        ([app(source={"type": "package", "requirement": "a", "src": "a.whl"})], "takes exactly one of"),
        ([app(source={"type": "package", "requirement": "-e git+https://x"})],
         "(hello).source.requirement: must be one pip requirement"),
        ([app(source={"type": "package", "src": "https://f.example/a.whl"})],
         "(hello).source.src: must be a wheel or sdist (.whl .tar.gz .zip) on the controller"),
        ([app(source={"type": "package", "requirement": "a", "index_url": "pypi"})],
         "(hello).source.index_url: must be an http(s) URL"),
        ([app(source={"type": "package", "requirement": "a"}, entry="")], "(hello).entry: is required with a package"),
        ([app(source={"type": "package", "requirement": "a"}, requirements="req.txt")],
         "(hello).requirements: does not apply to a package source"),
        ([app(hooks=["a.yml"])], "(hello).hooks: must be a mapping, got ['a.yml']"),
        ([app(sandbox="partly")], "(hello).sandbox: argument 'sandbox' is of type str and we were unable to convert to bool"),
        ([app(writable_paths=["var/cache"])], "(hello).writable_paths: 'var/cache' is not an absolute path"),
        ([app(writable_paths=["/srv/../etc"])], "(hello).writable_paths: '/srv/../etc' is not an absolute path"),
        ([app(writable_paths={"a": 1})], "(hello).writable_paths: must be a list (or one string), got {'a': 1}"),
        ([app(hooks={"after_deploy": "/a.yml"})], "(hello).hooks: unknown key(s) hooks.after_deploy. Supported parameters include: after_build, after_switch"),
        ([app(hooks={"before_switch": "hooks/a.yml"})], "(hello).hooks.before_switch: must be an absolute path"),
        ([app(hooks={"before_switch": "/hooks/a.sh"})], "(hello).hooks.before_switch: must be a task file"),
        ([app(release_command="flask db 'upgrade")],
         "(hello).release_command: cannot be split into arguments (No closing quotation)"),
        ([app(release_command=["alembic", ""])],
         "(hello).release_command: must be a command line or a list of non-empty strings, for example"),
        ([app(release_command={"run": "x"})], "(hello).release_command: must be a command line or a list"),
        ([app(timers=[{"name": "purge", "command": "x"}])], "(hello).timers: missing required arguments: schedule"),
        ([app(timers=[{"name": "Purge", "command": "x", "schedule": "daily"}])],
         "(hello).timers[0].name: must be lower-case letters, digits, _ and - (at most 32"),
        ([app(timers=[{"name": "a.b", "command": "x", "schedule": "daily"}])], "(hello).timers[0].name: must be lower-case"),
        ([app(timers=[{"name": "p", "command": "x", "schedule": "daily"}, {"name": "p", "command": "y", "schedule": "daily"}])],
         "(hello).timers[1].name: 'p' names two timers of the app; give each its own name"),
        ([app(timers=[{"name": "p", "command": "", "schedule": "daily"}])], "(hello).timers[0] (p).command: is empty"),
        ([app(timers=[{"name": "p", "command": "a 'b", "schedule": "daily"}])],
         "(hello).timers[0] (p).command: cannot be split into arguments"),
        # A line break or = would let the schedule write more of the unit.
        ([app(timers=[{"name": "p", "command": "x", "schedule": "daily\nExecStartPre=/bin/evil"}])],
         "(hello).timers[0] (p).schedule: must be a systemd calendar expression"),
        ([app(timers=[{"name": "p", "command": "x", "schedule": ""}])], "(hello).timers[0] (p).schedule: must be a systemd"),
        ([app(timers=[{"name": "p", "command": "x", "schedule": "daily", "timeout": -1}])],
         "(hello).timers[0] (p).timeout: must be 0 or more, got -1"),
        ([app(timers=[{"name": "p", "command": "x", "schedule": "daily", "unit": "wsgi-x"}])],
         "(hello).timers: unknown key(s) timers.unit"),
        ([app(timers={"name": "p"})], "(hello).timers: "),
        ([app(processes=[{"name": "worker"}])], "(hello).processes: missing required arguments: command"),
        ([app(processes=[{"name": "Worker", "command": "x"}])],
         "(hello).processes[0].name: must be lower-case letters, digits, _ and - (at most 32"),
        ([app(processes=[{"name": "w@1", "command": "x"}])], "(hello).processes[0].name: must be lower-case"),
        ([app(processes=[{"name": "w", "command": "x"}, {"name": "w", "command": "y"}])],
         "(hello).processes[1].name: 'w' names two processes of the app; give each its own name"),
        ([app(processes=[{"name": "w", "command": ""}])], "(hello).processes[0] (w).command: is empty"),
        ([app(processes=[{"name": "w", "command": "celery 'x"}])], "(hello).processes[0] (w).command: cannot be split"),
        ([app(processes=[{"name": "w", "command": "x", "replicas": 65}])],
         "(hello).processes[0] (w).replicas: must be 64 or less, got 65"),
        ([app(processes=[{"name": "w", "command": "x", "replicas": -1}])],
         "(hello).processes[0] (w).replicas: must be 0 or more, got -1"),
        ([app(processes=[{"name": "w", "command": "x", "stop_timeout": 0}])],
         "(hello).processes[0] (w).stop_timeout: must be 1 or more, got 0"),
        ([app(processes=[{"name": "w", "command": "x", "stop_signal": "KILL"}])],
         "(hello).processes: value of stop_signal must be one of: TERM, INT, QUIT, HUP, USR1, USR2, got: KILL"),
        ([app(processes=[{"name": "w", "command": "x", "instances": []}])],
         "(hello).processes: unknown key(s) processes.instances"),
        ([app(maintenance={"allow": ["office"]})],
         "(hello).maintenance.allow[0]: must be an IP address or network such as 203.0.113.7 or 10.20.0.0/16, got 'office'"),
        ([app(maintenance={"allow": ["10.0.0.1; allow all"]})], "(hello).maintenance.allow[0]: must be an IP address"),
        ([app(maintenance={"page": "down.html"})], "(hello).maintenance.page: must be an absolute path on the controller"),
        ([app(maintenance={"retry_after": 604801})], "(hello).maintenance.retry_after: must be 604800 or less"),
        ([app(maintenance={"allowed": []})], "(hello).maintenance: unknown key(s) maintenance.allowed"),
        ([app(django="maybe")], "(hello).django: must be true or false, got 'maybe'"),
        ([app(django={"setting": "a.b"})], "(hello).django: unknown key(s) setting"),
        ([app(django={"settings": "my-site.settings"})], "(hello).django.settings: must be a dotted module name"),
        ([app(django={"manage": "../manage.py"})], "(hello).django.manage: must be a path inside the code"),
        ([app(django={"static_url": "static"})], "(hello).django.static_url: must be a URL path"),
        ([app(django={"superuser": {"username": "admin"}})], "(hello).django.superuser: needs 'username' and 'password'"),
        ([app(django={"migrate": "sometimes"})], "(hello).django: argument 'migrate' is of type str and we were unable to convert to bool"),
        ([app(django=True, source={"type": "package", "requirement": "a"})],
         "(hello).django.settings: is required with a package source"),
        ([app(django=True, static=[{"url": "/static/", "path": "s"}])],
         "(hello).static: /static/ is served from Django's static root"),
        ([app(source={"type": "local"})], "(hello).source.path: is required"),
        ([app(source={"type": "git", "repo": "x"})], "(hello).source.version: is required"),
        ([app(static=[{"url": "static", "path": "s"}])], "(hello).static[0].url: must start with '/'"),
        ([app(static=[{"url": "/s/", "path": "../etc"}])], "(hello).static[0].path: must stay inside"),
        ([app(static=[{"url": "/s/", "path": "s; return 301 x"}])], "(hello).static[0].path: may hold only"),
        ([app(static=[{"url": "/s/ { }", "path": "s"}])], "(hello).static[0].url: must start with '/' and hold only"),
        ([app(static=[{"url": "/s/"}])], "(hello).static: missing required arguments: path found in static"),
        ([app(environment={"BAD-NAME": "x"})], "'BAD-NAME' is not a valid environment variable name"),
        ([app(environment={"A": [1]})], "(hello).environment.A: must be a string"),
        ([app(client_max_body_size="ten")], "(hello).client_max_body_size: must be an nginx size"),
        ([app(server_names=["bad name"])], "(hello).server_names: 'bad name' is not a host name"),
        ([app(wokers=3)], "(hello): unknown key(s) wokers"),
        ([app(), app()], "wsgi_apps[0] (hello) and wsgi_apps[1] (hello) have the same name"),
        ([app(), app(name="two")], "wsgi_apps[0] (hello) and wsgi_apps[1] (two) have no server_names"),
        ([app(server_names=["a.example"]), app(name="two", server_names=["a.example"])],
         "server name 'a.example' is claimed by both wsgi_apps[0] (hello) and wsgi_apps[1] (two)"),
    ],
)
def test_bad_specs_are_refused_naming_the_key(apps, message):
    with pytest.raises(AnsibleFilterError) as caught:
        app_specs(apps, cpu_count=2)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("apps", "message"),
    [
        # A wildcard host takes the port on every address, loopback included.
        ([app(bind="0.0.0.0:8000"), app(name="two", server_names=["t"], bind="127.0.0.1:8000")],
         "(two).bind 127.0.0.1:8000 collides with wsgi_apps[0] (hello).bind 0.0.0.0:8000"),
        ([app(bind="[::]:8000"), app(name="two", server_names=["t"], bind="10.0.0.5:8000")],
         "(two).bind 10.0.0.5:8000 collides with wsgi_apps[0] (hello).bind [::]:8000"),
        # nginx's own ports, plain and TLS.
        ([app(bind="127.0.0.1:80")], "(hello).bind 127.0.0.1:80 collides with nginx (its HTTP port)"),
        ([app(server_names=["a.example"], tls={"self_signed": True}),
          app(name="two", server_names=["t"], bind="0.0.0.0:443")],
         "(two).bind 0.0.0.0:443 collides with nginx (its HTTPS port)"),
        # One app's uWSGI stats server on another's port.
        ([app(bind="127.0.0.1:1717"),
          app(name="two", server="uwsgi", server_names=["t"], uwsgi_options={"stats": "127.0.0.1:1717"})],
         "wsgi_apps[1] (two).uwsgi_options.stats 127.0.0.1:1717 collides with wsgi_apps[0] (hello).bind"),
        # nginx upstream names turn '-' into '_'.
        ([app(name="shop-api"), app(name="shop_api", server_names=["t"])],
         "wsgi_apps[0] (shop-api) and wsgi_apps[1] (shop_api) would share the nginx upstream wsgi_shop_api"),
    ],
)
def test_two_apps_that_collide_are_refused_naming_both(apps, message):
    with pytest.raises(AnsibleFilterError) as caught:
        app_specs(apps, cpu_count=2)
    assert message in str(caught.value)


def test_apps_on_other_ports_hosts_or_unix_sockets_do_not_collide():
    specs = app_specs([
        app(bind=["unix", "127.0.0.1:8000"]),
        app(name="two", server_names=["t"], bind=["unix", "127.0.0.2:8000"]),
        app(name="three", server_names=["u"], server="uwsgi", bind="127.0.0.1:8001",
            uwsgi_options={"stats": "/run/three/stats.sock"}),
        # uWSGI's own HTTP router, without nginx, on a port of its own.
        app(name="router", server="uwsgi", protocol="router", bind="0.0.0.0:9090", nginx=False),
    ])
    assert [spec["name"] for spec in specs] == ["hello", "two", "three", "router"]


def test_nginx_http_port_is_the_one_given():
    assert app_specs([app(bind="127.0.0.1:80")], http_port=8080)[0]["addresses"] == ["127.0.0.1:80"]
    with pytest.raises(AnsibleFilterError, match="collides with nginx"):
        app_specs([app(bind="127.0.0.1:8080")], http_port=8080)


def test_no_apps_is_an_empty_list():
    assert app_specs(None) == []
    assert app_specs([]) == []


def test_app_units_get_a_sandbox_with_only_their_own_folders_writable():
    (spec,) = app_specs([app(writable_paths=["/var/cache/hello"])])
    sandbox = spec["systemd_sandbox"]
    for directive in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                      "PrivateDevices=yes", "CapabilityBoundingSet=", "SystemCallFilter=@system-service",
                      "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "MemoryDenyWriteExecute=yes"):
        assert directive in sandbox
    assert sandbox[-1] == "ReadWritePaths=-/srv/hello/data -/srv/hello/shared -/var/cache/hello"
    assert len(sandbox) == len(set(sandbox))


# Patterns are anchored at the very end: a trailing newline is not a valid value.
@pytest.mark.parametrize(
    ("apps", "message"),
    [
        ([app(name="root\n")], "is not a valid unix user name"),
        ([app(environment={"KEY\n": "x"})], "'KEY\\n' is not a valid environment variable name"),
        ([app(bind=["127.0.0.1:8000\n"])], "(hello).bind: '127.0.0.1:8000\\n' is neither 'unix'"),
        ([app(entry="hello\n:app")], "(hello).entry: 'hello\\n' is not a dotted module path"),
        ([app(server_names=["a.test\n"])], "(hello).server_names: 'a.test\\n' is not a host name"),
        ([app(client_max_body_size="10m\n")], "(hello).client_max_body_size: must be an nginx size"),
        ([app(static=[{"url": "/s/", "path": "s\n"}])], "(hello).static[0].path: may hold only"),
        ([app(health={"path": "/\n"})], "(hello).health.path: must be a URL path"),
        ([app(django={"settings": "a.settings\n"})], "(hello).django.settings: must be a dotted module name"),
        ([app(source={"type": "archive", "src": "/a.tgz", "checksum": "sha256:ab\n"})],
         "(hello).source.checksum: must be ALGORITHM:HEX"),
    ],
)
def test_a_trailing_newline_is_refused(apps, message):
    with pytest.raises(AnsibleFilterError) as caught:
        app_specs(apps, cpu_count=2)
    assert message in str(caught.value)


# Numbers have upper bounds too: beyond them no server works.
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"timeout": 1000000000000}, "(hello).timeout: must be 86400 or less, got 1000000000000"),
        ({"graceful_timeout": 86401}, "(hello).graceful_timeout: must be 86400 or less"),
        ({"keepalive": 3601}, "(hello).keepalive: must be 3600 or less"),
        ({"workers": 1025}, "(hello).workers: must be 1024 or less"),
        ({"threads": 100000}, "(hello).threads: must be 1024 or less"),
        ({"max_requests": 10 ** 12}, "(hello).max_requests: must be 100000000 or less"),
        ({"max_requests_jitter": 10 ** 12}, "(hello).max_requests_jitter: must be 100000000 or less"),
        ({"keep_releases": 101}, "(hello).keep_releases: must be 100 or less"),
        ({"health": {"retries": 10 ** 9}}, "(hello).health.retries: must be 1000 or less"),
        ({"health": {"timeout": 3600}}, "(hello).health.timeout: must be 600 or less"),
        ({"health": {"delay": 601}}, "(hello).health.delay: must be 600 or less"),
        ({"source": {"type": "archive", "src": "/a.tar", "strip_components": 33}},
         "(hello).source.strip_components: must be 32 or less"),
        ({"server_names": ["a.test"], "tls": {"self_signed": True, "hsts": 10 ** 10}},
         "(hello).tls.hsts: must be 63072000 or less"),
        ({"workers": "1e9"}, "(hello).workers: must be 1024 or less, got 1000000000"),
        ({"workers": 2.5}, "(hello).workers: argument 'workers' is of type float and we were unable to convert to int"),
    ],
)
def test_numbers_out_of_range_are_refused(overrides, message):
    with pytest.raises(AnsibleFilterError) as caught:
        app_specs([app(**overrides)], cpu_count=2)
    assert message in str(caught.value)


def test_numbers_at_their_bounds_are_taken():
    (spec,) = app_specs([app(timeout=86400, workers=1024, threads=1024, keep_releases=100,
                             health={"retries": 1000, "timeout": 600, "delay": 600}, max_requests="100000000")])
    assert (spec["timeout"], spec["workers"], spec["threads"], spec["keep_releases"], spec["max_requests"]) == (
        86400, 1024, 1024, 100, 100000000)


# null is refused, never turned into the string "None" or silently into a default.
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"workers": None}, "(hello).workers: is null; leave the key out for its default"),
        ({"entry": None}, "(hello).entry: is null"),
        ({"environment": {"SECRET": None}}, "(hello).environment.SECRET: must be a string, number or boolean, got None"),
        ({"server_names": [None]}, "(hello).server_names: Elements value for option 'server_names' is of type NoneType and we were "
         "unable to convert to string: a string is needed, got None"),
        ({"server_names": 5}, "(hello).server_names: must be a list (or one string), got 5"),
        ({"packages": [None]}, "(hello).packages: Elements value for option 'packages' is of type NoneType"),
        ({"shared_dirs": [None]}, "(hello).shared_dirs: Elements value for option 'shared_dirs' is of type NoneType"),
        ({"nginx_directives": [None]}, "(hello).nginx_directives: Elements value for option 'nginx_directives' is of type NoneType"),
        ({"writable_paths": [None]}, "(hello).writable_paths: Elements value for option 'writable_paths' is of type NoneType"),
        ({"server_names": ["a.test"], "tls": {"self_signed": True, "port": None}}, "(hello).tls.port: is null"),
    ],
)
def test_null_values_are_refused_naming_the_key(overrides, message):
    with pytest.raises(AnsibleFilterError) as caught:
        app_specs([app(**overrides)], cpu_count=2)
    assert message in str(caught.value)


def test_tls_null_means_no_tls():
    (spec,) = app_specs([app(tls=None)])
    assert spec["tls"] is None


def test_tls_on_nginx_http_port_is_refused():
    with pytest.raises(AnsibleFilterError) as caught:
        app_specs([app(server_names=["a.test"], tls={"self_signed": True, "port": 8080})], http_port=8080)
    assert "wsgi_apps[0] (hello).tls.port: 8080 is nginx's plain HTTP port too" in str(caught.value)
    with pytest.raises(AnsibleFilterError, match="80 is nginx's plain HTTP port"):
        app_specs([app(server_names=["a.test"], tls={"self_signed": True, "port": 80})])


# nginx serves the app's code and shared folder, nothing else.
@pytest.mark.parametrize(
    "path",
    ["/etc", "/srv/other/current", "/srv/hello/current/../../other", "/srv/hello", "/srv/hello/releases",
     "/srv/hello/source", "/srv/hello/shared", "/var/www"],
)
def test_static_paths_outside_the_app_are_refused(path):
    with pytest.raises(AnsibleFilterError) as caught:
        app_specs([app(static=[{"url": "/leak/", "path": path}])])
    assert "(hello).static[0].path: must" in str(caught.value)


def test_static_paths_in_the_code_or_shared_folder_are_taken():
    (spec,) = app_specs([app(static=[{"url": "/s/", "path": "static"}, {"url": "/m/", "path": "/srv/hello/shared/media"}])])
    assert [entry["path"] for entry in spec["static"]] == ["static", "/srv/hello/shared/media"]


@pytest.mark.parametrize(
    ("directive", "message"),
    [
        ("} server { listen 8081; location / { root /; autoindex on; } } server { listen 8082;",
         "closes a block it did not open"),
        ("server { listen 8081; root /; }", "opens a server block"),
        ("location /x { } } http { }", "closes a block it did not open"),
        ("location /x { location /y { }", "opens 1 block(s) it does not close"),
        ("location /x { upstream u { server 127.0.0.1:1; } }", "opens a upstream block"),
        ("add_header X 'open;", "leaves a quoted string open"),
        ("if ($host) { return 403; } }", "closes a block it did not open"),
    ],
)
def test_nginx_directives_cannot_leave_the_server_block(directive, message):
    with pytest.raises(AnsibleFilterError) as caught:
        app_specs([app(nginx_directives=[directive])])
    assert "(hello).nginx_directives[0]: " + message in str(caught.value)


def test_nginx_directives_with_blocks_and_quoted_braces_are_taken():
    directives = ["location /x { return 200 'a}'; }", "add_header X-A \"{\";", "location /y { if ($a) { return 403; } }",
                  "# a comment with }\ngzip off;"]
    assert app_specs([app(nginx_directives=directives)])[0]["nginx_directives"] == directives


def test_redacted_specs_hold_no_secret_and_keep_the_rest():
    secrets = ("env-secret-1", "-----BEGIN PRIVATE KEY-----\nkey-secret\n", "password-secret")
    specs = app_specs([app(server_names=["a.test"], environment={"SECRET_KEY": secrets[0], "EMPTY": ""},
                           tls={"certificate_content": "CERT", "key_content": secrets[1]},
                           django={"superuser": {"username": "admin", "password": secrets[2]}})])
    shown = FilterModule().filters()["redacted"](specs)
    assert all(secret not in repr(shown) for secret in secrets)
    assert shown[0]["environment"] == {"SECRET_KEY": "********", "EMPTY": "********"}
    assert shown[0]["tls"]["certificate_content"] == "CERT" and shown[0]["tls"]["key_content"] == "********"
    assert shown[0]["django"]["superuser"] == {"username": "admin", "password": "********", "email": ""}
    # The specs themselves keep their secrets (the tasks under no_log need them), and the
    # redacted ones are still specs the roles accept.
    assert specs[0]["environment"]["SECRET_KEY"] == secrets[0]
    assert app_specs(copy.deepcopy(shown))[0]["upstream"] == specs[0]["upstream"]
    without = app_specs([app()])
    assert FilterModule().filters()["redacted"](without)[0]["tls"] is None


def test_a_mod_wsgi_app_has_no_address_of_its_own_to_probe():
    (spec,) = app_specs([app(server="mod_wsgi", front_end="apache")], cpu_count=2)
    assert (spec["protocol"], spec["interface"], spec["probe"], spec["upstream"]["keepalive"]) == (
        "daemon", "wsgi", None, 0)
