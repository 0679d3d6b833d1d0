"""A WebSocket echo at /ws/echo, so a deploy can show that nginx passes the upgrade on.

WSGI has no WebSocket interface. Gunicorn hands the app its client socket
(``environ["gunicorn.socket"]``) and sends a 101 answer as it is, so this
middleware answers the handshake (RFC 6455), then sends each text message back
with ``echo: `` before it, until the client closes or 30 messages have gone.
Without an ``Upgrade: websocket`` header (nginx drops it unless the app's
server block passes it on) the answer is 426 Upgrade Required.
"""

import base64
import hashlib
import struct

PATH = "/ws/echo"
MAX_MESSAGES = 30
MAX_PAYLOAD = 64 * 1024
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _CLOSE, _PING, _PONG = 0x1, 0x8, 0x9, 0xA


def accept_key(key):
    """The Sec-WebSocket-Accept value answering a client's Sec-WebSocket-Key."""
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + _GUID).digest()).decode("ascii")


def encode_frame(opcode, payload, mask=None):
    """One final frame; a client masks its frames (4 bytes), a server does not."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    if mask is None:
        return header + payload
    header = header[:1] + bytes([header[1] | 0x80]) + header[2:]
    return header + mask + _apply_mask(payload, mask)


def read_frame(sock):
    """Read one frame: (opcode, payload), or (None, b"") if the peer went away."""
    head = _read_exactly(sock, 2)
    if head is None:
        return None, b""
    opcode, length = head[0] & 0x0F, head[1] & 0x7F
    if length == 126:
        length = struct.unpack("!H", _read_exactly(sock, 2) or b"\0\0")[0]
    elif length == 127:
        length = struct.unpack("!Q", _read_exactly(sock, 8) or bytes(8))[0]
    if length > MAX_PAYLOAD:
        return None, b""
    mask = _read_exactly(sock, 4) if head[1] & 0x80 else None
    payload = _read_exactly(sock, length) if length else b""
    if payload is None:
        return None, b""
    return opcode, _apply_mask(payload, mask) if mask else payload


def echo_middleware(wsgi_app):
    """Wrap a WSGI app: /ws/echo speaks WebSocket, every other path goes to the app."""

    def application(environ, start_response):
        if environ.get("PATH_INFO") != PATH:
            return wsgi_app(environ, start_response)
        key = environ.get("HTTP_SEC_WEBSOCKET_KEY", "")
        sock = environ.get("gunicorn.socket")
        if environ.get("HTTP_UPGRADE", "").lower() != "websocket" or not key:
            start_response("426 Upgrade Required", [("Content-Type", "text/plain"), ("Upgrade", "websocket")])
            return [b"a WebSocket handshake is expected here\n"]
        if sock is None:
            start_response("501 Not Implemented", [("Content-Type", "text/plain")])
            return [b"this app server does not hand the socket over\n"]
        write = start_response("101 Switching Protocols", [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", accept_key(key)),
        ])
        write(b"")
        _echo(sock)
        return []

    return application


def _echo(sock):
    for _message in range(MAX_MESSAGES):
        opcode, payload = read_frame(sock)
        if opcode is None:
            return
        if opcode == _CLOSE:
            sock.sendall(encode_frame(_CLOSE, payload[:2]))
            return
        if opcode == _PING:
            sock.sendall(encode_frame(_PONG, payload))
        elif opcode == _TEXT:
            sock.sendall(encode_frame(_TEXT, b"echo: " + payload))
    sock.sendall(encode_frame(_CLOSE, struct.pack("!H", 1008)))


def _apply_mask(payload, mask):
    return bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))


def _read_exactly(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data
