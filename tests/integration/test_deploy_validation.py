"""playbooks/deploy.yml refuses a bad app spec before it changes anything.

The play runs against the controller itself (connection local, no become): a
bad spec must stop it right after fact gathering, with the key named.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GOOD = {"name": "hello", "source": {"type": "local", "path": "/nonexistent"}, "entry": "hello:app"}


def run_deploy(tmp_path, apps, extra_vars=None, options=(), playbook="deploy.yml"):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  children:\n    web:\n      hosts:\n        checked:\n"
        "          ansible_connection: local\n"
        "          ansible_python_interpreter: %s\n" % sys.executable
    )
    extra = tmp_path / "apps.json"
    extra.write_text(json.dumps(dict({"wsgi_apps": apps, "ansible_become": False}, **(extra_vars or {}))))
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    return subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
         "-e", "@%s" % extra, *options, str(ROOT / "playbooks" / playbook)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
    )


@pytest.mark.parametrize(
    ("apps", "message"),
    [
        ([dict(GOOD, name="Bad Name")], "wsgi_apps[0] (Bad Name).name: 'Bad Name' is not a valid unix user name"),
        ([dict(GOOD, server="waitress")],
         "wsgi_apps[0] (hello).server: value of server must be one of: gunicorn, uwsgi, granian, uvicorn, mod_wsgi, got: waitress"),
        ([dict(GOOD, workers="lots")],
         "wsgi_apps[0] (hello).workers: argument 'workers' is of type str and we were unable to convert to int"),
        ([{"source": GOOD["source"], "entry": "a:b"}], "wsgi_apps[0].name: is required"),
        # Derived keys are the play's to work out, not the inventory's.
        ([dict(GOOD, socket="/tmp/x.sock")],
         "wsgi_apps[0] (hello).socket: is derived, not set: it follows from bind and protocol; set that instead"),
        # Two apps that would collide on the host, named both.
        ([dict(GOOD, server_names=["shop.example"]), dict(GOOD, name="shop", server_names=["shop.example"])],
         "server name 'shop.example' is claimed by both wsgi_apps[0] (hello) and wsgi_apps[1] (shop)"),
        ([dict(GOOD, bind="0.0.0.0:8000"), dict(GOOD, name="shop", server_names=["s"], bind="127.0.0.1:8000")],
         "wsgi_apps[1] (shop).bind 127.0.0.1:8000 collides with wsgi_apps[0] (hello).bind 0.0.0.0:8000"),
        # What the apache front end cannot do, named with the way out.
        ([dict(GOOD, front_end="apache", nginx_directives=["gzip off;"])],
         "wsgi_apps[0] (hello).nginx_directives: are nginx's directives and the app's front end is apache"),
        # An interface the server cannot call, said in the spec.
        ([dict(GOOD, server="uwsgi", interface="asgi")],
         "wsgi_apps[0] (hello).interface: server uwsgi does not run ASGI apps; servers that do: gunicorn with "
         "worker_class asgi"),
        ([dict(GOOD, worker_class="gevent", interface="asgi")],
         "wsgi_apps[0] (hello).worker_class: gevent calls WSGI apps, and interface is asgi: use worker_class asgi"),
    ],
)
def test_bad_spec_stops_before_any_change(tmp_path, apps, message):
    result = run_deploy(tmp_path, apps)
    assert_stopped_before_any_change(result, message)


@pytest.mark.parametrize("options", [("--tags", "nginx"), ("--tags", "health"), ("--skip-tags", "build")])
def test_a_bad_spec_stops_a_tagged_deploy_too(tmp_path, options):
    result = run_deploy(tmp_path, [dict(GOOD, workers="lots")], options=options)
    assert_stopped_before_any_change(result, "wsgi_apps[0] (hello).workers: argument 'workers' is of type str")


# README "Tags": each play's task tags, the deploy's spec checks, lock and going back `always`
# (and the deploy role's argument spec validation, in every play).
TAGS = {"Put the load balancers in front of the app nodes": {"always", "lb", "nginx"},
        "Deploy WSGI apps": {"always", "build", "django", "health", "nginx", "server"},
        "Check each app answers through the load balancers": {"always", "health", "lb"}}


def test_the_tags_are_the_documented_scheme(tmp_path):
    result = run_deploy(tmp_path, [GOOD], options=("--list-tags",))
    assert result.returncode == 0, result.stdout
    plays = re.findall(r"play #\d+ \([^)]*\): (.+?)\tTAGS: \[\]\n\s+TASK TAGS: \[([^\]]*)\]", result.stdout)
    assert {play: set(tags.split(", ")) for play, tags in plays} == TAGS, result.stdout


@pytest.mark.parametrize("playbook", ["deploy.yml", "rollback.yml"])
@pytest.mark.parametrize("only, message", [
    ("nope", "wsgi_only: nope is not in wsgi_apps (its apps: hello, shop); name apps of wsgi_apps, as NAME,NAME"),
    ("shop,,hello", "wsgi_only: 'shop,,hello' holds an empty or non-text name"),
])
def test_wsgi_only_naming_no_app_stops_before_any_change(tmp_path, playbook, only, message):
    result = run_deploy(tmp_path, [GOOD, dict(GOOD, name="shop", server_names=["s"])], {"wsgi_only": only},
                        playbook=playbook)
    assert_stopped_before_any_change(result, message)


def test_rollbacks_old_option_names_still_work_with_a_deprecation_warning(tmp_path):
    result = run_deploy(tmp_path, [GOOD], {"app": "nope", "release": "0123456789ab"}, playbook="rollback.yml")
    assert_stopped_before_any_change(result, "wsgi_only: nope is not in wsgi_apps (its apps: hello)")
    assert "-e app= is deprecated; use -e wsgi_only= instead" in result.stdout, result.stdout


# The host's facts come from the extra vars, which replace the gathered ones.
HOST = {"distribution": "Debian", "distribution_version": "12.8", "distribution_major_version": "12",
        "os_family": "Debian", "service_mgr": "systemd", "processor_vcpus": 2}
PYTHON_39 = {"version": {"major": 3, "minor": 9, "micro": 2}, "executable": "/usr/bin/python3"}


@pytest.mark.parametrize("playbook", ["deploy.yml", "rollback.yml"])
@pytest.mark.parametrize("host, message", [
    (dict(HOST, distribution="RedHat", os_family="RedHat", distribution_version="9.4", distribution_major_version="9"),
     "this host runs RedHat 9.4, which pyops.wsgi does not deploy to; it supports Debian 11 (bullseye), "
     "12 (bookworm), 13 (trixie), with systemd"),
    (dict(HOST, service_mgr="sysvinit"), "this host runs Debian 12.8 with sysvinit as its service manager"),
])
def test_an_unsupported_host_stops_before_any_change(tmp_path, playbook, host, message):
    result = run_deploy(tmp_path, [GOOD], {"ansible_facts": host}, playbook=playbook)
    assert_stopped_before_any_change(result, message)


@pytest.mark.parametrize("setting", [{"protocol": "uwsgi"}, {"worker_class": "asgi"}, {"interface": "asgi"}])
def test_what_gunicorn_23_lacks_stops_before_any_change(tmp_path, setting):
    """Gunicorn 23 (what Python 3.9 gets) has neither the uwsgi protocol nor the ASGI worker."""
    result = run_deploy(tmp_path, [GOOD, dict(GOOD, name="shop", server_names=["s"], **setting)],
                        {"gunicorn_version": "23.0.0", "ansible_facts": dict(HOST, python=PYTHON_39)})
    assert_stopped_before_any_change(result, "wsgi_apps (shop): protocol")
    assert "need Gunicorn 24 or newer; this host gets Gunicorn 23.0.0" in result.stdout, result.stdout


@pytest.mark.parametrize("server, message", [
    ("granian", "wsgi_apps (shop): server 'granian' needs Python 3.10 or newer (Granian 2.8.9); this host has Python 3.9"),
    ("uvicorn", "wsgi_apps (shop): server 'uvicorn' needs Python 3.11 or newer (Uvicorn 0.55.0); this host has Python 3.9"),
])
def test_granian_and_uvicorn_on_an_older_python_stop_before_any_change(tmp_path, server, message):
    """Debian 11's Python 3.9 runs neither Granian 2.8 nor Uvicorn 0.55."""
    result = run_deploy(tmp_path, [GOOD, dict(GOOD, name="shop", server_names=["s"], server=server)],
                        {"ansible_facts": dict(HOST, python=PYTHON_39)})
    assert_stopped_before_any_change(result, message)


@pytest.mark.parametrize("options", [("--tags", "server"), ("--skip-tags", "build"), ("--tags", "nginx,server")])
def test_configuring_servers_without_a_build_needs_each_interface(tmp_path, options):
    """The build finds the interface of an app whose spec leaves it to the code; a run that skips the build but
    configures the servers stops before any change, naming only those apps (uvicorn implies ASGI)."""
    apps = [GOOD, dict(GOOD, name="shop", server_names=["s"], interface="wsgi"),
            dict(GOOD, name="api", server_names=["a"], server="uvicorn")]
    result = run_deploy(tmp_path, apps, options=options)
    assert_stopped_before_any_change(
        result, "wsgi_apps (hello): the interface (WSGI or ASGI) is found in the code by the build phase, which this "
        "run skips (tags): run it too (tag build), or set interface in the spec.")


def assert_stopped_before_any_change(result, message):
    assert result.returncode != 0, result.stdout
    assert message in result.stdout, result.stdout
    recap = [line for line in result.stdout.splitlines() if line.startswith("checked ")]
    assert recap and "changed=0" in recap[-1] and "failed=1" in recap[-1], result.stdout
    # Only fact gathering ran before the check: no role was entered.
    assert "pyops.wsgi.python" not in result.stdout
