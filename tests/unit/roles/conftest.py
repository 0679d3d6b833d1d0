"""Render the roles' templates with Ansible itself, for an app spec, into a folder.

Each role's vars/main.yml is loaded as the role would load it, so what the tests
read is what a host would get.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]

TEMPLATES = {
    "app.env": "roles/app/templates/etc/pyops-wsgi/app/app.env.j2",
    "pyops_wsgi_entry.py": "roles/app/templates/etc/pyops-wsgi/app/pyops_wsgi_entry.py.j2",
    "pyops_django_settings.py": "roles/app/templates/etc/pyops-wsgi/app/pyops_django_settings.py.j2",
    "requirements.txt": "roles/app/templates/srv/app/source/requirements.txt.j2",
    "gunicorn.conf.py": "roles/gunicorn/templates/etc/pyops-wsgi/app/gunicorn.conf.py.j2",
    "gunicorn.service": "roles/systemd/templates/etc/systemd/system/wsgi-app.service.j2",
    "uwsgi.ini": "roles/uwsgi/templates/etc/pyops-wsgi/app/uwsgi.ini.j2",
    "uwsgi.service": "roles/systemd/templates/etc/systemd/system/wsgi-app.service.j2",
    "uwsgi-emperor.service": "roles/uwsgi/templates/etc/systemd/system/uwsgi-emperor.service.j2",
    "granian_serve.py": "roles/granian/templates/etc/pyops-wsgi/app/granian_serve.py.j2",
    "granian.service": "roles/systemd/templates/etc/systemd/system/wsgi-app.service.j2",
    "uvicorn_serve.py": "roles/uvicorn/templates/etc/pyops-wsgi/app/uvicorn_serve.py.j2",
    "uvicorn.service": "roles/systemd/templates/etc/systemd/system/wsgi-app.service.j2",
    "pyops_run.py": "roles/systemd/templates/etc/pyops-wsgi/app/pyops_run.py.j2",
    "timer.service": "roles/systemd/templates/etc/systemd/system/wsgi-app.timer.service.j2",
    "timer.timer": "roles/systemd/templates/etc/systemd/system/wsgi-app.timer.timer.j2",
    "process.service": "roles/systemd/templates/etc/systemd/system/wsgi-app.process@.service.j2",
    "nginx.conf": "roles/nginx/templates/etc/nginx/sites-available/wsgi-app.conf.j2",
    "balancer.conf": "roles/nginx/templates/etc/nginx/sites-available/wsgi-balancer.conf.j2",
    "node.conf": "roles/nginx/templates/etc/nginx/pyops-wsgi/upstreams/app/node.conf.j2",
    "maintenance.conf": "roles/nginx/templates/etc/nginx/pyops-wsgi/maintenance/app.conf.j2",
    "maintenance.html": "roles/nginx/templates/etc/nginx/pyops-wsgi/maintenance/app.html.j2",
}

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  vars:
    ansible_python_interpreter: {python}
    ansible_facts:
      processor_vcpus: 2
    nginx_listen_port: 80
    nginx_listen_ipv6: true
    wanted_templates: "{{{{ templates | dict2items | selectattr('key', 'in', wanted) }}}}"
    # What roles/nginx/vars/main.yml makes of its defaults (buffer 64k, flush 5s).
    __nginx_access_log_options: combined buffer=64k flush=5s
  tasks:
    # As the playbooks pass them: normalized once (pyops.wsgi.app_specs), set as facts so
    # that the role vars below read a value, not a template that normalizes again each time.
    - ansible.builtin.set_fact:
        normalized_input: "{{{{ [app_input] | pyops.wsgi.app_specs(2, nginx_listen_port) | first }}}}"
    - ansible.builtin.set_fact:
        wsgi_app: "{{{{ normalized_input }}}}"
        wsgi_app_specs: ["{{{{ normalized_input | combine(overrides) }}}}"]
    - ansible.builtin.include_vars: {root}/roles/{role}/vars/main.yml
      loop: [app, gunicorn, uwsgi, granian, uvicorn, systemd]
      loop_control:
        loop_var: role
    - ansible.builtin.set_fact:
        __app_spec: "{{{{ __app_spec | combine(overrides) }}}}"
        __gunicorn_app: "{{{{ __gunicorn_app | combine(overrides) }}}}"
        __uwsgi_app: "{{{{ __uwsgi_app | combine(overrides) }}}}"
        __granian_app: "{{{{ __granian_app | combine(overrides) }}}}"
        __uvicorn_app: "{{{{ __uvicorn_app | combine(overrides) }}}}"
        __systemd_app: "{{{{ __systemd_app | combine(overrides) }}}}"
        app: "{{{{ __app_spec | combine(overrides) }}}}"
    # What roles/app/tasks/entry.yml chooses when the spec names the entry.
    - ansible.builtin.set_fact:
        __app_entry:
          module: "{{{{ __app_spec.entry_module }}}}"
          callable: "{{{{ __app_spec.entry_callable }}}}"
          call: "{{{{ __app_spec.entry_call }}}}"
          args: "{{{{ __app_spec.entry_args }}}}"
          kwargs: "{{{{ __app_spec.entry_kwargs }}}}"
    # The template module, as the roles write them; or, much quicker (no module runs on the
    # host, a couple of seconds a render), Ansible's template lookup on the controller, whose
    # output test_rendering_matches_the_template_module holds to the module's.
    - ansible.builtin.template:
        src: "{root}/{{{{ item.value }}}}"
        dest: "{{{{ out }}}}/{{{{ item.key }}}}"
        mode: "0600"
      loop: "{{{{ wanted_templates }}}}"
      when: by_module
      vars: &unit
        # The unit each app server role asks the process manager's role for.
        systemd_unit: >-
          {{{{ __gunicorn_services[0] if item.key == 'gunicorn.service' else __granian_services[0]
              if item.key == 'granian.service' else __uvicorn_services[0] if item.key == 'uvicorn.service'
              else __uwsgi_unit }}}}
    - ansible.builtin.set_fact:
        __rendered: "{{{{ __rendered | default({{}}) | combine({{item.key: lookup('ansible.builtin.template', '{root}/' ~ item.value)}}) }}}}"
      loop: "{{{{ wanted_templates }}}}"
      when: not by_module
      vars: *unit
    - ansible.builtin.copy:
        content: "{{{{ __rendered | to_json }}}}"
        dest: "{{{{ out }}}}/rendered.json"
        mode: "0600"
      when: not by_module
"""


def render_templates(folder, app, wanted, overrides=None, emperor=False, package="pyuwsgi", gunicorn="27.0.1",
                     extra=None, by_module=False):
    """Render the templates named in `wanted` for one app spec; return {name: text}. by_module:
    with the template module, as a host gets them, instead of the template lookup."""
    folder = pathlib.Path(folder)
    playbook = folder / "render.yml"
    playbook.write_text(PLAYBOOK.format(root=ROOT, python=sys.executable, role="{{ role }}"))
    extra_file = folder / "vars.json"
    extra_file.write_text(json.dumps({
        "app_input": app, "out": str(folder), "templates": TEMPLATES, "wanted": list(wanted), "by_module": by_module,
        "overrides": overrides or {},
        "uwsgi_package": package, "uwsgi_pyuwsgi_version": "2.0.30.post1", "uwsgi_source_version": "2.0.31",
        "gunicorn_version": gunicorn,
        # The event-loop servers' role defaults, as a role gets them.
        **{key: value for role in ("granian", "uvicorn")
           for key, value in yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text()).items()},
        "uwsgi_emperor": emperor, "uwsgi_emperor_venv": "/opt/pyops-wsgi/uwsgi-emperor",
        "uwsgi_emperor_vassals": "/etc/uwsgi-emperor/vassals",
        # What roles/app/tasks/django.yml and code.yml find on a host.
        "__app_django_settings": "fakesite.settings",
        "__app_package_copy": {"checksum": "0123456789abcdef0123456789abcdef01234567"},
        # roles/nginx/vars/main.yml: where maintenance mode's files are.
        "__nginx_maintenance_dir": "/etc/nginx/pyops-wsgi/maintenance",
        # Set by Ansible inside a role; the entry module's template reads module_utils from there.
        "role_path": str(ROOT / "roles" / "app"),
        **(extra or {}),
    }))
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    result = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
         "-e", "@%s" % extra_file, str(playbook)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout
    if by_module:
        return {name: (folder / name).read_text() for name in wanted}
    return json.loads((folder / "rendered.json").read_text())


@pytest.fixture(scope="module")
def render(tmp_path_factory):
    def _render(app, wanted, overrides=None, emperor=False, package="pyuwsgi", gunicorn="27.0.1", extra=None):
        return render_templates(tmp_path_factory.mktemp("render"), app, wanted, overrides, emperor, package, gunicorn,
                                extra)
    return _render
