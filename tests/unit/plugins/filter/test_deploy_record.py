"""changed_files: the records of what a deploy changed, paths only."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.pyops.wsgi.plugins.filter.app_spec import app_specs
from ansible_collections.pyops.wsgi.plugins.filter.deploy_record import (FilterModule, changed_files, deploy_summary,
                                                                         reloads)


def test_filter_is_registered_under_its_name():
    assert FilterModule().filters() == {"changed_files": changed_files, "deploy_summary": deploy_summary,
                                        "reloads": reloads}


def test_only_changed_files_are_recorded_with_their_backups_and_no_content():
    results = [
        {"changed": True, "dest": "/etc/pyops-wsgi/shop/app.env", "backup_file": "/etc/pyops-wsgi/shop/app.env.1.bak",
         "diff": [{"after": "SECRET_KEY=\"s3cret\"\n"}]},
        {"changed": True, "dest": "/etc/pyops-wsgi/shop/pyops_wsgi_entry.py"},
        {"changed": False, "dest": "/etc/pyops-wsgi/shop/gunicorn.conf.py"},
        {"changed": False, "skipped": True},
        None,
    ]
    records = changed_files(results, "shop")
    assert records == [
        {"app": "shop", "dest": "/etc/pyops-wsgi/shop/app.env", "backup": "/etc/pyops-wsgi/shop/app.env.1.bak"},
        {"app": "shop", "dest": "/etc/pyops-wsgi/shop/pyops_wsgi_entry.py", "backup": ""},
    ]
    assert "s3cret" not in repr(records)


def test_a_non_list_is_refused():
    with pytest.raises(AnsibleFilterError, match="expects a list"):
        changed_files({"changed": True}, "shop")


def test_key_and_certificate_results_are_recorded_by_their_filename():
    results = [
        {"changed": True, "filename": "/etc/ssl/pyops-wsgi/shop/privkey.pem",
         "backup_file": "/etc/ssl/pyops-wsgi/shop/privkey.pem.7.bak", "privatekey": "-----BEGIN PRIVATE KEY-----"},
        {"changed": True, "filename": "/etc/ssl/pyops-wsgi/shop/fullchain.pem"},
        {"changed": False, "filename": "/etc/ssl/pyops-wsgi/shop/chain.pem", "backup_file": "stale"},
        {"changed": True},
    ]
    records = changed_files(results, "nginx")
    assert records == [
        {"app": "nginx", "dest": "/etc/ssl/pyops-wsgi/shop/privkey.pem", "backup": "/etc/ssl/pyops-wsgi/shop/privkey.pem.7.bak"},
        {"app": "nginx", "dest": "/etc/ssl/pyops-wsgi/shop/fullchain.pem", "backup": ""},
    ]
    assert "PRIVATE KEY" not in repr(records)


def _specs():
    local = {"type": "local", "path": "/src/shop/"}
    return app_specs([
        {"name": "shop", "source": local, "entry": "shop:app", "server_names": ["shop.example.com"],
         "tls": {"self_signed": True}, "environment": {"SECRET_KEY": "s3cret"}},
        {"name": "blog", "source": local, "entry": "blog:app", "server": "uwsgi", "mount": "/blog"},
        {"name": "api", "source": local, "entry": "api:app", "nginx": False, "bind": ["127.0.0.1:8001"]},
        {"name": "rpc", "source": local, "entry": "rpc:app", "nginx": False, "server": "uwsgi"},
    ], cpu_count=2, http_port=8080)


def test_the_summary_gives_per_app_its_release_what_changed_its_reload_and_its_url():
    shop_files = [
        {"app": "shop", "dest": "/etc/pyops-wsgi/shop/app.env", "backup": "x"},
        {"app": "shop", "dest": "/etc/pyops-wsgi/shop/gunicorn.conf.py", "backup": ""},
    ]
    run = {
        "record": {
            "shop": {"release": "9c4e1f07ab32", "switched": True, "venv_changed": True, "files": shop_files,
                     "reload": "binary upgrade (USR2)"},
            "blog": {"release": "0123456789ab", "switched": False, "venv_changed": False, "reload": "graceful reload (uwsgi.ini)",
                     "files": [{"app": "blog", "dest": "/etc/pyops-wsgi/blog/uwsgi.ini", "backup": ""}]},
            "api": {"release": "feedc0ffee00", "switched": False, "venv_changed": False, "files": [], "reload": "none",
                    "processes": ["wsgi-api.worker@1.service", "wsgi-api.worker@2.service"]},
        },
        "files": [
            {"app": "nginx", "dest": "/etc/nginx/sites-available/wsgi-shop.conf", "backup": ""},
            {"app": "nginx", "dest": "/etc/ssl/pyops-wsgi/shop/fullchain.pem", "backup": ""},
            {"app": "nginx", "dest": "/etc/nginx/nginx.conf", "backup": ""},
        ],
        "host": "node1.example.com",
    }
    summary = deploy_summary(_specs(), run)
    assert summary == {
        "shop": {"release": "9c4e1f07ab32",
                 "changed": "release, venv, app.env, gunicorn.conf.py, nginx site, TLS fullchain.pem",
                 "reload": "binary upgrade (USR2)", "url": "https://shop.example.com/"},
        "blog": {"release": "0123456789ab", "changed": "uwsgi.ini", "reload": "graceful reload (uwsgi.ini)",
                 "url": "http://node1.example.com:8080/blog/"},
        "api": {"release": "feedc0ffee00", "changed": "nothing", "reload": "none", "url": "http://127.0.0.1:8001/",
                "processes": "wsgi-api.worker@1.service, wsgi-api.worker@2.service"},
        "rpc": {"release": "not built in this run", "changed": "nothing", "reload": "none",
                "url": "unix:/run/rpc/uwsgi.sock"},
    }
    assert list(summary) == ["shop", "blog", "api", "rpc"]
    assert "s3cret" not in repr(summary)


def test_the_summary_refuses_what_is_not_specs_and_a_run():
    with pytest.raises(AnsibleFilterError, match="expects the app specs and a dict"):
        deploy_summary({"name": "shop"}, {})


GUNICORN = {"reload": "graceful reload (HUP)", "upgrade": "binary upgrade (USR2)"}
GRANIAN = {"reload": "workers replaced (HUP)", "restart_on": "granian_serve.py", "restart": "restart (settings changed)"}


def _spec(name, **keys):
    return dict({"name": name, "config_dir": "/etc/pyops-wsgi/" + name, "preload_app": False}, **keys)


def _files(name, *files):
    return [{"app": name, "dest": "/etc/pyops-wsgi/%s/%s" % (name, file), "backup": ""} for file in files]


@pytest.mark.parametrize(("how", "spec", "record", "expected"), [
    # Nothing changed, or the process manager started or restarted it already: no reload.
    (GUNICORN, _spec("a"), {"changed": False, "reload": "none"}, {}),
    (GUNICORN, _spec("a"), {"changed": True, "reload": "restart (unit changed)"}, {}),
    (GUNICORN, _spec("a"), {"changed": True, "reload": "start"}, {}),
    # New code or settings: the graceful reload; a new venv or preload_app: the upgrade.
    (GUNICORN, _spec("a"), {"changed": True, "reload": "none", "files": _files("a", "gunicorn.conf.py")},
     {"a": {"reload": "graceful reload (HUP)"}}),
    (GUNICORN, _spec("a"), {"changed": True, "reload": "none", "venv_changed": True},
     {"a": {"reload": "binary upgrade (USR2)"}}),
    (GUNICORN, _spec("a", preload_app=True), {"changed": True, "reload": "none"},
     {"a": {"reload": "binary upgrade (USR2)"}}),
    # The launcher changed: a restart, whatever else changed; a new venv alone is a reload for a server without
    # an upgrade.
    (GRANIAN, _spec("a"), {"changed": True, "reload": "none", "venv_changed": True, "files": _files("a", "app.env")},
     {"a": {"reload": "workers replaced (HUP)"}}),
    (GRANIAN, _spec("a"), {"changed": True, "reload": "none", "venv_changed": True,
                           "files": _files("a", "app.env", "granian_serve.py")},
     {"a": {"reload": "restart (settings changed)"}}),
    # Another app's launcher is not this one's.
    (GRANIAN, _spec("a"), {"changed": True, "reload": "none", "files": _files("b", "granian_serve.py")},
     {"a": {"reload": "workers replaced (HUP)"}}),
])
def test_reloads_are_the_changed_apps_the_process_manager_left_running(how, spec, record, expected):
    assert reloads([spec], {spec["name"]: record}, how) == expected


def test_reloads_skip_apps_not_in_the_record_and_keep_the_specs_order():
    record = {name: {"changed": True, "reload": "none"} for name in ("b", "a")}
    result = reloads([_spec("a"), _spec("c"), _spec("b")], record, GUNICORN)
    assert list(result) == ["a", "b"]


@pytest.mark.parametrize(("how", "spec", "record", "expected"), [
    # Not in the record (a rollback run's own call), unchanged, or already restarted: the graceful reload.
    (GUNICORN, _spec("a"), None, "graceful reload (HUP)"),
    (GUNICORN, _spec("a"), {"changed": False, "reload": "none"}, "graceful reload (HUP)"),
    (GRANIAN, _spec("a"), {"changed": True, "reload": "start"}, "workers replaced (HUP)"),
    # The same rule as for the changed apps: a put-back launcher restarts, a venv gone back upgrades.
    (GRANIAN, _spec("a"), {"changed": False, "files": _files("a", "granian_serve.py")}, "restart (settings changed)"),
    (GUNICORN, _spec("a"), {"changed": False, "venv_changed": True}, "binary upgrade (USR2)"),
    (GUNICORN, _spec("a", preload_app=True), None, "binary upgrade (USR2)"),
])
def test_every_app_given_is_reloaded_by_the_same_rule(how, spec, record, expected):
    records = {} if record is None else {spec["name"]: record}
    assert reloads([spec], records, how, every=True) == {spec["name"]: {"reload": expected}}


def test_reloads_refuse_what_is_not_specs_a_record_and_a_how():
    with pytest.raises(AnsibleFilterError, match="reloads: expects"):
        reloads({"a": {}}, {}, GUNICORN)
