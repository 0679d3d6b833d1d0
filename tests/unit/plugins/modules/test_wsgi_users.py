"""wsgi_users against this machine's own accounts, in check mode only (nothing is made or changed here): a missing
user and group are planned, an existing account that differs is planned to be fixed, and one that matches is left
alone. Scenario `default` makes and fixes real accounts (verify and side_effect)."""

from __future__ import annotations

import pwd

from .conftest import run_module

MISSING = "pyops-wsgi-no-such-user"


def test_a_missing_user_and_group_are_planned_and_nothing_is_made():
    failed, result = run_module("wsgi_users", _ansible_check_mode=True, users=[
        {"name": MISSING, "group": MISSING, "home": "/srv/" + MISSING},
        {"name": MISSING + "-2", "group": MISSING, "home": "/srv/" + MISSING + "-2"}])
    assert not failed and result["changed"] is True
    # A group shared by two users is made once.
    assert result["groups_made"] == [MISSING] and result["users_made"] == [MISSING, MISSING + "-2"]
    assert "user %s group %s home /srv/%s shell /usr/sbin/nologin\n" % (MISSING, MISSING, MISSING) in result["diff"]["after"]
    assert "user %s (absent)\n" % MISSING in result["diff"]["before"]
    try:
        pwd.getpwnam(MISSING)
    except KeyError:
        pass
    else:
        raise AssertionError("check mode made a user")


def test_an_account_that_differs_is_planned_to_be_fixed_and_one_that_matches_is_left_alone():
    daemon = pwd.getpwnam("daemon")
    # Debian's daemon: group daemon, home /usr/sbin, shell /usr/sbin/nologin, password *.
    failed, same = run_module("wsgi_users", _ansible_check_mode=True, users=[
        {"name": "daemon", "group": "daemon", "home": daemon.pw_dir, "shell": daemon.pw_shell}])
    assert not failed and same["changed"] is False and same["users_fixed"] == [] and "diff" not in same
    failed, fixed = run_module("wsgi_users", _ansible_check_mode=True, users=[
        {"name": "daemon", "group": "daemon", "home": "/srv/elsewhere", "shell": "/bin/false"}])
    assert not failed and fixed["changed"] is True and fixed["users_fixed"] == ["daemon"]
    assert "home %s shell %s" % (daemon.pw_dir, daemon.pw_shell) in fixed["diff"]["before"]
    assert "home /srv/elsewhere shell /bin/false" in fixed["diff"]["after"]
    assert pwd.getpwnam("daemon") == daemon


def test_folders_of_a_user_still_to_make_are_planned_with_it(tmp_path):
    home = tmp_path / "srv" / MISSING
    failed, result = run_module("wsgi_users", _ansible_check_mode=True, users=[
        {"name": MISSING, "group": MISSING, "home": str(home)}], folders=[
        {"path": str(home), "group": MISSING}, {"path": str(home / "data"), "owner": MISSING, "group": MISSING}])
    assert not failed, result
    assert result["users_made"] == [MISSING] and result["folders_made"] == [str(tmp_path / "srv"), str(home), str(home / "data")]
    assert "%s %s:%s 0750\n" % (home / "data", MISSING, MISSING) in result["diff"]["after"]
    assert not (tmp_path / "srv").exists()


def test_folders_are_made_once_the_accounts_are_there_and_a_second_run_changes_nothing(tmp_path):
    daemon = pwd.getpwnam("daemon")
    account = {"name": "daemon", "group": "daemon", "home": daemon.pw_dir, "shell": daemon.pw_shell}
    folders = [{"path": str(tmp_path / "app"), "group": "daemon"},
               {"path": str(tmp_path / "app" / "data"), "owner": "daemon", "group": "daemon", "mode": "0700"}]
    failed, result = run_module("wsgi_users", users=[account], folders=folders)
    assert not failed and result["changed"] is True and result["folders_made"] == [f["path"] for f in folders]
    data = (tmp_path / "app" / "data").stat()
    assert (data.st_uid, data.st_gid, data.st_mode & 0o7777) == (daemon.pw_uid, daemon.pw_gid, 0o700)
    failed, again = run_module("wsgi_users", users=[account], folders=folders)
    assert not failed and again["changed"] is False and again["folders_made"] == again["folders_fixed"] == []


def test_a_file_where_a_folder_belongs_stops_the_call_before_any_account_is_made(tmp_path):
    (tmp_path / "app").write_text("in the way")
    failed, result = run_module("wsgi_users", users=[{"name": MISSING, "group": MISSING, "home": str(tmp_path / "app")}],
                                folders=[{"path": str(tmp_path / "app"), "owner": MISSING, "group": MISSING}])
    assert failed and "exists and is not a folder" in result["msg"]
    try:
        pwd.getpwnam(MISSING)
    except KeyError:
        pass
    else:
        raise AssertionError("a user was made before the folders were checked")


def test_members_are_added_only_to_the_groups_they_are_not_in():
    import grp
    outside = next(group.gr_name for group in grp.getgrall()
                   if "daemon" not in group.gr_mem and group.gr_gid != pwd.getpwnam("daemon").pw_gid)
    failed, result = run_module("wsgi_users", _ansible_check_mode=True, members=[
        {"name": "daemon", "groups": ["daemon", outside, MISSING]}])
    assert not failed, result
    # Its primary group is left alone; a group still to make counts as there in check mode.
    assert result["changed"] is True and result["members_added"] == {"daemon": [outside, MISSING]}
    assert "user daemon in %s, %s\n" % (outside, MISSING) in result["diff"]["after"]
    failed, same = run_module("wsgi_users", _ansible_check_mode=True, members=[{"name": "daemon", "groups": ["daemon"]}])
    assert not failed and same["changed"] is False and same["members_added"] == {}


def test_a_member_of_a_group_that_is_not_there_stops_the_call_before_any_change(tmp_path):
    failed, result = run_module("wsgi_users", members=[{"name": "daemon", "groups": [MISSING]}],
                                folders=[{"path": str(tmp_path / "never")}])
    assert failed and "members: no such group: %s" % MISSING in result["msg"]
    assert not (tmp_path / "never").exists()
