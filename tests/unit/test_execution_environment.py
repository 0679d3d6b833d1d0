"""execution-environment.yml: ansible-builder accepts it and builds what we pin.

`ansible-builder create` writes the build context (the Containerfile and the
collection requirements) without pulling an image, so it runs here.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]


def pinned(name, requirements="requirements-controller.txt"):
    for line in (ROOT / requirements).read_text().splitlines():
        if line.startswith(name + "=="):
            return line
    raise AssertionError("%s is not pinned in %s" % (name, requirements))


def test_ansible_builder_makes_a_build_context_with_our_pins(tmp_path):
    builder = pathlib.Path(sys.executable).parent / "ansible-builder"
    result = subprocess.run(
        [str(builder), "create", "--file", str(ROOT / "execution-environment.yml"), "--context", str(tmp_path),
         "--output-filename", "Containerfile"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    containerfile = (tmp_path / "Containerfile").read_text()
    # The controller we test with, on a Python it supports.
    assert pinned("ansible-core") in containerfile
    assert 'PYCMD="/usr/bin/python3.12"' in containerfile
    collections = yaml.safe_load((tmp_path / "_build" / "requirements.yml").read_text())["collections"]
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    assert collections == [{"name": "%s.%s" % (galaxy["namespace"], galaxy["name"]), "version": ">=%s" % galaxy["version"]}]


def test_ansible_navigator_runs_the_deploy_in_this_execution_environment():
    """ansible-navigator.yml names the image execution-environment.yml says to build, at this version."""
    navigator = yaml.safe_load((ROOT / "ansible-navigator.yml").read_text())["ansible-navigator"]
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    built = (ROOT / "execution-environment.yml").read_text()
    image = navigator["execution-environment"]["image"]
    assert navigator["execution-environment"]["enabled"] is True
    assert image.endswith(":%s" % galaxy["version"])
    assert "--tag %s" % image in built
    assert "ansible-navigator run pyops.wsgi.deploy" in (ROOT / "ansible-navigator.yml").read_text()
