"""wsgi_workers against a real Gunicorn master: up and down one signal at a time, requests served throughout,
the marker noting a number that is not the spec's, check mode sending nothing."""

from __future__ import annotations

import http.client
import subprocess
import textwrap
import threading
import time

import pytest

from ansible_collections.pyops.wsgi.plugins.modules.wsgi_workers import count_workers

from .conftest import APP, BIN, free_port, run_module


@pytest.fixture
def master(tmp_path):
    """A Gunicorn master with 2 sync workers on a free port, and the port."""
    (tmp_path / "probeapp.py").write_text(textwrap.dedent(APP))
    port = free_port()
    process = subprocess.Popen([str(BIN / "gunicorn"), "--workers", "2", "--graceful-timeout", "10", "--chdir",
                                str(tmp_path), "-b", "127.0.0.1:%d" % port, "probeapp:application"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while count_workers(process.pid) != 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    yield process, port
    process.terminate()
    process.wait(20)


def test_workers_go_up_and_down_with_no_request_failing(master, tmp_path):
    process, port = master
    failures, answered, stop = [], [], threading.Event()

    def load():
        # Bounded: until the test stops it, at most 20 000 requests.
        for _request in range(20000):
            if stop.is_set():
                return
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request("GET", "/")
                response = connection.getresponse()
                response.read()
                (answered if response.status == 200 else failures).append(response.status)
            except OSError as error:
                failures.append(repr(error))
            finally:
                connection.close()

    thread = threading.Thread(target=load)
    thread.start()
    marker = tmp_path / "pyops-workers"
    try:
        failed, up = run_module("wsgi_workers", pid=process.pid, workers=5, spec_workers=2, marker=str(marker))
        assert not failed, up
        assert (up["changed"], up["before"], up["after"]) == (True, 2, 5)
        assert count_workers(process.pid) == 5 and marker.read_text() == "5\n"
        failed, again = run_module("wsgi_workers", pid=process.pid, workers=5, spec_workers=2, marker=str(marker))
        assert not failed and again["changed"] is False
        failed, down = run_module("wsgi_workers", pid=process.pid, workers=2, spec_workers=2, marker=str(marker))
        assert not failed, down
        assert (down["changed"], down["before"], down["after"]) == (True, 5, 2)
        assert count_workers(process.pid) == 2 and not marker.exists()
    finally:
        stop.set()
        thread.join(60)
    assert failures == [] and len(answered) > 10


def test_check_mode_reports_the_change_and_sends_nothing(master):
    process, _port = master
    failed, result = run_module("wsgi_workers", pid=process.pid, workers=3, _ansible_check_mode=True)
    assert not failed and (result["changed"], result["before"], result["after"]) == (True, 2, 3)
    time.sleep(1)
    assert count_workers(process.pid) == 2


@pytest.mark.parametrize(("args", "message"), [
    ({"pid": 999999999, "workers": 2}, "no app server runs as process 999999999"),
    ({"pid": 1, "workers": 0}, "workers must be from 1 to 1024, got 0"),
    ({"pid": 1, "workers": 2, "marker": "/tmp/x"}, "missing parameter(s) required by 'marker': spec_workers"),
])
def test_bad_arguments_are_refused(args, message):
    failed, result = run_module("wsgi_workers", **args)
    assert failed and message in result["msg"]
