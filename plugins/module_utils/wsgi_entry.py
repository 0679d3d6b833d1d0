# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""WSGI entry points written as Flask's CLI and Gunicorn read them.

`package.module`, `package.module:name`, `package.module:factory(args)`. Factory
arguments must be literals: they are parsed with `ast`, never evaluated as code.
Standard library only; runs on Python 3.9.
"""

from __future__ import annotations

import ast
import json
import re

_MODULE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\Z")


class EntryError(ValueError):
    """An entry point that cannot be used, with the reason."""


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        raise EntryError("the part after ':' must be a name such as app or create_app()")
    parts.append(node.id)
    return ".".join(reversed(parts))


def _literal(node):
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise EntryError("factory arguments must be literals (strings, numbers, true/false, lists, dicts)")
    try:
        json.dumps(value)
    except TypeError:
        raise EntryError("factory arguments must be strings, numbers, booleans, None, lists or dicts")
    return value


def parse_entry(text, default_callable="application"):
    """Split an entry point: {'module', 'callable', 'call', 'args', 'kwargs'}."""
    text = str(text or "").strip()
    module, _sep, target = text.partition(":")
    if not _MODULE.match(module):
        raise EntryError("%r is not a dotted module path" % module)
    target = target.strip() or default_callable
    try:
        node = ast.parse(target, mode="eval").body
    except SyntaxError:
        raise EntryError("%r is not a name or a call such as create_app()" % target)
    call = isinstance(node, ast.Call)
    args, kwargs = [], {}
    if call:
        if any(isinstance(arg, ast.Starred) for arg in node.args) or any(k.arg is None for k in node.keywords):
            raise EntryError("factory arguments cannot be unpacked with * or **")
        args = [_literal(arg) for arg in node.args]
        kwargs = dict((k.arg, _literal(k.value)) for k in node.keywords)
        node = node.func
    return {"module": module, "callable": _dotted(node), "call": call, "args": args, "kwargs": kwargs}
