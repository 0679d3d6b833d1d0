"""The environment file and gunicorn.conf.py, rendered by Ansible and read by Python.

app.env.j2 (role app) writes values that gunicorn.conf.py.j2 (role gunicorn)
reads back on every start and reload: tricky values must survive the trip, and
the settings must be what the app spec says.
"""

from __future__ import annotations

import json
import os
import pathlib
import runpy
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
ENVIRONMENT = {
    "QUOTES": 'say "hi" \\ bye',
    "UNICODE": "équipe ünïcode ✓",
    "EQUALS": "a=b=c",
    "NEWLINE": "line1\nline2",
    "SPACES": "  padded  ",
    "EMPTY": "",
    "HASH": "#not a comment",
}

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  vars:
    ansible_python_interpreter: {python}
    gunicorn_app: "{{{{ app_input }}}}"
    ansible_facts:
      processor_vcpus: 2
  tasks:
    - ansible.builtin.include_vars: {root}/roles/gunicorn/vars/main.yml
    - ansible.builtin.set_fact:
        __app_spec: "{{{{ [app_input] | pyops.wsgi.app_specs(2) | first | combine({{'env_file': out ~ '/app.env'}}) }}}}"
    - ansible.builtin.set_fact:
        __gunicorn_app: "{{{{ __app_spec }}}}"
    - ansible.builtin.template:
        src: {root}/roles/app/templates/etc/pyops-wsgi/app/app.env.j2
        dest: "{{{{ out }}}}/app.env"
        mode: "0600"
    - ansible.builtin.template:
        src: {root}/roles/gunicorn/templates/etc/pyops-wsgi/app/gunicorn.conf.py.j2
        dest: "{{{{ out }}}}/gunicorn.conf.py"
        mode: "0600"
    - ansible.builtin.template:
        src: {root}/roles/gunicorn/templates/etc/systemd/system/wsgi-app.service.j2
        dest: "{{{{ out }}}}/wsgi-app.service"
        mode: "0600"
"""


def render(tmp_path, app):
    playbook = tmp_path / "render.yml"
    playbook.write_text(PLAYBOOK.format(root=ROOT, python=sys.executable))
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps({"app_input": app, "out": str(tmp_path)}))
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    result = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
         "-e", "@%s" % extra, str(playbook)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert result.returncode == 0, result.stdout
    return runpy.run_path(str(tmp_path / "gunicorn.conf.py")), (tmp_path / "wsgi-app.service").read_text()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    app = {
        "name": "shop",
        "source": {"type": "local", "path": "/src"},
        "entry": "shop.wsgi:application",
        "worker_class": "gthread",
        "threads": 4,
        "protocol": "uwsgi",
        "control_socket": False,
        "environment": ENVIRONMENT,
    }
    return render(tmp_path_factory.mktemp("shop"), app)


def test_environment_values_survive_the_round_trip(rendered):
    settings, _ = rendered
    parsed = dict(pair.split("=", 1) for pair in settings["raw_env"])
    assert parsed == ENVIRONMENT


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("wsgi_app", "shop.wsgi:application"),
        ("chdir", "/srv/shop/code"),
        ("bind", ["unix:/run/shop/gunicorn.sock"]),
        ("umask", 0o117),
        ("protocol", "uwsgi"),
        ("workers", 5),
        ("worker_class", "gthread"),
        ("threads", 4),
        ("timeout", 30),
        ("max_requests", 1000),
        ("max_requests_jitter", 100),
        ("accesslog", "/var/log/shop/access.log"),
        ("control_socket_disable", True),
    ],
)
def test_gunicorn_settings_follow_the_spec(rendered, setting, expected):
    settings, _ = rendered
    assert settings[setting] == expected


def test_socket_mode_from_umask_is_0660(rendered):
    settings, _ = rendered
    assert 0o777 & ~settings["umask"] & 0o777 == 0o660


def test_unit_runs_as_the_app_user_and_reloads_with_hup(rendered):
    _, unit = rendered
    lines = set(unit.splitlines())
    for line in (
        "User=shop",
        "Group=shop",
        "RuntimeDirectory=shop",
        "RuntimeDirectoryMode=0750",
        "Restart=on-failure",
        "ExecStart=/srv/shop/venv/bin/gunicorn --config /etc/pyops-wsgi/shop/gunicorn.conf.py",
        "ExecReload=/bin/sh -c 'kill -s HUP ${MAINPID}'",
    ):
        assert line in lines, line


def test_control_socket_is_per_app_when_on(tmp_path):
    app = {"name": "blog", "source": {"type": "local", "path": "/src"}, "entry": "blog:app"}
    settings, _ = render(tmp_path, app)
    assert settings["control_socket"] == "/run/blog/gunicorn.ctl"
    assert settings["control_socket_mode"] == 0o600
    assert "control_socket_disable" not in settings
