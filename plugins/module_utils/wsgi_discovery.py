# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find a web app's entry point and interface (WSGI or ASGI) in its source, without importing it.

The rules are Flask's CLI rules (a FLASK_APP-style hint, else wsgi.py, app.py, then
FastAPI's main.py and asgi.py;
in a module `app`, `application`, a single app instance (Flask, FastAPI, ...), then
`create_app` or `make_app`) preceded by Django's (manage.py -> DJANGO_SETTINGS_MODULE
-> WSGI_APPLICATION, or for ASGI, ASGI_APPLICATION or the project's asgi.py). The
interface is what the object found is built by (see wsgi_interface), or None when the
source does not tell. Source is read with `ast`; nothing is executed.
Standard library only; runs on Python 3.9.
"""

from __future__ import annotations

import ast
import os

from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_entry import EntryError, parse_entry
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_interface import (
    FRAMEWORK_CLASSES, built_by, of_factory, of_function,
)

_FILES = ("wsgi.py", "app.py", "main.py", "asgi.py")
_NAMES = ("app", "application")
_FACTORIES = ("create_app", "make_app")
_SETTINGS = "DJANGO_SETTINGS_MODULE"
# The frameworks told by their imports, first match wins (FastAPI's apps import Starlette too).
FRAMEWORKS = ("django", "flask", "fastapi", "quart", "litestar", "sanic", "starlette", "bottle")


class DiscoveryError(ValueError):
    """No usable entry point; the message names the rule that failed and what was found."""


class ModuleNotInCode(DiscoveryError):
    """The module is not a file under the app's directory (it may be installed in the venv)."""


def discover(app_dir, hint=None, settings_module=None, interface=None):
    """The entry point of the app in app_dir, as a dict (see wsgi_app_info's RETURN); `interface`, when
    given, picks a Django project's ASGI or WSGI application."""
    app_dir = os.path.abspath(app_dir)
    if not os.path.isdir(app_dir):
        raise DiscoveryError("%s is not a directory" % app_dir)
    if hint:
        return _finish(app_dir, _from_hint(app_dir, str(hint).strip()))
    if os.path.isfile(os.path.join(app_dir, "manage.py")) or settings_module:
        found = _django(app_dir, settings_module, interface)
        if found:
            return _finish(app_dir, found)
    for name in _FILES:
        if os.path.isfile(os.path.join(app_dir, name)):
            return _finish(app_dir, _in_module(app_dir, name[:-3], "file %s" % name))
    raise DiscoveryError(
        "no entry point hint was given and %s has none of manage.py (Django), %s: "
        "name the entry point, for example hello:create_app()" % (app_dir, ", ".join(_FILES)))


def from_hint_only(app_dir, hint):
    """The hint taken as it is, without reading the code: for a module installed in the venv,
    which only an import can check."""
    try:
        found = parse_entry(str(hint).strip(), default_callable="app")
    except EntryError as error:
        raise DiscoveryError("hint %r: %s" % (hint, error))
    found.update(pythonpath=os.path.abspath(app_dir), file=None, framework="wsgi", interface=None,
                 rule="hint %r (not in the app's code; checked by importing it)" % hint)
    return _finish(os.path.abspath(app_dir), found)


def gunicorn_entry(found):
    """Gunicorn's APP_MODULE: module:name, or module:factory(args) with literal arguments."""
    if not found["call"]:
        return "%s:%s" % (found["module"], found["callable"])
    args = [repr(value) for value in found["args"]]
    args += ["%s=%r" % (key, value) for key, value in sorted(found["kwargs"].items())]
    return "%s:%s(%s)" % (found["module"], found["callable"], ", ".join(args))


def uwsgi_entry(found):
    """uWSGI's `module` value, or None: uWSGI calls a factory only without arguments."""
    if not found["call"]:
        return "%s:%s" % (found["module"], found["callable"])
    if found["args"] or found["kwargs"]:
        return None
    return "%s:%s()" % (found["module"], found["callable"])


def _finish(app_dir, found):
    found["app_dir"] = app_dir
    found.setdefault("settings_module", None)
    found["gunicorn"] = gunicorn_entry(found)
    found["uwsgi"] = uwsgi_entry(found)
    return found


# --- hints -----------------------------------------------------------------

def _from_hint(app_dir, hint):
    """FLASK_APP syntax: [path/]module[.py][:name | :factory(args)]."""
    where, sep, target = hint.partition(":")
    pythonpath = app_dir
    if "/" in where or where.endswith(".py"):
        pythonpath, where = _module_from_path(app_dir, where, hint)
    try:
        parsed = parse_entry(where + sep + target, default_callable="app")
    except EntryError as error:
        raise DiscoveryError("hint %r: %s" % (hint, error))
    if not target.strip():
        return _in_module(pythonpath, parsed["module"], "hint %r" % hint, app_dir)
    path = _module_file(pythonpath, parsed["module"], "hint %r" % hint)
    tree = _parse(path)
    first = parsed["callable"].split(".", maxsplit=1)[0]
    names, star = _bound_names(tree)
    if first not in names and not star:
        raise DiscoveryError("hint %r: %s defines no top-level name %r (it defines: %s)"
                             % (hint, _relative(app_dir, path), first, ", ".join(sorted(names)) or "nothing"))
    parsed.update(pythonpath=pythonpath, file=path, rule="hint %r" % hint,
                  framework=_framework(pythonpath, path, tree),
                  interface=None if "." in parsed["callable"] else _interface(tree, first, parsed["call"]))
    return parsed


def _module_from_path(app_dir, where, hint):
    """Flask's path form: walk up while folders are packages; returns (pythonpath, dotted module)."""
    full = os.path.normpath(os.path.join(app_dir, where))
    if full != app_dir and not full.startswith(app_dir + os.sep):
        raise DiscoveryError("hint %r points outside the app directory %s" % (hint, app_dir))
    if full.endswith(".py"):
        full = full[:-3]
    if os.path.basename(full) == "__init__":
        full = os.path.dirname(full)
    parts = []
    while True:
        full, name = os.path.split(full)
        parts.append(name)
        if full == app_dir or not os.path.isfile(os.path.join(full, "__init__.py")):
            break
    return full, ".".join(reversed(parts))


# --- inside one module -----------------------------------------------------

def _in_module(pythonpath, module, rule, app_dir=None):
    """Flask's order inside a module: app, application, a single app instance, then factories."""
    path = _module_file(pythonpath, module, rule)
    tree = _parse(path)
    names, _star = _bound_names(tree)
    found = dict(module=module, args=[], kwargs={}, pythonpath=pythonpath, file=path)
    for name in _NAMES:
        if name in names:
            found.update(callable=name, call=False, rule="%s: the name %r" % (rule, name))
            break
    else:
        instances = _app_instances(tree)
        factories = [name for name in _FACTORIES if name in names]
        if len(instances) == 1:
            found.update(callable=instances[0][0], call=False, rule="%s: the only %s instance" % (rule, instances[0][1]))
        elif len(instances) > 1:
            raise DiscoveryError("%s: %s has several app instances (%s); name one in the hint, as %s:NAME"
                                 % (rule, _relative(app_dir or pythonpath, path),
                                    ", ".join("%s (%s)" % instance for instance in instances), module))
        elif factories:
            _check_factory(tree, factories[0], rule, module)
            found.update(callable=factories[0], call=True, rule="%s: the factory %s()" % (rule, factories[0]))
        else:
            raise DiscoveryError(
                "%s: %s has none of the names %s, no app instance (%s) and no factory %s; "
                "name the callable in the hint, as %s:NAME"
                % (rule, _relative(app_dir or pythonpath, path), ", ".join(_NAMES), ", ".join(FRAMEWORK_CLASSES),
                   " or ".join(_FACTORIES), module))
    found["framework"] = _framework(pythonpath, path, tree)
    found["interface"] = _interface(tree, found["callable"], found["call"])
    return found


def _check_factory(tree, name, rule, module):
    """A factory found by name is called without arguments, so it must not require any."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            positional = node.args.posonlyargs + node.args.args
            required = positional[:len(positional) - len(node.args.defaults)]
            required += [arg for arg, default in zip(node.args.kwonlyargs, node.args.kw_defaults) if default is None]
            if required:
                raise DiscoveryError(
                    "%s: the factory %s() needs the arguments %s; give them in the hint, as %s:%s(...)"
                    % (rule, name, ", ".join(arg.arg for arg in required), module, name))


def _app_instances(tree):
    """Top-level names assigned an app class's instance, such as Flask(...) or FastAPI(...): (name, class)."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                and _called_name(node.value) in FRAMEWORK_CLASSES:
            found += [(target.id, _called_name(node.value)) for target in node.targets if isinstance(target, ast.Name)]
    return found


def _interface(tree, name, call):
    """What the source tells of the interface of the top-level `name`: the class or function that
    builds it, its own signature, or for a factory (`call`) the app class it calls; None when it does
    not tell. The last definition of the name wins, as when the module runs."""
    interface = None
    pending = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            interface = of_factory(node) if call else of_function(node)
        elif isinstance(node, ast.Assign) and not call and any(
                isinstance(target, ast.Name) and target.id == name for target in node.targets):
            interface = built_by(_called_name(node.value)) if isinstance(node.value, ast.Call) else None
        elif isinstance(node, (ast.If, ast.Try)):
            pending[:0] = node.body
    return interface


def _called_name(call):
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


def _bound_names(tree):
    """Names a module binds at top level (including under if/try/with), and whether it star-imports."""
    names, star = set(), False
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    star = True
                else:
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.With)):
            targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
            targets += [item.optional_vars for item in getattr(node, "items", [])]
            for target in filter(None, targets):
                names.update(sub.id for sub in ast.walk(target) if isinstance(sub, ast.Name))
        if isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for field in ("body", "orelse", "finalbody"):
                pending += getattr(node, field, [])
            for handler in getattr(node, "handlers", []):
                pending += handler.body
    return names, star


def _framework(pythonpath, path, tree):
    """The framework (FRAMEWORKS) the module, or a local module it imports from, imports; else wsgi."""
    trees = [tree]
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            local = _find_module_file(pythonpath, node.module)
            if local and local != path:
                trees.append(_parse(local))
    for candidate in trees:
        imported = _imported_modules(candidate)
        for framework in FRAMEWORKS:
            if framework in imported:
                return framework
    return "wsgi"


def _imported_modules(tree):
    top = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            top.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            top.add(node.module.split(".")[0])
    return top


# --- Django ----------------------------------------------------------------

def _django(app_dir, settings_module, interface):
    rule = "Django"
    if settings_module:
        rule = "Django (%s=%s from the environment)" % (_SETTINGS, settings_module)
    else:
        manage = os.path.join(app_dir, "manage.py")
        settings_module = _manage_settings(_parse(manage))
        if not settings_module:
            if "django" in _imported_modules(_parse(manage)):
                raise DiscoveryError("Django: manage.py does not set %s; set it in the app's environment" % _SETTINGS)
            return None
        rule = "Django (manage.py sets %s=%s)" % (_SETTINGS, settings_module)
    settings = _module_file(app_dir, settings_module, rule)
    kind = "asgi" if interface == "asgi" else "wsgi"
    setting = kind.upper() + "_APPLICATION"
    target = _setting(app_dir, settings, setting, set())
    if target:
        where = "%s=%s" % (setting, target)
        module, _sep, name = target.rpartition(".")
    else:
        module, name = settings_module.rpartition(".")[0] + "." + kind, "application"
        where = "no %s, Django's default %s.%s" % (setting, module, name)
    if not module:
        raise DiscoveryError("%s: %s %r is not module.name" % (rule, setting, target))
    path = _module_file(app_dir, module, "%s, %s" % (rule, where))
    names, star = _bound_names(_parse(path))
    if name not in names and not star:
        raise DiscoveryError("%s, %s: %s defines no top-level name %r" % (rule, where, _relative(app_dir, path), name))
    return dict(module=module, callable=name, call=False, args=[], kwargs={}, pythonpath=app_dir, file=path,
                rule="%s, %s" % (rule, where), framework="django", settings_module=settings_module, interface=kind)


def _manage_settings(tree):
    """The value manage.py gives DJANGO_SETTINGS_MODULE (setdefault or assignment)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called_name(node) == "setdefault" and len(node.args) == 2:
            key, value = node.args
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript):
            key, value = node.targets[0].slice, node.value
        else:
            continue
        if _string(key) == _SETTINGS and _string(value):
            return _string(value)
    return None


def _setting(app_dir, path, setting, seen):
    """WSGI_APPLICATION or ASGI_APPLICATION in a settings file, following `from x import *` (split settings)."""
    if path in seen:
        return None
    seen.add(path)
    tree = _parse(path)
    for node in reversed(tree.body):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == setting
                                                for t in node.targets):
            return _string(node.value)
    package = _package_of(app_dir, path)
    for node in reversed(tree.body):
        if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
            base = package.split(".") if package else []
            if node.level:
                base = base[:len(base) - node.level + 1] if node.level > 1 else base
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            other = _find_module_file(app_dir, module)
            found = other and _setting(app_dir, other, setting, seen)
            if found:
                return found
    return None


def _package_of(app_dir, path):
    relative = os.path.relpath(os.path.dirname(path), app_dir)
    return "" if relative == "." else relative.replace(os.sep, ".")


# --- files -----------------------------------------------------------------

def _string(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _find_module_file(pythonpath, module):
    base = os.path.join(pythonpath, *module.split("."))
    for path in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(path):
            return path
    return None


def _module_file(pythonpath, module, rule):
    path = _find_module_file(pythonpath, module)
    if not path:
        base = os.path.join(*module.split("."))
        raise ModuleNotInCode("%s: module %s not found in %s (looked for %s.py and %s/__init__.py)"
                              % (rule, module, pythonpath, base, base))
    return path


def _parse(path):
    try:
        with open(path, "rb") as handle:
            return ast.parse(handle.read(), filename=path)
    except SyntaxError as error:
        raise DiscoveryError("%s line %s is not valid Python: %s" % (path, error.lineno, error.msg))
    except (OSError, ValueError) as error:
        raise DiscoveryError("cannot read %s: %s" % (path, error))


def _relative(base, path):
    return os.path.relpath(path, base)
