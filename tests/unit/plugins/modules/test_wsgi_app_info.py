"""wsgi_app_info: discovery through the module, and the optional import with a real interpreter."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import textwrap

import pytest

from .conftest import ROOT, run_module

FACTORY = """
import os

def create_app(greeting="hello", **options):
    if os.environ.get("REFUSE_ROOT") and os.getuid() == 0:
        raise RuntimeError("imported as root")
    message = os.environ.get("GREETING", greeting).encode()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [message]
    return app
"""


def write(folder, files):
    for name, text in files.items():
        path = pathlib.Path(folder) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return str(folder)


def test_the_example_app_is_found_from_a_hint():
    failed, result = run_module("wsgi_app_info", path=str(ROOT / "examples/apps/flask_hello"), hint="hello")
    assert not failed, result
    assert (result["module"], result["callable"], result["call"], result["framework"]) == (
        "hello", "create_app", True, "flask")
    assert (result["gunicorn"], result["uwsgi"]) == ("hello:create_app()", "hello:create_app()")
    assert result["changed"] is False and result["imported"] is None


def test_flask_app_in_the_environment_file_is_the_hint(tmp_path):
    write(tmp_path / "code", {"shop/__init__.py": FACTORY, "wsgi.py": "app = None\n"})
    (tmp_path / "app.env").write_text('# managed\nFLASK_APP="shop:create_app(\\"hi\\")"\nDEBUG=0\n')
    failed, result = run_module("wsgi_app_info", path=str(tmp_path / "code"), environment_file=str(tmp_path / "app.env"))
    assert not failed, result
    assert (result["module"], result["callable"], result["args"]) == ("shop", "create_app", ["hi"])
    assert result["uwsgi"] is None


def test_import_with_the_apps_python_builds_a_wsgi_callable(tmp_path):
    write(tmp_path, {"wsgi.py": FACTORY})
    (tmp_path / "app.env").write_text('GREETING="from the env file"\n')
    failed, result = run_module("wsgi_app_info", path=str(tmp_path), python=sys.executable,
                                environment_file=str(tmp_path / "app.env"))
    assert not failed, result
    assert result["imported"] == {"type": "builtins.function", "python": "%d.%d.%d" % sys.version_info[:3],
                                  "interface": "wsgi"}
    assert result["interface"] == "wsgi"
    assert result["rule"] == "file wsgi.py: the factory create_app()"
    assert not list(tmp_path.rglob("__pycache__")), "the import must not write bytecode into the code"


@pytest.mark.parametrize(
    ("files", "hint", "message"),
    [
        ({"wsgi.py": "import not_installed_anywhere\napp = 1\n"}, None,
         "importing wsgi:app with %(python)s (rule: file wsgi.py: the name 'app') failed: "
         "ModuleNotFoundError: No module named 'not_installed_anywhere'"),
        ({"wsgi.py": "app = 42\n"}, None,
         "the object built (builtins.int) is not callable; it is not a WSGI or ASGI app"),
        ({"wsgi.py": "def app(environ):\n    return []\n"}, None,
         "cannot be called with (environ, start_response) or (scope, receive, send)"),
        ({"wsgi.py": "def create_app():\n    raise ValueError('no database configured')\n"}, None,
         "failed: ValueError: no database configured"),
        ({"wsgi.py": "import time\ntime.sleep(30)\napp = 1\n"}, None, "took more than 1 s"),
    ],
)
def test_import_failures_say_what_failed(tmp_path, files, hint, message):
    write(tmp_path, files)
    failed, result = run_module("wsgi_app_info", path=str(tmp_path), hint=hint, python=sys.executable, timeout=1)
    assert failed
    assert message % {"python": sys.executable} in result["msg"], result["msg"]
    assert result["module"] == "wsgi", "what was found is returned with the failure"


ASGI_CLASS = """
class Api:
    async def __call__(self, scope, receive, send):
        pass

app = Api()
"""


@pytest.mark.parametrize(
    ("files", "hint", "interface", "found"),
    [
        # The import tells by the signature, whatever the source says (or does not).
        ({"wsgi.py": ASGI_CLASS}, None, None, "asgi"),
        ({"wsgi.py": ASGI_CLASS}, None, "asgi", "asgi"),
        ({"app.py": "async def app(scope, receive, send):\n    pass\n"}, None, "asgi", "asgi"),
        ({"wsgi.py": "def app(environ, start_response):\n    return []\n"}, None, "wsgi", "wsgi"),
        # A callable that takes anything is what the server is to call.
        ({"wsgi.py": "def app(*args):\n    return []\n"}, None, "asgi", "asgi"),
        ({"wsgi.py": "def app(*args):\n    return []\n"}, None, None, "wsgi"),
    ],
)
def test_the_import_finds_the_interface(tmp_path, files, hint, interface, found):
    write(tmp_path, files)
    arguments = dict(path=str(tmp_path), hint=hint, python=sys.executable)
    if interface:
        arguments["interface"] = interface
    failed, result = run_module("wsgi_app_info", **arguments)
    assert not failed, result
    assert (result["interface"], result["imported"]["interface"]) == (found, found)


@pytest.mark.parametrize(
    ("files", "interface", "python", "message"),
    [
        # By the import: an ASGI app for a WSGI server, and the reverse.
        ({"wsgi.py": ASGI_CLASS}, "wsgi", True,
         "the object built (wsgi.Api) is an ASGI app, but its server is to call it as WSGI: set interface: asgi, "
         "with a server that runs ASGI apps (gunicorn with worker_class asgi"),
        ({"wsgi.py": "def app(environ, start_response):\n    return []\n"}, "asgi", True,
         "is a WSGI app, but its server is to call it as ASGI: set interface: wsgi, with a server that runs WSGI "
         "apps (gunicorn, uwsgi"),
        # By the source alone, before any import.
        ({"main.py": "from fastapi import FastAPI\napp = FastAPI()\n"}, "wsgi", False,
         "main:app (rule: hint 'main': the name 'app') is an ASGI app, but its server is to call it as WSGI"),
    ],
)
def test_an_app_of_the_other_interface_is_refused(tmp_path, files, interface, python, message):
    write(tmp_path, files)
    arguments = dict(path=str(tmp_path), interface=interface, hint="main" if "main.py" in files else None)
    if python:
        arguments["python"] = sys.executable
    failed, result = run_module("wsgi_app_info", **arguments)
    assert failed
    assert message in result["msg"], result["msg"]


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser") or not os.path.exists("/usr/bin/python3"),
                    reason="needs root, runuser and a system Python")
def test_run_as_imports_as_that_user():
    folder = tempfile.mkdtemp(prefix="pyops-app-info-")
    try:
        os.chmod(folder, 0o755)
        write(folder, {"wsgi.py": FACTORY})
        env = pathlib.Path(folder) / "app.env"
        env.write_text("REFUSE_ROOT=1\n")
        env.chmod(0o644)
        os.chmod(os.path.join(folder, "wsgi.py"), 0o644)
        python = "/usr/bin/python3"  # the venv's lives under /root, which nobody cannot enter
        failed, result = run_module("wsgi_app_info", path=folder, python=python, environment_file=str(env))
        assert failed and "RuntimeError: imported as root" in result["msg"]
        failed, result = run_module("wsgi_app_info", path=folder, python=python, environment_file=str(env),
                                    run_as="nobody")
        assert not failed, result["msg"]
    finally:
        shutil.rmtree(folder)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (dict(), "missing required arguments: path"),
        (dict(path="/nonexistent/code"), "no entry point found: /nonexistent/code is not a directory"),
        (dict(path="/", run_as="nobody"), "missing parameter(s) required by 'run_as': python"),
        (dict(path=str(ROOT / "examples/apps/flask_hello"), hint="hello", python="/nonexistent/python"),
         "python: /nonexistent/python is not an executable interpreter"),
        (dict(path="/", timeout=0), "timeout: must be 1 or more"),
        (dict(path="/", environment_file="/nonexistent/app.env"), "environment_file: cannot use /nonexistent/app.env"),
    ],
)
def test_bad_input(args, message):
    failed, result = run_module("wsgi_app_info", **args)
    assert failed and message in result["msg"], result["msg"]


def test_a_bad_environment_file_names_the_line(tmp_path):
    env = tmp_path / "app.env"
    env.write_text("OK=1\nnot a pair\n")
    failed, result = run_module("wsgi_app_info", path=str(tmp_path), environment_file=str(env))
    assert failed and "line 2 is not KEY=value" in result["msg"]


def venv_with(folder, name, text):
    """A real venv (no pip) with one module in its site-packages; its Python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    pathlib.Path(site, name).write_text(text)
    return str(python)


def test_a_module_installed_in_the_venv_is_checked_by_importing_it(tmp_path):
    python = venv_with(tmp_path / "venv", "shopapp.py", FACTORY)
    (tmp_path / "code").mkdir()
    failed, result = run_module("wsgi_app_info", path=str(tmp_path / "code"), hint="shopapp:create_app()",
                                python=python)
    assert not failed, result
    assert result["file"] is None and "checked by importing it" in result["rule"]
    assert result["imported"]["type"] == "builtins.function"


@pytest.mark.parametrize(
    ("files", "hint", "message"),
    [
        # The standard library is not the app: not imported, nothing called.
        ({}, "os:system('touch %(witness)s')", "module os is not the app's (it comes from"),
        ({}, "subprocess:call(['touch', '%(witness)s'])", "module subprocess is not the app's"),
        ({}, "wsgiref.simple_server:demo_app", "module wsgiref.simple_server is not the app's"),
        # The app's module, but a callable it imported from elsewhere.
        ({"hello.py": "import os\nimport subprocess\n"}, "hello:os.system('touch %(witness)s')",
         "os.system is not a Python function or class of the app (a builtin_function_or_method)"),
        ({"hello.py": "import subprocess\n"}, "hello:subprocess.call(['touch', '%(witness)s'])",
         "subprocess.call is defined in subprocess, not in the app's code or its venv"),
        ({"hello.py": "from subprocess import call as create_app\n"}, "hello:create_app(['touch', '%(witness)s'])",
         "create_app is defined in subprocess"),
    ],
)
def test_an_entry_runs_nothing_but_the_apps_own_factory(tmp_path, files, hint, message):
    witness = tmp_path / "witness"
    (tmp_path / "code").mkdir()
    write(tmp_path / "code", files)
    failed, result = run_module("wsgi_app_info", path=str(tmp_path / "code"), hint=hint % {"witness": witness},
                                python=sys.executable)
    assert failed and "refused: " + message in result["msg"], result["msg"]
    assert not witness.exists(), "the entry ran a command"
    failed, result = run_module("wsgi_app_info", path=str(tmp_path), hint="wsgiref.simple_server:demo_app")
    assert failed and "module wsgiref.simple_server not found in %s" % tmp_path in result["msg"]
