"""A fleet's costs: deploy times for 1 and 4 app nodes, and a rolling deploy under load.

    fleet.py --port 18097

Starts (tests/harness/target.sh) a load balancer, pyops-bf-lb, with port 80 on
127.0.0.1:PORT, and five app nodes, pyops-bf-node1..5, on the Docker network
pyops-bf. Then, with `playbooks/deploy.yml` and the example app:
  scale     node1 alone, then node2..5 together (no load balancer, all at once):
            the first deploy, a re-run that changes nothing, and `--check --diff`;
            the wall time of each and the ratio of 4 nodes to 1, the growth with hosts;
  rolling   node2..5 behind the load balancer: a bounded load through it (pinned
            to CPU 0, the containers to CPU 1) while nothing happens (the
            reference of this run), then during a rolling deploy of changed code
            (one node at a time, each out of the load balancer while it switches),
            and during the same deploy all at once with the nodes left in
            (-e wsgi_serial=100%, still graceful). Requests, failed requests, p99
            and throughput against the reference.
Prints figures and asserts nothing. `--keep` leaves the containers for another run.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from playbook_run import TASKSET, deploy as run_deploy

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
APP = ROOT / "examples" / "apps" / "flask_hello"
NETWORK = "pyops-bf"
LB = "pyops-bf-lb"
NODES = ["pyops-bf-node%d" % number for number in range(1, 6)]


def inventory(path, nodes, with_lb, source):
    """An inventory of `nodes` (and the load balancer) running the example app."""
    hosts = {"ansible_connection": "community.docker.docker", "ansible_python_interpreter": "/usr/bin/python3"}
    groups = {"web": {"hosts": {node: dict(hosts) for node in nodes}, "vars": {
        "python_pip_ca_bundle": "/etc/ssl/certs/ca-certificates.crt",
        "wsgi_apps": [{"name": "hello", "source": {"type": "local", "path": str(source)},
                       "entry": "hello:create_app()", "server_names": ["fleet.bench.test"], "workers": 2,
                       "health": {"path": "/api/info"}, "keep_releases": 2}],
    }}}
    if with_lb:
        groups["lb"] = {"hosts": {LB: dict(hosts)}}
    path.write_text(json.dumps({"all": {"children": groups}}, indent=1))
    return path


def deploy(inventory_file, *extra):
    """Run the deploy playbook; return its wall time in seconds."""
    return run_deploy(inventory_file, *extra, who="fleet")[0]


def change(source, round_):
    """A new release: the app's module changes."""
    with open(source / "hello" / "__init__.py", "a", encoding="utf-8") as handle:
        handle.write("# benchmark round %d\n" % round_)


def under_load(args, action):
    """A bounded load through the load balancer while `action` runs (None: --seconds of nothing)."""
    stop_file = pathlib.Path(args.workdir) / "stop"
    if stop_file.exists():
        stop_file.unlink()
    seconds = args.seconds if action is None else args.max_seconds
    command = TASKSET + [sys.executable, str(HERE / "http_load.py"), "--url", "http://127.0.0.1:%d/api/info" % args.port,
                         "--host", "fleet.bench.test", "--seconds", str(seconds), "--connections",
                         str(args.connections), "--max-requests", "5000000", "--stop-file", str(stop_file)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    outcome = {}

    def act():
        time.sleep(2)
        try:
            outcome["value"] = action()
        finally:
            time.sleep(2)
            stop_file.touch()

    thread = threading.Thread(target=act) if action else None
    if thread:
        thread.start()
    output, _errors = process.communicate(timeout=seconds + 60)
    if thread:
        thread.join()
    summary = json.loads(output)
    summary["deploy_s"] = outcome.get("value")
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--port", type=int, default=18097, help="the load balancer's port 80 on 127.0.0.1")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of the reference load")
    parser.add_argument("--max-seconds", type=float, default=400.0, help="bound of a load during a deploy")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="leave the containers running")
    args = parser.parse_args(argv)

    for name in [LB] + NODES:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
        subprocess.run([str(ROOT / "tests/harness/target.sh"), name, str(args.port) if name == LB else "-", NETWORK],
                       check=True)
    try:
        with tempfile.TemporaryDirectory(prefix="pyops-fleet-") as folder:
            args.workdir = folder
            source = pathlib.Path(folder) / "app"
            shutil.copytree(APP, source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
            one = inventory(pathlib.Path(folder) / "one.json", NODES[:1], False, source)
            four = inventory(pathlib.Path(folder) / "four.json", NODES[1:], False, source)
            fleet = inventory(pathlib.Path(folder) / "fleet.json", NODES[1:], True, source)

            print("deploy wall time, no load balancer, all nodes at once (forks 10, pipelining)")
            print("%-6s %10s %10s %10s" % ("nodes", "first s", "re-run s", "check s"))
            rows = {}
            for count, inventory_file in ((1, one), (4, four)):
                rows[count] = (deploy(inventory_file), deploy(inventory_file), deploy(inventory_file, "--check", "--diff"))
                print("%-6d %10.1f %10.1f %10.1f" % ((count,) + rows[count]))
            print("%-6s %9.2fx %9.2fx %9.2fx" % (("4 / 1",) + tuple(rows[4][i] / rows[1][i] for i in range(3))))

            deploy(fleet)  # the load balancer, and the nodes already there
            for name in NODES[1:] + [LB]:
                subprocess.run(["docker", "update", "--cpuset-cpus", "1", name], check=True, capture_output=True)
            results = [("steady", under_load(args, None))]
            change(source, 1)
            results.append(("rolling", under_load(args, lambda: deploy(fleet))))
            change(source, 2)
            results.append(("at once", under_load(args, lambda: deploy(fleet, "-e", "wsgi_serial=100%"))))
            reference = results[0][1]["requests_per_second"] or 1
            print()
            print("4 nodes behind the load balancer, %d connections through it; deploy s: the playbook's wall time"
                  % args.connections)
            header = ("run", "requests", "failed", "p99 ms", "vs steady", "deploy s", "retried")
            print("%-8s %10s %8s %9s %10s %10s %8s" % header)
            for name, summary in results:
                figure = summary["deploy_s"]
                print("%-8s %10d %8d %9s %9.2fx %10s %8d" % (
                    name, summary["requests"], summary["failed"], summary["p99_ms"],
                    summary["requests_per_second"] / reference, "%.1f" % figure if figure else "-",
                    summary["retried_on_closed_keepalive"]))
            for name, summary in results:
                if summary["failed"]:
                    print("  %s: failed requests by error: %s" % (name, json.dumps(summary["errors"], sort_keys=True)))
    finally:
        if not args.keep:
            for name in [LB] + NODES:
                subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
            subprocess.run(["docker", "network", "rm", NETWORK], capture_output=True, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
