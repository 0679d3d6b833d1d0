"""The app spec filter: what it derives and what it refuses."""

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.pyops.wsgi.plugins.filter.app_spec import FilterModule, app_specs

LOCAL = {"type": "local", "path": "/src/hello/"}


def app(**overrides):
    spec = {"name": "hello", "source": dict(LOCAL), "entry": "hello:create_app()"}
    spec.update(overrides)
    return spec


def test_filter_is_registered_under_its_name():
    assert FilterModule().filters() == {"app_specs": app_specs}


def test_minimal_spec_gets_defaults_and_derived_values():
    (spec,) = app_specs([app()], cpu_count=2)
    assert spec["workers"] == 5
    assert spec["user"] == spec["group"] == "hello"
    assert spec["source"] == {"type": "local", "path": "/src/hello"}
    assert spec["code_dir"] == "/srv/hello/code"
    assert spec["venv_dir"] == "/srv/hello/venv"
    assert spec["data_dir"] == "/srv/hello/data"
    assert spec["env_file"] == "/etc/pyops-wsgi/hello/app.env"
    assert spec["socket"] == "/run/hello/gunicorn.sock"
    assert spec["unit"] == "wsgi-hello.service"
    assert spec["log_dir"] == "/var/log/hello"
    assert spec["upstream"] == {
        "name": "wsgi_hello",
        "server": "unix:/run/hello/gunicorn.sock",
        "pass": "proxy_pass",
    }
    assert spec["control_socket"] is True
    assert spec["max_requests"] == 1000


@pytest.mark.parametrize(
    ("overrides", "key", "expected"),
    [
        ({"protocol": "uwsgi"}, "upstream", {
            "name": "wsgi_hello_api", "server": "unix:/run/hello-api/gunicorn.sock", "pass": "uwsgi_pass"}),
        ({"workers": "3"}, "workers", 3),
        ({"workers": 0}, "workers", 9),
        ({"control_socket": "no"}, "control_socket", False),
        ({"server_names": "hello.example.com"}, "server_names", ["hello.example.com"]),
        ({"static": [{"url": "/static", "path": "hello/static/"}]}, "static",
         [{"url": "/static/", "path": "hello/static"}]),
        ({"environment": {"DEBUG": False, "PORT": 8000}}, "environment", {"DEBUG": "false", "PORT": "8000"}),
        ({"source": {"type": "git", "repo": "https://git.example/hello.git", "version": "v1"}}, "source",
         {"type": "git", "repo": "https://git.example/hello.git", "version": "v1"}),
    ],
)
def test_values_are_normalized(overrides, key, expected):
    (spec,) = app_specs([app(name="hello-api", **overrides)], cpu_count=4)
    assert spec[key] == expected


def test_normalizing_twice_changes_nothing():
    once = app_specs([app(server_names=["a.example"]), app(name="two", protocol="uwsgi")], cpu_count=2)
    twice = app_specs(copy.deepcopy(once), cpu_count=8)
    assert twice == once


@pytest.mark.parametrize(
    ("apps", "message"),
    [
        ("hello", "wsgi_apps: must be a list of apps"),
        ([{"source": LOCAL, "entry": "a:b"}], "wsgi_apps[0].name: is required"),
        ([app(name="Hello")], "wsgi_apps[0] (Hello).name: 'Hello' is not a valid unix user name"),
        ([app(name="9lives")], "is not a valid unix user name"),
        ([app(name="a" * 33)], "is not a valid unix user name"),
        ([app(name="www-data")], "(www-data).name: 'www-data' is already used by the system"),
        ([app(server="waitress")], "(hello).server: must be one of gunicorn, got 'waitress'"),
        ([app(workers=-1)], "(hello).workers: must be 0 or more, got -1"),
        ([app(workers="many")], "(hello).workers: must be a whole number, got 'many'"),
        ([app(workers=True)], "(hello).workers: must be a whole number"),
        ([app(threads=0)], "(hello).threads: must be 1 or more"),
        ([app(worker_class="eventlet")], "(hello).worker_class: must be one of sync, gthread"),
        ([app(protocol="fastcgi")], "(hello).protocol: must be one of http, uwsgi"),
        ([app(control_socket="maybe")], "(hello).control_socket: must be true or false"),
        ([app(entry="hello:create_app(")], "(hello).entry: must be the WSGI entry point"),
        ([app(entry=None)], "(hello).entry: must be the WSGI entry point"),
        ([{"name": "hello", "entry": "a:b"}], "(hello).source: is required"),
        ([app(source={"type": "svn"})], "(hello).source.type: must be one of local, git"),
        ([app(source={"type": "local"})], "(hello).source.path: is required"),
        ([app(source={"type": "git", "repo": "x"})], "(hello).source.version: is required"),
        ([app(static=[{"url": "static", "path": "s"}])], "(hello).static[0].url: must start with '/'"),
        ([app(static=[{"url": "/s/", "path": "../etc"}])], "(hello).static[0].path: must stay inside"),
        ([app(static=[{"url": "/s/", "path": "s; return 301 x"}])], "(hello).static[0].path: may hold only"),
        ([app(static=[{"url": "/s/ { }", "path": "s"}])], "(hello).static[0].url: must start with '/' and hold only"),
        ([app(static=[{"url": "/s/"}])], "(hello).static[0]: needs 'url'"),
        ([app(environment={"BAD-NAME": "x"})], "'BAD-NAME' is not a valid environment variable name"),
        ([app(environment={"A": [1]})], "(hello).environment.A: must be a string"),
        ([app(client_max_body_size="ten")], "(hello).client_max_body_size: must be an nginx size"),
        ([app(server_names=["bad name"])], "(hello).server_names: 'bad name' is not a host name"),
        ([app(wokers=3)], "(hello): unknown key(s) wokers"),
        ([app(), app()], "two apps are named 'hello'"),
        ([app(), app(name="two")], "apps hello and two have no server_names"),
        ([app(server_names=["a.example"]), app(name="two", server_names=["a.example"])],
         "server name 'a.example' is claimed by both hello and two"),
    ],
)
def test_bad_specs_are_refused_naming_the_key(apps, message):
    with pytest.raises(AnsibleFilterError) as caught:
        app_specs(apps, cpu_count=2)
    assert message in str(caught.value)


def test_no_apps_is_an_empty_list():
    assert app_specs(None) == []
    assert app_specs([]) == []
