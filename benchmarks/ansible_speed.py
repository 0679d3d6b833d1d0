"""Ansible's own speed: the deploy's wall time and task count for 1 and for 5 apps on one host.

    ansible_speed.py --container pyops-bench-ansible

On one Debian 12 container (tests/harness/target.sh, the Docker connection), with
`playbooks/deploy.yml` and copies of the example Flask app: for 1 app, then for 5
apps (the first and four more, each its own name and server name), the first
deploy, a re-run that changes nothing, and `--check --diff`. Prints per run the
wall time, the tasks run (ok + changed + skipped, from the play recap) and what a
re-run costs per extra app, beside the targets of issue 18 (a re-run <= 10 s for
one app and <= +3 s per extra app). Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import shutil
import sys
import tempfile

from playbook_run import deploy as run_deploy

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
APP = ROOT / "examples" / "apps" / "flask_hello"


def inventory(path, container, count, source):
    """One host running `count` copies of the example app."""
    apps = [{"name": "hello%d" % number, "source": {"type": "local", "path": str(source)},
             "entry": "hello:create_app()", "server_names": ["hello%d.bench.test" % number], "workers": 1,
             "health": {"path": "/api/info"}, "keep_releases": 2} for number in range(1, count + 1)]
    host = {"ansible_connection": "community.docker.docker", "ansible_python_interpreter": "/usr/bin/python3",
            "python_pip_ca_bundle": "/etc/ssl/certs/ca-certificates.crt", "wsgi_apps": apps}
    path.write_text(json.dumps({"all": {"children": {"web": {"hosts": {container: host}}}}}, indent=1))
    return path


def deploy(inventory_file, *extra):
    """Run the deploy playbook; return its wall time, the tasks it ran on the host and those it changed."""
    seconds, output = run_deploy(inventory_file, *extra, who="ansible_speed")
    recap = re.search(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=\d+\s+skipped=(\d+)", output)
    tasks = sum(int(number) for number in recap.groups()) if recap else 0
    changed = int(recap.group(2)) if recap else -1
    return seconds, tasks, changed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--container", default="pyops-bench-ansible")
    parser.add_argument("--apps", type=int, default=5, help="apps of the larger run")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="pyops-ansible-speed-") as folder:
        source = pathlib.Path(folder) / "app"
        shutil.copytree(APP, source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
        rows = {}
        print("deploy on one host over the Docker connection (controller pinned to CPU 0 where taskset exists)")
        print("%-5s %-10s %9s %7s %8s" % ("apps", "run", "wall s", "tasks", "changed"))
        for count in (1, args.apps):
            inventory_file = inventory(pathlib.Path(folder) / ("apps%d.json" % count), args.container, count, source)
            for run, extra in (("first", ()), ("re-run", ()), ("check", ("--check", "--diff"))):
                rows[count, run] = deploy(inventory_file, *extra)
                print("%-5d %-10s %9.1f %7d %8d" % ((count, run) + rows[count, run]))
        per_app = (rows[args.apps, "re-run"][0] - rows[1, "re-run"][0]) / (args.apps - 1)
        print()
        print("re-run, 1 app: %.1f s (target <= 10 s); each extra app: %+.1f s (target <= +3 s); "
              "tasks per extra app: %.1f" % (rows[1, "re-run"][0], per_app,
                                             (rows[args.apps, "re-run"][1] - rows[1, "re-run"][1]) / (args.apps - 1)))
        print("re-runs that changed something (should be none): %s" % (
            ", ".join("%d apps" % count for count in (1, args.apps) if rows[count, "re-run"][2]) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
