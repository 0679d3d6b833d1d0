#!/usr/bin/python
# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: wsgi_app_info
short_description: Find a Python web app's entry point and interface (WSGI or ASGI), and optionally import it to confirm
version_added: "1.0.0"
description:
  - Reads the app's source on the target and finds its entry point the way Flask's command line does,
    after Django's rules, and its interface, WSGI or ASGI. The source is parsed, never run, unless O(python) is given.
  - With O(hint) (or C(FLASK_APP) in O(environment_file)) in Flask's syntax, C([path/]module[.py][:name]) or
    C(module:factory(args)) with literal arguments only.
  - Without a hint, Django first (C(manage.py) names C(DJANGO_SETTINGS_MODULE), or O(environment_file) does; the
    settings, following C(from ... import *), give C(WSGI_APPLICATION), or C(ASGI_APPLICATION) for O(interface=asgi)),
    then C(wsgi.py), C(app.py), C(main.py), C(asgi.py).
  - Inside a module, the names C(app) then C(application), then a single app instance (C(Flask(...)), C(FastAPI(...)),
    C(Starlette), C(Quart), C(Litestar), C(Sanic), C(Bottle)), then the factories C(create_app) and C(make_app), which
    must then take no required argument.
  - The interface is what the source says builds the object found - an app class above, Django's
    C(get_wsgi_application()) or C(get_asgi_application()), C(def app(environ, start_response)) or
    C(async def app(scope, receive, send)), or the one kind of app class a factory calls - or what the import finds.
  - When the hint names a module that is not in O(path) and O(python) is given, the import alone
    checks it (the module may be installed in the venv).
  - With O(python), imports the app with that interpreter (the app's venv) in a child process, calls
    the factory, and checks that the result takes C((environ, start_response)) (WSGI) or is a coroutine function
    of C((scope, receive, send)) (ASGI), and that this is O(interface) when given.
  - On failure the message names the rule that failed and what it found.
options:
  path:
    description:
      - The app's directory (its code) on the target.
    type: path
    required: true
  hint:
    description:
      - Where the app is, in Flask's C(FLASK_APP) syntax, for example V(hello:create_app()), V(src/shop),
        V(shop.wsgi:application).
      - When missing, C(FLASK_APP) from O(environment_file) is used if set there.
    type: str
  environment_file:
    description:
      - The app's environment file on the target, C(KEY=value) lines (values may be JSON-quoted, as the
        app role writes them). C(FLASK_APP) and C(DJANGO_SETTINGS_MODULE) are read from it, and with
        O(python) the import runs with it. A file, not values, so that secrets stay out of the module's
        arguments.
    type: path
  python:
    description:
      - Python interpreter to import the app with, usually the app venv's C(bin/python).
      - The import runs the app's module-level code; leave this out to only read the source.
    type: path
  run_as:
    description:
      - With O(python), the user the import runs as (through C(runuser)), so it cannot write where the app cannot.
    type: str
  timeout:
    description:
      - With O(python), seconds the import may take.
    type: int
    default: 60
  interface:
    description:
      - The interface the app's server is to call. A Django project's C(ASGI_APPLICATION) (or its C(asgi.py)) is
        found for V(asgi), its C(WSGI_APPLICATION) otherwise.
      - An app whose source or import shows the other interface fails the module, naming the interface found and
        the servers that run it.
    type: str
    choices: [wsgi, asgi]
extends_documentation_fragment:
  - pyops.wsgi.attributes.read_only
notes:
  - uWSGI's C(module) option calls a factory only when it takes no arguments; RV(uwsgi) is null otherwise.
author:
  - pyops.wsgi developers (@pyops)
seealso:
  - module: pyops.wsgi.wsgi_probe
"""

EXAMPLES = r"""
- name: Find the entry point of the code in /srv/shop/code
  pyops.wsgi.wsgi_app_info:
    path: /srv/shop/code
  register: shop_entry

- name: Confirm with the app's venv that a factory builds a WSGI app
  pyops.wsgi.wsgi_app_info:
    path: /srv/shop/code
    hint: shop:create_app(config="production")
    python: /srv/shop/venv/bin/python
    run_as: shop
    environment_file: /etc/pyops-wsgi/shop/app.env
"""

RETURN = r"""
module:
  description: Dotted module path of the entry point.
  returned: always
  type: str
  sample: hello
callable:
  description: Name of the app, or of the factory, in the module (may be dotted, as app.wsgi_app).
  returned: always
  type: str
  sample: create_app
call:
  description: Whether RV(callable) is a factory to call.
  returned: always
  type: bool
  sample: true
args:
  description: Positional arguments for the factory (literals).
  returned: always
  type: list
  elements: raw
  sample: []
kwargs:
  description: Keyword arguments for the factory (literals).
  returned: always
  type: dict
  sample: {}
framework:
  description: The framework the code imports - V(flask), V(django), V(fastapi), V(quart), V(litestar), V(sanic),
    V(starlette), V(bottle) - or V(wsgi) (anything else), from the imports, or the app's type when imported.
  returned: always
  type: str
  sample: flask
rule:
  description: The rule that found the entry point.
  returned: always
  type: str
  sample: "file wsgi.py: the name 'app'"
file:
  description: The source file of the module; null when the hint names a module installed in the venv.
  returned: always
  type: str
  sample: /srv/shop/code/hello/__init__.py
pythonpath:
  description: The directory to import the module from (the app's directory unless the hint gave a path).
  returned: always
  type: str
  sample: /srv/shop/code
app_dir:
  description: The app's directory, absolute.
  returned: always
  type: str
  sample: /srv/shop/code
settings_module:
  description: For Django, the settings module used; null otherwise.
  returned: always
  type: str
  sample: mysite.settings
gunicorn:
  description: The entry point as Gunicorn's APP_MODULE argument (with C(--chdir) RV(pythonpath)).
  returned: always
  type: str
  sample: hello:create_app()
uwsgi:
  description: The entry point as uWSGI's C(module) option, or null for a factory with arguments.
  returned: always
  type: str
  sample: hello:create_app()
interface:
  description: V(wsgi) or V(asgi) - the app's interface as the import found it, else as its source shows it; null
    when neither tells (no import, and a source that does not say).
  returned: always
  type: str
  sample: asgi
imported:
  description: With O(python), what the import built; null otherwise.
  returned: always
  type: dict
  contains:
    type:
      description: Qualified type name of the app callable.
      type: str
    interface:
      description: V(wsgi) or V(asgi), by the callable's signature.
      type: str
    python:
      description: Version of the Python that imported it.
      type: str
  sample: {"type": "flask.app.Flask", "python": "3.11.2", "interface": "wsgi"}
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_discovery import (
    FRAMEWORKS, DiscoveryError, ModuleNotInCode, discover, from_hint_only,
)
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_environment import read_environment
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_interface import INTERFACES, servers_text

_MARK = "PYOPS_WSGI_APP_INFO "

# Run by the app's Python: import the module, build the app, tell WSGI from ASGI by its signature.
# An entry names the app's own code: its module comes from the app's folder or the venv's
# site-packages (never the standard library), and a factory it calls is a Python function
# or class of such a module, so that `os:system('id')` runs nothing.
_IMPORT_SCRIPT = r"""
import importlib, importlib.util, inspect, json, os, sys, sysconfig
spec = json.loads(sys.argv[1])
sys.path.insert(0, spec["pythonpath"])
roots = [os.path.realpath(spec["pythonpath"])] + [os.path.realpath(sysconfig.get_paths()[key])
                                                  for key in ("purelib", "platlib")]
def of_app(path):
    if not path or not os.path.isabs(path):
        return False  # frozen and built-in modules are the interpreter's
    path = os.path.realpath(path)
    return any(path.startswith(root + os.sep) for root in roots)
def refuse(why):
    sys.stdout.write("\n" + MARK + json.dumps({"refused": why}) + "\n")
    raise SystemExit(0)
top = importlib.util.find_spec(spec["module"].split(".")[0])
if top is None:
    raise ModuleNotFoundError("No module named %r" % spec["module"])
if not of_app(top.origin):
    refuse("module %s is not the app's (it comes from %s, not from the app's code or its venv)"
           % (spec["module"], top.origin or "the interpreter itself"))
target = importlib.import_module(spec["module"])
for name in spec["callable"].split("."):
    target = getattr(target, name)
if spec["call"]:
    function = getattr(target, "__func__", target)
    owner = sys.modules.get(getattr(function, "__module__", None) or "")
    if not (inspect.isfunction(function) or inspect.isclass(function)):
        refuse("%s is not a Python function or class of the app (a %s); only the app's own factories are called"
               % (spec["callable"], type(target).__name__))
    if not of_app(getattr(owner, "__file__", None)):
        refuse("%s is defined in %s, not in the app's code or its venv; only the app's own factories are called"
               % (spec["callable"], getattr(function, "__module__", "?")))
    target = target(*spec["args"], **spec["kwargs"])
kind = type(target)
found = {"type": "%s.%s" % (kind.__module__, kind.__qualname__), "python": sys.version.split()[0], "interface": None}
def takes(count):
    try:
        inspect.signature(target).bind(*[None] * count)
    except TypeError:
        return False
    except ValueError:
        return None  # no signature to read (a builtin): no telling
    return True
if not callable(target):
    found["problem"] = "is not callable"
else:
    method = target if inspect.isroutine(target) else getattr(target, "__call__", None)
    coroutine = inspect.iscoroutinefunction(method) or inspect.iscoroutinefunction(target)
    wsgi, asgi = takes(2), takes(3)
    if coroutine and asgi is not False:
        found["interface"] = "asgi"
    elif wsgi:
        found["interface"] = "wsgi" if not asgi or spec["interface"] != "asgi" else "asgi"
    elif asgi:
        found["interface"] = "asgi"
    elif wsgi is not None:
        found["problem"] = "cannot be called with (environ, start_response) or (scope, receive, send)"
sys.stdout.write("\n" + MARK + json.dumps(found) + "\n")
""".replace("MARK", repr(_MARK))


def import_app(module, found, params, environment):
    """Import the app with the given Python; returns the `imported` dict or fails the module."""
    python = params["python"]
    if not os.access(python, os.X_OK):
        module.fail_json(msg="python: %s is not an executable interpreter (is the venv built?)" % python)
    command = [module.get_bin_path("timeout", required=True), str(params["timeout"])]
    if params["run_as"]:
        command += [module.get_bin_path("runuser", required=True), "-u", params["run_as"], "--"]
    spec = dict((key, found[key]) for key in ("pythonpath", "module", "callable", "call", "args", "kwargs"))
    spec["interface"] = params["interface"]
    command += [python, "-c", _IMPORT_SCRIPT, json.dumps(spec)]
    environment = dict((str(key), str(value)) for key, value in environment.items())
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    if found.get("settings_module"):
        environment.setdefault("DJANGO_SETTINGS_MODULE", found["settings_module"])
    rc, out, err = module.run_command(command, cwd=found["pythonpath"], environ_update=environment)
    lines = [line for line in out.splitlines() if line.startswith(_MARK)]
    where = "importing %s with %s (rule: %s)" % (found["gunicorn"], python, found["rule"])
    if rc == 124:
        module.fail_json(msg="%s took more than %d s" % (where, params["timeout"]), **found)
    if rc != 0 or not lines:
        detail = (err.strip().splitlines() or ["exit status %d" % rc])[-1]
        module.fail_json(msg="%s failed: %s" % (where, detail), stderr=err, **found)
    imported = json.loads(lines[-1][len(_MARK):])
    if "refused" in imported:
        module.fail_json(msg="%s: refused: %s" % (where, imported["refused"]), **found)
    problem = imported.pop("problem", None)
    if problem:
        module.fail_json(msg="%s: the object built (%s) %s; it is not a WSGI or ASGI app" % (where, imported["type"], problem),
                         **found)
    _check_interface(module, "%s: the object built (%s)" % (where, imported["type"]), imported["interface"], found)
    return imported


def _check_interface(module, what, interface, found):
    """Fail when the app is not of the interface its server is to call."""
    wanted = module.params["interface"]
    if wanted and interface and interface != wanted:
        module.fail_json(msg="%s is %s %s app, but its server is to call it as %s: set interface: %s, with a server "
                             "that runs %s apps (%s)" % (what, "an" if interface == "asgi" else "a", interface.upper(),
                                                         wanted.upper(), interface, interface.upper(),
                                                         servers_text(interface)), **found)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            hint=dict(type="str"),
            environment_file=dict(type="path"),
            python=dict(type="path"),
            run_as=dict(type="str"),
            timeout=dict(type="int", default=60),
            interface=dict(type="str", choices=list(INTERFACES)),
        ),
        required_by=dict(run_as="python"),
        supports_check_mode=True,
    )
    params = module.params
    if params["timeout"] < 1:
        module.fail_json(msg="timeout: must be 1 or more, got %d" % params["timeout"])
    environment = {}
    if params["environment_file"]:
        try:
            environment = read_environment(params["environment_file"])
        except (OSError, ValueError) as error:
            module.fail_json(msg="environment_file: cannot use %s: %s" % (params["environment_file"], error))
    hint = params["hint"] or environment.get("FLASK_APP")
    try:
        try:
            found = discover(params["path"], hint, environment.get("DJANGO_SETTINGS_MODULE"), params["interface"])
        except ModuleNotInCode:
            if not (hint and params["python"] and os.path.isdir(params["path"])):
                raise
            found = from_hint_only(params["path"], hint)
    except DiscoveryError as error:
        module.fail_json(msg="no entry point found: %s" % error)
    found["imported"] = None
    if params["python"]:
        found["imported"] = import_app(module, found, params, environment)
        found["interface"] = found["imported"]["interface"] or found["interface"]
        top = found["imported"]["type"].split(".")[0]
        if top in FRAMEWORKS:
            found["framework"] = top
    else:
        _check_interface(module, "%s (rule: %s)" % (found["gunicorn"], found["rule"]), found["interface"], found)
    module.exit_json(changed=False, **found)


if __name__ == "__main__":
    main()
