"""The environment file reader: what the app role writes reads back; bad lines are named."""

from __future__ import annotations

import pytest

from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_environment import parse_environment, read_environment


def test_lines_as_the_app_role_writes_them_read_back(tmp_path):
    path = tmp_path / "app.env"
    path.write_text('# Environment of shop\n\nSECRET="a=b \\"c\\" \\u00e9"\nPLAIN=x=y\n  SPACED = "v" \nEMPTY=\n',
                    encoding="utf-8")
    assert read_environment(str(path)) == {"SECRET": 'a=b "c" é', "PLAIN": "x=y", "SPACED": ' "v"', "EMPTY": ""}


@pytest.mark.parametrize(("text", "message"), [
    ("GOOD=1\nno equals sign\n", "line 2 is not KEY=value"),
    ("=value\n", "line 1 is not KEY=value"),
    ('KEY="open\n', "line 1: the value of KEY starts with a quote but is not a JSON string"),
    ('KEY="a" "b"\n', "line 1: the value of KEY starts with a quote but is not a JSON string"),
])
def test_bad_lines_are_named(text, message):
    with pytest.raises(ValueError, match="^%s$" % message):
        parse_environment(text)


def test_a_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(OSError):
        read_environment(str(tmp_path / "missing.env"))
