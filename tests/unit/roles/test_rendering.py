"""The tests render templates with Ansible's template lookup (no module run for each file);
this holds its output to what the template module writes on a host, for every template."""

from __future__ import annotations

import pytest

from conftest import TEMPLATES, render_templates
from test_nginx_templates import BACKENDS, NODE

SOURCE = {"type": "local", "path": "/src"}
CASES = [
    # Gunicorn, Django, a package source, nginx with static files, a mount and TLS names.
    ({"name": "notes", "source": {"type": "package", "requirement": "notes==2.0"}, "entry": "notesite.wsgi:application",
      "django": {"collectstatic": True, "settings": "notesite.settings"}, "environment": {"GREETING": "Hi \"there\""}, "mount": "/notes",
      "server_names": ["notes.example.com"], "static": [{"url": "/media/", "path": "media"}],
      "nginx_directives": ["gzip off;"]},
     ["app.env", "pyops_wsgi_entry.py", "pyops_django_settings.py", "requirements.txt", "gunicorn.conf.py",
      "gunicorn.service", "nginx.conf"], {}),
    # uWSGI in emperor mode, with its memory guard and options of its own.
    ({"name": "flaskapp", "source": SOURCE, "entry": "app:create_app()", "server": "uwsgi", "memory_limit": "512M",
      "uwsgi_options": {"buffer-size": 32768}},
     ["pyops_wsgi_entry.py", "uwsgi.ini", "uwsgi.service", "uwsgi-emperor.service"], {"emperor": True}),
    ({"name": "api", "source": SOURCE, "entry": "main:app", "server": "granian", "interface": "asgi",
      "websocket": True}, ["granian_serve.py", "granian.service", "nginx.conf"], {}),
    ({"name": "fast", "source": SOURCE, "entry": "main:app", "server": "uvicorn", "bind": ["unix", "127.0.0.1:8011"]},
     ["uvicorn_serve.py", "uvicorn.service"], {}),
    # A timer's units and the launcher they run; maintenance mode's switch and page.
    ({"name": "jobs", "source": SOURCE, "entry": "jobs:app", "environment": {"TOKEN": "a \"b\" $c"},
      "timers": [{"name": "purge", "command": "flask purge --older-than '30 days'", "schedule": "*:0/5", "timeout": 60}],
      "maintenance": {"allow": ["10.0.0.0/8"], "retry_after": 120}},
     ["pyops_run.py", "timer.service", "timer.timer", "maintenance.conf", "maintenance.html"],
     {"extra": {"systemd_timer": {"name": "purge", "command": ["flask", "purge", "--older-than", "30 days"],
                                  "schedule": "*:0/5", "once_per_fleet": False, "timeout": 60, "unit": "wsgi-jobs.purge"},
                "__nginx_maintenance_allow": ["127.0.0.1", "::1", "10.0.0.0/8"]}}),
    # A background process's template unit.
    ({"name": "tasks", "source": SOURCE, "entry": "tasks:app", "sandbox": False,
      "processes": [{"name": "worker", "command": "celery -A tasks worker", "replicas": 3, "stop_signal": "INT"}]},
     ["process.service"],
     {"extra": {"systemd_process": {"name": "worker", "command": ["celery", "-A", "tasks", "worker"], "replicas": 3,
                                    "stop_signal": "INT", "stop_timeout": 60, "unit": "wsgi-tasks.worker@.service",
                                    "instances": []}}}),
    ({"name": "shop", "source": SOURCE, "entry": "shop:app"}, ["balancer.conf", "node.conf"],
     {"extra": {"nginx_backends": BACKENDS, "__nginx_upstreams_dir": "/etc/nginx/pyops-wsgi/upstreams",
                "nginx_upstream_node": dict(NODE, down=False)}}),
]


def test_the_cases_cover_every_template():
    assert {name for _app, wanted, _options in CASES for name in wanted} == set(TEMPLATES)


@pytest.mark.parametrize(("app", "wanted", "options"), CASES, ids=[case[0]["name"] for case in CASES])
def test_rendering_matches_the_template_module(tmp_path, app, wanted, options):
    (tmp_path / "lookup").mkdir()
    (tmp_path / "module").mkdir()
    by_lookup = render_templates(tmp_path / "lookup", app, wanted, **options)
    by_module = render_templates(tmp_path / "module", app, wanted, by_module=True, **options)
    assert sorted(by_lookup) == sorted(wanted)
    for name in wanted:
        assert by_lookup[name] == by_module[name], name
