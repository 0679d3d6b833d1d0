"""Code that runs on targets parses as Python 3.9 (Debian 11's), and ansible-doc shows each module."""

from __future__ import annotations

import ast
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
TARGET_CODE = sorted((ROOT / "plugins" / "modules").glob("*.py")) + sorted(
    (ROOT / "plugins" / "module_utils").glob("*.py"))
MODULES = sorted(path.stem for path in (ROOT / "plugins" / "modules").glob("*.py"))


@pytest.mark.parametrize("path", TARGET_CODE, ids=[path.name for path in TARGET_CODE])
def test_target_code_parses_as_python_3_9(path):
    ast.parse(path.read_text(), filename=str(path), feature_version=(3, 9))


def test_a_3_10_feature_is_caught():
    with pytest.raises(SyntaxError):
        ast.parse("match x:\n    case 1:\n        pass\n", feature_version=(3, 9))


@pytest.mark.parametrize("name", MODULES)
def test_ansible_doc_shows_the_module(name):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    result = subprocess.run([str(pathlib.Path(sys.executable).parent / "ansible-doc"), "pyops.wsgi." + name],
                            cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "pyops.wsgi.%s" % name in result.stdout
    assert "EXAMPLES" in result.stdout and "RETURN VALUES" in result.stdout
