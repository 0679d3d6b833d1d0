"""uwsgi_stats against real uWSGI stats servers (JSON on a unix socket, stats-http on TCP)."""

from __future__ import annotations

import pytest

from .conftest import run_module


def test_stats_over_a_unix_socket_count_the_requests(servers):
    for _index in range(3):
        assert not run_module("wsgi_probe", socket=servers["u_sock"], protocol="uwsgi")[0]
    run_module("wsgi_probe", socket=servers["u_sock"], protocol="uwsgi", path="/boom")
    failed, result = run_module("uwsgi_stats", socket=servers["u_stats_sock"])
    assert not failed, result
    assert result["changed"] is False
    assert result["address"] == "unix:" + servers["u_stats_sock"]
    assert result["version"].startswith("2.0.")
    assert result["pid"] > 0
    assert [worker["id"] for worker in result["workers"]] == [1, 2]
    assert all(worker["pid"] > 0 and worker["accepting"] is True for worker in result["workers"])
    assert result["totals"]["workers"] == result["totals"]["accepting"] == 2
    assert result["totals"]["requests"] >= 4
    assert result["totals"]["exceptions"] >= 1
    assert result["totals"]["idle"] + result["totals"]["busy"] <= 2
    names = [sock["name"] for sock in result["sockets"]]
    assert names[0] == servers["u_sock"]
    assert "127.0.0.1:%d" % servers["u_port"] in names
    assert result["sockets"][0]["proto"] == "uwsgi"
    assert result["listen_queue"] == 0 and result["listen_queue_errors"] == 0


def test_stats_http_over_tcp(servers):
    failed, result = run_module("uwsgi_stats", port=servers["u_stats_port"])
    assert not failed, result
    assert result["address"] == "127.0.0.1:%d" % servers["u_stats_port"]
    assert result["totals"]["workers"] == 2
    assert result["sockets"][0]["name"] == servers["u_http_sock"]


def test_the_address_is_read_from_the_ini_file(servers, tmp_path):
    ini = tmp_path / "uwsgi.ini"
    ini.write_text("[uwsgi]\nmaster = true\nsocket = /run/x.sock\nstats = %s\n" % servers["u_stats_sock"])
    failed, result = run_module("uwsgi_stats", config=str(ini))
    assert not failed, result
    assert result["address"] == "unix:" + servers["u_stats_sock"]
    ini.write_text("[uwsgi]\nstats = 0.0.0.0:%d\nstats-http = true\n" % servers["u_stats_port"])
    failed, result = run_module("uwsgi_stats", config=str(ini))
    assert not failed and result["address"] == "127.0.0.1:%d" % servers["u_stats_port"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[uwsgi]\nmaster = true\nsocket = /run/shop/uwsgi.sock\n",
         "configures no stats server; add one, for example uwsgi_options: {stats: /run/APP/stats.sock}"),
        ("[other]\nstats = /x\n", "has no [uwsgi] section"),
        ("stats = /x\n", "cannot read"),
    ],
)
def test_a_config_without_stats_is_reported(tmp_path, text, message):
    ini = tmp_path / "uwsgi.ini"
    ini.write_text(text)
    failed, result = run_module("uwsgi_stats", config=str(ini))
    assert failed and message in result["msg"]


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (b"garbage", "the answer is not uWSGI stats JSON (it starts \"b'garbage'\")"),
        (b'{"version": "2.0"}', "the JSON answer has no 'workers': not a uWSGI stats server"),
        (None, "the server closed the connection without sending stats"),
    ],
)
def test_servers_that_are_not_uwsgi_stats(fake_server, reply, message):
    server = fake_server(reply, greet=True)
    failed, result = run_module("uwsgi_stats", port=server.port, timeout=2)
    assert failed
    assert message in result["msg"], result["msg"]
    assert result["address"] == "127.0.0.1:%d" % server.port


def test_a_silent_server_times_out(fake_server):
    failed, result = run_module("uwsgi_stats", port=fake_server(silent=True).port, timeout=1)
    assert failed and "did not finish its answer within 1.0 s" in result["msg"]


def test_no_stats_server_listening(tmp_path):
    failed, result = run_module("uwsgi_stats", socket=str(tmp_path / "stats.sock"))
    assert failed
    assert result["msg"] == "uWSGI stats: stats+unix:%s: no socket at %s (is the server running and configured " \
                            "for it?)" % (tmp_path / "stats.sock", tmp_path / "stats.sock")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (dict(), "one of the following is required: socket, port, config"),
        (dict(socket="/x", port=1717), "mutually exclusive"),
        (dict(port=0), "port: must be 1 to 65535, got 0"),
        (dict(port=1717, timeout=0), "timeout: must be more than 0"),
    ],
)
def test_bad_input(args, message):
    failed, result = run_module("uwsgi_stats", **args)
    assert failed and message in result["msg"]
