"""Run modules as Ansible does (a child Python with the arguments as JSON), and real servers for them.

The servers are the real Gunicorn and uWSGI (pyuwsgi) from the controller venv, started
on unix sockets under a temporary folder and on free 127.0.0.1 ports, plus small
socket servers that answer garbage or nothing.
"""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[4]
COLLECTIONS = ROOT / ".ansible" / "collections"
BIN = pathlib.Path(sys.executable).parent

APP = '''
import json, time

def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path.startswith("/status/"):
        code = int(path.rsplit("/", 1)[1])
        start_response("%d Custom" % code, [("Content-Type", "text/plain")])
        return [b"status %d" % code]
    if path == "/slow":
        time.sleep(3)
    if path == "/boom":
        raise RuntimeError("boom")
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    echo = {"method": environ["REQUEST_METHOD"], "path": path, "query": environ.get("QUERY_STRING", ""),
            "host": environ.get("HTTP_HOST"), "body": body.decode(), "x_probe": environ.get("HTTP_X_PROBE"),
            "server": environ.get("SERVER_SOFTWARE", "uwsgi")}
    start_response("200 OK", [("Content-Type", "application/json"), ("X-Seen", "a"), ("X-Seen", "b")])
    return [json.dumps(echo).encode()]
'''


def run_module(name, **args):
    """(failed, result) of pyops.wsgi.<name> run in a child Python with these arguments."""
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    process = subprocess.run(
        [sys.executable, "-m", "ansible_collections.pyops.wsgi.plugins.modules." + name,
         json.dumps({"ANSIBLE_MODULE_ARGS": args})],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    try:
        result = json.loads(process.stdout)
    except ValueError:
        raise AssertionError("%s printed no JSON: %s %s" % (name, process.stdout, process.stderr))
    return bool(result.get("failed")), result


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(addresses, process, log, seconds=30):
    deadline = time.monotonic() + seconds
    for address in addresses:
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        while True:
            if process.poll() is not None:
                raise AssertionError("server exited: %s" % log.read_text())
            try:
                with socket.socket(family) as sock:
                    sock.connect(address)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("server did not listen on %s: %s" % (address, log.read_text()))
                time.sleep(0.1)


class Servers:
    """Addresses of the servers started for the session, by name."""

    def __init__(self, folder):
        self.folder = folder
        self.processes = []

    def start(self, command, addresses, name):
        log = self.folder / ("%s.log" % name)
        with open(log, "w") as handle:
            process = subprocess.Popen(command, cwd=self.folder, stdout=handle, stderr=subprocess.STDOUT)
        self.processes.append(process)
        wait_for(addresses, process, log)

    def stop(self):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    """Gunicorn (HTTP and uwsgi protocol) and uWSGI (uwsgi, HTTP, stats), on unix sockets and TCP."""
    folder = tmp_path_factory.mktemp("servers")
    (folder / "probeapp.py").write_text(textwrap.dedent(APP))
    run = Servers(folder)
    s = dict(folder=folder)
    s["g_http_sock"], s["g_http_port"] = str(folder / "g-http.sock"), free_port()
    s["g_uwsgi_sock"] = str(folder / "g-uwsgi.sock")
    s["u_sock"], s["u_port"], s["u_http_port"] = str(folder / "u.sock"), free_port(), free_port()
    s["u_stats_sock"] = str(folder / "u-stats.sock")
    s["u_http_sock"], s["u_stats_port"] = str(folder / "u-http.sock"), free_port()
    try:
        gunicorn = [str(BIN / "gunicorn"), "--workers", "2", "--timeout", "30", "--chdir", str(folder)]
        run.start(gunicorn + ["-b", "unix:" + s["g_http_sock"], "-b", "127.0.0.1:%d" % s["g_http_port"],
                              "probeapp:application"],
                  [s["g_http_sock"], ("127.0.0.1", s["g_http_port"])], "gunicorn-http")
        run.start(gunicorn + ["--protocol", "uwsgi", "-b", "unix:" + s["g_uwsgi_sock"], "probeapp:application"],
                  [s["g_uwsgi_sock"]], "gunicorn-uwsgi")
        uwsgi = [str(BIN / "uwsgi"), "--master", "--processes", "2", "--pythonpath", str(folder),
                 "--module", "probeapp:application", "--disable-logging", "--die-on-term"]
        run.start(uwsgi + ["--socket", s["u_sock"], "--socket", "127.0.0.1:%d" % s["u_port"],
                           "--http-socket", "127.0.0.1:%d" % s["u_http_port"], "--stats", s["u_stats_sock"]],
                  [s["u_sock"], ("127.0.0.1", s["u_port"]), ("127.0.0.1", s["u_http_port"]), s["u_stats_sock"]],
                  "uwsgi-a")
        run.start(uwsgi + ["--http-socket", s["u_http_sock"], "--stats", "127.0.0.1:%d" % s["u_stats_port"],
                           "--stats-http"],
                  [s["u_http_sock"], ("127.0.0.1", s["u_stats_port"])], "uwsgi-b")
        yield s
    finally:
        run.stop()


class FakeServer:
    """A TCP server on 127.0.0.1 that answers every connection with `reply` bytes (or stays silent,
    or closes at once), then closes. It reads a request first unless `greet`."""

    def __init__(self, reply=None, silent=False, greet=False):
        self.reply, self.silent, self.greet = reply, silent, greet
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.open = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _address = self.sock.accept()
            except OSError:
                return
            if self.silent:
                self.open.append(conn)
                continue
            try:
                conn.settimeout(2)
                if not self.greet:
                    conn.recv(65536)
                if self.reply:
                    conn.sendall(self.reply)
            except OSError:
                pass
            conn.close()

    def close(self):
        self.sock.close()
        for conn in self.open:
            conn.close()


@pytest.fixture
def fake_server():
    made = []

    def make(reply=None, silent=False, greet=False):
        server = FakeServer(reply, silent, greet)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()
