"""A bounded HTTP load against one URL on this machine; prints a JSON summary.

    http_load.py --url http://127.0.0.1:18081/api/info --host socket.uwsgi.test \
        --seconds 20 --max-requests 200000 --connections 8

Stops at whichever comes first: --seconds, --max-requests, or --stop-file
appearing (so a caller can end it when the event it watches is over). --rate
caps the requests per second of all connections together (tests that share two
cores with the deploy they watch); the default sends as fast as it can. Only loopback
addresses are accepted. Each connection is a thread with a keep-alive client; a
request fails on a connection error, a timeout or a status outside 2xx/3xx and
--accept (for example 503 while an app is in maintenance mode); each status is
counted in `statuses`. A
request that finds its idle keep-alive connection closed by the server is sent
once more on a new one, as browsers do, and counted in retried_on_closed_keepalive.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import os
import socket
import sys
import threading
import time
import urllib.parse


# What a request on a keep-alive connection the server has just closed raises.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def _loopback(host):
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


class Load:
    def __init__(self, url, host, seconds, max_requests, timeout, stop_file=None, rate=0.0, accept=()):
        self.url = urllib.parse.urlsplit(url)
        self.accept = frozenset(accept)
        self.statuses = {}
        self.host = host or self.url.netloc
        self.deadline = time.monotonic() + seconds
        self.started_at = time.time()
        self.max_requests = max_requests
        self.timeout = timeout
        self.stop_file = stop_file
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.begun = time.monotonic()
        self.lock = threading.Lock()
        self.sent = 0
        self.ok = 0
        self.failed = 0
        self.retried = 0
        self.errors = {}
        self.latencies = []
        self.first_failure = None
        self.last_failure = None

    def _claim(self):
        with self.lock:
            if self.sent >= self.max_requests or time.monotonic() >= self.deadline:
                return False
            if self.stop_file and self.sent % 100 == 0 and os.path.exists(self.stop_file):
                return False
            self.sent += 1
            due = self.begun + self.sent * self.interval
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        return True

    def _record(self, started, error):
        elapsed = time.monotonic() - started
        with self.lock:
            if error is None:
                self.ok += 1
                self.latencies.append(elapsed)
            else:
                self.failed += 1
                self.errors[error] = self.errors.get(error, 0) + 1
                now = time.time()
                self.first_failure = self.first_failure or now
                self.last_failure = now

    def _fetch(self, conn, path):
        """One request on conn (a new connection when None); returns (conn, error)."""
        if conn is None:
            conn = http.client.HTTPConnection(self.url.hostname, self.url.port or 80, timeout=self.timeout)
        conn.request("GET", path, headers={"Host": self.host})
        response = conn.getresponse()
        response.read()
        with self.lock:
            self.statuses[str(response.status)] = self.statuses.get(str(response.status), 0) + 1
        error = None if 200 <= response.status < 400 or response.status in self.accept else "HTTP %d" % response.status
        if response.getheader("connection", "").lower() == "close":
            conn.close()
            conn = None
        return conn, error

    def worker(self):
        path = self.url.path or "/"
        if self.url.query:
            path += "?" + self.url.query
        conn = None
        while self._claim():
            started = time.monotonic()
            error = None
            reused = conn is not None
            try:
                try:
                    conn, error = self._fetch(conn, path)
                except _STALE:
                    # The server closed an idle keep-alive connection as the request
                    # went out (nginx does on a reload): like browsers, send it once
                    # more on a new connection. Counted, never hidden.
                    if not reused:
                        raise
                    conn.close()
                    with self.lock:
                        self.retried += 1
                    conn, error = self._fetch(None, path)
            except (OSError, http.client.HTTPException) as problem:
                error = type(problem).__name__
                if conn is not None:
                    conn.close()
                conn = None
            self._record(started, error)
        if conn is not None:
            conn.close()

    def summary(self, wall):
        latencies = sorted(self.latencies)

        def percentile(fraction):
            if not latencies:
                return None
            return round(latencies[min(len(latencies) - 1, int(fraction * len(latencies)))] * 1000, 2)

        return {
            "started_at": round(self.started_at, 3),
            "ended_at": round(time.time(), 3),
            "requests": self.ok + self.failed,
            "failed": self.failed,
            "retried_on_closed_keepalive": self.retried,
            "errors": self.errors,
            "statuses": self.statuses,
            "seconds": round(wall, 2),
            "requests_per_second": round((self.ok + self.failed) / wall, 1) if wall else None,
            "p50_ms": percentile(0.50),
            "p99_ms": percentile(0.99),
            "max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
        }


def run(url, host=None, seconds=10.0, max_requests=100000, connections=8, timeout=10.0, stop_file=None,
        rate=0.0, accept=()):
    """Run the load in this process; return the summary dict."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "http" or not _loopback(parsed.hostname or ""):
        raise SystemExit("http_load: only http:// URLs on a loopback address, got %s" % url)
    load = Load(url, host, seconds, max_requests, timeout, stop_file, rate, accept)
    threads = [threading.Thread(target=load.worker, daemon=True) for _index in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + timeout + 5)
    return load.summary(time.monotonic() - started)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--host", help="Host header (default: the URL's host)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=100000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=0.0, help="requests per second at most (0: no cap)")
    parser.add_argument("--stop-file", help="stop once this file exists")
    parser.add_argument("--out", help="also write the summary to this file")
    parser.add_argument("--accept", type=int, action="append", default=[],
                        help="a status beyond 2xx/3xx that counts as an answer (repeatable)")
    args = parser.parse_args(argv)
    summary = run(args.url, args.host, args.seconds, args.max_requests, args.connections, args.timeout,
                  args.stop_file, args.rate, args.accept)
    text = json.dumps(summary, sort_keys=True)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
