"""Serving speed of the deployed stacks beside the same servers run by hand, side by side.

    serving.py --container pyops-serving

`playbooks/deploy.yml` deploys the example app (benchmarks/serving/hosts.yml) under
every app server the collection offers, each with its defaults, into one container
(tests/harness/target.sh). Beside them, in the same container and from the same
code and venv, references started by hand: each server direct on loopback TCP;
each server behind an nginx of its own over a unix socket, tuned as a careful user
would (no request log in the app server, no worker recycling, the deployed worker
and thread counts); and that nginx's own `return 200`, the front end's limit. The
nginx of the references proxies each server twice: as the servers' deployment docs
show it for production (a request log, which it writes in blocks as the deployed
site does, and the client's address and scheme in X-Forwarded-For and -Proto), the
reference the deployed stack is held to; and bare (no log, no forwarded headers),
which shows what those cost.

wrk (Debian's package) runs in the container's network namespace, so the target
is the container's loopback and Docker's port proxy stays out of the figure; wrk
is pinned to CPU 0 and the container to CPU 1. Targets are interleaved, --rounds
rounds of --seconds each after a short warm-up, every other round in the reverse
order (each stack measured as often before its reference as after it); the figures
are the medians. A ratio is taken within each round (the deployed stack against the
reference measured beside it, nginx as documented) and the median of those is printed
with their range: the machine drifts between rounds far more than within one.

Two routes: `/` (CPU-bound: a small page) and `/api/wait` (I/O-bound: a 50 ms
sleep), where the figure is the share of slot capacity reached: workers x threads
requests at once (at most the connections wrk keeps open), each 0.05 s. --servers
measures some servers only, for more rounds in the same time. Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
REF = "/run/pyops-ref"
WAIT_SECONDS = 0.05

# name, server, how it is reached (port, Host header), deployed or by hand.
CPU_TARGETS = (
    ("nginx return 200 (by hand)", None, 8100, None),
    ("gunicorn direct (by hand)", "gunicorn", 9101, None),
    ("nginx bare -> gunicorn (by hand)", "gunicorn", 8201, None),
    ("nginx -> gunicorn (by hand)", "gunicorn", 8101, None),
    ("nginx -> gunicorn (deployed)", "gunicorn", 80, "g.serving.test"),
    ("uwsgi direct (by hand)", "uwsgi", 9102, None),
    ("nginx bare -> uwsgi (by hand)", "uwsgi", 8202, None),
    ("nginx -> uwsgi (by hand)", "uwsgi", 8102, None),
    ("nginx -> uwsgi (deployed)", "uwsgi", 80, "u.serving.test"),
    ("granian direct (by hand)", "granian", 9103, None),
    ("nginx bare -> granian (by hand)", "granian", 8203, None),
    ("nginx -> granian (by hand)", "granian", 8103, None),
    ("nginx -> granian (deployed)", "granian", 80, "gr.serving.test"),
    ("uvicorn direct (by hand)", "uvicorn", 9104, None),
    ("nginx bare -> uvicorn (by hand)", "uvicorn", 8204, None),
    ("nginx -> uvicorn (by hand)", "uvicorn", 8104, None),
    ("nginx -> uvicorn (deployed)", "uvicorn", 80, "uv.serving.test"),
)
APPS = {"gunicorn": "serve-g", "uwsgi": "serve-u", "granian": "serve-gr", "uvicorn": "serve-uv"}
# The CPU-bound route of each app: the Flask example's page, the FastAPI example's health answer.
CPU_ROUTES = {"uvicorn": "/healthz"}

NGINX_CONF = """
worker_processes auto;
pid {ref}/nginx.pid;
error_log {ref}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    server {{ listen 127.0.0.1:8100; location / {{ return 200 "ok\\n"; }} }}
    upstream ref_gunicorn {{ server unix:{ref}/gunicorn.sock; }}
    upstream ref_granian {{ server unix:{ref}/granian.sock; keepalive 16; }}
    upstream ref_uvicorn {{ server unix:{ref}/uvicorn.sock; keepalive 16; }}
{servers}
}}
"""
# Each reference site: as documented (its port 81xx) and bare (82xx).
DOCUMENTED_LOG = "access_log {ref}/access.log combined buffer=64k flush=5s;"
HTTP_FORWARDED = ("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; "
                  "proxy_set_header X-Forwarded-Proto $scheme;")
UWSGI_FORWARDED = ("uwsgi_param HTTP_X_FORWARDED_FOR $proxy_add_x_forwarded_for; "
                   "uwsgi_param HTTP_X_FORWARDED_PROTO $scheme;")
KEEPALIVE = 'proxy_http_version 1.1; proxy_set_header Connection "";'
REFERENCE_SITES = (
    (1, "proxy_set_header Host $host; %s proxy_pass http://ref_gunicorn;", HTTP_FORWARDED),
    (2, "include /etc/nginx/uwsgi_params; %s uwsgi_pass unix:{ref}/uwsgi.sock;", UWSGI_FORWARDED),
    (3, KEEPALIVE + " proxy_set_header Host $host; %s proxy_pass http://ref_granian;", HTTP_FORWARDED),
    (4, KEEPALIVE + " proxy_set_header Host $host; %s proxy_pass http://ref_uvicorn;", HTTP_FORWARDED),
)


def nginx_conf():
    servers = []
    for number, location, forwarded in REFERENCE_SITES:
        for port, log, headers in ((8100 + number, DOCUMENTED_LOG, forwarded), (8200 + number, "", "")):
            servers.append("    server {{ listen 127.0.0.1:%d; %s location / {{ %s }} }}"
                           % (port, log, (location % headers).replace("{", "{{").replace("}", "}}")
                              .replace("{{ref}}", "{ref}")))
    return NGINX_CONF.replace("{servers}", "\n".join(servers)).format(ref=REF)


def sh(args, command, check=True):
    """Run a shell command in the container; return its output."""
    result = subprocess.run(["docker", "exec", args.container, "bash", "-c", command],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    if check and result.returncode != 0:
        raise SystemExit("serving: in the container, %r failed:\n%s" % (command, result.stdout[-3000:]))
    return result.stdout


def deploy(args):
    command = [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", str(HERE / "serving" / "hosts.yml"),
               "-e", "serving_container=%s" % args.container, str(ROOT / "playbooks" / "deploy.yml")]
    result = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    if result.returncode != 0:
        sys.stdout.write(result.stdout[-6000:])
        raise SystemExit("serving: the deploy failed (rc %d)" % result.returncode)


def deployed_concurrency(args):
    """{server: (workers, threads)} as the deploy wrote them; 0 threads: an event loop's, as many as the
    connections wrk keeps open."""
    gunicorn = sh(args, "cat /etc/pyops-wsgi/serve-g/gunicorn.conf.py")
    uwsgi = sh(args, "cat /etc/pyops-wsgi/serve-u/uwsgi.ini")
    granian = sh(args, "cat /etc/pyops-wsgi/serve-gr/granian_serve.py")
    uvicorn = sh(args, "cat /etc/pyops-wsgi/serve-uv/uvicorn_serve.py")

    def number(pattern, text):
        return int(re.search(pattern, text, re.MULTILINE).group(1))

    return {
        "gunicorn": (number(r"^workers = (\d+)", gunicorn), number(r"^threads = (\d+)", gunicorn)),
        "uwsgi": (number(r"^processes = (\d+)", uwsgi), number(r"^threads = (\d+)", uwsgi)),
        # Blocking threads of a WSGI app (granian_wsgi_threads when the spec leaves threads at 0).
        "granian": (number(r"^\s+workers=(\d+),", granian),
                    int((re.search(r"^\s+blocking_threads=(\d+),", granian, re.MULTILINE) or [0, 0])[1])),
        "uvicorn": (number(r"^\s+workers=(\d+),", uvicorn), 0),
    }


def start_references(args, concurrency):
    """The same servers by hand, from the deployed code and venvs, and an nginx of their own."""
    g_workers, g_threads = concurrency["gunicorn"]
    u_workers, u_threads = concurrency["uwsgi"]
    granian = ("cd /srv/serve-gr/current && (nohup venv/bin/granian --interface wsgi --workers %d --factory "
               "--no-access-log --pid-file %s/granian-%%s.pid %%s hello:create_app > %s/granian-%%s.log 2>&1 &)"
               % (concurrency["granian"][0], REF, REF))
    uvicorn = ("cd /srv/serve-uv/current && (nohup venv/bin/uvicorn main:app --workers %d --no-access-log "
               "%%s > %s/uvicorn-%%s.log 2>&1 & echo $! > %s/uvicorn-%%s.pid)" % (concurrency["uvicorn"][0], REF, REF))
    gunicorn = ("cd /srv/serve-g/current && venv/bin/gunicorn --daemon --no-control-socket --umask 0 "
                "--workers %d --threads %d --pid %s/gunicorn-%%s.pid --bind %%s 'hello:create_app()'"
                % (g_workers, g_threads, REF))
    uwsgi = ("/srv/serve-u/current/venv/bin/uwsgi --master --processes %d --threads %d --enable-threads "
             "--lazy-apps --disable-logging --chdir /srv/serve-u/current --pythonpath /srv/serve-u/current "
             "--wsgi-file %s/ref_app.py --pidfile %s/uwsgi-%%s.pid --daemonize %s/uwsgi-%%s.log %%s"
             % (u_workers, u_threads, REF, REF, REF))
    script = "\n".join((
        "set -e",
        "mkdir -p %s" % REF,
        "printf 'from hello import create_app\\napplication = create_app()\\n' > %s/ref_app.py" % REF,
        "cat > %s/nginx.conf <<'EOF'\n%s\nEOF" % (REF, nginx_conf()),
        gunicorn % ("direct", "127.0.0.1:9101"),
        gunicorn % ("nginx", "unix:%s/gunicorn.sock" % REF),
        # HTTP/1.1 with keep-alive, as wrk speaks (http-socket closes each connection).
        uwsgi % ("direct", "direct", "--http11-socket 127.0.0.1:9102"),
        uwsgi % ("nginx", "nginx", "--socket %s/uwsgi.sock --chmod-socket=666" % REF),
        granian % ("direct", "--host 127.0.0.1 --port 9103", "direct"),
        granian % ("nginx", "--uds %s/granian.sock --uds-permissions 0666" % REF, "nginx"),
        uvicorn % ("--host 127.0.0.1 --port 9104", "direct", "direct"),
        uvicorn % ("--uds %s/uvicorn.sock" % REF, "nginx", "nginx"),
        "nginx -c %s/nginx.conf" % REF,
    ))
    sh(args, script)
    # Wait until each answers; a refused connection is retried like a wrong answer.
    check = ("python3 - <<'EOF'\nimport sys, time, urllib.request\n"
             "for port, path in ((8100, '/'), (9101, '/'), (8101, '/'), (8201, '/'), (9102, '/'), (8102, '/'),\n"
             "                   (8202, '/'), (9103, '/'), (8103, '/'), (8203, '/'), (9104, '/healthz'),\n"
             "                   (8104, '/healthz'), (8204, '/healthz')):\n"
             "    for _ in range(120):\n"
             "        try:\n"
             "            if urllib.request.urlopen('http://127.0.0.1:%d%s' % (port, path), timeout=2).status == 200:\n"
             "                break\n"
             "        except OSError:\n"
             "            pass\n"
             "        time.sleep(0.5)\n"
             "    else:\n"
             "        sys.exit('port %d never answered' % port)\n"
             "EOF")
    sh(args, check)


def stop_references(args):
    """Stop every server started by hand, found by its command line naming REF (a pid file can be overwritten by
    a second start, and Granian's SO_REUSEPORT lets two of them share a port unseen), and wait (bounded) until
    they are gone, their ports free."""
    sweep = ("for p in /proc/[0-9]*; do n=${p#/proc/}; case $n in $$|$BASHPID) continue;; esac; "
             "case \"$(tr '\\0' ' ' < $p/cmdline 2>/dev/null)\" in *%s*) echo $n;; esac; done" % REF)
    sh(args, "for _ in $(seq 60); do pids=$(%s); [ -z \"$pids\" ] && break; kill $pids 2>/dev/null || true; sleep 1; "
             "done; rm -f %s/*.pid" % (sweep, REF), check=False)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(args, pid, port, host, path, seconds):
    """One wrk run against the container's loopback; {rps, p50, p99, errors, requests}."""
    command = ["nsenter", "-t", str(pid), "-n", "taskset", "-c", "0", "wrk", "-t2", "-c%d" % args.connections,
               "-d%ds" % seconds, "--latency", "--timeout", "10s"]
    if host:
        command += ["-H", "Host: %s" % host]
    command.append("http://127.0.0.1:%d%s" % (port, path))
    output = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=True).stdout

    def latency(percent):
        match = re.search(r"^\s+%d%%\s+([0-9.]+)(us|ms|s)\s*$" % percent, output, re.MULTILINE)
        return float(match.group(1)) * _UNITS[match.group(2)]

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([0-9.]+)", output).group(1)),
        "p50": latency(50),
        "p99": latency(99),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "errors": (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0)
        + (int(non_2xx.group(1)) if non_2xx else 0),
    }


def median(runs, key):
    return statistics.median(run[key] for run in runs)


def paired(runs, reference, key="rps"):
    """The median and range of the per-round ratios runs[i][key] / reference[i][key]."""
    ratios = [run[key] / ref[key] for run, ref in zip(runs, reference)]
    return statistics.median(ratios), min(ratios), max(ratios)


def ratio_text(runs, reference, key, what):
    middle, low, high = paired(runs, reference, key)
    return "%.2fx %s (%.2f-%.2f)" % (middle, what, low, high)


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read(), re.MULTILINE).group(1)
    except (OSError, AttributeError):
        pass
    return "%s, %d cores (%s), %s" % (platform.node() or "this machine", os.cpu_count() or 0, model or "cpu?",
                                      platform.platform(terse=True))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--container", default="pyops-serving")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=8, help="length of each measured run")
    parser.add_argument("--warmup", type=int, default=3, help="length of each target's warm-up run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--no-deploy", dest="deploy", action="store_false", help="the apps are deployed already")
    parser.add_argument("--servers", default=",".join(APPS),
                        help="the app servers to measure, comma-separated (more rounds of one in the same time)")
    args = parser.parse_args(argv)
    servers = args.servers.split(",")
    if not servers or set(servers) - set(APPS):
        parser.error("--servers: choose among %s" % ", ".join(APPS))
    cpu_targets = [target for target in CPU_TARGETS if target[1] is None or target[1] in servers]
    for tool in ("wrk", "nsenter", "taskset"):
        if not shutil.which(tool):
            raise SystemExit("serving: %s is missing (make bench-serving installs wrk)" % tool)

    if args.deploy:
        started = time.monotonic()
        deploy(args)
        print("deployed serve-g (Gunicorn), serve-u (uWSGI), serve-gr (Granian), serve-uv (Uvicorn), defaults: %.0f s"
              % (time.monotonic() - started),
              flush=True)
    concurrency = deployed_concurrency(args)
    pid = subprocess.run(["docker", "inspect", "-f", "{{.State.Pid}}", args.container], stdout=subprocess.PIPE,
                         text=True, check=True).stdout.strip()
    stop_references(args)
    start_references(args, concurrency)
    subprocess.run(["docker", "update", "--cpuset-cpus", "1", args.container], check=True, capture_output=True)
    try:
        io_targets = [("nginx -> %s (deployed)" % server, server, 80, host)
                      for _name, server, _port, host in cpu_targets if host]
        runs = {}
        for route, targets in (("/", cpu_targets), ("/api/wait", io_targets)):
            for name, server, port, host in targets:
                wrk(args, pid, port, host, CPU_ROUTES.get(server, route) if route == "/" else route, args.warmup)
            for number in range(args.rounds):
                # Every other round in the reverse order: a target measured right after another (or late in a
                # round, as a throttled VM slows down) would otherwise always be the same one.
                for name, server, port, host in (targets if number % 2 == 0 else targets[::-1]):
                    path = CPU_ROUTES.get(server, route) if route == "/" else route
                    runs.setdefault((route, name), []).append(wrk(args, pid, port, host, path, args.seconds))
    finally:
        subprocess.run(["docker", "update", "--cpuset-cpus", "0-%d" % ((os.cpu_count() or 1) - 1), args.container],
                       check=False, capture_output=True)
        stop_references(args)

    print()
    print("serving, %s; %s" % (datetime.date.today().isoformat(), machine()))
    print("wrk -t2 -c%d, %d rounds of %d s, interleaved, every other one reversed; wrk on CPU 0, the container on"
          " CPU 1; medians"
          % (args.connections, args.rounds, args.seconds))
    print("defaults deployed: Gunicorn %d workers x %d threads, uWSGI %d processes x %d threads, Granian %d workers, "
          "Uvicorn %d workers" % (concurrency["gunicorn"] + concurrency["uwsgi"] + concurrency["granian"][:1]
                                  + concurrency["uvicorn"][:1]))
    print()
    print("route / (CPU-bound; Uvicorn: the FastAPI example's /healthz)")
    print("| stack | requests/s | p50 ms | p99 ms | errors | deployed / by hand behind nginx as documented: median of the"
          " rounds' ratios (range) |")
    print("|---|---|---|---|---|---|")
    for name, server, _port, host in cpu_targets:
        result = runs[("/", name)]
        ratio = ""
        if host:
            reference = runs[("/", "nginx -> %s (by hand)" % server)]
            ratio = "%s, %s; %s of bare nginx" % (
                ratio_text(result, reference, "rps", "requests/s"), ratio_text(result, reference, "p99", "p99"),
                ratio_text(result, runs[("/", "nginx bare -> %s (by hand)" % server)], "rps", "requests/s"))
            if server == "granian":
                ratio += "; %s of Granian direct" % ratio_text(
                    result, runs[("/", "granian direct (by hand)")], "rps", "requests/s")
        errors = sum(r["errors"] for r in result)
        print("| %s | %.0f | %.1f | %.1f | %d | %s |" % (
            name, median(result, "rps"), median(result, "p50"), median(result, "p99"), errors, ratio))
    print()
    print("route /api/wait (I/O-bound, 50 ms a request)")
    print("| stack | slots | requests/s | slot capacity | share | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|")
    for name, server, _port, _host in io_targets:
        result = runs[("/api/wait", name)]
        workers, threads = concurrency[server]
        slots = min(workers * threads if threads else 1024, args.connections)
        capacity = slots / WAIT_SECONDS
        print("| %s | %d | %.0f | %.0f | %.0f %% | %.1f | %d |" % (
            name, slots, median(result, "rps"), capacity, 100 * median(result, "rps") / capacity,
            median(result, "p99"), sum(r["errors"] for r in result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
