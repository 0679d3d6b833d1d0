"""The example app's WebSocket echo, spoken to over a socket pair as Gunicorn would hand it over."""

import importlib.util
import os
import socket
import struct
import threading

import pytest

_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "apps", "flask_hello", "hello", "websocket.py")
_SPEC = importlib.util.spec_from_file_location("hello_websocket", _PATH)
websocket = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(websocket)

MASK = b"\x01\x02\x03\x04"


def _inner(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"the app"]


def _call(environ):
    answer = {}
    sent = []

    def start_response(status, headers):
        answer.update(status=status, headers=dict(headers))
        return sent.append

    body = b"".join(websocket.echo_middleware(_inner)(environ, start_response))
    return answer, body, sent


def test_accept_key_matches_rfc_6455_example():
    assert websocket.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@pytest.mark.parametrize("size", [0, 5, 125, 126, 65535, 65536])
def test_frames_round_trip_masked_and_plain(size):
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    server, client = socket.socketpair()
    with server, client:
        for mask in (MASK, None):
            writer = threading.Thread(target=client.sendall, args=(websocket.encode_frame(0x1, payload, mask),))
            writer.start()
            assert websocket.read_frame(server) == (0x1, payload)
            writer.join()


def test_other_paths_go_to_the_app():
    answer, body, sent = _call({"PATH_INFO": "/api/info"})
    assert (answer["status"], body, sent) == ("200 OK", b"the app", [])


@pytest.mark.parametrize("environ", [
    {"PATH_INFO": "/ws/echo"},
    {"PATH_INFO": "/ws/echo", "HTTP_UPGRADE": "websocket"},
    {"PATH_INFO": "/ws/echo", "HTTP_SEC_WEBSOCKET_KEY": "abc="},
], ids=["no headers", "no key", "no upgrade"])
def test_no_upgrade_gets_426(environ):
    answer = _call(environ)[0]
    assert answer["status"] == "426 Upgrade Required"
    assert answer["headers"]["Upgrade"] == "websocket"


def test_no_socket_gets_501():
    answer = _call({"PATH_INFO": "/ws/echo", "HTTP_UPGRADE": "WebSocket", "HTTP_SEC_WEBSOCKET_KEY": "abc="})[0]
    assert answer["status"] == "501 Not Implemented"


def test_handshake_echo_ping_and_close():
    server, client = socket.socketpair()
    with server, client:
        for frame in ((0x1, "hi"), (0x9, "ping"), (0x1, "là"), (0x8, "")):
            data = frame[1].encode("utf-8") if frame[0] != 0x8 else struct.pack("!H", 1000)
            client.sendall(websocket.encode_frame(frame[0], data, MASK))
        answer, body, sent = _call({"PATH_INFO": "/ws/echo", "HTTP_UPGRADE": "websocket",
                                    "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ==", "gunicorn.socket": server})
        replies = [websocket.read_frame(client) for _frame in range(4)]
    assert answer["status"] == "101 Switching Protocols"
    assert answer["headers"]["Sec-WebSocket-Accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert (body, sent) == (b"", [b""])
    assert replies == [(0x1, b"echo: hi"), (0xA, b"ping"), (0x1, "echo: là".encode("utf-8")), (0x8, struct.pack("!H", 1000))]


def test_message_limit_closes_with_1008():
    server, client = socket.socketpair()
    with server, client:
        frames = websocket.encode_frame(0x1, b"x", MASK) * websocket.MAX_MESSAGES
        writer = threading.Thread(target=client.sendall, args=(frames,))
        writer.start()
        _call({"PATH_INFO": "/ws/echo", "HTTP_UPGRADE": "websocket", "HTTP_SEC_WEBSOCKET_KEY": "a", "gunicorn.socket": server})
        writer.join()
        replies = [websocket.read_frame(client) for _frame in range(websocket.MAX_MESSAGES + 1)]
    assert replies[-2] == (0x1, b"echo: x")
    assert replies[-1] == (0x8, struct.pack("!H", 1008))


def test_oversized_or_cut_frames_end_the_exchange():
    server, client = socket.socketpair()
    with server, client:
        client.sendall(struct.pack("!BBQ", 0x81, 0xFF, websocket.MAX_PAYLOAD + 1))
        assert websocket.read_frame(server) == (None, b"")
        client.sendall(b"\x81\x85\x01\x02")
        client.shutdown(socket.SHUT_WR)
        assert websocket.read_frame(server) == (None, b"")
