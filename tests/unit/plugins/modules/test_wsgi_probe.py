"""wsgi_probe against real Gunicorn and uWSGI servers, and servers that answer garbage or nothing."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading

import pytest

from .conftest import run_module

# (name, address args builder): every way the module reaches a server.
TARGETS = [
    ("gunicorn http unix", lambda s: dict(socket=s["g_http_sock"]), "http+unix:"),
    ("gunicorn http tcp", lambda s: dict(port=s["g_http_port"]), "http://127.0.0.1:"),
    ("gunicorn uwsgi unix", lambda s: dict(socket=s["g_uwsgi_sock"], protocol="uwsgi"), "uwsgi+unix:"),
    ("uwsgi uwsgi unix", lambda s: dict(socket=s["u_sock"], protocol="uwsgi"), "uwsgi+unix:"),
    ("uwsgi uwsgi tcp", lambda s: dict(port=s["u_port"], protocol="uwsgi"), "uwsgi://127.0.0.1:"),
    ("uwsgi http tcp", lambda s: dict(port=s["u_http_port"]), "http://127.0.0.1:"),
    ("uwsgi http unix", lambda s: dict(socket=s["u_http_sock"]), "http+unix:"),
]


@pytest.mark.parametrize(("name", "where", "target"), TARGETS, ids=[t[0] for t in TARGETS])
def test_every_server_and_transport_answers(servers, name, where, target):
    failed, result = run_module("wsgi_probe", path="/hello?x=1", host_header="shop.test",
                                headers={"X-Probe": "yes"}, body_regex='"path": "/hello"', **where(servers))
    assert not failed, result
    assert result["changed"] is False
    assert result["status"] == 200 and result["reason"] == "OK"
    assert result["target"].startswith(target)
    echo = json.loads(result["body"])
    assert (echo["path"], echo["query"], echo["host"], echo["x_probe"]) == ("/hello", "x=1", "shop.test", "yes")
    assert result["headers"]["content-type"] == "application/json"
    assert result["headers"]["x-seen"] == "a, b"
    assert result["body_length"] == len(result["body"].encode())
    assert 0 < result["elapsed"] < 5 and result["attempts"] == 1


@pytest.mark.parametrize(("name", "where", "target"), TARGETS[2:5], ids=[t[0] for t in TARGETS[2:5]])
def test_a_body_is_posted_in_both_protocols(servers, name, where, target):
    failed, result = run_module("wsgi_probe", method="post", body="name=shop", **where(servers))
    assert not failed, result
    assert json.loads(result["body"])[u"method"] == "POST"
    assert json.loads(result["body"])["body"] == "name=shop"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (dict(path="/status/503"), "GET /status/503 on uwsgi+unix:%(u_sock)s: answered 503 Custom, expected 200"),
        (dict(path="/status/404", status_codes=[200, 301]), "answered 404 Custom, expected 200 or 301"),
        (dict(path="/", body_regex="^nothing like this$"), "answered 200 but the body does not match"),
        # uWSGI answers an app's exception on a uwsgi socket by closing it (nginx then says 502).
        (dict(path="/boom"), "the server closed the connection without answering"),
    ],
)
def test_unexpected_answers_fail_with_the_status(servers, args, message):
    failed, result = run_module("wsgi_probe", socket=servers["u_sock"], protocol="uwsgi", **args)
    assert failed
    assert message % servers in result["msg"]
    assert result["status"] in (None, 200, 404, 503)


def test_an_app_exception_is_a_500_from_gunicorn(servers):
    failed, result = run_module("wsgi_probe", socket=servers["g_uwsgi_sock"], protocol="uwsgi", path="/boom")
    assert failed and result["status"] == 500
    assert "answered 500 Internal Server Error, expected 200" in result["msg"]


def test_expected_error_status_passes(servers):
    failed, result = run_module("wsgi_probe", port=servers["g_http_port"], path="/status/418", status_codes=[418])
    assert not failed and result["status"] == 418 and result["body"] == "status 418"


HEALTHY_BELOW_500 = [("/status/404", True), ("/status/302", True), ("/status/499", True), ("/status/500", False),
                     ("/status/503", False)]


@pytest.mark.parametrize(("path", "healthy"), HEALTHY_BELOW_500)
def test_any_status_below_takes_every_answer_but_server_errors(servers, path, healthy):
    failed, result = run_module("wsgi_probe", port=servers["g_http_port"], path=path, status_codes=[],
                                any_status_below=500)
    assert failed is not healthy, result
    if not healthy:
        assert "expected a status below 500" in result["msg"]


def test_a_required_header_must_be_in_the_answer(servers):
    failed, result = run_module("wsgi_probe", port=servers["g_http_port"], require_header="X-Seen")
    assert not failed and result["headers"]["x-seen"] == "a, b"
    failed, result = run_module("wsgi_probe", port=servers["g_http_port"], require_header="X-Pyops-Upstream")
    assert failed and result["status"] == 200
    assert "answered 200 OK without the X-Pyops-Upstream header: it did not come from the app" in result["msg"]


@pytest.mark.parametrize(("args", "message"), [(dict(status_codes=[]), "status_codes: give at least one"),
                                               (dict(any_status_below=700), "any_status_below: must be 0 (off) to 600")])
def test_bad_status_settings(servers, args, message):
    failed, result = run_module("wsgi_probe", port=servers["g_http_port"], **args)
    assert failed and message in result["msg"]


def test_body_excerpt_is_cut(servers):
    failed, result = run_module("wsgi_probe", port=servers["g_http_port"], body_excerpt=10)
    assert not failed and len(result["body"]) == 10 and result["body_length"] > 10


def test_retries_are_counted(servers):
    failed, result = run_module("wsgi_probe", socket=servers["g_http_sock"], path="/status/502", retries=2,
                                delay=0.1)
    assert failed and result["attempts"] == 3
    assert "after 3 attempts" in result["msg"]


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("garbage", "the answer is not HTTP (it starts 'garbage"),
        ("close", "closed the connection without answering"),
        ("silent", "no answer within 1.0 s"),
        ("truncated", "the answer ended after 5 bytes of its body, 95 short of its Content-Length"),
    ],
)
def test_servers_that_answer_garbage_or_nothing(fake_server, kind, message):
    server = {
        "garbage": lambda: fake_server(b"garbage\r\n\r\n"),
        "close": lambda: fake_server(None),
        "silent": lambda: fake_server(silent=True),
        "truncated": lambda: fake_server(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"),
    }[kind]()
    failed, result = run_module("wsgi_probe", port=server.port, timeout=1)
    assert failed
    assert message in result["msg"], result["msg"]
    assert result["status"] is None and result["attempts"] == 1


def test_a_binary_body_is_returned_as_valid_text(fake_server):
    server = fake_server(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\n\x1f\x8b\x08\x00")
    failed, result = run_module("wsgi_probe", port=server.port, timeout=1)
    assert not failed
    assert result["body"] == "\x1f\ufffd\x08\x00" and result["body_length"] == 4
    assert result["headers"]["content-encoding"] == "gzip"
    result["body"].encode("utf-8")


def test_nothing_listening(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    failed, result = run_module("wsgi_probe", port=port)
    assert failed and "connection refused (nothing listens there)" in result["msg"]
    failed, result = run_module("wsgi_probe", socket=str(tmp_path / "none.sock"))
    assert failed and "no socket at %s" % (tmp_path / "none.sock") in result["msg"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (dict(), "one of the following is required: socket, port"),
        (dict(socket="/x.sock", port=80), "parameters are mutually exclusive: socket|port"),
        (dict(socket="/x.sock", tls=True), "tls: only with port"),
        (dict(port=70000), "port: must be 1 to 65535, got 70000"),
        (dict(port=80, path="healthz"), "path: must start with '/'"),
        (dict(port=80, timeout=0), "timeout: must be more than 0"),
        (dict(port=80, retries=-1), "retries: must be 0 or more"),
        (dict(port=80, body_regex="("), "body_regex: not a valid regular expression"),
        (dict(port=80, method="GET /x"), "method: letters only"),
        (dict(port=80, headers={"Bad Header": "x"}), "headers: 'Bad Header' is not a valid header name"),
        (dict(port=80, protocol="fastcgi"), "value of protocol must be one of: http, uwsgi"),
    ],
)
def test_bad_input_is_refused_before_connecting(args, message):
    failed, result = run_module("wsgi_probe", **args)
    assert failed
    assert message in result["msg"]


def test_check_mode_probes_the_same(servers):
    failed, result = run_module("wsgi_probe", port=servers["u_http_port"], _ansible_check_mode=True)
    assert not failed and result["status"] == 200 and result["changed"] is False


@pytest.fixture
def tls_server(tmp_path):
    """An HTTPS server on 127.0.0.1 with a self-signed certificate for tls.test."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=tls.test",
                    "-addext", "subjectAltName=DNS:tls.test", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def serve():
        while True:
            try:
                conn, _address = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    request = tls.recv(65536)
                    server_name = request.split(b"Host: ", 1)[1].split(b"\r\n", 1)[0]
                    body = b"tls for " + server_name
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            except (OSError, IndexError):
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()


@pytest.mark.skipif(not shutil.which("openssl"), reason="needs openssl")
def test_https_with_and_without_certificate_checks(tls_server):
    failed, result = run_module("wsgi_probe", port=tls_server, tls=True, validate_certs=False, host_header="tls.test")
    assert not failed, result
    assert result["target"] == "https://127.0.0.1:%d" % tls_server and result["body"] == "tls for tls.test"
    failed, result = run_module("wsgi_probe", port=tls_server, tls=True, host_header="tls.test", timeout=2)
    assert failed and "TLS handshake failed" in result["msg"] and "CERTIFICATE_VERIFY_FAILED" in result["msg"]


def test_probes_run_at_once_and_a_failure_names_each_probe_that_failed(servers):
    probes = [{"name": "gunicorn", "socket": servers["g_http_sock"], "path": "/slow"},
              {"name": "uwsgi", "port": servers["u_port"], "protocol": "uwsgi", "path": "/slow"}]
    failed, result = run_module("wsgi_probe", probes=probes)
    assert not failed, result
    assert [(probe["name"], probe["status"], probe["failed"]) for probe in result["probes"]] == [
        ("gunicorn", 200, False), ("uwsgi", 200, False)]
    # Each /slow takes 3 s, and each probe waits for its own answer.
    assert all(probe["elapsed"] >= 3 for probe in result["probes"])
    failed, result = run_module("wsgi_probe", probes=[
        {"name": "ok", "socket": servers["g_http_sock"]},
        {"name": "down", "socket": servers["g_http_sock"], "path": "/status/503", "retries": 1, "delay": 0.1},
        {"port": servers["u_http_port"], "path": "/status/404"}])
    assert failed and [probe["failed"] for probe in result["probes"]] == [False, True, True]
    assert result["msg"].startswith("down: GET /status/503 on http+unix:")
    assert "answered 503 Custom, expected 200 (after 2 attempts); probes[2]: GET /status/404" in result["msg"]


def test_a_bad_probe_is_refused_naming_it_before_any_request(servers):
    for probe, message in (({"name": "both", "socket": servers["g_http_sock"], "port": 80}, "both: "),
                           ({"name": "none"}, "none: give socket or port"),
                           ({"name": "typo", "port": 80, "retires": 3}, "typo: "),
                           ({"name": "path", "port": 80, "path": "healthz"}, "path: path: must start with '/'")):
        failed, result = run_module("wsgi_probe", probes=[{"socket": servers["g_http_sock"]}, probe])
        assert failed and result["msg"].startswith(message), (probe, result)
        assert "probes" not in result
    failed, result = run_module("wsgi_probe", socket=servers["g_http_sock"], probes=[{"port": 80}])
    assert failed and "mutually exclusive" in result["msg"]
