"""A timer's units and a process's template unit (role systemd), and the launcher they run, rendered and run for real."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

# What the app's environment file holds, read back by the launcher as the workers read it.
ENVIRONMENT = {"QUOTES": 'say "hi" \\ bye', "UNICODE": "équipe ✓", "NEWLINE": "line1\nline2", "EMPTY": "",
               "DOLLAR": "$HOME 100%"}

# Arguments systemd would read otherwise, and what the command prints of where it ran.
COMMAND = ["python", "-c", 'import json, os, sys; print(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), '
           '"path": os.environ["PATH"].split(":")[0], "venv": os.environ["VIRTUAL_ENV"], '
           '"env": {k: os.environ[k] for k in %r}}))' % (sorted(ENVIRONMENT),),
           "50% of $HOME", 'a "quoted" \\ word', "two  spaces"]
TIMER = {"name": "report", "command": COMMAND, "schedule": "*-*-* 03:15:00", "once_per_fleet": False, "timeout": 0}


def timer(render, folder, **overrides):
    app = {"name": "shop", "source": {"type": "local", "path": "/src"}, "entry": "shop:app", "environment": ENVIRONMENT,
           "timers": [dict(TIMER, **overrides)]}
    spec_overrides = {"env_file": str(folder / "app.env"), "code_dir": str(folder / "current")}
    return render(app, ["app.env", "pyops_run.py", "timer.service", "timer.timer"], overrides=spec_overrides,
                  extra={"systemd_timer": dict(TIMER, unit="wsgi-shop.report", **overrides)})


def test_the_launcher_runs_the_command_in_the_current_release_with_its_venv_and_environment(render, tmp_path):
    rendered = timer(render, tmp_path)
    for name in ("app.env", "pyops_run.py"):
        (tmp_path / name).write_text(rendered[name])
    # A release whose venv's python is this interpreter, and `current` linking to it.
    release = tmp_path / "releases" / "r1"
    (release / "venv" / "bin").mkdir(parents=True)
    (release / "venv" / "bin" / "python").symlink_to(sys.executable)
    (tmp_path / "current").symlink_to(release)
    # The arguments as systemd passes them: the unit's ExecStart, split as systemd does it for these escapes.
    exec_start = next(line for line in rendered["timer.service"].splitlines() if line.startswith("ExecStart="))
    argv = json.loads("[%s]" % exec_start[len("ExecStart="):].replace("%%", "%").replace("$$", "$").replace('" "', '", "'))
    assert argv[:2] == ["/usr/bin/python3", "/etc/pyops-wsgi/shop/pyops_run.py"]
    assert argv[2:] == COMMAND
    result = subprocess.run([sys.executable, str(tmp_path / "pyops_run.py")] + argv[2:], cwd="/",
                            env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    ran = json.loads(result.stdout)
    assert ran == {"argv": COMMAND[3:], "cwd": str(release), "path": str(release / "venv" / "bin"),
                   "venv": str(release / "venv"), "env": ENVIRONMENT}


def test_the_units_run_the_command_once_at_a_time_as_the_app_in_its_sandbox(render, tmp_path):
    rendered = timer(render, tmp_path, timeout=3600)
    service, unit = rendered["timer.service"], rendered["timer.timer"]
    lines = service.splitlines()
    for line in ("Type=oneshot", "User=shop", "Group=shop", "StartLimitIntervalSec=0", "TimeoutStartSec=3600",
                 "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=-/srv/shop/data -/srv/shop/shared"):
        assert line in lines, line
    # No runtime folder of its own: systemd would remove the app server's /run/shop when a run ends.
    assert not any(line.startswith("RuntimeDirectory") for line in lines)
    assert "[Install]" not in service
    assert "OnCalendar=*-*-* 03:15:00" in unit.splitlines()
    assert "WantedBy=timers.target" in unit.splitlines()


def test_a_timer_without_a_timeout_runs_as_long_as_it_takes(render, tmp_path):
    assert "TimeoutStartSec=infinity" in timer(render, tmp_path)["timer.service"].splitlines()


def test_the_launcher_is_python_of_the_standard_library_only():
    launcher = pathlib.Path(__file__).resolve().parents[3] / "roles/systemd/templates/etc/pyops-wsgi/app/pyops_run.py.j2"
    imports = {line.split()[1] for line in launcher.read_text().splitlines() if line.startswith("import ")}
    assert imports <= {"os", "sys", "json"}, imports


PROCESS = {"name": "worker", "command": ["sh", "-c", 'exec celery -A shop worker -n "w$PYOPS_REPLICA@%h"'], "replicas": 2,
           "stop_signal": "TERM", "stop_timeout": 600}


def process_unit(render, **overrides):
    app = {"name": "shop", "source": {"type": "local", "path": "/src"}, "entry": "shop:app",
           "processes": [dict(PROCESS, **overrides)]}
    return render(app, ["process.service"], extra={"systemd_process": dict(
        PROCESS, unit="wsgi-shop.worker@.service", instances=[], **overrides)})["process.service"]


def test_a_process_instance_runs_the_launcher_as_the_app_in_its_sandbox_with_its_replica(render):
    lines = process_unit(render).splitlines()
    for line in ("Type=exec", "User=shop", "Group=shop", "Environment=PYOPS_REPLICA=%i", "KillMode=mixed",
                 "KillSignal=SIGTERM", "TimeoutStopSec=600", "Restart=on-failure", "NoNewPrivileges=yes",
                 "ProtectSystem=strict", "ReadWritePaths=-/srv/shop/data -/srv/shop/shared", "WantedBy=multi-user.target",
                 # systemd reads %% as % and $$ as $: the shell gets the variable, Celery its %h.
                 'ExecStart="/usr/bin/python3" "/etc/pyops-wsgi/shop/pyops_run.py" "sh" "-c" '
                 '"exec celery -A shop worker -n \\"w$$PYOPS_REPLICA@%%h\\""'):
        assert line in lines, line
    # No runtime folder of its own: systemd would remove the app server's /run/shop when it stops.
    assert not any(line.startswith("RuntimeDirectory") for line in lines)


def test_a_process_stops_on_the_signal_its_spec_names(render):
    assert "KillSignal=SIGINT" in process_unit(render, stop_signal="INT").splitlines()
