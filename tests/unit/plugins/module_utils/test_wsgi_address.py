"""wsgi_address: the one reading of an app server's addresses, for filters and modules alike."""

from __future__ import annotations

import pytest

from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_address import (
    is_loopback, is_wildcard, local_host, split_tcp)


@pytest.mark.parametrize("address, split", [
    ("127.0.0.1:8000", ("127.0.0.1", 8000)),
    ("0.0.0.0:80", ("0.0.0.0", 80)),
    (":9090", ("", 9090)),
    ("*:9090", ("*", 9090)),
    ("[::]:8000", ("::", 8000)),
    ("[::1]:1717", ("::1", 1717)),
    ("app.internal:3031", ("app.internal", 3031)),
    (" 127.0.0.1:1717 ", ("127.0.0.1", 1717)),
    ("/run/app/uwsgi.sock", None),
    ("@abstract:1", None),
    ("unix:/run/a.sock", None),
    ("stats.sock", None),
    ("::1:1717", None),
    ("host:port", None),
    ("host:123456", None),
])
def test_split_tcp_reads_host_port_and_nothing_else(address, split):
    assert split_tcp(address) == split


@pytest.mark.parametrize("host, wildcard, loopback, local", [
    ("0.0.0.0", True, False, "127.0.0.1"),
    ("", True, False, "127.0.0.1"),
    ("*", True, False, "127.0.0.1"),
    ("::", True, False, "::1"),
    ("[::]", True, False, "::1"),
    ("127.0.0.1", False, True, "127.0.0.1"),
    ("localhost", False, True, "localhost"),
    ("[::1]", False, True, "::1"),
    ("10.0.0.5", False, False, "10.0.0.5"),
])
def test_wildcards_are_reached_on_the_loopback(host, wildcard, loopback, local):
    assert is_wildcard(host) is wildcard
    assert is_loopback(host) is loopback
    assert local_host(host) == local
