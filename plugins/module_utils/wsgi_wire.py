# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One request to a WSGI server, and uWSGI's stats, over a unix socket or TCP.

HTTP is sent as text; the uwsgi protocol as its binary packet (a 4-byte header:
modifier1, little-endian 16-bit size of the variables, modifier2; then each
variable as a 16-bit length and bytes). Both servers answer a uwsgi request with
a plain HTTP response, so one parser (http.client's) reads every answer.
Standard library only; runs on Python 3.9.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import struct
import time
import urllib.parse

_MAX_BODY = 1024 * 1024
_MAX_STATS = 16 * 1024 * 1024


class WireError(Exception):
    """The server could not be reached or did not answer in its protocol."""


def describe(socket_path=None, host=None, port=None, protocol="http", tls=False):
    """How a target is named in results and messages: http+unix:/run/a.sock, uwsgi://127.0.0.1:3031."""
    scheme = "https" if tls else protocol
    if socket_path:
        return "%s+unix:%s" % (scheme, socket_path)
    return "%s://%s:%d" % (scheme, "[%s]" % host if ":" in host else host, port)


def connect(socket_path=None, host=None, port=None, timeout=5.0, tls=False, server_name=None,
            validate_certs=True, protocol="http"):
    """An open, connected socket; WireError says why not."""
    target = describe(socket_path, host, port, protocol, tls)
    try:
        if socket_path:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect(socket_path)
            except BaseException:
                sock.close()
                raise
        else:
            sock = socket.create_connection((host, port), timeout=timeout)
        if tls:
            context = ssl.create_default_context()
            if not validate_certs:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            sock = context.wrap_socket(sock, server_hostname=server_name or host)
        return sock
    except FileNotFoundError:
        raise WireError("%s: no socket at %s (is the server running and configured for it?)" % (target, socket_path))
    except ConnectionRefusedError:
        raise WireError("%s: connection refused (nothing listens there)" % target)
    except PermissionError:
        raise WireError("%s: permission denied (the socket's mode or group does not let this user in)" % target)
    except socket.timeout:
        raise WireError("%s: no connection within %s s" % (target, timeout))
    except ssl.SSLError as error:
        raise WireError("%s: TLS handshake failed: %s" % (target, error))
    except OSError as error:
        raise WireError("%s: %s" % (target, error))


def http_request(method, path, host, headers, body):
    """An HTTP/1.1 request that asks the server to close the connection after answering."""
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % host, "Connection: close"]
    names = set()
    for name, value in headers:
        lines.append("%s: %s" % (name, value))
        names.add(name.lower())
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append("Content-Length: %d" % len(body))
    if "user-agent" not in names:
        lines.append("User-Agent: pyops.wsgi-probe")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def uwsgi_request(method, path, host, headers, body, server_port=80):
    """The same request as a uwsgi packet (modifier1 0: a WSGI request)."""
    split = urllib.parse.urlsplit(path)
    variables = [
        ("REQUEST_METHOD", method),
        ("REQUEST_URI", path),
        ("PATH_INFO", urllib.parse.unquote(split.path) or "/"),
        ("QUERY_STRING", split.query),
        ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("SERVER_NAME", host.split(":")[0]),
        ("SERVER_PORT", str(server_port)),
        ("REMOTE_ADDR", "127.0.0.1"),
        ("SCRIPT_NAME", ""),
        ("HTTP_HOST", host),
        ("HTTP_CONNECTION", "close"),
    ]
    if body or method in ("POST", "PUT", "PATCH"):
        variables.append(("CONTENT_LENGTH", str(len(body))))
    for name, value in headers:
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            variables.append((key, value))
        else:
            variables.append(("HTTP_" + key, value))
    payload = b"".join(_uwsgi_string(key) + _uwsgi_string(value) for key, value in variables)
    if len(payload) > 0xFFFF:
        raise WireError("the request's headers take %d bytes; a uwsgi packet holds at most 65535" % len(payload))
    return struct.pack("<BHB", 0, len(payload), 0) + payload + body


def _uwsgi_string(value):
    data = value.encode("latin-1") if isinstance(value, str) else value
    return struct.pack("<H", len(data)) + data


def exchange(sock, request, method, target, timeout):
    """Send the request and read the HTTP answer: (status, reason, headers, body bytes)."""
    try:
        sock.settimeout(timeout)
        sock.sendall(request)
        response = http.client.HTTPResponse(sock, method=method)
        try:
            response.begin()
            body = response.read(_MAX_BODY)
            if response.length and len(body) < _MAX_BODY:
                raise WireError("%s: the answer ended after %d bytes of its body, %d short of its Content-Length"
                                % (target, len(body), response.length))
        finally:
            response.close()
    except socket.timeout:
        raise WireError("%s: no answer within %s s" % (target, timeout))
    except http.client.RemoteDisconnected:
        raise WireError("%s: the server closed the connection without answering" % target)
    except http.client.BadStatusLine as error:
        raise WireError("%s: the answer is not HTTP (it starts %s)" % (target, _excerpt(error.line)))
    except (http.client.HTTPException, ValueError) as error:
        raise WireError("%s: the answer is not valid HTTP: %s" % (target, error))
    except OSError as error:
        raise WireError("%s: %s" % (target, error))
    finally:
        sock.close()
    headers = {}
    for name, value in response.getheaders():
        name = name.lower()
        headers[name] = headers[name] + ", " + value if name in headers else value
    return response.status, response.reason, headers, body


def _excerpt(value, limit=60):
    text = value if isinstance(value, str) else repr(value)
    return repr(text[:limit]) + ("..." if len(text) > limit else "")


def read_stats(socket_path=None, host=None, port=None, timeout=5.0):
    """uWSGI's stats document. The plain stats server writes JSON as soon as a client connects,
    then closes; with stats-http it waits for an HTTP request, so a connection that closes
    without a byte is tried once more with a request."""
    target = describe(socket_path, host, port, protocol="stats")
    data = _read_all(connect(socket_path, host, port, timeout, protocol="stats"), b"", target, timeout)
    if not data:
        request = b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n"
        data = _read_all(connect(socket_path, host, port, timeout, protocol="stats"), request, target, timeout)
    if not data:
        raise WireError("%s: the server closed the connection without sending stats" % target)
    if data.startswith(b"HTTP/"):
        data = data.partition(b"\r\n\r\n")[2]
    try:
        stats = json.loads(data.decode("utf-8", "replace"))
    except ValueError:
        raise WireError("%s: the answer is not uWSGI stats JSON (it starts %s)" % (target, _excerpt(data)))
    if not isinstance(stats, dict) or "workers" not in stats:
        raise WireError("%s: the JSON answer has no 'workers': not a uWSGI stats server" % target)
    return stats


def _read_all(sock, request, target, timeout):
    """Send request (if any), then read until the server closes, within timeout and _MAX_STATS."""
    chunks, size, started = [], 0, time.monotonic()
    try:
        if request:
            try:
                sock.sendall(request)
            except (BrokenPipeError, ConnectionResetError):
                return b""
        while True:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                raise WireError("%s: the stats server did not finish its answer within %s s" % (target, timeout))
            except ConnectionResetError:
                if chunks:
                    raise WireError("%s: the connection was reset in the middle of the answer" % target)
                return b""
            except OSError as error:
                raise WireError("%s: %s" % (target, error))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
            if size > _MAX_STATS or time.monotonic() - started > timeout:
                raise WireError("%s: the answer is larger than %d bytes or slower than %s s"
                                % (target, _MAX_STATS, timeout))
    finally:
        sock.close()
