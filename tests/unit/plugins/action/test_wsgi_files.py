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


READ_PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Write
      pyops.wsgi.wsgi_files:
        files: &files
          - {dest: "{{ folder }}/site.conf", content: "listen 80;\\n", mode: "0640"}
          - {dest: "{{ folder }}/app.env", content: "SECRET_KEY=s3cr3t\\n", mode: "0600", secret: true}
          - {dest: "{{ folder }}/enabled.conf", state: link, src: "{{ folder }}/site.conf"}
          - {dest: "{{ folder }}/default", state: absent}
    - name: Read them as the deploy does when it takes the lock
      pyops.wsgi.wsgi_lock:
        path: "{{ folder }}-lock/deploy.lock"
        token: &token q7m2x9k4w1z8c5v3b6n0
        read: {files: ["{{ folder }}/*.conf", "{{ folder }}/default"], hidden_files: ["{{ folder }}/app.env"]}
      register: read
    - name: Change the site behind the read's back
      ansible.builtin.copy: {content: "listen 81;\\n", dest: "{{ folder }}/site.conf", mode: "0640"}
    - name: Change the secret file behind the read's back
      ansible.builtin.copy: {content: "SECRET_KEY=other\\n", dest: "{{ folder }}/app.env", mode: "0600"}
    - name: Make a file outside the read's patterns
      pyops.wsgi.wsgi_files: {files: [{dest: "{{ folder }}-other/x", content: "x"}]}
    - name: Write with the read, which shows every entry as it should be, so the host is not asked
      pyops.wsgi.wsgi_files: {files: *files, host: "{{ read.host }}", host_key: *token}
      register: trusted
    - name: Without the read's key, the secret file is sent to the host, which finds it changed
      pyops.wsgi.wsgi_files: {files: *files, host: "{{ read.host }}"}
      register: keyless
    - name: An absent path no pattern of the read covers is asked about
      pyops.wsgi.wsgi_files:
        files: [{dest: "{{ folder }}-other/x", state: absent}]
        host: "{{ read.host }}"
      register: uncovered
    - name: Change the secret file again
      ansible.builtin.copy: {content: "SECRET_KEY=other\\n", dest: "{{ folder }}/app.env", mode: "0600"}
    - name: Read again, then write with it
      pyops.wsgi.wsgi_lock:
        path: "{{ folder }}-lock/deploy.lock"
        token: *token
        read: {files: ["{{ folder }}/*.conf", "{{ folder }}/default"], hidden_files: ["{{ folder }}/app.env"]}
      register: again
    - name: Write with the new read, which shows the site and the secret file changed
      pyops.wsgi.wsgi_files: {files: *files, host: "{{ again.host }}", host_key: *token}
      register: fixed
    - name: Show
      ansible.builtin.copy:
        content: "{{ {'trusted': trusted, 'keyless': keyless, 'uncovered': uncovered, 'fixed': fixed, 'read': read}
                     | to_json }}"
        dest: "{{ folder }}-result.json"
      check_mode: false
      diff: false
"""


def test_a_read_that_shows_every_entry_as_it_should_be_spares_the_call(tmp_path):
    playbook = tmp_path / "read.yml"
    playbook.write_text(READ_PLAYBOOK)
    folder = tmp_path / "out"
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_FORCE_COLOR="0")
    process = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
         "-e", json.dumps({"folder": str(folder), "ansible_python_interpreter": sys.executable}), str(playbook)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    assert process.returncode == 0, process.stdout
    result = json.loads((tmp_path / "out-result.json").read_text())
    # The stale read was taken at its word: nothing written, the hand-made change still there...
    assert result["trusted"]["changed"] is False
    assert [entry["changed"] for entry in result["trusted"]["files"]] == [False, False, False, False]
    assert "module_args" in result["trusted"]["invocation"]
    # The secret file's text shows nowhere: an HMAC keyed with the run's token, not a checksum.
    secret = result["read"]["host"]["files"][str(folder / "app.env")]
    assert "checksum" not in secret and len(secret["hmac"]) == 64
    # Without the key the files go to the host, which puts back the site and the secret file.
    assert [entry["changed"] for entry in result["keyless"]["files"]] == [True, True, False, False]
    # ...an absent path outside the read's patterns went to the host, which removed it...
    assert result["uncovered"]["changed"] is True and not (tmp_path / "out-other" / "x").exists()
    # ...and a fresh read shows the secret file changed again (by its HMAC), so it is written back.
    assert [entry["changed"] for entry in result["fixed"]["files"]] == [False, True, False, False]
    assert (folder / "site.conf").read_text() == "listen 80;\n"
    assert (folder / "app.env").read_text() == "SECRET_KEY=s3cr3t\n"
