"""Open a WebSocket to the example app's /ws/echo through nginx, send messages, print what came back.

    websocket_echo.py --port 18445 --tls --server-name secure.test hello there

Prints one JSON object: the handshake's status line, whether Sec-WebSocket-Accept
matches the key sent, each reply, and the close code. Exits 0 whenever it could
connect; the caller asserts on the figures.
"""

import argparse
import base64
import importlib.util
import json
import os
import socket
import ssl
import struct

# The app's own framing, loaded by path: its package imports Flask, which the
# controller does not need.
_SPEC = importlib.util.spec_from_file_location("hello_websocket", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "apps", "flask_hello", "hello", "websocket.py"))
_FRAMING = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_FRAMING)
accept_key, encode_frame, read_frame = _FRAMING.accept_key, _FRAMING.encode_frame, _FRAMING.read_frame


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tls", action="store_true", help="TLS without certificate checks, SNI = --server-name")
    parser.add_argument("--server-name", required=True, help="Host header (and SNI)")
    parser.add_argument("--path", default="/ws/echo")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("messages", nargs="*", default=["hello"])
    args = parser.parse_args()

    sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    if args.tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        sock = context.wrap_socket(sock, server_hostname=args.server_name)
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    sock.sendall((
        "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (args.path, args.server_name, key)
    ).encode("ascii"))
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            break
        head += chunk
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    result = {
        "status_line": lines[0],
        "upgrade": headers.get("upgrade", ""),
        "accept_matches": headers.get("sec-websocket-accept") == accept_key(key),
        "replies": [],
        "close_code": None,
    }
    if lines[0].split(" ")[1:2] == ["101"]:
        for message in args.messages:
            sock.sendall(encode_frame(0x1, message.encode("utf-8"), mask=os.urandom(4)))
            opcode, payload = read_frame(sock)
            result["replies"].append(payload.decode("utf-8") if opcode == 0x1 else None)
        sock.sendall(encode_frame(0x8, struct.pack("!H", 1000), mask=os.urandom(4)))
        opcode, payload = read_frame(sock)
        if opcode == 0x8 and len(payload) >= 2:
            result["close_code"] = struct.unpack("!H", payload[:2])[0]
    sock.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
