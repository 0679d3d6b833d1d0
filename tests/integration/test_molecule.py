"""Run every molecule scenario as a pytest test, one after another.

Each scenario runs its whole test sequence (destroy, create, prepare, converge,
idempotence, verify, destroy) against a container with systemd as PID 1. The
base image is built by tests/harness/base-image.sh and passed in the environment.
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


@pytest.fixture(scope="session")
def molecule_env():
    env = dict(os.environ)
    env.update(LANG="C.UTF-8", LC_ALL="C.UTF-8", PY_COLORS="0", ANSIBLE_FORCE_COLOR="0")
    env["PATH"] = "%s:%s" % (pathlib.Path(sys.executable).parent, env.get("PATH", ""))
    subprocess.run([str(ROOT / "tests/harness/docker-engine.sh")], check=True)
    for variable, suite in IMAGES.items():
        if not env.get(variable):
            image = subprocess.run(
                [str(ROOT / "tests/harness/base-image.sh"), suite],
                check=True, capture_output=True, text=True,
            ).stdout.strip()
            env[variable] = image
    return env


@pytest.mark.parametrize("scenario", SCENARIOS, ids=["scenario_%s" % s for s in SCENARIOS])
def test_scenario(scenario, molecule_env):
    """`molecule test` passes: converge, idempotence (changed=0) and verify."""
    result = subprocess.run(
        [sys.executable, "-m", "molecule", "test", "--scenario-name", scenario],
        cwd=ROOT, env=molecule_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    log = ROOT / ".cache" / ("molecule-%s.log" % scenario)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(result.stdout)
    sys.stdout.write(result.stdout[-20000:])
    assert result.returncode == 0, "molecule test -s %s failed; full log in %s" % (scenario, log)
