"""Run every molecule scenario as a pytest test, one after another.

Each scenario runs its whole test sequence (destroy, create, prepare, converge,
idempotence, verify, side effect, destroy) against a container with systemd as
PID 1. The base image is built by tests/harness/base-image.sh and passed in the
environment. Scenario `default` also runs under the oldest controller we test
(ansible-core 2.19 on Python 3.11, from .venv-compat).
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
RUNS = [("scenario_%s" % s, s, CURRENT) for s in SCENARIOS]
if "default" in SCENARIOS:
    RUNS.append(("scenario_default_core219", "default", COMPAT))


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


@pytest.mark.parametrize(("scenario", "bindir"), [run[1:] for run in RUNS], ids=[run[0] for run in RUNS])
def test_scenario(scenario, bindir, molecule_env):
    """`molecule test` passes: converge, idempotence (changed=0), verify, side effect."""
    python = bindir / "python"
    if not python.exists():
        pytest.fail("%s is missing: run `make venv venv-compat` first" % python)
    env = dict(molecule_env, PATH="%s:%s" % (bindir, molecule_env.get("PATH", "")))
    result = subprocess.run(
        [str(python), "-m", "molecule", "test", "--scenario-name", scenario],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
    )
    log = ROOT / ".cache" / ("molecule-%s-%s.log" % (scenario, bindir.parent.name))
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(result.stdout)
    sys.stdout.write(result.stdout[-20000:])
    assert result.returncode == 0, "molecule test -s %s failed; full log in %s" % (scenario, log)
