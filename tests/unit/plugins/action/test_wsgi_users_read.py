"""The wsgi_users action plugin spares the host call only when a read of the host shows every user, group,
membership and folder exactly as the task asks; each difference on its own sends the task to the host."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.pyops.wsgi.plugins.action.wsgi_users import as_read

ARGS = {
    "users": [{"name": "wsgi-shop", "group": "wsgi-shop", "home": "/srv/shop", "shell": "/usr/sbin/nologin"}],
    "members": [{"name": "www-data", "groups": ["wsgi-shop"]}],
    "folders": [{"path": "/srv/shop", "owner": "root", "group": "wsgi-shop", "mode": "0750"},
                {"path": "/srv/shop/data/", "owner": "wsgi-shop", "group": "wsgi-shop", "mode": "750"}],
}
HOST = {
    "users": {"wsgi-shop": {"group": "wsgi-shop", "home": "/srv/shop", "shell": "/usr/sbin/nologin", "locked": True}},
    "groups": {"wsgi-shop": ["www-data"], "www-data": []},
    "files": {"/srv/shop": {"type": "dir", "owner": "root", "group": "wsgi-shop", "mode": "0750"},
              "/srv/shop/data": {"type": "dir", "owner": "wsgi-shop", "group": "wsgi-shop", "mode": "0750"}},
}


def changed(path, value):
    host = copy.deepcopy(HOST)
    *above, last = path
    target = host
    for key in above:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return host


def test_a_read_showing_everything_as_asked_spares_the_call():
    assert as_read(ARGS, HOST) is True


@pytest.mark.parametrize("host", [
    changed(("users", "wsgi-shop"), KeyError),                      # the user is not there
    changed(("users", "wsgi-shop", "shell"), "/bin/bash"),          # another shell
    changed(("users", "wsgi-shop", "home"), "/home/shop"),          # another home
    changed(("users", "wsgi-shop", "group"), "users"),              # another primary group
    changed(("users", "wsgi-shop", "locked"), False),               # a password set
    changed(("groups", "wsgi-shop"), KeyError),                     # the group is not there
    changed(("groups", "wsgi-shop"), []),                           # nginx's user not in it
    changed(("files", "/srv/shop/data"), KeyError),                 # a folder not there
    changed(("files", "/srv/shop", "mode"), "0755"),                # another mode
    changed(("files", "/srv/shop", "owner"), "wsgi-shop"),          # another owner
    changed(("files", "/srv/shop", "type"), "link"),                # a link where the folder belongs
    changed(("groups",), KeyError),                                 # a read without the groups
], ids=["no user", "shell", "home", "primary group", "password", "no group", "not a member", "no folder", "mode",
        "owner", "link", "groups unread"])
def test_any_difference_asks_the_host(host):
    assert as_read(ARGS, host) is False
