"""The deploy record: fields merged per app, checked, files recorded outside check mode only."""

from __future__ import annotations

from unittest import mock

import pytest
import yaml
from ansible.errors import AnsibleActionFail
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task

from ansible_collections.pyops.wsgi.plugins.action import wsgi_record
from ansible_collections.pyops.wsgi.plugins.modules import wsgi_record as docs


def run(args, record=None, check_mode=False):
    task = Task()
    task.args = args
    context = PlayContext()
    context.check_mode = check_mode
    action = wsgi_record.ActionModule(task, mock.MagicMock(), context, loader=None, templar=None,
                                      shared_loader_obj=None)
    return action.run(task_vars={} if record is None else {"ansible_facts": {"wsgi_deploy": record}})


CHANGED_ENV = {"changed": True, "dest": "/etc/pyops-wsgi/shop/app.env", "backup_file": "/etc/pyops-wsgi/shop/app.env.1~",
               "diff": [{"after": "SECRET=hunter2"}]}
NEW_UNIT = {"changed": True, "dest": "/etc/systemd/system/wsgi-shop.service"}
UNCHANGED = {"changed": False, "dest": "/etc/pyops-wsgi/shop/gunicorn.conf.py"}


def test_a_first_write_starts_from_empty_values():
    result = run({"app": "shop", "set": {"release": "9c4e1f07ab32", "built": True}})
    assert result["changed"] is False
    record = result["ansible_facts"]["wsgi_deploy"]
    assert record == result["record"]
    assert record["shop"] == dict(wsgi_record.EMPTY, release="9c4e1f07ab32", built=True)


def test_fields_not_given_keep_their_value_and_other_apps_are_kept():
    before = {"shop": dict(wsgi_record.EMPTY, release="a1", built=True), "blog": dict(wsgi_record.EMPTY, changed=True)}
    record = run({"app": "shop", "set": {"switched": True}}, before)["record"]
    assert record["shop"]["release"] == "a1" and record["shop"]["built"] and record["shop"]["switched"]
    assert record["blog"] == before["blog"]


def test_several_apps_at_once_and_reset():
    before = {"shop": dict(wsgi_record.EMPTY, changed=True, switched=True)}
    record = run({"apps": {"shop": {}, "blog": {"server_packages": ["gunicorn==27.0.1"]}}, "reset": True}, before)["record"]
    assert record["shop"] == wsgi_record.EMPTY
    assert record["blog"]["server_packages"] == ["gunicorn==27.0.1"]


def test_changed_files_are_appended_with_paths_only():
    first = run({"app": "shop", "files": [CHANGED_ENV, UNCHANGED, {"skipped": True}]})["record"]
    record = run({"app": "shop", "files": [NEW_UNIT]}, first)["record"]
    assert record["shop"]["files"] == [
        {"app": "shop", "dest": CHANGED_ENV["dest"], "backup": CHANGED_ENV["backup_file"]},
        {"app": "shop", "dest": NEW_UNIT["dest"], "backup": ""},
    ]
    assert "hunter2" not in repr(record)


def test_each_app_of_several_gets_its_own_changed_files():
    blog_unit = {"changed": True, "dest": "/etc/systemd/system/wsgi-blog.service", "backup_file": "/x.1~"}
    record = run({"apps": {"shop": {"files": [CHANGED_ENV, UNCHANGED], "reload": "start"},
                           "blog": {"files": [blog_unit]}}})["record"]
    assert record["shop"]["files"] == [{"app": "shop", "dest": CHANGED_ENV["dest"], "backup": CHANGED_ENV["backup_file"]}]
    assert record["shop"]["reload"] == "start"
    assert record["blog"]["files"] == [{"app": "blog", "dest": blog_unit["dest"], "backup": "/x.1~"}]
    checked = run({"apps": {"shop": {"files": [CHANGED_ENV]}}}, check_mode=True)["record"]
    assert checked["shop"]["files"] == []


def test_check_mode_records_no_file():
    record = run({"app": "shop", "set": {"changed": True}, "files": [CHANGED_ENV]}, check_mode=True)["record"]
    assert record["shop"]["files"] == [] and record["shop"]["changed"] is True


@pytest.mark.parametrize(("args", "message"), [
    ({"app": "shop", "set": {"relase": "x"}}, r"wsgi_record \(shop\): no field relase in a deploy record; the fields are "),
    ({"app": "shop", "set": {"built": "perhaps"}}, r"wsgi_record \(shop\): .*built"),
    ({"apps": {"blog": {"server_packages": "gunicorn"}}, "set": {}}, None),
    ({"set": {"built": True}}, r"set and files need app"),
])
def test_bad_fields_are_refused_naming_them(args, message):
    if message is None:  # a string where a list is expected becomes a one-item list
        assert run(args)["record"]["blog"]["server_packages"] == ["gunicorn"]
        return
    with pytest.raises(AnsibleActionFail, match=message):
        run(args)


def test_the_documentation_lists_every_field_and_option():
    documentation = yaml.safe_load(docs.DOCUMENTATION)
    assert set(documentation["options"]) == set(wsgi_record.ARGUMENTS)
    for key, spec in wsgi_record.ARGUMENTS.items():
        assert documentation["options"][key]["type"] == spec["type"]
    sample = yaml.safe_load(docs.RETURN)["record"]["sample"]["shop"]
    assert set(sample) == set(wsgi_record.EMPTY) == set(wsgi_record.FIELDS) | {"files"}
    for field in wsgi_record.FIELDS:
        assert "C(%s)" % field in " ".join(documentation["description"])
