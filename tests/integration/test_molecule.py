"""Run every molecule scenario as a pytest test, one after another.

Each scenario runs its whole test sequence (destroy, create, prepare, converge,
idempotence, check, verify, side effect, destroy) against a container with
systemd as PID 1. The base image is built by tests/harness/base-image.sh and
passed in the environment. Scenario `default` also runs under the oldest
controller we test (ansible-core 2.19 on Python 3.11, from .venv-compat), to
converge, idempotence and verify.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCENARIOS = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))
IMAGES = {"PYOPS_IMAGE_BOOKWORM": "bookworm"}
CURRENT = pathlib.Path(sys.executable).parent
COMPAT = ROOT / ".venv-compat" / "bin"
# The full sequence of each scenario under the current controller; under the oldest
# one, scenario `default` to converge, a second converge with no change, and verify
# (its check-mode run and side effect exercise nothing version-specific).
FULL = ("test",)
COMPAT_STEPS = ("destroy", "create", "prepare", "converge", "idempotence", "verify")
RUNS = [("scenario_%s" % s, s, CURRENT, FULL) for s in SCENARIOS]
if "default" in SCENARIOS:
    RUNS.append(("scenario_default_core219", "default", COMPAT, COMPAT_STEPS))


@pytest.fixture(scope="session")
def molecule_env():
    env = dict(os.environ)
    env.update(LANG="C.UTF-8", LC_ALL="C.UTF-8", PY_COLORS="0", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    subprocess.run([str(ROOT / "tests/harness/docker-engine.sh")], check=True)
    for variable, suite in IMAGES.items():
        if not env.get(variable):
            image = subprocess.run(
                [str(ROOT / "tests/harness/base-image.sh"), suite],
                check=True, capture_output=True, text=True,
            ).stdout.strip()
            env[variable] = image
    return env


@pytest.mark.parametrize(("scenario", "bindir", "steps"), [run[1:] for run in RUNS], ids=[run[0] for run in RUNS])
def test_scenario(scenario, bindir, steps, molecule_env):
    """Each step passes: converge, idempotence (changed=0), verify, side effect."""
    python = bindir / "python"
    if not python.exists():
        pytest.fail("%s is missing: run `make venv venv-compat` first" % python)
    env = dict(molecule_env, PATH="%s:%s" % (bindir, molecule_env.get("PATH", "")))
    output = []
    failed = None
    try:
        for step in steps:
            result = subprocess.run(
                [str(python), "-m", "molecule", step, "--scenario-name", scenario],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
            )
            output.append(result.stdout)
            if result.returncode != 0:
                failed = step
                break
    finally:
        if steps != FULL:
            result = subprocess.run([str(python), "-m", "molecule", "destroy", "--scenario-name", scenario],
                                    cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                    check=False)
            output.append(result.stdout)
    text = "".join(output)
    log = ROOT / ".cache" / ("molecule-%s-%s.log" % (scenario, bindir.parent.name))
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(text)
    sys.stdout.write(text[-20000:])
    assert failed is None, "molecule %s -s %s failed; full log in %s" % (failed, scenario, log)
