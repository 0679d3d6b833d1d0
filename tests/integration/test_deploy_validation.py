"""playbooks/deploy.yml refuses a bad app spec before it changes anything.

The play runs against the controller itself (connection local, no become): a
bad spec must stop it right after fact gathering, with the key named.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GOOD = {"name": "hello", "source": {"type": "local", "path": "/nonexistent"}, "entry": "hello:app"}


def run_deploy(tmp_path, apps, extra_vars=None):
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
         "-e", "@%s" % extra, str(ROOT / "playbooks" / "deploy.yml")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
    )


@pytest.mark.parametrize(
    ("apps", "message"),
    [
        ([dict(GOOD, name="Bad Name")], "wsgi_apps[0] (Bad Name).name: 'Bad Name' is not a valid unix user name"),
        ([dict(GOOD, server="waitress")], "wsgi_apps[0] (hello).server: must be one of gunicorn"),
        ([dict(GOOD, workers="lots")], "wsgi_apps[0] (hello).workers: must be a whole number"),
        ([{"source": GOOD["source"], "entry": "a:b"}], "wsgi_apps[0].name: is required"),
        # Two apps that would collide on the host, named both.
        ([dict(GOOD, server_names=["shop.example"]), dict(GOOD, name="shop", server_names=["shop.example"])],
         "server name 'shop.example' is claimed by both wsgi_apps[0] (hello) and wsgi_apps[1] (shop)"),
        ([dict(GOOD, bind="0.0.0.0:8000"), dict(GOOD, name="shop", server_names=["s"], bind="127.0.0.1:8000")],
         "wsgi_apps[1] (shop).bind 127.0.0.1:8000 collides with wsgi_apps[0] (hello).bind 0.0.0.0:8000"),
    ],
)
def test_bad_spec_stops_before_any_change(tmp_path, apps, message):
    result = run_deploy(tmp_path, apps)
    assert_stopped_before_any_change(result, message)


@pytest.mark.parametrize("setting", [{"protocol": "uwsgi"}, {"worker_class": "asgi"}])
def test_what_gunicorn_23_lacks_stops_before_any_change(tmp_path, setting):
    """Gunicorn 23 (what Python 3.9 gets) has neither the uwsgi protocol nor the ASGI worker."""
    result = run_deploy(tmp_path, [GOOD, dict(GOOD, name="shop", server_names=["s"], **setting)],
                        {"gunicorn_version": "23.0.0"})
    assert_stopped_before_any_change(result, "wsgi_apps (shop): protocol")
    assert "need Gunicorn 24 or newer; this host gets Gunicorn 23.0.0" in result.stdout, result.stdout


def assert_stopped_before_any_change(result, message):
    assert result.returncode != 0, result.stdout
    assert message in result.stdout, result.stdout
    recap = [line for line in result.stdout.splitlines() if line.startswith("checked ")]
    assert recap and "changed=0" in recap[-1] and "failed=1" in recap[-1], result.stdout
    # Only fact gathering ran before the check: no role was entered.
    assert "pyops.wsgi.python" not in result.stdout
