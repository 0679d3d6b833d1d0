"""wsgi_lock on a real file: one holder at a time, a bounded wait naming the holder, expiry, giving back."""

from __future__ import annotations

import grp
import json
import os
import pwd
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
    path = tmp_path / "locks" / "deploy.lock"
    failed, result = lock(path, "run-a", _ansible_check_mode=True)
    assert not failed and result["changed"] is True and not path.parent.exists()
    lock(path, "run-a", holder="alice")
    failed, result = lock(path, "run-b", _ansible_check_mode=True)
    assert not failed and result["changed"] is False and result["holder"] == "alice"
    assert "alice since" in json.dumps(result.get("warnings", []))


@pytest.mark.parametrize(("args", "message"), [(dict(timeout=-1), "timeout: must be 0 or more"),
                                               (dict(ttl=0), "ttl: must be 1 or more"),
                                               (dict(token=""), "token: must not be empty")])
def test_bad_input(tmp_path, args, message):
    # The token is no_log (it keys the read's HMACs): Ansible masks it in all output, so it is long here.
    args = dict(dict(token="a-token-of-a-test-run"), **args)
    failed, result = run_module("wsgi_lock", path=str(tmp_path / "deploy.lock"), **args)
    assert failed and message in result["msg"]


def test_the_host_read_once_the_lock_is_held(tmp_path, monkeypatch):
    """What `read` asks for comes back as `host` and as the fact wsgi_host; files by pattern, with checksums."""
    venvs = tmp_path / "venvs"
    (venvs / "a1").mkdir(parents=True)
    (venvs / "a1" / ".marker.json").write_text("{}")
    (venvs / "b2").mkdir()
    path = tmp_path / "deploy.lock"
    patterns = [str(venvs / "*" / ".marker.json"), str(tmp_path / "none" / "*")]
    failed, result = lock(path, "run-a", read=dict(groups=True, files=patterns))
    assert not failed and path.exists()
    host = result["host"]
    assert result["ansible_facts"]["wsgi_host"] == host
    marker = venvs / "a1" / ".marker.json"
    marker.chmod(0o640)
    (venvs / "b2" / ".marker.json").symlink_to("../a1/.marker.json")
    patterns = [str(venvs / "*" / ".marker.json"), str(tmp_path / "none" / "*")]
    failed, result = lock(path, "run-a", read=dict(groups=True, files=patterns))
    host = result["host"]
    me = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    assert host["files"] == {
        str(marker): {"type": "file", "owner": me[0], "group": me[1], "mode": "0640",
                      "checksum": "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
        str(venvs / "b2" / ".marker.json"): {"type": "link", "src": "../a1/.marker.json"}}
    assert host["patterns"] == patterns
    assert host["groups"] == {group.gr_name: sorted(group.gr_mem) for group in grp.getgrall()}
    assert "packages" not in host and "units" not in host
    # Nothing asked: no host, no fact.
    failed, result = lock(path, "run-a")
    assert "host" not in result and "ansible_facts" not in result


def test_check_mode_reads_the_host_too(tmp_path):
    (tmp_path / "f").write_text("x")
    failed, result = lock(tmp_path / "locks" / "deploy.lock", "run-a", _ansible_check_mode=True,
                          read=dict(files=[str(tmp_path / "f")]))
    assert not failed and list(result["host"]["files"]) == [str(tmp_path / "f")]
    assert not (tmp_path / "locks").exists()


def test_the_read_of_packages_and_units(tmp_path, monkeypatch):
    """dpkg's installed packages only ('ii'); each unit asked for, by name, empty when systemd has nothing."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "dpkg-query").write_text("#!/bin/sh\nprintf 'nginx ii \\nlogrotate rc \\npython3 ii \\n'\n")
    (bin_dir / "systemctl").write_text(
        "#!/bin/sh\nprintf 'Id=nginx.service\\nActiveState=active\\nUnitFileState=enabled\\n\\n"
        "Id=wsgi-a.service\\nActiveState=failed\\nUnitFileState=disabled\\n'\n")
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bin_dir, os.environ["PATH"]))
    failed, result = lock(tmp_path / "deploy.lock", "run-a",
                          read=dict(packages=True, units=["nginx.service", "wsgi-a.service", "wsgi-b.service"]))
    assert not failed
    assert result["host"]["packages"] == ["nginx", "python3"]
    assert result["host"]["units"] == {"nginx.service": {"ActiveState": "active", "UnitFileState": "enabled"},
                                       "wsgi-a.service": {"ActiveState": "failed", "UnitFileState": "disabled"},
                                       "wsgi-b.service": {}}
