"""Failed requests while `playbooks/deploy.yml` redeploys, beside a plain restart, under load.

    redeploy_under_load.py --container pyops-bench --port 18095

The target (tests/harness/target.sh) runs the example app under Gunicorn
(bench-g) and under uWSGI (bench-u), deployed from benchmarks/redeploy/hosts.yml.
For each server, bounded runs of the same load through nginx on 127.0.0.1
(benchmarks/http_load.py), the load pinned to CPU 0 and the container to CPU 1:
  steady    nothing happens (the reference for this run);
  code      a redeploy of changed code: a new release, same venv (Gunicorn HUP,
            uWSGI chain reload);
  venv      a redeploy with changed requirements: a new release and a new venv
            (Gunicorn USR2 binary upgrade, uWSGI graceful reload);
            each of these --rounds times, one after another (the apps keep two
            releases, so from the second round on a deploy prunes the venv the
            service started with);
  restart   `systemctl restart UNIT`, what a deploy without graceful reloads does.
A redeploy run lasts from 2 s before the playbook starts to 2 s after it ends.
Prints requests, failed requests, p99 latency and throughput against the steady
run. Before the loads, with the machine otherwise idle, it times the playbook
for each kind of redeploy (both apps): a code change reuses the venv, a
requirements change builds a new one; the ratio is the speed-up of reuse.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
APP = ROOT / "examples" / "apps" / "flask_hello"
SERVERS = (("gunicorn", "g.bench.test", "wsgi-bench-g.service"), ("uwsgi", "u.bench.test", "wsgi-bench-u.service"))


class Target:
    """The container and the code the playbook deploys to it."""

    def __init__(self, args, workdir):
        self.args = args
        self.source = workdir / "app"
        self.rounds = 0
        shutil.copytree(APP, self.source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))

    def change(self, requirements):
        """A new release: a changed module, and with `requirements` a changed requirements file."""
        self.rounds += 1
        with open(self.source / "hello" / "__init__.py", "a", encoding="utf-8") as handle:
            handle.write("# benchmark round %d\n" % self.rounds)
        if requirements:
            with open(self.source / "requirements.txt", "a", encoding="utf-8") as handle:
                handle.write("# benchmark round %d\n" % self.rounds)

    def deploy(self):
        """Run the deploy playbook; return its wall time in seconds."""
        command = [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", str(HERE / "redeploy" / "hosts.yml"),
                   "-e", "bench_source=%s" % self.source, "-e", "bench_container=%s" % self.args.container,
                   str(ROOT / "playbooks" / "deploy.yml")]
        if os.path.exists("/usr/bin/taskset"):
            command = ["taskset", "-c", "0"] + command
        started = time.monotonic()
        result = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                check=False)
        if result.returncode != 0:
            sys.stdout.write(result.stdout[-6000:])
            raise SystemExit("redeploy_under_load: the deploy failed (rc %d)" % result.returncode)
        return time.monotonic() - started


def load(args, host, seconds, stop_file=None):
    command = [sys.executable, str(HERE / "http_load.py"), "--url", "http://127.0.0.1:%d/api/info" % args.port,
               "--host", host, "--seconds", str(seconds), "--max-requests", str(args.max_requests),
               "--connections", str(args.connections)]
    if stop_file:
        command += ["--stop-file", str(stop_file)]
    if os.path.exists("/usr/bin/taskset"):
        command = ["taskset", "-c", "0"] + command
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def run(args, host, action, workdir):
    """One bounded load; `action` runs in a thread while it lasts and returns a figure or None.
    An error in `action` ends the load and is raised here."""
    stop_file = workdir / "stop"
    if stop_file.exists():
        stop_file.unlink()
    bounded = args.seconds if action is None else args.max_seconds
    process = load(args, host, bounded, stop_file)
    outcome = {}

    def act():
        time.sleep(2)
        try:
            outcome["value"] = action()
        except BaseException as error:  # pylint: disable=broad-except
            outcome["error"] = error
        finally:
            time.sleep(2)
            stop_file.touch()

    if action is None:
        output, _errors = process.communicate(timeout=bounded + 60)
    else:
        thread = threading.Thread(target=act)
        thread.start()
        output, _errors = process.communicate(timeout=bounded + 60)
        thread.join()
    if "error" in outcome:
        raise outcome["error"]
    summary = json.loads(output)
    summary["figure"] = outcome.get("value")
    return summary


def report(name, summary, reference):
    """One row of the table, printed as soon as its run ends; the errors of failed requests below it."""
    figure = summary.get("figure")
    print("%-8s %10d %8d %9s %9.2fx %10s" % (
        name, summary["requests"], summary["failed"], summary["p99_ms"],
        summary["requests_per_second"] / reference, "%.1f" % figure if figure else "-"), flush=True)
    if summary["failed"]:
        print("  failed requests by error: %s" % json.dumps(summary["errors"], sort_keys=True), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--container", default="pyops-bench")
    parser.add_argument("--port", type=int, default=18095, help="the container's port 80 on 127.0.0.1")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of the steady and restart runs")
    parser.add_argument("--max-seconds", type=float, default=240.0, help="bound of a redeploy run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=5000000)
    parser.add_argument("--server", choices=[server for server, _host, _unit in SERVERS], help="only this one")
    parser.add_argument("--rounds", type=int, default=5, help="redeploys of each kind under load")
    parser.add_argument("--no-timing", dest="timing", action="store_false", help="skip the deploy timings")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="pyops-redeploy-") as folder:
        workdir = pathlib.Path(folder)
        target = Target(args, workdir)
        first = target.deploy()
        print("first deploy of both apps: %.1f s" % first)
        timings = {"code": [], "venv": []}
        for kind in ("code", "venv", "code", "venv") if args.timing else ():
            target.change(requirements=kind == "venv")
            timings[kind].append(target.deploy())
        if args.timing:
            code, venv = min(timings["code"]), min(timings["venv"])
            print("redeploy of both apps, no load, best of 2: code change (venv reused) %.1f s, requirements "
                  "change (new venv) %.1f s: reuse is %.1fx faster" % (code, venv, venv / code))

        subprocess.run(["docker", "update", "--cpuset-cpus", "1", args.container], check=True, capture_output=True)
        for server, host, unit in SERVERS:
            if args.server and server != args.server:
                continue

            def restart(unit=unit):
                subprocess.run(["docker", "exec", args.container, "systemctl", "restart", unit], check=True)

            def redeploy(kind):
                target.change(requirements=kind == "venv")
                return target.deploy()

            print()
            print("%s (%s), %d connections through nginx; deploy s: the playbook's wall time under this load"
                  % (server, unit, args.connections))
            print("%-8s %10s %8s %9s %10s %10s" % ("run", "requests", "failed", "p99 ms", "vs steady", "deploy s"))
            steady = run(args, host, None, workdir)
            reference = steady["requests_per_second"] or 1
            report("steady", steady, reference)
            for kind in ("code", "venv"):
                for round_ in range(1, args.rounds + 1):
                    report("%s %d" % (kind, round_), run(args, host, lambda kind=kind: redeploy(kind), workdir), reference)
            process = load(args, host, args.seconds)
            threading.Timer(args.seconds / 2, restart).start()
            output, _errors = process.communicate(timeout=args.seconds + 60)
            report("restart", json.loads(output), reference)
    return 0


if __name__ == "__main__":
    sys.exit(main())
