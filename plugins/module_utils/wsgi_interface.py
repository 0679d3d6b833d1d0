# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How an app server calls the app: WSGI `(environ, start_response)` or ASGI `(scope, receive, send)`.

The servers that run each interface, and what the source tells of an object:
the class it is built from, or the function it is. Standard library only: used by
the app spec filter on the controller and by module wsgi_app_info on the targets.
"""

from __future__ import annotations

import ast

INTERFACES = ("wsgi", "asgi")
# The servers that call each interface, by the spec's `server`; Gunicorn calls ASGI
# apps with its worker class `asgi` only.
SERVERS = {
    "wsgi": ("gunicorn", "uwsgi", "granian", "mod_wsgi"),
    "asgi": ("gunicorn", "granian", "uvicorn"),
}
_SERVER_NOTES = {("asgi", "gunicorn"): "gunicorn with worker_class asgi"}
# What a module-level `NAME = CLASS(...)` or `NAME = function()` builds.
_BUILT_BY = {
    "Flask": "wsgi", "Bottle": "wsgi", "get_wsgi_application": "wsgi", "WSGIHandler": "wsgi",
    "FastAPI": "asgi", "Starlette": "asgi", "Quart": "asgi", "Litestar": "asgi", "Sanic": "asgi",
    "get_asgi_application": "asgi", "ASGIHandler": "asgi",
}
FRAMEWORK_CLASSES = tuple(name for name in _BUILT_BY if name[0].isupper() and not name.endswith("Handler"))


def interfaces_of(server):
    """The interfaces a server calls, in the order it prefers them."""
    return tuple(interface for interface in INTERFACES if server in SERVERS[interface])


def servers_text(interface):
    """The servers that run an interface, for a message: `gunicorn with worker_class asgi, ...`."""
    return ", ".join(_SERVER_NOTES.get((interface, server), server) for server in SERVERS[interface])


def built_by(name):
    """The interface of what a class or function of this name builds, or None."""
    return _BUILT_BY.get(name)


def of_function(node):
    """The interface of a function definition by its signature: `async def app(scope, receive, send)`
    is ASGI, `def app(environ, start_response)` is WSGI; None for anything else."""
    arguments = node.args.posonlyargs + node.args.args
    names = [argument.arg for argument in arguments]
    if names and names[0] in ("self", "cls"):
        names = names[1:]
    if isinstance(node, ast.AsyncFunctionDef) and len(names) == 3:
        return "asgi"
    if isinstance(node, ast.FunctionDef) and len(names) == 2:
        return "wsgi"
    return None


def of_factory(node):
    """The interface of what a factory function builds: the one kind of app class it calls, or None."""
    found = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if built_by(name):
                found.add(built_by(name))
    return found.pop() if len(found) == 1 else None
