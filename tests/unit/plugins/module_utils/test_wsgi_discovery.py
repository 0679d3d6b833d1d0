"""Entry point discovery: Flask's CLI rules after Django's, read from source only."""

from __future__ import annotations

import textwrap

import pytest

from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_discovery import DiscoveryError, discover

FLASK_FACTORY = """
from flask import Flask

def create_app(config=None):
    app = Flask(__name__)
    return app
"""

MANAGE = """
import os, sys

def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
"""

DJANGO_WSGI = """
import os
from django.core.wsgi import get_wsgi_application
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
application = get_wsgi_application()
"""


def tree(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


@pytest.mark.parametrize(
    ("files", "hint", "settings", "expected"),
    [
        # No hint: wsgi.py before app.py, and `app` before `application`.
        ({"wsgi.py": "from flask import Flask\napp = Flask(__name__)\napplication = app\n",
          "app.py": "application = None\n"}, None, None,
         ("wsgi", "app", False, [], "flask", "file wsgi.py: the name 'app'")),
        ({"app.py": "def application(environ, start_response):\n    pass\n"}, None, None,
         ("app", "application", False, [], "wsgi", "file app.py: the name 'application'")),
        # A single Flask instance under another name.
        ({"app.py": "import flask\nweb = flask.Flask(__name__)\n"}, None, None,
         ("app", "web", False, [], "flask", "the only Flask instance")),
        # Factories, in Flask's order, when no instance is bound.
        ({"wsgi.py": FLASK_FACTORY}, None, None,
         ("wsgi", "create_app", True, [], "flask", "the factory create_app()")),
        ({"wsgi.py": "def make_app():\n    return None\n"}, None, None,
         ("wsgi", "make_app", True, [], "wsgi", "the factory make_app()")),
        # The callable comes from a local module: the framework is read there.
        ({"wsgi.py": "from shop import create_app\napp = create_app()\n", "shop/__init__.py": FLASK_FACTORY},
         None, None, ("wsgi", "app", False, [], "flask", "the name 'app'")),
        # Names bound under if/try count.
        ({"wsgi.py": "try:\n    from shop import app\nexcept ImportError:\n    app = None\n"}, None, None,
         ("wsgi", "app", False, [], "wsgi", "the name 'app'")),
        # Hints in FLASK_APP syntax.
        ({"hello/__init__.py": FLASK_FACTORY}, "hello", None,
         ("hello", "create_app", True, [], "flask", "hint 'hello': the factory create_app()")),
        ({"hello/__init__.py": FLASK_FACTORY}, "hello:create_app('prod', debug=False)", None,
         ("hello", "create_app", True, ["prod"], "flask", "hint")),
        ({"src/shop/__init__.py": "", "src/shop/web.py": "app = 1\n"}, "src/shop/web.py", None,
         ("shop.web", "app", False, [], "wsgi", "hint 'src/shop/web.py'")),
        ({"src/shop/__init__.py": "app = 1\n"}, "src/shop", None,
         ("shop", "app", False, [], "wsgi", "hint 'src/shop'")),
        ({"hello.py": "class App:\n    wsgi_app = None\napp = App()\n"}, "hello:app.wsgi_app", None,
         ("hello", "app.wsgi_app", False, [], "wsgi", "hint")),
        ({"hello.py": "from other import *\n"}, "hello:anything", None,
         ("hello", "anything", False, [], "wsgi", "hint")),
        # Django: manage.py -> DJANGO_SETTINGS_MODULE -> WSGI_APPLICATION.
        ({"manage.py": MANAGE, "mysite/__init__.py": "", "mysite/wsgi.py": DJANGO_WSGI,
          "mysite/settings.py": "WSGI_APPLICATION = 'mysite.wsgi.application'\n"}, None, None,
         ("mysite.wsgi", "application", False, [], "django", "manage.py sets DJANGO_SETTINGS_MODULE=mysite.settings")),
        # Split settings: WSGI_APPLICATION in a module pulled in with a relative star import.
        ({"manage.py": MANAGE.replace("mysite.settings", "mysite.settings.prod"), "mysite/__init__.py": "",
          "mysite/wsgi.py": DJANGO_WSGI, "mysite/settings/__init__.py": "",
          "mysite/settings/base.py": "WSGI_APPLICATION = 'mysite.wsgi.application'\n",
          "mysite/settings/prod.py": "from .base import *\nDEBUG = False\n"}, None, None,
         ("mysite.wsgi", "application", False, [], "django", "WSGI_APPLICATION=mysite.wsgi.application")),
        # The environment's settings module wins over manage.py's default.
        ({"manage.py": MANAGE, "mysite/__init__.py": "", "mysite/wsgi.py": DJANGO_WSGI,
          "mysite/settings.py": "WSGI_APPLICATION = 'mysite.wsgi.application'\n",
          "mysite/live.py": "WSGI_APPLICATION = 'mysite.live_wsgi.application'\n",
          "mysite/live_wsgi.py": DJANGO_WSGI}, None, "mysite.live",
         ("mysite.live_wsgi", "application", False, [], "django", "from the environment")),
        # No WSGI_APPLICATION: Django's default project wsgi module.
        ({"manage.py": MANAGE, "mysite/__init__.py": "", "mysite/wsgi.py": DJANGO_WSGI,
          "mysite/settings.py": "DEBUG = False\n"}, None, None,
         ("mysite.wsgi", "application", False, [], "django", "no WSGI_APPLICATION")),
        # A manage.py that is not Django's does not stop the Flask rules.
        ({"manage.py": "print('tasks')\n", "app.py": "app = 1\n"}, None, None,
         ("app", "app", False, [], "wsgi", "file app.py")),
    ],
)
def test_entry_points_are_found(tmp_path, files, hint, settings, expected):
    found = discover(str(tree(tmp_path, files)), hint, settings)
    module, name, call, args, framework, rule = expected
    assert (found["module"], found["callable"], found["call"], found["args"], found["framework"]) == (
        module, name, call, args, framework)
    assert rule in found["rule"]
    assert found["app_dir"] == str(tmp_path)


DJANGO_ASGI = DJANGO_WSGI.replace("wsgi", "asgi")


@pytest.mark.parametrize(
    ("files", "hint", "interface", "expected"),
    [
        # What builds the object: an app class, by name or as an attribute of its module.
        ({"main.py": "from fastapi import FastAPI\napp = FastAPI()\n"}, None, None, ("main:app", "asgi")),
        ({"app.py": "import starlette.applications as s\nweb = s.Starlette()\n"}, None, None, ("app:web", "asgi")),
        ({"app.py": "from quart import Quart\napp = Quart(__name__)\n"}, None, None, ("app:app", "asgi")),
        ({"app.py": "from litestar import Litestar\napp = Litestar([])\n"}, None, None, ("app:app", "asgi")),
        ({"wsgi.py": "from flask import Flask\napp = Flask(__name__)\n"}, None, None, ("wsgi:app", "wsgi")),
        # Its signature.
        ({"app.py": "async def app(scope, receive, send):\n    pass\n"}, None, None, ("app:app", "asgi")),
        ({"app.py": "def application(environ, start_response):\n    pass\n"}, None, None,
         ("app:application", "wsgi")),
        # The one kind of app class a factory calls.
        ({"app.py": "from fastapi import FastAPI\ndef create_app():\n    api = FastAPI()\n    return api\n"}, None,
         None, ("app:create_app()", "asgi")),
        ({"wsgi.py": FLASK_FACTORY}, None, None, ("wsgi:create_app()", "wsgi")),
        # The last definition wins, as when the module runs; a name from elsewhere does not tell.
        ({"app.py": "from flask import Flask\napp = Flask('a')\nfrom fastapi import FastAPI\napp = FastAPI()\n"},
         None, None, ("app:app", "asgi")),
        ({"app.py": "from shop import app\n"}, None, None, ("app:app", None)),
        ({"main.py": "from fastapi import FastAPI\napp = FastAPI()\n"}, "main:app", None, ("main:app", "asgi")),
        # Django: asgi.py (or ASGI_APPLICATION) when the server calls ASGI apps, wsgi.py otherwise.
        ({"manage.py": MANAGE, "mysite/__init__.py": "", "mysite/wsgi.py": DJANGO_WSGI, "mysite/asgi.py": DJANGO_ASGI,
          "mysite/settings.py": "WSGI_APPLICATION = 'mysite.wsgi.application'\n"}, None, "asgi",
         ("mysite.asgi:application", "asgi")),
        ({"manage.py": MANAGE, "mysite/__init__.py": "", "mysite/wsgi.py": DJANGO_WSGI, "mysite/asgi.py": DJANGO_ASGI,
          "mysite/live_asgi.py": DJANGO_ASGI,
          "mysite/settings.py": "ASGI_APPLICATION = 'mysite.live_asgi.application'\n"}, None, "asgi",
         ("mysite.live_asgi:application", "asgi")),
        ({"manage.py": MANAGE, "mysite/__init__.py": "", "mysite/wsgi.py": DJANGO_WSGI, "mysite/asgi.py": DJANGO_ASGI,
          "mysite/settings.py": "DEBUG = True\n"}, None, None, ("mysite.wsgi:application", "wsgi")),
    ],
)
def test_the_interface_is_what_the_source_shows(tmp_path, files, hint, interface, expected):
    found = discover(str(tree(tmp_path, files)), hint, None, interface)
    assert (found["gunicorn"], found["interface"]) == expected


@pytest.mark.parametrize(
    ("files", "hint", "gunicorn", "uwsgi"),
    [
        ({"hello.py": "app = 1\n"}, None, "hello:app", "hello:app"),
        ({"hello.py": FLASK_FACTORY}, None, "hello:create_app()", "hello:create_app()"),
        ({"hello.py": FLASK_FACTORY}, "hello:create_app('prod', debug=True, n=None)",
         "hello:create_app('prod', debug=True, n=None)", None),
    ],
)
def test_server_entry_strings(tmp_path, files, hint, gunicorn, uwsgi):
    found = discover(str(tree(tmp_path, files)), hint or "hello")
    assert (found["gunicorn"], found["uwsgi"]) == (gunicorn, uwsgi)


def test_path_hint_sets_the_import_root(tmp_path):
    found = discover(str(tree(tmp_path, {"src/shop/__init__.py": "", "src/shop/web.py": "app = 1\n"})),
                     "src/shop/web.py:app")
    assert found["pythonpath"] == str(tmp_path / "src")
    assert found["file"] == str(tmp_path / "src" / "shop" / "web.py")


@pytest.mark.parametrize(
    ("files", "hint", "settings", "message"),
    [
        ({}, None, None, "none of manage.py (Django), wsgi.py, app.py"),
        ({"wsgi.py": "x = 1\n"}, None, None,
         "file wsgi.py: wsgi.py has none of the names app, application, no app instance (Flask, Bottle, FastAPI"),
        ({"wsgi.py": "from flask import Flask\na = Flask('a')\nb = Flask('b')\n"}, None, None,
         "several app instances (a (Flask), b (Flask))"),
        ({"main.py": "import fastapi, flask\napi = fastapi.FastAPI()\nweb = flask.Flask('w')\n"}, "main", None,
         "several app instances (api (FastAPI), web (Flask))"),
        ({"wsgi.py": "def create_app(config, *, debug):\n    pass\n"}, None, None,
         "the factory create_app() needs the arguments config, debug"),
        ({"wsgi.py": "app = (\n"}, None, None, "is not valid Python"),
        ({"hello.py": "app = 1\n"}, "missing", None, "module missing not found"),
        ({"hello.py": "app = 1\n"}, "hello:web", None, "hello.py defines no top-level name 'web' (it defines: app)"),
        ({"hello.py": "app = 1\n"}, "hello:create_app(__import__('os'))", None, "must be literals"),
        ({"hello.py": "app = 1\n"}, "../elsewhere/hello.py", None, "points outside the app directory"),
        ({"manage.py": "import django\n"}, None, None, "manage.py does not set DJANGO_SETTINGS_MODULE"),
        ({"manage.py": MANAGE}, None, None, "module mysite.settings not found"),
        ({"manage.py": MANAGE, "mysite/__init__.py": "", "mysite/settings.py": "WSGI_APPLICATION = 'wsgi'\n"},
         None, None, "is not module.name"),
        ({"manage.py": MANAGE, "mysite/__init__.py": "", "mysite/wsgi.py": "app = 1\n",
          "mysite/settings.py": "WSGI_APPLICATION = 'mysite.wsgi.application'\n"}, None, None,
         "mysite/wsgi.py defines no top-level name 'application'"),
    ],
)
def test_failures_name_the_rule_and_what_was_found(tmp_path, files, hint, settings, message):
    with pytest.raises(DiscoveryError) as error:
        discover(str(tree(tmp_path, files)), hint, settings)
    assert message in str(error.value)


def test_a_missing_directory_is_reported(tmp_path):
    with pytest.raises(DiscoveryError, match="is not a directory"):
        discover(str(tmp_path / "nowhere"))


def test_source_is_never_run(tmp_path):
    marker = tmp_path / "ran"
    tree(tmp_path, {"wsgi.py": "open(%r, 'w').close()\napp = 1\n" % str(marker)})
    assert discover(str(tmp_path))["callable"] == "app"
    assert not marker.exists()
