"""Failed requests while an app server reloads, beside a plain restart, under load.

    reload_under_load.py --container pyops-uwsgi-debian12 --unit wsgi-u-socket.service \
        --url http://127.0.0.1:18081/api/info --host socket.uwsgi.test

Three bounded runs of the same load through nginx (benchmarks/http_load.py), the
load pinned to CPU 0 and the container to CPU 1:
  steady   nothing happens (the reference for this run);
  reload   `systemctl reload UNIT` (uWSGI: chain reload; Gunicorn: HUP) --events times;
  restart  `systemctl restart UNIT` --events times.
Prints one line per run: requests, failed requests, p99 latency, and the
throughput as a ratio of the steady run (machines drift, ratios hold).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import threading
import time

HERE = pathlib.Path(__file__).resolve().parent


def load(args, seconds):
    command = [sys.executable, str(HERE / "http_load.py"), "--url", args.url, "--seconds", str(seconds),
               "--max-requests", str(args.max_requests), "--connections", str(args.connections)]
    if args.host:
        command += ["--host", args.host]
    if os.path.exists("/usr/bin/taskset"):
        command = ["taskset", "-c", "0"] + command
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def run(args, action):
    process = load(args, args.seconds)
    events = []

    def act():
        for index in range(args.events):
            time.sleep(max(0.0, args.seconds * (index + 1) / (args.events + 1) - (time.time() - started)))
            subprocess.run(["docker", "exec", args.container, "systemctl", action, args.unit], check=True)
            events.append(action)

    started = time.time()
    thread = threading.Thread(target=act) if action else None
    if thread:
        thread.start()
    output, _errors = process.communicate(timeout=args.seconds + 60)
    if thread:
        thread.join()
    summary = json.loads(output)
    summary["events"] = len(events)
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--container", required=True)
    parser.add_argument("--unit", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--host")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--events", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--max-requests", type=int, default=2000000)
    args = parser.parse_args(argv)

    subprocess.run(["docker", "update", "--cpuset-cpus", "1", args.container], check=True, capture_output=True)
    runs = (("steady", None), ("reload", "reload"), ("restart", "restart"))
    results = [(name, run(args, action)) for name, action in runs]
    reference = results[0][1]["requests_per_second"] or 1
    print("%s, %d connections, %.0f s per run, %d events per run"
          % (args.unit, args.connections, args.seconds, args.events))
    print("%-8s %10s %8s %9s %10s" % ("run", "requests", "failed", "p99 ms", "vs steady"))
    for name, summary in results:
        print("%-8s %10d %8d %9s %9.2fx" % (name, summary["requests"], summary["failed"], summary["p99_ms"],
                                            summary["requests_per_second"] / reference))
    return 0


if __name__ == "__main__":
    sys.exit(main())
