"""wsgi_files on real files: texts, links and removals in one call, with owner, group, mode and copies kept; a
second run and check mode change nothing; what cannot be made is refused before the first change; a secret
file's text never shows."""

from __future__ import annotations

import grp
import os
import pwd

from .conftest import run_module

USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def mode(path):
    return oct(path.stat().st_mode & 0o7777)


def test_files_links_and_removals_in_one_call_and_a_second_run_changes_nothing(tmp_path):
    site = tmp_path / "etc" / "nginx" / "sites-available" / "shop.conf"
    link = tmp_path / "etc" / "nginx" / "sites-enabled" / "shop.conf"
    default = tmp_path / "default"
    default.write_text("old default\n")
    files = [{"dest": str(site), "content": "server {}\n", "owner": USER, "group": GROUP, "mode": "0640"},
             {"dest": str(link), "state": "link", "src": str(site)},
             {"dest": str(default), "state": "absent"}]
    failed, result = run_module("wsgi_files", files=files, _ansible_diff=True)
    assert not failed and result["changed"] is True
    assert site.read_text() == "server {}\n" and mode(site) == "0o640"
    assert os.readlink(link) == str(site) and not default.exists()
    # Folders above are made as root's (here: this user's) 0755.
    assert mode(site.parent) == "0o755" and mode(link.parent) == "0o755"
    assert [(entry["dest"], entry["changed"], entry["created"]) for entry in result["files"]] == [
        (str(site), True, True), (str(link), True, True), (str(default), True, False)]
    assert [diff["after_header"] for diff in result["diff"]] == [str(site), str(link), str(default)]
    assert result["diff"][0]["after"] == "server {}\n" and result["diff"][2]["before"] == "old default\n"
    failed, again = run_module("wsgi_files", files=files, _ansible_diff=True)
    assert not failed and again["changed"] is False and "diff" not in again
    assert [entry["changed"] for entry in again["files"]] == [False, False, False]


def test_a_changed_text_keeps_a_copy_and_attributes_alone_are_fixed_in_place(tmp_path):
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text("workers = 1\n")
    conf.chmod(0o644)
    args = {"files": [{"dest": str(conf), "content": "workers = 2\n", "owner": USER, "group": GROUP,
                       "mode": "0640", "backup": True}]}
    failed, result = run_module("wsgi_files", _ansible_diff=True, **args)
    entry = result["files"][0]
    assert not failed and entry["changed"] and not entry["created"]
    assert conf.read_text() == "workers = 2\n" and mode(conf) == "0o640"
    assert open(entry["backup_file"]).read() == "workers = 1\n"
    assert result["diff"][0]["before"] == "workers = 1\n" and result["diff"][0]["after"] == "workers = 2\n"
    conf.chmod(0o666)
    failed, fixed = run_module("wsgi_files", _ansible_diff=True, **args)
    assert not failed and fixed["changed"] and "backup_file" not in fixed["files"][0] and mode(conf) == "0o640"
    assert "0666" in fixed["diff"][0]["before"] and "0640" in fixed["diff"][0]["after"]


def test_check_mode_reports_each_change_and_makes_none(tmp_path):
    conf = tmp_path / "new" / "app.conf"
    link = tmp_path / "enabled"
    link.symlink_to("/elsewhere")
    failed, result = run_module(
        "wsgi_files", _ansible_check_mode=True, _ansible_diff=True,
        # The user and group an earlier task of the run would make: previewed, not refused.
        files=[{"dest": str(conf), "content": "x = 1\n", "owner": "pyops-not-yet", "group": "pyops-not-yet"},
               {"dest": str(link), "state": "link", "src": str(conf)}])
    assert not failed and result["changed"] and [entry["changed"] for entry in result["files"]] == [True, True]
    assert "pyops-not-yet" not in result["diff"][0]["after"] and result["diff"][0]["after"] == "x = 1\n"
    assert result["diff"][1] == {"before_header": str(link), "after_header": str(link),
                                 "before": "a link to /elsewhere\n", "after": "a link to %s\n" % conf}
    assert not conf.parent.exists() and os.readlink(link) == "/elsewhere"


def test_a_link_where_a_file_belongs_is_replaced_not_written_through(tmp_path):
    target = tmp_path / "target"
    target.write_text("keep me\n")
    dest = tmp_path / "app.env"
    dest.symlink_to(target)
    failed, result = run_module("wsgi_files", files=[{"dest": str(dest), "content": "A=1\n", "owner": USER,
                                                      "group": GROUP, "mode": "0600"}])
    assert not failed and result["files"][0]["created"] is True
    assert not dest.is_symlink() and dest.read_text() == "A=1\n" and target.read_text() == "keep me\n"


def test_what_cannot_be_made_is_refused_before_the_first_change(tmp_path):
    first = tmp_path / "first.conf"
    (tmp_path / "folder").mkdir()
    (tmp_path / "plain").write_text("a file\n")
    (tmp_path / "blocker").write_text("a file\n")
    cases = [
        ({"dest": str(tmp_path / "folder")}, "is a folder"),
        ({"dest": str(tmp_path / "plain"), "state": "link", "src": "/x"}, "is a file where a link belongs"),
        ({"dest": str(tmp_path / "blocker" / "below.conf")}, "exists and is not a folder"),
        ({"dest": str(tmp_path / "a.conf"), "mode": "rw-r--r--"}, "mode 'rw-r--r--' is not octal"),
        ({"dest": str(tmp_path / "a.conf"), "owner": "pyops-nobody-here"}, "no such user or group: pyops-nobody-here"),
        ({"dest": str(tmp_path / "a.conf"), "state": "link"}, "a link needs src"),
        ({"dest": "relative.conf"}, "not an absolute path"),
    ]
    for entry, message in cases:
        entry.setdefault("content", "x\n")
        failed, result = run_module("wsgi_files", files=[{"dest": str(first), "content": "first\n"}, entry])
        assert failed and message in result["msg"], (entry, result)
        assert entry["dest"] in result["msg"] or "blocker" in result["msg"]
        assert not first.exists() and not (tmp_path / "a.conf").exists()


def test_a_secret_file_never_shows_its_text(tmp_path):
    env = tmp_path / "app.env"
    env.write_text("SECRET_KEY=old-secret-value\n")
    failed, result = run_module(
        "wsgi_files", _ansible_diff=True, secrets=["SECRET_KEY=new-secret-value\n"],
        files=[{"dest": str(env), "secret": True, "owner": USER, "group": GROUP, "mode": "0600", "backup": True}])
    assert not failed and env.read_text() == "SECRET_KEY=new-secret-value\n" and mode(env) == "0o600"
    assert "secret-value" not in str(result)
    assert "hidden" in result["diff"][0]["before"] and "hidden" in result["diff"][0]["after"]
    assert open(result["files"][0]["backup_file"]).read() == "SECRET_KEY=old-secret-value\n"
    failed, result = run_module("wsgi_files", _ansible_diff=True,
                                files=[{"dest": str(env), "state": "absent", "secret": True}])
    assert not failed and not env.exists() and "secret-value" not in str(result)
