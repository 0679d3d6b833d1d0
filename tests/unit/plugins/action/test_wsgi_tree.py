"""wsgi_tree through ansible-playbook on this machine: the host folder ends up exactly the controller's, in one call
when it already is; check mode and the diff tell the truth; links on the host are replaced, never written through."""

from __future__ import annotations

import grp
import hashlib
import json
import os
import pathlib
import pwd
import subprocess
import sys

import pytest

from ansible_collections.pyops.wsgi.plugins.action.wsgi_tree import listing

ROOT = pathlib.Path(__file__).resolve().parents[4]
USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Sync
      pyops.wsgi.wsgi_tree:
        src: "{{ src }}"
        dest: "{{ dest }}"
        owner: "{{ owner }}"
        group: "{{ group }}"
        checksums: "{{ checksums | default(omit) }}"
      register: tree
    - name: Show
      ansible.builtin.copy:
        content: "{{ tree | to_json }}"
        dest: "{{ out }}"
      check_mode: false
      diff: false
"""


def sync(tmp_path, src, dest, *extra, checksums=None):
    """Run the task once; return its registered result."""
    playbook = tmp_path / "sync.yml"
    playbook.write_text(PLAYBOOK)
    out = tmp_path / "result.json"
    variables = {"src": str(src), "dest": str(dest), "owner": USER, "group": GROUP, "out": str(out),
                 "ansible_python_interpreter": sys.executable}
    if checksums is not None:
        variables["checksums"] = checksums
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    process = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
         "-e", json.dumps(variables), *extra, str(playbook)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    if process.returncode != 0:
        return {"failed": True, "output": process.stdout}
    return json.loads(out.read_text())


def tree_of(folder):
    """relative path -> (kind, content or None, mode) of everything under folder, links not followed."""
    found = {}
    for path in sorted(pathlib.Path(folder).rglob("*")):
        info = path.lstat()
        kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file"
        found[str(path.relative_to(folder))] = (kind, path.read_bytes() if kind == "file" else None,
                                                oct(info.st_mode & 0o777))
    return found


@pytest.fixture
def code(tmp_path):
    src = tmp_path / "src"
    (src / "pkg" / "static").mkdir(parents=True)
    (src / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    (src / "pkg" / "static" / "site.css").write_text("body {}\n")
    (src / "manage.py").write_text("#!/usr/bin/env python3\n")
    (src / "manage.py").chmod(0o755)
    (src / ".env.example").write_text("A=1\n")
    (src / "empty").mkdir()
    return src


def test_a_first_sync_copies_everything_with_modes_and_a_second_changes_nothing(tmp_path, code):
    dest = tmp_path / "dest"
    first = sync(tmp_path, code, dest)
    assert not first.get("failed") and first["changed"] is True, first
    assert sorted(first["sent"]) == [".env.example", "manage.py", "pkg/__init__.py", "pkg/static/site.css"]
    assert tree_of(dest) == {
        ".env.example": ("file", b"A=1\n", "0o640"), "empty": ("dir", None, "0o750"),
        "manage.py": ("file", b"#!/usr/bin/env python3\n", "0o750"), "pkg": ("dir", None, "0o750"),
        "pkg/__init__.py": ("file", b"VALUE = 1\n", "0o640"), "pkg/static": ("dir", None, "0o750"),
        "pkg/static/site.css": ("file", b"body {}\n", "0o640")}
    assert oct(dest.stat().st_mode & 0o777) == "0o750"
    second = sync(tmp_path, code, dest)
    assert second["changed"] is False and second["sent"] == [] and second["removed"] == [] and second["fixed"] == []


def test_changes_on_the_controller_reach_the_host_and_check_mode_only_tells(tmp_path, code):
    dest = tmp_path / "dest"
    sync(tmp_path, code, dest)
    (code / "pkg" / "__init__.py").write_text("VALUE = 2\n")
    (code / "pkg" / "static" / "site.css").unlink()
    (code / "pkg" / "static" / "app.js").write_text("go()\n")
    before = tree_of(dest)
    checked = sync(tmp_path, code, dest, "--check", "--diff")
    assert checked["changed"] is True
    assert sorted(checked["sent"]) == ["pkg/__init__.py", "pkg/static/app.js"]
    assert checked["removed"] == ["pkg/static/site.css"]
    assert tree_of(dest) == before
    assert "pkg/__init__.py " in checked["diff"]["before"] and "pkg/static/site.css" in checked["diff"]["before"]
    assert "pkg/static/app.js " in checked["diff"]["after"] and "site.css" not in checked["diff"]["after"]
    done = sync(tmp_path, code, dest)
    assert done["changed"] is True and done["removed"] == ["pkg/static/site.css"]
    assert {path: entry[:2] for path, entry in tree_of(dest).items()} == {
        path: entry[:2] for path, entry in tree_of(code).items()}
    assert tree_of(dest)["pkg/static/app.js"][2] == "0o640"
    assert sync(tmp_path, code, dest)["changed"] is False


def test_check_mode_of_a_new_app_whose_folders_an_earlier_task_would_make(tmp_path, code):
    # A new app in check mode: its folder above dest and its owner do not exist yet.
    dest = tmp_path / "srv" / "shop" / "source"
    playbook = tmp_path / "sync.yml"
    checked = sync(tmp_path, code, dest, "--check", "-e", json.dumps({"owner": "pyops-not-yet"}))
    assert not checked.get("failed") and checked["changed"] is True, checked
    assert sorted(checked["sent"]) == [".env.example", "manage.py", "pkg/__init__.py", "pkg/static/site.css"]
    assert not (tmp_path / "srv").exists() and playbook.exists()
    assert sync(tmp_path, code, dest)["failed"] is True


def test_what_the_host_changed_by_hand_is_put_back(tmp_path, code):
    dest = tmp_path / "dest"
    sync(tmp_path, code, dest)
    outside = tmp_path / "outside.py"
    outside.write_text("untouched\n")
    (dest / "pkg" / "__init__.py").unlink()
    (dest / "pkg" / "__init__.py").symlink_to(outside)
    (dest / "pkg" / "static").chmod(0o777)
    (dest / "extra").mkdir()
    (dest / "extra" / "notes.txt").write_text("x\n")
    (dest / "empty").rmdir()
    (dest / "empty").write_text("now a file\n")
    result = sync(tmp_path, code, dest)
    assert result["changed"] is True
    assert sorted(result["removed"]) == ["empty", "extra", "pkg/__init__.py"]
    assert "pkg/static" in result["fixed"] and "empty" in result["fixed"]
    assert outside.read_text() == "untouched\n"
    assert tree_of(dest)["pkg/__init__.py"] == ("file", b"VALUE = 1\n", "0o640")
    assert tree_of(dest)["empty"] == ("dir", None, "0o750")
    assert "extra" not in tree_of(dest)
    assert sync(tmp_path, code, dest)["changed"] is False


def test_links_on_the_controller_are_followed_and_a_loop_is_refused(tmp_path, code):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "logo.txt").write_text("logo\n")
    (code / "assets").symlink_to(shared)
    (code / "readme").symlink_to(code / ".env.example")
    entries = listing(str(code))
    assert entries["assets"] == ["dir", ""] and entries["assets/logo.txt"][0] == "file"
    assert entries["readme"] == entries[".env.example"]
    dest = tmp_path / "dest"
    assert sync(tmp_path, code, dest)["changed"] is True
    assert tree_of(dest)["assets/logo.txt"] == ("file", b"logo\n", "0o640")
    assert tree_of(dest)["readme"] == ("file", b"A=1\n", "0o640")
    (shared / "back").symlink_to(code)
    failed = sync(tmp_path, code, dest)
    assert failed["failed"] and "a loop of links" in failed["output"]


def test_a_missing_source_folder_is_refused_before_any_change(tmp_path):
    dest = tmp_path / "dest"
    result = sync(tmp_path, tmp_path / "nowhere", dest)
    assert result["failed"] and "is not a folder on the controller" in result["output"]
    assert not dest.exists()


def test_a_relative_source_is_found_beside_the_playbook(tmp_path, code):
    dest = tmp_path / "dest"
    result = sync(tmp_path, "src", dest)
    assert not result.get("failed") and result["changed"] is True, result
    assert (dest / "pkg" / "__init__.py").read_text() == "VALUE = 1\n"


def test_checksums_of_files_of_the_tree_are_read_on_the_controller(tmp_path, code):
    dest = tmp_path / "dest"
    wanted = ["pkg/__init__.py", "./manage.py", "missing.txt", "pkg"]
    first = sync(tmp_path, code, dest, "--check", checksums=wanted)
    assert not first.get("failed"), first
    assert first["checksums"] == {
        "pkg/__init__.py": hashlib.sha256(b"VALUE = 1\n").hexdigest(),
        "./manage.py": hashlib.sha256(b"#!/usr/bin/env python3\n").hexdigest(),
        "missing.txt": None, "pkg": None}
    assert not dest.exists(), "check mode sends nothing"
    assert sync(tmp_path, code, dest, checksums=wanted)["checksums"] == first["checksums"]
    second = sync(tmp_path, code, dest, checksums=["pkg/__init__.py"])
    assert second["changed"] is False and second["checksums"]["pkg/__init__.py"] == first["checksums"]["pkg/__init__.py"]
    refused = sync(tmp_path, code, dest, checksums=["../outside.txt"])
    assert refused.get("failed") and "checksums: ../outside.txt is not a path inside src" in refused["output"]


MODES = {"dir": 0o750, "file": 0o640, "exec": 0o750}


def test_the_host_read_matches_the_controller_exactly_when_the_folder_is_in_sync(tmp_path, code):
    """The digest a read of the host takes (wsgi_lock's trees) equals the one the action expects only while
    dest holds exactly src with the task's owner, group and modes: any difference asks the host again."""
    from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_tree import host_tree_digest, wanted_tree_digest

    dest = tmp_path / "dest"
    assert host_tree_digest(str(dest)) is None
    assert not sync(tmp_path, code, dest).get("failed")
    wanted = wanted_tree_digest(listing(str(code)), USER, GROUP, MODES)
    assert host_tree_digest(str(dest)) == wanted
    for change, undo in (
            (lambda: (dest / "pkg" / "__init__.py").write_text("VALUE = 2\n"),
             lambda: (dest / "pkg" / "__init__.py").write_text("VALUE = 1\n")),
            (lambda: (dest / "manage.py").chmod(0o640), lambda: (dest / "manage.py").chmod(0o750)),
            (lambda: (dest / "stray.py").write_text(""), (dest / "stray.py").unlink),
            ((dest / "empty").rmdir, lambda: (dest / "empty").mkdir(0o750)),
            (lambda: dest.chmod(0o755), lambda: dest.chmod(0o750))):
        change()
        assert host_tree_digest(str(dest)) != wanted
        undo()
        assert host_tree_digest(str(dest)) == wanted


def test_a_read_showing_dest_in_sync_spares_the_call(tmp_path, code):
    """Given a read that shows dest in sync, the task does not ask the host: a change made behind the read's back
    stays; without the read, the host is asked and the change put back."""
    from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_tree import host_tree_digest

    dest = tmp_path / "dest"
    assert not sync(tmp_path, code, dest).get("failed")
    read = {"trees": {str(dest): host_tree_digest(str(dest))}}
    (dest / "pkg" / "__init__.py").write_text("VALUE = 2\n")
    playbook = tmp_path / "read.yml"
    playbook.write_text(PLAYBOOK.replace('        checksums: "{{ checksums | default(omit) }}"',
                                         '        checksums: ["pkg/__init__.py"]\n        host: "{{ read }}"'))
    out = tmp_path / "result.json"
    variables = {"src": str(code), "dest": str(dest), "owner": USER, "group": GROUP, "out": str(out), "read": read,
                 "ansible_python_interpreter": sys.executable}
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    process = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
         "-e", json.dumps(variables), str(playbook)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    assert process.returncode == 0, process.stdout
    result = json.loads(out.read_text())
    assert result["changed"] is False and result["sent"] == [] and result["removed"] == []
    assert result["checksums"] == {"pkg/__init__.py": hashlib.sha256(b"VALUE = 1\n").hexdigest()}
    assert (dest / "pkg" / "__init__.py").read_text() == "VALUE = 2\n"
    again = sync(tmp_path, code, dest)
    assert again["changed"] is True and again["sent"] == ["pkg/__init__.py"]
    assert (dest / "pkg" / "__init__.py").read_text() == "VALUE = 1\n"
