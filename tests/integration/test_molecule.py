"""Run every molecule scenario as a pytest test.

Each scenario runs its whole test sequence (destroy, create, prepare, converge,
idempotence, check, verify, side effect, destroy) against a container with
systemd as PID 1. The base images are built by tests/harness/base-image.sh.
Scenario `default` also runs on Debian 11 (Python 3.9, Gunicorn 23) and on Debian
13 under the oldest controller we test (ansible-core 2.19 on Python 3.11, from
.venv-compat), to converge, idempotence and verify: the distro matrix. The Debian 13
run deploys with the collection as users get it: the tarball `ansible-galaxy
collection build` makes, installed into an empty collections path that comes first
(PYOPS_INSTALLED_COLLECTIONS, molecule/default/molecule.yml). With
PYOPS_DEBIAN11_WHOLE=1 the Debian 11 run is whole (check mode and the side
effect's graceful reload through Gunicorn 23; about 110 s more, kept out of
`make test` for its 45 minutes). With PYOPS_PROFILE_TASKS=1 every task's wall time
is in the logs (ansible.posix's profile_tasks).

`make test` runs two scenarios at a time (pytest-xdist): most of a run is
waiting on the instance, not the controller. Every run has its own molecule
folder (MOLECULE_EPHEMERAL_DIRECTORY), and the runs of scenario `default` their
own instance name and published port, so no two runs share state.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCENARIOS = {p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml")}
CURRENT = pathlib.Path(sys.executable).parent
COMPAT = ROOT / ".venv-compat" / "bin"
# The full sequence of each scenario under the current controller on Debian 12; on
# Debian 11 and on Debian 13 (under the oldest controller), scenario `default` to
# converge, a second converge with no change, and verify.
FULL = ("test",)
SHORT = ("destroy", "create", "prepare", "converge", "idempotence", "verify")
# The longest first (seconds of a run beside another, make test on 2026-12-07, with
# pipelining): pytest-xdist's worksteal lets an idle worker take the second half of
# the other's queue, so the short runs at the end even out the two workers.
ORDER = ("django",    # 703
         "rollback",  # 524
         "fleet",     # 497
         "default",   # 441 on Debian 12, then Debian 11 (207) and 13 (227)
         "hardened",  # 430
         "apache",    # new; about as long as uwsgi alone
         "uwsgi",     # 338
         "emperor")   # 277


@dataclasses.dataclass(frozen=True)
class Run:
    """One molecule run: a scenario, the controller that runs it, its steps and settings."""

    name: str
    scenario: str
    bindir: pathlib.Path
    steps: tuple[str, ...] = FULL
    suite: str = "bookworm"
    env: tuple[tuple[str, str], ...] = ()
    # Deploy with the built tarball, installed, instead of this checkout.
    installed: bool = False


def default_run(name, bindir, steps, suite, instance, port, extra_env=(), installed=False):
    """Scenario `default` on one Debian suite, with its own instance and port."""
    env = (("PYOPS_DEFAULT_INSTANCE", instance), ("PYOPS_DEFAULT_PORT", str(port))) + tuple(extra_env)
    return Run(name, "default", bindir, steps, suite, env, installed)


RUNS = []
for scenario in ORDER + tuple(sorted(SCENARIOS - set(ORDER))):
    if scenario == "default" and scenario in SCENARIOS:
        RUNS.append(default_run("scenario_default", CURRENT, FULL, "bookworm", "pyops-default-debian12", 18080))
        # Debian 11: Python 3.9 gets Gunicorn 23, which has no uwsgi protocol, so
        # hello-git goes over HTTP there.
        RUNS.append(default_run("scenario_default_debian11", CURRENT,
                                FULL if os.environ.get("PYOPS_DEBIAN11_WHOLE") == "1" else SHORT, "bullseye",
                                "pyops-default-debian11", 18086, [("PYOPS_DEFAULT_GIT_PROTOCOL", "http")]))
    elif scenario in SCENARIOS:
        RUNS.append(Run("scenario_%s" % scenario, scenario, CURRENT))
if "default" in SCENARIOS:
    # Debian 13 under the oldest controller, from the installed tarball: one run for all three (CI time).
    RUNS.append(default_run("scenario_default_debian13_core219", COMPAT, SHORT, "trixie",
                            "pyops-default-debian13", 18088, installed=True))


def base_image(suite):
    """The image reference for a Debian suite, built once (the Makefile builds them first)."""
    return subprocess.run([str(ROOT / "tests/harness/base-image.sh"), suite],
                          check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="session")
def molecule_env():
    env = dict(os.environ)
    env.update(LANG="C.UTF-8", LC_ALL="C.UTF-8", PY_COLORS="0", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    subprocess.run([str(ROOT / "tests/harness/docker-engine.sh")], check=True)
    if not env.get("PYOPS_IMAGE_BOOKWORM"):
        env["PYOPS_IMAGE_BOOKWORM"] = base_image("bookworm")
    # Molecule reads every scenario's molecule.yml, whichever it runs.
    env.setdefault("PYOPS_DEFAULT_IMAGE", env["PYOPS_IMAGE_BOOKWORM"])
    if env.get("PYOPS_PROFILE_TASKS") == "1":
        # Each task's wall time in the logs, and each playbook's slowest at its end.
        env["ANSIBLE_CALLBACKS_ENABLED"] = "ansible.posix.profile_tasks"
        env.setdefault("PROFILE_TASKS_TASK_OUTPUT_LIMIT", "40")
    return env


def install_tarball(bindir, folder):
    """Build the collection's tarball and install it alone into folder; returns the collections path."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    build, collections = folder / "build", folder / "collections"
    galaxy = [str(bindir / "ansible-galaxy"), "collection"]
    quiet = dict(cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    subprocess.run(galaxy + ["build", "--output-path", str(build), str(ROOT)], check=True, **quiet)
    (tarball,) = build.glob("pyops-wsgi-*.tar.gz")
    # --force: ansible-galaxy skips a collection it finds in any configured path (this
    # checkout, through ansible.cfg's collections_path), though the target is empty.
    subprocess.run(galaxy + ["install", "--force", "--no-deps", "--collections-path", str(collections), str(tarball)],
                   check=True, **quiet)
    installed = collections / "ansible_collections" / "pyops" / "wsgi"
    assert (installed / "MANIFEST.json").is_file() and not installed.is_symlink(), installed
    return collections


# Where a failed run says why: a task Ansible failed (not one it was told to ignore),
# and molecule's own verdict (an idempotence failure names the tasks that changed).
TASK_FAILED = re.compile(r"^(fatal|failed): \[")
MOLECULE_ERROR = re.compile(r"^(CRITICAL|ERROR)\s")


def failures(text, before=25, after=4):
    """The lines before and after the last failed tasks and molecule's first error, for
    the assertion message: the end of a failed run's output is its clean-up, and a
    scenario's earlier failures may be expected ones (rescued, ignored)."""
    lines = text.splitlines()
    tasks = [number for number, line in enumerate(lines)
             if TASK_FAILED.match(line) and "...ignoring" not in "".join(lines[number + 1:number + 3])]
    errors = [number for number, line in enumerate(lines) if MOLECULE_ERROR.match(line)]
    hits = sorted(set(tasks[-2:] + errors[:1]))
    return "\n...\n".join("\n".join(lines[max(0, hit - before):hit + after]) for hit in hits)


# Molecule's line when an action of a sequence ends, e.g. "INFO     [django > converge] Executed: Successful".
EXECUTED = re.compile(r"^INFO\s+\[[^ \]]+ > ([a-z_]+)\] Executed")


def molecule(python, step, run, env):
    """One molecule step; returns its exit status, its output and the wall time of each of its actions."""
    started = last = time.monotonic()
    lines, actions = [], []
    with subprocess.Popen([str(python), "-m", "molecule", step, "--scenario-name", run.scenario],
                          cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        for line in proc.stdout:
            lines.append(line)
            ended = EXECUTED.match(line)
            if ended:
                now = time.monotonic()
                actions.append("%s %.0f s" % (ended.group(1), now - last))
                last = now
    return proc.returncode, "".join(lines), actions or ["%s %.0f s" % (step, time.monotonic() - started)]


@pytest.mark.parametrize("run", RUNS, ids=[run.name for run in RUNS])
def test_scenario(run, molecule_env):
    """Each step passes: converge, idempotence (changed=0), verify, side effect."""
    python = run.bindir / "python"
    if not python.exists():
        pytest.fail("%s is missing: run `make venv venv-compat` first" % python)
    env = dict(molecule_env, PATH="%s:%s" % (run.bindir, molecule_env.get("PATH", "")), **dict(run.env))
    if run.scenario == "default":
        env["PYOPS_DEFAULT_IMAGE"] = base_image(run.suite)
    env["MOLECULE_EPHEMERAL_DIRECTORY"] = str(ROOT / ".cache" / "molecule" / run.name)
    if run.installed:
        env["PYOPS_INSTALLED_COLLECTIONS"] = str(install_tarball(run.bindir, ROOT / ".cache" / "installed" / run.name))
    output, times = [], []
    failed = None
    try:
        for step in run.steps:
            status, text, actions = molecule(python, step, run, env)
            output.append(text)
            times.extend(actions)
            if status != 0:
                failed = step
                break
    finally:
        if run.steps != FULL:
            status, text, _actions = molecule(python, "destroy", run, env)
            output.append(text)
    text = "".join(output)
    log = ROOT / ".cache" / ("molecule-%s.log" % run.name)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(text + "\n%s: %s\n" % (run.name, ", ".join(times)))
    sys.stdout.write(text[-20000:])
    print("%s: %s" % (run.name, ", ".join(times)))
    assert failed is None, "molecule %s -s %s failed; full log in %s; last failures:\n%s" % (
        failed, run.scenario, log, failures(text))
