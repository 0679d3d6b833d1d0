"""wsgi_folders on real folders: made with owner, group and mode in order; a second run and check mode change
nothing; links and files where a folder belongs are refused before any change."""

from __future__ import annotations

import grp
import os
import pwd

from .conftest import run_module

USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def mode(path):
    return oct(path.stat().st_mode & 0o7777)


def test_folders_are_made_in_order_with_their_parents_and_a_second_run_changes_nothing(tmp_path):
    folders = [{"path": str(tmp_path / "srv" / "shop"), "owner": USER, "group": GROUP},
               {"path": str(tmp_path / "srv" / "shop" / "data"), "owner": USER, "group": GROUP, "mode": "0700"},
               {"path": str(tmp_path / "etc" / "pyops" / "shop"), "owner": USER, "group": GROUP, "mode": "2750"}]
    failed, result = run_module("wsgi_folders", folders=folders)
    assert not failed and result["changed"] is True
    assert result["made"] == [str(tmp_path / "srv"), str(tmp_path / "srv" / "shop"),
                              str(tmp_path / "srv" / "shop" / "data"), str(tmp_path / "etc"),
                              str(tmp_path / "etc" / "pyops"), str(tmp_path / "etc" / "pyops" / "shop")]
    assert mode(tmp_path / "srv") == "0o755" and mode(tmp_path / "srv" / "shop") == "0o750"
    assert mode(tmp_path / "srv" / "shop" / "data") == "0o700"
    assert mode(tmp_path / "etc" / "pyops" / "shop") == "0o2750"
    assert "%s %s:%s 0700" % (tmp_path / "srv" / "shop" / "data", USER, GROUP) in result["diff"]["after"]
    failed, again = run_module("wsgi_folders", folders=folders)
    assert not failed and again["changed"] is False and again["made"] == [] and again["fixed"] == []


def test_check_mode_reports_what_it_would_fix_and_changes_nothing(tmp_path):
    folder = tmp_path / "shop"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    args = {"folders": [{"path": str(folder), "owner": USER, "group": GROUP}]}
    failed, checked = run_module("wsgi_folders", _ansible_check_mode=True, **args)
    assert not failed and checked["changed"] is True and checked["fixed"] == [str(folder)]
    assert "0777" in checked["diff"]["before"] and "0750" in checked["diff"]["after"]
    assert mode(folder) == "0o777"
    failed, fixed = run_module("wsgi_folders", **args)
    assert not failed and fixed["fixed"] == [str(folder)] and mode(folder) == "0o750"


def test_a_link_or_a_file_where_a_folder_belongs_is_refused_before_any_change(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "file").write_text("x")
    for path, message in ((tmp_path / "link", "is not a folder"), (tmp_path / "file" / "below", "is not a folder")):
        failed, result = run_module("wsgi_folders", folders=[{"path": str(tmp_path / "first")},
                                                             {"path": str(path)}])
        assert failed and message in result["msg"] and str(path.parent if "below" in str(path) else path) in result["msg"]
        assert not (tmp_path / "first").exists()


def test_bad_modes_and_names_name_the_folder(tmp_path):
    failed, result = run_module("wsgi_folders", folders=[{"path": str(tmp_path / "a"), "mode": "rwx"}])
    assert failed and "mode 'rwx' is not octal" in result["msg"] and str(tmp_path / "a") in result["msg"]
    failed, result = run_module("wsgi_folders", folders=[{"path": str(tmp_path / "a"), "owner": "nobody-here"}])
    assert failed and "no such user or group" in result["msg"]
    failed, result = run_module("wsgi_folders", folders=[{"path": "relative/a"}])
    assert failed and "not an absolute path" in result["msg"]
    assert not (tmp_path / "a").exists()
