# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The app's environment file, KEY="value" lines with JSON-quoted values, read back.

The one reader of the file the app role writes: the module wsgi_app_info uses it,
and the entry module every worker imports carries the same code (the app role's
template renders this file into it), so a line one refuses the other refuses too.
Standard library only.
"""

from __future__ import annotations

import json


def parse_environment(text):
    """{KEY: value} of KEY=value lines; blank lines and # comments skipped; a value starting with a
    double quote is a JSON string. ValueError names the first bad line."""
    environment = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError("line %d is not KEY=value" % number)
        if value.startswith('"'):
            try:
                value = json.loads(value)
            except ValueError:
                raise ValueError("line %d: the value of %s starts with a quote but is not a JSON string"
                                 % (number, key)) from None
            if not isinstance(value, str):
                raise ValueError("line %d: the value of %s is not a JSON string" % (number, key))
        environment[key] = value
    return environment


def read_environment(path):
    """parse_environment of the file at path (UTF-8); OSError when it cannot be read."""
    with open(path, encoding="utf-8") as handle:
        return parse_environment(handle.read())
