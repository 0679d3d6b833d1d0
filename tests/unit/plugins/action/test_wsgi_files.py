"""wsgi_files through ansible-playbook on this machine: templates rendered on the controller with the task's
variables and each entry's vars, the same text as the template module writes; a secret file's text appears in no
output, at any verbosity."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[4]

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  vars:
    greeting: hello
  tasks:
    - name: Write
      pyops.wsgi.wsgi_files:
        files:
          - {dest: "{{ folder }}/site.conf", template: site.conf.j2, vars: {app: {name: shop}}, mode: "0640"}
          - {dest: "{{ folder }}/app.env", content: "SECRET_KEY={{ secret }}\\n", secret: true, mode: "0600"}
          - {dest: "{{ folder }}/enabled.conf", state: link, src: "{{ folder }}/site.conf"}
      register: written
    - name: Write the same with the template module
      ansible.builtin.template:
        src: site.conf.j2
        dest: "{{ folder }}/by-template.conf"
      vars:
        app: {name: shop}
    - name: Show
      ansible.builtin.copy:
        content: "{{ written | to_json }}"
        dest: "{{ folder }}-result.json"
      check_mode: false
      diff: false
"""
TEMPLATE = """{{ ansible_managed | comment }}
# {{ greeting }} from {{ app.name }}
{% for port in [80, 443] %}
listen {{ port }};
{% endfor %}
"""


def play(tmp_path, *extra):
    """Run the playbook once; return (its output, the registered result or None)."""
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / "site.conf.j2").write_text(TEMPLATE)
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    folder = tmp_path / "out"
    variables = {"folder": str(folder), "secret": "s3cr3t-never-shown", "ansible_python_interpreter": sys.executable}
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_FORCE_COLOR="0")
    process = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
         "-e", json.dumps(variables), *extra, str(playbook)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    result = tmp_path / "out-result.json"
    return process.stdout, json.loads(result.read_text()) if process.returncode == 0 and result.exists() else None


def test_templates_render_as_the_template_module_renders_them_and_secrets_never_show(tmp_path):
    output, result = play(tmp_path, "--diff", "-vvv")
    assert result is not None, output
    folder = tmp_path / "out"
    site = (folder / "site.conf").read_text()
    assert site == (folder / "by-template.conf").read_text()
    assert "# hello from shop\nlisten 80;\nlisten 443;\n" in site
    assert (folder / "app.env").read_text() == "SECRET_KEY=s3cr3t-never-shown\n"
    assert os.readlink(folder / "enabled.conf") == str(folder / "site.conf")
    assert "s3cr3t-never-shown" not in output and "s3cr3t-never-shown" not in json.dumps(result)
    assert "+# hello from shop" in output and "(new text hidden: the file holds secrets)" in output
    # The invocation names the paths, not the texts.
    assert all("content" not in entry for entry in result["invocation"]["module_args"]["files"])
    assert [entry["changed"] for entry in result["files"]] == [True, True, True]
    output, again = play(tmp_path, "--diff", "-vvv")
    assert again is not None and again["changed"] is False, output
    assert "s3cr3t-never-shown" not in output


def test_check_mode_renders_and_reports_but_writes_nothing(tmp_path):
    output, result = play(tmp_path, "--check", "--diff")
    assert result is not None, output
    assert result["changed"] and not (tmp_path / "out" / "site.conf").exists()
    assert "+# hello from shop" in output and "s3cr3t-never-shown" not in output
