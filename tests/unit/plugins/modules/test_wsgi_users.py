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
