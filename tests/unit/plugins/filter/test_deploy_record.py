"""changed_files: the records of what a deploy changed, paths only."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.pyops.wsgi.plugins.filter.deploy_record import FilterModule, changed_files


def test_filter_is_registered_under_its_name():
    assert FilterModule().filters() == {"changed_files": changed_files}


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
