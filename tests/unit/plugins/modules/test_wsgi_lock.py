"""wsgi_lock on a real file: one holder at a time, a bounded wait naming the holder, expiry, giving back."""

from __future__ import annotations

import json
import threading
import time

import pytest

from .conftest import run_module


def lock(path, token, **args):
    return run_module("wsgi_lock", path=str(path), token=token, **args)


def test_a_second_run_waits_then_fails_naming_the_holder(tmp_path):
    path = tmp_path / "locks" / "deploy.lock"
    failed, first = lock(path, "run-a", holder="alice@laptop")
    assert not failed and first["changed"] is True and first["holder"] is None
    assert json.loads(path.read_text())["holder"] == "alice@laptop"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    started = time.monotonic()
    failed, second = lock(path, "run-b", holder="bob@ci", timeout=2)
    assert failed and time.monotonic() - started >= 2
    assert "another deploy holds this host's lock" in second["msg"] and "alice@laptop since 20" in second["msg"]
    assert second["holder"] == "alice@laptop"
    # The same run taking it again changes nothing.
    failed, again = lock(path, "run-a", holder="alice@laptop")
    assert not failed and again["changed"] is False


def test_the_waiting_run_gets_the_lock_once_it_is_given_back(tmp_path):
    path = tmp_path / "deploy.lock"
    lock(path, "run-a", holder="alice")
    releaser = threading.Timer(2, lambda: lock(path, "run-a", state="absent"))
    releaser.start()
    try:
        failed, second = lock(path, "run-b", holder="bob", timeout=30)
    finally:
        releaser.join()
    assert not failed and second["changed"] is True and second["waited"] >= 1
    assert json.loads(path.read_text())["holder"] == "bob"


def test_an_expired_lock_is_taken_over(tmp_path):
    path = tmp_path / "deploy.lock"
    lock(path, "crashed", holder="alice", ttl=1)
    time.sleep(1.2)
    failed, result = lock(path, "next", holder="bob", timeout=0)
    assert not failed and result["expired"] is True and result["holder"] == "alice"
    assert "had expired" in json.dumps(result.get("warnings", []))


def test_giving_back_needs_the_token_that_holds_it(tmp_path):
    path = tmp_path / "deploy.lock"
    lock(path, "run-a", holder="alice")
    failed, result = lock(path, "run-b", state="absent")
    assert not failed and result["changed"] is False and path.exists()
    failed, result = lock(path, "run-a", state="absent")
    assert not failed and result["changed"] is True and not path.exists()
    assert lock(path, "run-a", state="absent")[1]["changed"] is False


def test_check_mode_tells_the_holder_and_takes_nothing(tmp_path):
    path = tmp_path / "deploy.lock"
    failed, result = lock(path, "run-a", _ansible_check_mode=True)
    assert not failed and result["changed"] is True and not path.exists()
    lock(path, "run-a", holder="alice")
    failed, result = lock(path, "run-b", _ansible_check_mode=True)
    assert not failed and result["changed"] is False and result["holder"] == "alice"
    assert "alice since" in json.dumps(result.get("warnings", []))


@pytest.mark.parametrize(("args", "message"), [(dict(timeout=-1), "timeout: must be 0 or more"),
                                               (dict(ttl=0), "ttl: must be 1 or more"),
                                               (dict(token=" "), "token: must not be empty")])
def test_bad_input(tmp_path, args, message):
    args = dict(dict(token="t"), **args)
    failed, result = run_module("wsgi_lock", path=str(tmp_path / "deploy.lock"), **args)
    assert failed and message in result["msg"]
