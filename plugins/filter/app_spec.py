# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The app spec: validate what a user wrote about an app and derive the rest.

A play normalizes its specs once (app_specs) and every role reads what that
returned, so a path, a unit name or a socket is computed in one place only. A
normalized spec carries NORMALIZED (the CPU count and nginx's HTTP port it was
normalized for); the roles take only such specs (filter `normalized`), and a raw
spec that sets a derived key is refused, naming the key to set instead.
Normalizing a normalized spec again with the same arguments gives it back unchanged.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.validation import check_type_str
from ansible.module_utils.errors import UnsupportedError
from ansible.module_utils.common.yaml import yaml_load
from ansible_collections.pyops.wsgi.plugins.module_utils.uwsgi_options import check_options
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_address import is_wildcard, local_host, split_tcp
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_entry import EntryError, parse_entry
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_interface import interfaces_of, servers_text

# What Debian's adduser accepts for a system user, kept to 32 characters.
_UNIX_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}\Z")
# Names of users or runtime folders that a Debian host already uses.
_RESERVED_NAMES = frozenset(
    "root daemon bin sys sync games man lp mail news uucp proxy www-data backup list irc "
    "nobody nogroup systemd-network systemd-resolve systemd-timesync messagebus sshd "
    "nginx sudo adm staff users lock log systemd user".split()
)
_SIZE = re.compile(r"^[0-9]+[kKmMgG]?\Z")
_SERVER_NAME = re.compile(r"^(\*\.)?[A-Za-z0-9_.-]+\Z|^_\Z")
# Static URLs and folders land in nginx's configuration: plain path characters only.
_NGINX_PATH = re.compile(r"^[A-Za-z0-9_./~@+-]+\Z")
# nginx's `expires`: a time (30d, 12h, 600) or one of its words.
_EXPIRES = re.compile(r"^([0-9]+(ms|[smhdwMy])?|max|off|epoch)\Z")
# A timer's or process's name (its units are wsgi-APP.NAME.timer and .service, or wsgi-APP.NAME@N.service),
# and a timer's schedule, one line of systemd's calendar syntax (systemd-analyze calendar on the host checks the rest).
_JOB_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}\Z")
_SCHEDULE = re.compile(r"^[A-Za-z0-9 *:/.,~+-]+\Z")
_HEALTH_PATH = re.compile(r"^/[A-Za-z0-9_.~/@+-]*(\?[A-Za-z0-9_.~=&%+-]*)?\Z")


def _documented_keys():
    """The keys of an app spec with their types, choices and defaults: the filter's documentation (app_specs.yml,
    what ansible-doc shows), the one place they are stated. Read with libyaml where there is one: every
    worker process Ansible forks for a task that uses a filter of this file imports it again."""
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "app_specs.yml"), encoding="utf-8") as handle:
        return yaml_load(handle)["DOCUMENTATION"]["options"]["_input"]["suboptions"]


def _defaults(options):
    return {key: option["default"] for key, option in options.items() if "default" in option}


def text(value):
    """An option of type str: a string, or a number or boolean as text. A list or mapping is refused, where
    ansible-core's own str would turn it into its Python text. Named for ansible-core's messages (unable to
    convert to text)."""
    if value is None or isinstance(value, (dict, list, tuple, set)):
        raise TypeError("a string is needed, got %r" % (value,))
    return check_type_str(value)


def string(value):
    """An item of a list of strings: a string only (a number there is more likely a mistake than a name)."""
    if not isinstance(value, str):
        raise TypeError("a string is needed, got %r" % (value,))
    return value


def _argument_spec(options):
    """ansible-core's argument spec of documented options: their types, elements, choices, defaults, required and
    (for a mapping or a list of mappings) suboptions. An option of type raw that has suboptions (tls, health,
    django: false, true or a mapping) is checked against its own spec (_MAPPING_SPECS) when it is a mapping."""
    spec = {}
    for key, option in options.items():
        entry = {name: option[name] for name in ("type", "elements", "choices", "default", "required") if name in option}
        if entry["type"] == "str":
            entry["type"] = text
        if entry.get("elements") == "str":
            entry["elements"] = string
        if "suboptions" in option and option["type"] in ("dict", "list"):
            entry["options"] = _argument_spec(option["suboptions"])
        spec[key] = entry
    return spec


KEYS = _documented_keys()
_ARGUMENT_SPEC = _argument_spec(KEYS)
_MAPPING_SPECS = {key: _argument_spec(option["suboptions"]) for key, option in KEYS.items()
                  if option["type"] == "raw" and "suboptions" in option}
# Keys a normalized spec's mappings (and a list's mappings) carry beside those a user writes (derived; a raw spec may
# not set them).
_DERIVED_SUBKEYS = {"source": ("url", "format", "file"), "django": ("static_root",), "timers": ("unit",),
                    "processes": ("unit", "instances")}
SERVERS = tuple(KEYS["server"]["choices"])
# The roles that run an app server's process (each a role of that name).
PROCESS_MANAGERS = tuple(KEYS["process_manager"]["choices"])
# What stands in front of the app servers of a host (each a role of that name).
FRONT_ENDS = tuple(KEYS["front_end"]["choices"])
# How long browsers may keep a static file (nginx `expires`), unless the entry says.
STATIC_EXPIRES = KEYS["static"]["suboptions"]["expires"]["default"]
SOURCE_TYPES = tuple(KEYS["source"]["suboptions"]["type"]["choices"])
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar", ".zip")
PACKAGE_SUFFIXES = (".whl", ".tar.gz", ".zip")
_CHECKSUM = re.compile(r"^(sha1|sha224|sha256|sha384|sha512):[0-9a-fA-F]+\Z")
HOOKS = tuple(KEYS["hooks"]["suboptions"])
GUNICORN_WORKER_CLASSES = tuple(KEYS["worker_class"]["choices"])
# How nginx (or a client) reaches each server, first one the default, and the
# nginx directive that speaks it. `router` is uWSGI's own HTTP router (`http`).
PROTOCOLS = {
    "gunicorn": ("http", "uwsgi"),
    "uwsgi": ("uwsgi", "http", "fastcgi", "router"),
    "granian": ("http",),
    "uvicorn": ("http",),
    "mod_wsgi": ("daemon",),
}
# mod_wsgi's daemon processes take requests from Apache itself (WSGIProcessGroup), never through a proxy.
PASS_DIRECTIVES = {"http": "proxy_pass", "router": "proxy_pass", "uwsgi": "uwsgi_pass", "fastcgi": "fastcgi_pass",
                   "daemon": "WSGIProcessGroup"}
_TCP_ADDRESS = re.compile(r"^(?P<host>[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\]):(?P<port>[0-9]{1,5})\Z")

APPS_ROOT = "/srv"
# Each TLS app's certificate and key, readable by root only (nginx's master reads them).
TLS_ROOT = "/etc/ssl/pyops-wsgi"
CONFIG_ROOT = "/etc/pyops-wsgi"

# Keys a user may write, with their defaults (those the documentation leaves to the rest of the spec are
# settled in _one). Derived keys are never read back.
_DEFAULTS = dict(_defaults(KEYS), entry="", protocol=None, max_requests_jitter=0, health={}, interface=None,
                 worker_class=None)
# The range of each number in a spec: beyond these no server works (Gunicorn's
# workers crash-loop on an OverflowError past a timeout of about 2**31 ms).
LIMITS = {
    "workers": (0, 1024),
    "threads": (0, 1024),
    "timeout": (0, 86400),
    "graceful_timeout": (0, 86400),
    "keepalive": (0, 3600),
    "max_requests": (0, 100000000),
    "max_requests_jitter": (0, 100000000),
    "backpressure": (0, 1000000),
    # MiB per worker; 0 is off.
    "memory_limit": (16, 1048576),
    "keep_releases": (2, 100),
    "health.timeout": (1, 600),
    "health.retries": (0, 1000),
    "health.delay": (0, 600),
    "timers.timeout": (0, 31536000),
    "processes.replicas": (0, 64),
    "processes.stop_timeout": (1, 86400),
    "maintenance.retry_after": (0, 604800),
}
# Two years, as the HSTS preload list asks for at most.
HSTS_MAX = 63072000
# The health check after each deploy (module pyops.wsgi.wsgi_probe's options).
# status_codes [] means any status below 500: the app answered, and not with an error of its own
# (a fresh Django site has no / route and answers 404); through nginx the check also asks
# for the header nginx adds only when the app answered (see the health role).
_INPUT_KEYS = frozenset(_DEFAULTS) | {"name", "source"}
# Keys whose null means what their default means (a normalized spec has tls: null).
_NULLABLE_KEYS = frozenset(("tls", "interface", "worker_class"))
# The key of a normalized spec that says what it was normalized for.
NORMALIZED = "normalized"
# Each derived key, and the input key(s) that decide it: a raw spec may not set them.
_DERIVED_FROM = dict(
    [(key, "name") for key in "user group home code_dir venv_dir data_dir config_dir env_file source_dir "
     "releases_dir shared_dir venvs_dir archive_dir runtime_dir log_dir unit timer_files process_files tls_files".split()]
    + [(key, "entry") for key in "entry_module entry_callable entry_call entry_args entry_kwargs".split()]
    + [(key, "bind and protocol") for key in "socket addresses local_address upstream probe".split()]
    + [("systemd_sandbox", "sandbox and writable_paths"), ("systemd_limits", "memory_limit and workers"),
       (NORMALIZED, "the arguments of pyops.wsgi.app_specs")]
)
_DERIVED_KEYS = frozenset(_DERIVED_FROM)


def _fail(where, message):
    raise AnsibleFilterError("%s: %s" % (where, message))


def _integer(where, value, minimum, maximum):
    """A whole number from minimum to maximum (written as a number or its digits)."""
    if isinstance(value, bool) or not isinstance(value, int):
        if not isinstance(value, str) or not re.match(r"^[+-]?[0-9]+\Z", value.strip()):
            _fail(where, "must be a whole number, got %r" % (value,))
        value = int(value.strip(), 10)
    if value < minimum:
        _fail(where, "must be %d or more, got %d" % (minimum, value))
    if value > maximum:
        _fail(where, "must be %d or less, got %d" % (maximum, value))
    return value


def _plain(value):
    """value with its mappings and lists made plain ones. ansible-core (2.19 on) hands a filter lazily templated
    containers, which render each item as it is read; the validator's deep copy of one would copy its templating
    state with it, and a copy of the filter loader from there fails to load any filter."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _typed(where, app):
    """The keys of app a user writes, each checked and converted by ansible-core's argument spec validation
    against the documentation (type, choices, suboptions: their types, required ones, unknown ones, defaults).
    A single string where a list goes is a list of one, never split at its commas; where a list or a mapping
    goes, nothing else is taken (ansible-core would make a list of a number, a mapping of k=v text). tls, health and django
    (false, true or a mapping) are their functions' to check against _MAPPING_SPECS."""
    result = {}
    for key in sorted(_INPUT_KEYS & set(app)):
        value = _plain(app[key])
        if value is None:
            continue
        if KEYS[key]["type"] == "list" and isinstance(value, str):
            value = [value]
        elif KEYS[key]["type"] == "list" and not isinstance(value, list):
            _fail("%s.%s" % (where, key), "must be a list (or one string), got %r" % (value,))
        elif KEYS[key]["type"] == "dict" and not isinstance(value, dict):
            _fail("%s.%s" % (where, key), "must be a mapping, got %r" % (value,))
        if isinstance(value, dict) and key in _DERIVED_SUBKEYS and _is_normalized(app):
            value = {name: item for name, item in value.items() if name not in _DERIVED_SUBKEYS[key]}
        elif isinstance(value, list) and key in _DERIVED_SUBKEYS and _is_normalized(app):
            value = [{name: item for name, item in element.items() if name not in _DERIVED_SUBKEYS[key]}
                     if isinstance(element, dict) else element for element in value]
        result[key] = _validated("%s.%s" % (where, key), {key: _ARGUMENT_SPEC[key]}, {key: value})[key]
    return result


def _validated(where, argument_spec, parameters):
    """parameters checked against argument_spec, converted and completed; raise with every problem found."""
    result = ArgumentSpecValidator(argument_spec).validate(parameters)
    if result.error_messages:
        messages = [("unknown key(s) " if isinstance(error, UnsupportedError) else "") + error.msg
                    for error in result.errors]
        _fail(where, "; ".join(sorted(set(messages), key=messages.index)))
    return result.validated_parameters


def _boolean(where, value):
    """Django's switch, which may also be a mapping: true, false or their words."""
    if isinstance(value, bool):
        return value
    word = str(value).lower()
    if word in ("yes", "true", "1", "on"):
        return True
    if word in ("no", "false", "0", "off"):
        return False
    _fail(where, "must be true or false, got %r" % (value,))
    return False  # not reached


def _source(where, source):
    kind = source["type"]
    if kind == "local":
        if not source.get("path"):
            _fail(where + ".path", "is required for a local source: the app's folder on the controller")
        return {"type": "local", "path": str(source["path"]).rstrip("/") or "/"}
    if kind == "archive":
        return _archive_source(where, source)
    if kind == "package":
        return _package_source(where, source)
    for key, meaning in (("repo", "the repository URL"), ("version", "a pinned ref: a tag or commit")):
        if not source.get(key):
            _fail(where + "." + key, "is required for a git source: %s" % meaning)
    return {"type": "git", "repo": str(source["repo"]), "version": str(source["version"])}


def _is_url(text):
    return text.startswith(("https://", "http://"))


def _checksum(where, value, required_for):
    checksum = str(value or "")
    if checksum and not _CHECKSUM.match(checksum):
        _fail(where, "must be ALGORITHM:HEX such as sha256:9f86d0..., got %r" % checksum)
    if not checksum and required_for:
        _fail(where, "is required for %s: ALGORITHM:HEX (for example sha256:...), so a changed "
              "download is noticed and a broken one refused" % required_for)
    return checksum


def _archive_source(where, source):
    src = str(source.get("src") or "")
    if not src:
        _fail(where + ".src", "is required for an archive source: a tar or zip file on the controller, or its URL")
    if not src.lower().endswith(ARCHIVE_SUFFIXES):
        _fail(where + ".src", "must end in one of %s, got %r" % (" ".join(ARCHIVE_SUFFIXES), src))
    checksum = _checksum(where + ".checksum", source.get("checksum"), "an archive from a URL" if _is_url(src) else "")
    strip = _integer(where + ".strip_components", source["strip_components"], 0, 32)
    if strip and src.lower().endswith(".zip"):
        _fail(where + ".strip_components", "works with tar archives only; unzip cannot strip folders")
    return {"type": "archive", "src": src, "url": _is_url(src), "checksum": checksum, "strip_components": strip,
            "format": "zip" if src.lower().endswith(".zip") else "tar"}


def _package_source(where, source):
    requirement = str(source.get("requirement") or "").strip()
    src = str(source.get("src") or "")
    if bool(requirement) == bool(src):
        _fail(where, "a package source takes exactly one of 'requirement' (for example shop==1.4.2, from the "
              "package index) and 'src' (a wheel or sdist on the controller)")
    if requirement and ("\n" in requirement or requirement.startswith("-")):
        _fail(where + ".requirement", "must be one pip requirement such as shop==1.4.2, got %r" % requirement)
    if src and (not src.lower().endswith(PACKAGE_SUFFIXES) or _is_url(src)):
        _fail(where + ".src", "must be a wheel or sdist (%s) on the controller, got %r"
              % (" ".join(PACKAGE_SUFFIXES), src))
    index_url = str(source.get("index_url") or "")
    if index_url and not _is_url(index_url):
        _fail(where + ".index_url", "must be an http(s) URL of a package index, got %r" % index_url)
    return {"type": "package", "requirement": requirement, "src": src, "index_url": index_url,
            "file": src.rsplit("/", 1)[-1]}


def _command(where, command):
    """A command as its arguments: a string split as a shell would (no shell features), or a list of strings."""
    if isinstance(command, str):
        try:
            return shlex.split(command)
        except ValueError as error:
            _fail(where, "cannot be split into arguments (%s): %r" % (error, command))
    if not isinstance(command, list) or not all(isinstance(arg, str) and arg for arg in command):
        _fail(where, "must be a command line or a list of non-empty strings, for example 'flask db upgrade', got %r"
              % (command,))
    return list(command)


def _named_commands(where, items, kind, example):
    """Each item of a list of named commands (timers, processes) with where it is, its name and its command: the
    name a part of a unit name, once in the app; the command as arguments, not empty."""
    names = set()
    for index, item in enumerate(items):
        at = "%s[%d]" % (where, index)
        name = str(item["name"])
        if not _JOB_NAME.match(name):
            _fail(at + ".name", "must be lower-case letters, digits, _ and - (at most 32, starting with a letter "
                  "or digit), got %r" % name)
        if name in names:
            _fail(at + ".name", "%r names two %s of the app; give each its own name" % (name, kind))
        names.add(name)
        at = "%s (%s)" % (at, name)
        command = _command(at + ".command", item["command"])
        if not command:
            _fail(at + ".command", "is empty; give the command to run, for example %r" % example)
        yield item, at, name, command


def _timers(where, timers, app):
    """Commands on a schedule: each named once in the app, its command as arguments, its schedule one line of
    systemd's calendar syntax (which the host's systemd-analyze checks too, before any change)."""
    result = []
    for timer, at, name, command in _named_commands(where, timers, "timers", "flask --app shop purge"):
        schedule = " ".join(str(timer["schedule"]).split())
        if not _SCHEDULE.match(schedule):
            _fail(at + ".schedule", "must be a systemd calendar expression such as daily, '*-*-* 03:15:00' or "
                  "'*:0/5' (letters, digits, spaces and * : / . , ~ - + only), got %r" % timer["schedule"])
        result.append({"name": name, "command": command, "schedule": schedule,
                       "once_per_fleet": bool(timer["once_per_fleet"]),
                       "timeout": _integer(at + ".timeout", timer["timeout"], *LIMITS["timers.timeout"]),
                       # Its units, UNIT.timer and UNIT.service.
                       "unit": "wsgi-%s.%s" % (app, name)})
    return result


def _processes(where, processes, app):
    """Background processes: each named once in the app, its command as arguments, its replicas, and how it is
    asked to stop."""
    result = []
    for process, at, name, command in _named_commands(where, processes, "processes", "celery -A shop worker"):
        replicas = _integer(at + ".replicas", process["replicas"], *LIMITS["processes.replicas"])
        unit = "wsgi-%s.%s@" % (app, name)
        result.append({"name": name, "command": command, "replicas": replicas,
                       "stop_signal": str(process["stop_signal"]),
                       "stop_timeout": _integer(at + ".stop_timeout", process["stop_timeout"],
                                                *LIMITS["processes.stop_timeout"]),
                       # Its template unit, and the instance of each replica.
                       "unit": unit + ".service",
                       "instances": ["%s%d.service" % (unit, number) for number in range(1, replicas + 1)]})
    return result


def _maintenance(where, maintenance):
    """Maintenance mode: who still reaches the app (addresses and networks, as nginx's allow takes them), the page
    answered to the others (a file on the controller) and when they may come back."""
    maintenance = dict(_defaults(KEYS["maintenance"]["suboptions"]), **maintenance)
    allow = []
    for index, entry in enumerate(maintenance["allow"]):
        text = str(entry).strip()
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            _fail("%s.allow[%d]" % (where, index), "must be an IP address or network such as 203.0.113.7 or "
                  "10.20.0.0/16, got %r" % (entry,))
        allow.append(str(network.network_address) if network.num_addresses == 1 and "/" not in text else str(network))
    page = str(maintenance["page"] or "")
    if page and not page.startswith("/"):
        _fail(where + ".page", "must be an absolute path on the controller, for example "
              "'{{ inventory_dir }}/maintenance.html', got %r" % page)
    retry_after = _integer(where + ".retry_after", maintenance["retry_after"], *LIMITS["maintenance.retry_after"])
    return {"allow": allow, "page": page, "retry_after": retry_after}


def _hooks(where, hooks):
    """Task files on the controller, run at the named points of each deploy."""
    result = {}
    for key in HOOKS:
        path = str(hooks.get(key) or "")
        if path and not path.endswith((".yml", ".yaml")):
            _fail(where + "." + key, "must be a task file (.yml or .yaml), got %r" % path)
        if path and not path.startswith("/"):
            _fail(where + "." + key, "must be an absolute path on the controller, for example "
                  "'{{ inventory_dir }}/hooks/%s.yml', got %r" % (key, path))
        result[key] = path
    return result


def _django(where, django, spec):
    """Django's management commands around each switch: false (default) turns them off, true is the mapping
    of defaults."""
    if not isinstance(django, dict):
        if str(django).lower() in ("none", ""):
            django = False
        if not _boolean(where, django):
            return {"enabled": False}
        django = {}
    django = _validated(where, _MAPPING_SPECS["django"], django)
    if not django["enabled"]:
        return {"enabled": False}
    result = dict(django)
    settings = str(result["settings"] or spec["environment"].get("DJANGO_SETTINGS_MODULE", ""))
    if settings and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z", settings):
        _fail(where + ".settings", "must be a dotted module name such as mysite.settings, got %r" % settings)
    if not settings and spec["source"]["type"] == "package":
        _fail(where + ".settings", "is required with a package source (there is no manage.py to read it from)")
    result["settings"] = settings
    manage = str(result["manage"]).strip("/")
    if not manage or ".." in manage.split("/") or not _NGINX_PATH.match(manage):
        _fail(where + ".manage", "must be a path inside the code such as manage.py, got %r" % manage)
    result["manage"] = manage
    url = str(result["static_url"])
    if not url.startswith("/") or not _NGINX_PATH.match(url):
        _fail(where + ".static_url", "must be a URL path such as /static/, got %r" % url)
    result["static_url"] = url.rstrip("/") + "/"
    superuser = result["superuser"]
    if superuser:
        if not isinstance(superuser, dict) or not superuser.get("username") or not superuser.get("password"):
            _fail(where + ".superuser", "needs 'username' and 'password' (from a vaulted variable), 'email' optional")
        result["superuser"] = {"username": str(superuser["username"]), "password": str(superuser["password"]),
                               "email": str(superuser.get("email") or "")}
    else:
        result["superuser"] = None
    return result


def _static(where, entries, home):
    """What nginx serves itself: folders of the app's code (relative paths) or of its shared folder
    (absolute paths under HOME/shared). Nothing else: nginx's user is in every app's group, so a
    path elsewhere could publish the host's files or another app's code and settings."""
    result = []
    for index, entry in enumerate(entries):
        at = "%s[%d]" % (where, index)
        if not entry["url"] or not entry["path"]:
            _fail(at, "needs 'url' (for example /static/) and 'path' (a folder in the app's code)")
        url = str(entry["url"])
        if not url.startswith("/") or not _NGINX_PATH.match(url):
            _fail(at + ".url", "must start with '/' and hold only letters, digits and _ . / ~ @ + -, got %r" % url)
        url = url.rstrip("/") + "/"
        path = str(entry["path"]).rstrip("/")
        if not _NGINX_PATH.match(path):
            _fail(at + ".path", "may hold only letters, digits and _ . / ~ @ + -, got %r" % path)
        if ".." in path.split("/"):
            _fail(at + ".path", "must stay inside the app's code, got %r" % path)
        if path.startswith("/") and not path.startswith(home + "/shared/"):
            _fail(at + ".path", "must be a folder of the app's code (a relative path such as static) or of its "
                  "shared folder (%s/shared/...), got %r" % (home, path))
        expires = entry["expires"]
        if not _EXPIRES.match(expires):
            _fail(at + ".expires", "must be an nginx time such as 30d or 12h, or max or off, got %r" % expires)
        result.append({"url": url, "path": path, "expires": expires})
    return result


def _tls(where, tls, server_names):
    """None without TLS; else the certificate's origin (generated or given) and how HTTP is handled."""
    if tls is None or tls is False:
        return None
    if not isinstance(tls, dict):
        _fail(where, "must be a mapping: {self_signed: true}, or {certificate: FILE, key: FILE} "
              "(or certificate_content and key_content, for example from a vault)")
    for key, value in tls.items():
        if value is None:
            _fail("%s.%s" % (where, key), "is null; leave the key out for its default, or give a value")
    result = _validated(where, _MAPPING_SPECS["tls"], tls)
    for key in ("certificate", "key", "chain", "certificate_content", "key_content", "chain_content"):
        result[key] = str(result[key] or "")
    given = [origin for origin, keys in (("files", ("certificate", "key")),
                                         ("content", ("certificate_content", "key_content")))
             if any(result[key] for key in keys)]
    if result["self_signed"]:
        given.insert(0, "self_signed")
    if len(given) != 1:
        _fail(where, "needs exactly one certificate: self_signed: true, or certificate and key (files on the "
              "controller), or certificate_content and key_content; got %s" % (" and ".join(given) or "none"))
    for origin, keys in (("files", ("certificate", "key")), ("content", ("certificate_content", "key_content"))):
        if given[0] == origin:
            for key in keys:
                if not result[key]:
                    _fail("%s.%s" % (where, key), "is required with %s" % " and ".join(keys))
    if given[0] == "self_signed" and (result["chain"] or result["chain_content"]):
        _fail(where + ".chain", "does not apply to a self-signed certificate")
    if result["chain"] and result["chain_content"]:
        _fail(where + ".chain", "give chain or chain_content, not both")
    result["hsts"] = _integer(where + ".hsts", result["hsts"], 0, HSTS_MAX)
    result["port"] = _integer(where + ".port", result["port"], 1, 65535)
    if not server_names:
        _fail(where, "needs server_names: the names the certificate is for and nginx selects the app by")
    return result


# Blocks that only nginx's top level or its http block may hold: opened inside an app's
# server block they would start another site (or fail nginx -t).
_OUTER_BLOCKS = frozenset(("http", "server", "upstream", "events", "stream", "mail", "map", "geo", "split_clients",
                           "limit_req_zone", "types"))


def _nginx_problem(text):
    """Why an app's directive would leave its server block, or None: braces outside quotes and
    comments must balance, never closing more than the text opened, and no block may be one of
    _OUTER_BLOCKS."""
    depth, word, words, quote, index = 0, "", [], None, 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            while index < len(text) and text[index] != "\n":
                index += 1
        elif char.isspace() or char in ";{}":
            if word:
                words.append(word)
                word = ""
            if char == "{":
                if words and words[0] in _OUTER_BLOCKS:
                    return "opens a %s block, which may not stand inside the app's server block" % words[0]
                depth += 1
            elif char == "}":
                depth -= 1
                if depth < 0:
                    return "closes a block it did not open (its '}' would end the app's server block)"
            if char in ";{}":
                words = []
        else:
            word += char
        index += 1
    if quote:
        return "leaves a quoted string open"
    if depth:
        return "opens %d block(s) it does not close" % depth
    return None


def _nginx_directives(where, directives):
    result = []
    for index, directive in enumerate(directives):
        text = directive.strip()
        if not text.endswith((";", "}")):
            _fail("%s[%d]" % (where, index), "must be a whole nginx directive ending with ';' or '}', got %r" % text)
        problem = _nginx_problem(text)
        if problem:
            _fail("%s[%d]" % (where, index), "%s: %r. Each entry goes inside the app's server block and must "
                  "stay there" % (problem, text))
        result.append(text)
    return result


def _environment(where, environment):
    if not isinstance(environment, dict):
        _fail(where, "must be a mapping of variable names to values")
    result = {}
    for key, value in environment.items():
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*\Z", str(key)):
            _fail(where, "%r is not a valid environment variable name" % (key,))
        if value is None or isinstance(value, (dict, list)):
            _fail("%s.%s" % (where, key), "must be a string, number or boolean, got %r (write \"\" for an "
                  "empty value)" % (value,))
        result[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)
    return result


def _bind(where, bind):
    entries = [bind] if isinstance(bind, str) else bind
    if not isinstance(entries, list) or not entries:
        _fail(where, "must be 'unix' or HOST:PORT, or a list of them")
    result = []
    for entry in entries:
        entry = str(entry)
        match = _TCP_ADDRESS.match(entry)
        if entry != "unix" and not (match and 0 < int(match.group("port")) < 65536):
            _fail(where, "%r is neither 'unix' (the app's socket under /run) nor HOST:PORT" % entry)
        if entry in result:
            _fail(where, "%r is listed twice" % entry)
        result.append(entry)
    return result


def _mount(where, mount):
    mount = str(mount or "").rstrip("/")
    if mount and (not mount.startswith("/") or not _NGINX_PATH.match(mount)):
        _fail(where, "must be a URL prefix such as /api, got %r" % mount)
    return mount


def _one(app, index, cpu_count):
    """One raw item of wsgi_apps, checked and completed: by concern, each on the spec as the ones before left it."""
    where, name = _identity(app, index)
    spec = dict(_DEFAULTS)
    spec.update(_typed(where, app))
    spec["name"] = name
    if spec["purge"]:
        _fail(where + ".purge", "applies to an app removed (state: absent) only; set state: absent to remove the app "
              "with its user, code and data, or leave purge out")
    parsed = _code(where, spec)
    _serving(where, spec, app, cpu_count)
    _release(where, spec)
    _front_end(where, spec)
    _derive(where, spec, parsed)
    return spec


def _identity(app, index, needs_source=True):
    """(where, name): a mapping with a valid name and a source (unless needs_source is false), and no derived,
    unknown or null key."""
    where = "wsgi_apps[%d]" % index
    if not isinstance(app, dict):
        _fail(where, "each app must be a mapping, got %r" % (app,))
    name = app.get("name")
    if not name:
        _fail(where + ".name", "is required: the app's name, also its unix user")
    name = str(name)
    where = "wsgi_apps[%d] (%s)" % (index, name)
    if not _UNIX_NAME.match(name):
        _fail(where + ".name", "%r is not a valid unix user name: use lower-case letters, digits, '_' "
              "and '-', starting with a letter or '_', at most 32 characters" % name)
    if name in _RESERVED_NAMES:
        _fail(where + ".name", "%r is already used by the system; choose another name" % name)
    if not _is_normalized(app):
        for key in sorted(_DERIVED_KEYS & set(app)):
            _fail("%s.%s" % (where, key), "is derived, not set: it follows from %s; set that instead" % _DERIVED_FROM[key])
    unknown = sorted(set(app) - _INPUT_KEYS - _DERIVED_KEYS)
    if unknown:
        _fail(where, "unknown key(s) %s; known keys are %s" % (", ".join(unknown), ", ".join(sorted(_INPUT_KEYS))))

    for key in sorted(_INPUT_KEYS & set(app)):
        if app[key] is None and key not in _NULLABLE_KEYS:
            _fail("%s.%s" % (where, key), "is null; leave the key out for its default, or give a value")
    if "state" in app:
        _typed(where, {"state": app["state"]})
    if needs_source and "source" not in app:
        _fail(where + ".source", "is required: {type: local, path: ...} or {type: git, repo: ..., version: ...}")
    return where, name


def _code(where, spec):
    """The source and the entry point; returns the entry parsed (module, callable, call, args, kwargs)."""
    spec["source"] = _source(where + ".source", spec["source"])
    # Without an entry, the app role finds it in the code (module pyops.wsgi.wsgi_app_info).
    entry = str(spec["entry"] or "").strip()
    parsed = dict.fromkeys(("module", "callable", "call", "args", "kwargs"))
    try:
        parsed = parse_entry(entry) if entry else parsed
    except EntryError as problem:
        _fail(where + ".entry", "%s, got %r" % (problem, entry))
    spec["entry"] = entry
    return parsed


def _serving(where, spec, app, cpu_count):
    """The app server and its process: server, process manager, concurrency, limits, protocol, addresses."""
    server = spec["server"]
    _interface(where, spec)
    cpus = _integer("cpu_count", cpu_count, 1, 4096)
    auto_workers, auto_threads = _auto_concurrency(server, spec["worker_class"], cpus)
    spec["workers"] = _integer(where + ".workers", spec["workers"], *LIMITS["workers"]) or auto_workers
    spec["threads"] = _integer(where + ".threads", spec["threads"], *LIMITS["threads"]) or auto_threads
    for key in ("timeout", "graceful_timeout", "keepalive", "max_requests", "max_requests_jitter", "backpressure"):
        spec[key] = _integer(where + "." + key, spec[key], *LIMITS[key])
    if "max_requests_jitter" not in app:
        # Workers recycled after max_requests do not all restart at once.
        spec["max_requests_jitter"] = spec["max_requests"] // 10
    spec["memory_limit"] = _memory(where + ".memory_limit", spec["memory_limit"])
    protocol = spec["protocol"] or PROTOCOLS[server][0]
    if protocol not in PROTOCOLS[server]:
        _fail(where + ".protocol", "must be one of %s with server %s, got %r"
              % (", ".join(PROTOCOLS[server]), server, protocol))
    spec["protocol"] = protocol
    spec["bind"] = _bind(where + ".bind", spec["bind"])
    if protocol == "router" and "unix" in spec["bind"]:
        _fail(where + ".bind", "uWSGI's HTTP router (protocol: router) listens on HOST:PORT, not 'unix'")
    spec["mount"] = _mount(where + ".mount", spec["mount"])
    if spec["preload_app"] and server != "gunicorn":
        _fail(where + ".preload_app", "only applies with server: gunicorn (uWSGI loads the app in each worker, lazy-apps)")
    options, problems = check_options(spec["uwsgi_options"], spec["uwsgi_allow_world_socket"],
                                      spec["uwsgi_allow_public_stats"])
    if problems:
        _fail("%s.uwsgi_options.%s" % (where, problems[0][0]), problems[0][1])
    if options and server != "uwsgi":
        _fail(where + ".uwsgi_options", "only apply with server: uwsgi")
    spec["uwsgi_options"] = options
    _event_loop_servers(where, spec)


def _event_loop_servers(where, spec):
    """What Granian and Uvicorn, whose workers run an event loop, can and cannot take."""
    server = spec["server"]
    if spec["backpressure"] and server not in ("granian", "uvicorn"):
        _fail(where + ".backpressure", "only applies with server: granian or uvicorn (%s's workers and threads are "
              "its limit)" % server)
    one_thread = server == "uvicorn" or (server == "granian" and spec["interface"] == "asgi")
    if one_thread and spec["threads"] > 1:
        _fail(where + ".threads", "%s runs an ASGI app on one event loop per worker: leave threads out, and raise "
              "workers instead" % server)
    if server == "granian":
        if len(spec["bind"]) > 1:
            _fail(where + ".bind", "Granian listens on one address: give one (unix or HOST:PORT), got %s"
                  % ", ".join(spec["bind"]))
        if spec["max_requests"]:
            _fail(where + ".max_requests", "Granian does not replace workers by request count: leave it at 0 "
                  "(memory_limit replaces a worker by its memory)")


def _interface(where, spec):
    """WSGI or ASGI: as given, or as the server or Gunicorn's worker class implies; None leaves it to the code
    (found on the host, then the worker class follows it). A server, or a worker class, that cannot call it is refused."""
    server, interface, worker_class = spec["server"], spec["interface"], spec["worker_class"]
    if server == "gunicorn" and worker_class:
        implied = "asgi" if worker_class == "asgi" else "wsgi"
        if interface and interface != implied:
            _fail(where + ".worker_class", "%s calls %s apps, and interface is %s: use %s, or leave worker_class out"
                  % (worker_class, implied.upper(), interface,
                     "worker_class asgi" if interface == "asgi" else "a WSGI worker class such as sync or gthread"))
        interface = implied
    served = interfaces_of(server)
    if interface and interface not in served:
        _fail(where + ".interface", "server %s does not run %s apps; servers that do: %s"
              % (server, interface.upper(), servers_text(interface)))
    if not interface and len(served) == 1:
        interface = served[0]
    if server == "gunicorn" and interface:
        spec["worker_class"] = worker_class or ("asgi" if interface == "asgi" else "sync")
    spec["interface"] = interface


def _release(where, spec):
    """What goes into a release and around it: environment, requirements, health check, releases kept, shared
    paths, hooks, sandbox, and Django's commands."""
    spec["environment"] = _environment(where + ".environment", spec["environment"])
    spec["requirements"] = str(spec["requirements"] or "")
    spec["health"] = _health(where + ".health", spec["health"])
    spec["keep_releases"] = _integer(where + ".keep_releases", spec["keep_releases"], *LIMITS["keep_releases"])
    for key in ("shared_dirs", "shared_files"):
        spec[key] = _shared(where + "." + key, spec[key])
    spec["hooks"] = _hooks(where + ".hooks", spec["hooks"])
    spec["release_command"] = _command(where + ".release_command", spec["release_command"])
    spec["timers"] = _timers(where + ".timers", spec["timers"], spec["name"])
    spec["processes"] = _processes(where + ".processes", spec["processes"], spec["name"])
    spec["writable_paths"] = _writable_paths(where + ".writable_paths", spec["writable_paths"])
    if spec["source"]["type"] == "package":
        if not spec["entry"]:
            _fail(where + ".entry", "is required with a package source: there is no code on the host to find it "
                  "in (for example shop.wsgi:application)")
        if spec["requirements"] != _DEFAULTS["requirements"]:
            _fail(where + ".requirements", "does not apply to a package source: the package's own "
                  "dependencies are installed with it (add more with packages)")
    spec["django"] = _django(where + ".django", spec["django"], spec)


def _front_end(where, spec):
    """What nginx does for the app: server names, static files, body size, TLS, headers, WebSocket, directives."""
    for server_name in spec["server_names"]:
        if not _SERVER_NAME.match(server_name):
            _fail(where + ".server_names", "%r is not a host name" % (server_name,))
    spec["static"] = _static(where + ".static", spec["static"], "%s/%s" % (APPS_ROOT, spec["name"]))
    size = str(spec["client_max_body_size"])
    if not _SIZE.match(size):
        _fail(where + ".client_max_body_size", "must be an nginx size such as 10m or 512k, got %r" % size)
    spec["client_max_body_size"] = size
    spec["tls"] = _tls(where + ".tls", spec["tls"], spec["server_names"])
    if spec["websocket"] and PASS_DIRECTIVES[spec["protocol"]] != "proxy_pass":
        _fail(where + ".websocket", "needs an app nginx reaches over HTTP (protocol: http), not %s" % spec["protocol"])
    policy = str(spec["content_security_policy"] or "")
    if '"' in policy or "\n" in policy:
        _fail(where + ".content_security_policy", "may not hold double quotes or line breaks (write sources "
              "in single quotes, as in default-src 'self')")
    spec["content_security_policy"] = policy
    spec["nginx_directives"] = _nginx_directives(where + ".nginx_directives", spec["nginx_directives"])
    spec["maintenance"] = _maintenance(where + ".maintenance", spec["maintenance"])
    if spec["server"] == "mod_wsgi":
        _mod_wsgi(where, spec)
    if spec["nginx"] and spec["front_end"] == "apache":
        _apache(where, spec)


def _mod_wsgi(where, spec):
    """mod_wsgi runs the app in Apache's daemon processes: Apache in front, no address of its own."""
    if spec["front_end"] != "apache" or not spec["nginx"]:
        _fail(where + ".front_end", "server mod_wsgi runs the app inside Apache: set front_end: apache (and leave "
              "nginx at true), or pick another server")
    if spec["bind"] != ["unix"]:
        _fail(where + ".bind", "mod_wsgi's daemon processes take requests from Apache only, on a socket Apache "
              "makes: leave bind out")


# What Apache proxies to (mod_proxy_http, mod_proxy_uwsgi) or runs itself (mod_wsgi's daemon processes).
APACHE_PROTOCOLS = ("http", "uwsgi", "daemon")


def _apache(where, spec):
    """Refuse what the apache front end cannot do for the app, naming the key and the way out."""
    if spec["protocol"] not in APACHE_PROTOCOLS:
        _fail(where + ".protocol", "%s is not one apache speaks to the app server; use http or uwsgi, or "
              "front_end: nginx" % spec["protocol"])
    if spec["nginx_directives"]:
        _fail(where + ".nginx_directives", "are nginx's directives and the app's front end is apache; remove "
              "them, or use front_end: nginx")
    if spec["tls"] is not None:
        _fail(where + ".tls", "is served by front_end nginx only (the apache front end serves plain HTTP); "
              "use front_end: nginx, or terminate TLS before apache")


def _derive(where, spec, parsed):
    """The values every role reads and nobody writes: paths, socket, unit, upstream, probe, TLS files."""
    name, server, protocol = spec["name"], spec["server"], spec["protocol"]
    home = "%s/%s" % (APPS_ROOT, name)
    runtime_dir = "/run/%s" % name
    socket = "%s/%s.sock" % (runtime_dir, server)
    addresses = [socket if item == "unix" else item for item in spec["bind"]]
    spec.update(
        entry_module=parsed["module"],
        entry_callable=parsed["callable"],
        entry_call=parsed["call"],
        entry_args=parsed["args"],
        entry_kwargs=parsed["kwargs"],
        user=name,
        group=name,
        home=home,
        # The running release (a link, switched atomically) and the folders around it.
        code_dir=home + "/current",
        venv_dir=home + "/current/venv",
        source_dir=home + "/source",
        releases_dir=home + "/releases",
        shared_dir=home + "/shared",
        venvs_dir=home + "/venvs",
        archive_dir=home + "/archives",
        data_dir=home + "/data",
        config_dir="%s/%s" % (CONFIG_ROOT, name),
        env_file="%s/%s/app.env" % (CONFIG_ROOT, name),
        runtime_dir=runtime_dir,
        socket=socket,
        log_dir="/var/log/%s" % name,
        unit="wsgi-%s.service" % name,
        # Where the units of its timers are (each timer's `unit`), as shell patterns; a process's template
        # unit ends in @.service, which the second leaves out.
        timer_files=["/etc/systemd/system/wsgi-%s.*.timer" % name, "/etc/systemd/system/wsgi-%s.*[!@].service" % name],
        # Where the template units of its processes are, and the links that enable their instances.
        process_files=["/etc/systemd/system/wsgi-%s.*@.service" % name,
                       "/etc/systemd/system/multi-user.target.wants/wsgi-%s.*@*.service" % name],
        addresses=addresses,
        local_address=_local_address(addresses[0]),
        systemd_sandbox=_sandbox(spec, home) if spec["sandbox"] else [],
        systemd_limits=_memory_limits(spec["memory_limit"], spec["workers"]),
        probe=_probe(_local_address(addresses[0]), protocol, spec["mount"], spec["server_names"], spec["health"]),
        tls_files=None if spec["tls"] is None else {
            "dir": "%s/%s" % (TLS_ROOT, name),
            "certificate": "%s/%s/fullchain.pem" % (TLS_ROOT, name),
            "key": "%s/%s/privkey.pem" % (TLS_ROOT, name),
            "chain": "%s/%s/chain.pem" % (TLS_ROOT, name),
        },
        upstream={
            "name": "wsgi_%s" % name.replace("-", "_"),
            "servers": [("unix:" + a) if a.startswith("/") else a for a in addresses],
            "pass": PASS_DIRECTIVES[protocol],
            # Idle connections nginx keeps open to the app server, and for how long.
            "keepalive": _upstream_keepalive(spec),
            "keepalive_timeout": max(1, spec["keepalive"] - 1),
        },
    )
    django = spec["django"]
    if django["enabled"] and django["collectstatic"]:
        # collectstatic gathers into the shared folder, outside the releases; nginx serves it.
        django["static_root"] = spec["shared_dir"] + "/static"
        static = {"url": django["static_url"], "path": django["static_root"], "expires": STATIC_EXPIRES}
        if static not in spec["static"]:
            if any(entry["url"] == static["url"] for entry in spec["static"]):
                _fail(where + ".static", "%s is served from Django's static root (django.static_url); remove it "
                      "from static or set django.static_url to another URL" % static["url"])
            spec["static"].append(static)


# systemd's sandbox for an app server's unit: what `systemd-analyze security` scores,
# short of what a WSGI server needs (its own sockets, chown of its unix socket,
# network access to databases, /proc/sys, where uWSGI reads the listen backlog limit). Writable: the runtime and log folders systemd makes,
# data/ and shared/, and writable_paths; the rest of the file system is read-only.
SANDBOX = (
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "PrivateIPC=yes",
    "DevicePolicy=closed",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "ProtectProc=invisible",
    "RestrictNamespaces=yes",
    "RestrictRealtime=yes",
    "RestrictSUIDSGID=yes",
    "LockPersonality=yes",
    "MemoryDenyWriteExecute=yes",
    "RemoveIPC=yes",
    "KeyringMode=private",
    "CapabilityBoundingSet=",
    "AmbientCapabilities=",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    "SystemCallArchitectures=native",
    "SystemCallFilter=@system-service",
    "SystemCallFilter=~@resources",
    "SystemCallErrorNumber=EPERM",
)


def _auto_concurrency(server, worker_class, cpus):
    """Workers and threads when the spec says 0 (see README "Serving speed"): Gunicorn's
    sync workers one request each, 2 per core + 1 so one waits on I/O while the others
    compute; its gthread workers and uWSGI one process per core with 4 threads, which
    benchmarks/serving.py measured fastest on the CPU-bound route without losing the
    I/O-bound one. Granian and Uvicorn one process per core, each an event loop; Granian's
    threads 0 leaves the choice to the granian role (granian_wsgi_threads for WSGI, 1 for ASGI). mod_wsgi's
    daemon processes as uWSGI's."""
    if server in ("uwsgi", "mod_wsgi"):
        return cpus, 4
    if server == "granian":
        return cpus, 0
    if server == "uvicorn":
        return cpus, 1
    if worker_class == "gthread":
        return cpus, 4
    if worker_class == "asgi":
        return cpus, 1
    return 2 * cpus + 1, 1


def _upstream_keepalive(spec):
    """nginx keeps idle connections only to a server that keeps them without tying up a
    worker: Gunicorn's threaded and async workers (with keepalive on). Sync workers
    close every connection, and an idle connection held open to uWSGI (uwsgi protocol,
    or http11-socket) would hold one of its cores."""
    if spec["server"] in ("granian", "uvicorn") and spec["keepalive"]:
        return 16
    if spec["server"] != "gunicorn" or PASS_DIRECTIVES[spec["protocol"]] != "proxy_pass" or not spec["keepalive"]:
        return 0
    if spec["worker_class"] in (None, "sync") and spec["threads"] == 1:
        return 0
    return 16


_MEMORY = re.compile(r"^([0-9]{1,7})([MG]?)\Z", re.IGNORECASE)


def _memory(where, value):
    """A worker's memory limit in MiB: an integer (MiB) or a size such as 512M or 2G; 0 is off."""
    if isinstance(value, bool):
        _fail(where, "must be a size such as 512M or 1G, or 0 for none, got %r" % (value,))
    match = _MEMORY.match(str(value))
    if not match:
        _fail(where, "must be a size such as 512M or 1G (MiB as a number), or 0 for none, got %r" % (value,))
    mib = int(match.group(1)) * (1024 if match.group(2).upper() == "G" else 1)
    low, high = LIMITS["memory_limit"]
    if mib and not low <= mib <= high:
        _fail(where, "must be from %dM to %dG, or 0 for none, got %r" % (low, high // 1024, value))
    return mib


def _memory_limits(mib, workers):
    """systemd's limits for the whole service from the per-worker limit: above MemoryHigh
    the kernel reclaims and throttles, at MemoryMax it kills; a worker above its own limit is
    recycled first (the Gunicorn config's post_request; under uWSGI the entry module).
    The master counts as a worker; the page cache the service fills counts too, hence the
    margins (128 MiB, 256 MiB)."""
    if not mib:
        return []
    return ["MemoryHigh=%dM" % ((workers + 1) * mib + 128), "MemoryMax=%dM" % ((workers + 2) * mib + 256)]


def _sandbox(spec, home):
    writable = [home + "/data", home + "/shared"] + spec["writable_paths"]
    return list(SANDBOX) + ["ReadWritePaths=" + " ".join("-" + path for path in writable)]


def _writable_paths(where, paths):
    result = []
    for path in paths:
        path = str(path).rstrip("/")
        if not path.startswith("/") or not _NGINX_PATH.match(path) or ".." in path.split("/"):
            _fail(where, "%r is not an absolute path (such as /var/cache/shop)" % path)
        result.append(path)
    return result


def _shared(where, paths):
    """Paths inside the code that live in the app's shared folder, linked into every release."""
    result = []
    for path in paths:
        path = str(path).strip().strip("/")
        parts = path.split("/")
        if not path or ".." in parts or "." in parts or not _NGINX_PATH.match(path) or path == "venv":
            _fail(where, "%r is not a path inside the code (such as media or var/db)" % path)
        result.append(path)
    return result


def _health(where, health):
    """The health check: false turns it off, a dict changes the defaults."""
    if health is False or str(health).lower() in ("false", "no", "off"):
        health = {"enabled": False}
    if not isinstance(health, dict):
        _fail(where, "must be false or a mapping with keys %s" % ", ".join(_MAPPING_SPECS["health"]))
    result = _validated(where, _MAPPING_SPECS["health"], health)
    if not _HEALTH_PATH.match(result["path"]):
        _fail(where + ".path", "must be a URL path starting with '/', got %r" % result["path"])
    result["status_codes"] = [_integer(where + ".status_codes", code, 100, 599) for code in result["status_codes"]]
    try:
        re.compile(result["body_regex"])
    except re.error as problem:
        _fail(where + ".body_regex", "is not a regular expression: %s" % problem)
    result["timeout"] = _integer(where + ".timeout", result["timeout"], *LIMITS["health.timeout"])
    result["retries"] = _integer(where + ".retries", result["retries"], *LIMITS["health.retries"])
    result["delay"] = _integer(where + ".delay", result["delay"], *LIMITS["health.delay"])
    return result


def _local_address(address):
    """Where the host reaches an address the app server listens on: {socket} or {host, port}."""
    tcp = split_tcp(address)
    return {"socket": address} if tcp is None else {"host": local_host(tcp[0]), "port": tcp[1]}


def _probe(local, protocol, mount, server_names, health):
    """How the health check reaches the app server directly: its first address, in its protocol.
    None for FastCGI, which only nginx speaks here, and for mod_wsgi's daemon processes, which only Apache
    reaches (the check through the front end still runs)."""
    if protocol in ("fastcgi", "daemon"):
        return None
    probe = {"protocol": "uwsgi" if protocol == "uwsgi" else "http",
             "path": mount.rstrip("/") + health["path"],
             "host_header": server_names[0] if server_names else "localhost"}
    probe.update(local)
    return probe


# What removing an app (state: absent) reads of its spec; the other keys it keeps are not checked.
_REMOVAL_KEYS = ("state", "purge", "server", "process_manager", "front_end")


def _is_removed(app):
    return isinstance(app, dict) and app.get("state") == "absent"


def _removal(app, index):
    """An app to remove (state: absent): its name and what removing it reads - where its files, units and folders
    are, and which roles wrote them."""
    where, name = _identity(app, index, needs_source=False)
    typed = _typed(where, {key: app[key] for key in _REMOVAL_KEYS if key in app})
    spec = {key: typed.get(key, _DEFAULTS[key]) for key in _REMOVAL_KEYS}
    home = "%s/%s" % (APPS_ROOT, name)
    spec.update(
        name=name, user=name, group=name, home=home,
        config_dir="%s/%s" % (CONFIG_ROOT, name),
        runtime_dir="/run/%s" % name,
        log_dir="/var/log/%s" % name,
        tls_dir="%s/%s" % (TLS_ROOT, name),
        # Every unit of the app (its server's, its timers' and its processes'), as systemctl and find match them.
        units="wsgi-%s.*" % name,
    )
    return spec


def removed_apps(apps):
    """The apps of wsgi_apps to remove (state: absent), each as _removal gives it; pyops.wsgi.app_specs leaves
    them out and checks them."""
    if not isinstance(apps, list):
        return []
    return [_removal(app, index) for index, app in enumerate(apps) if _is_removed(app)]


def app_specs(apps, cpu_count=1, http_port=80):
    """Normalize a list of app specs; raise naming the first bad value.

    http_port is nginx's plain HTTP port, which no app may bind as well. An app to remove (state: absent)
    is checked (see removed_apps) and left out.
    """
    if apps is None:
        apps = []
    if not isinstance(apps, list):
        _fail("wsgi_apps", "must be a list of apps, got %s" % type(apps).__name__)
    removed = {}
    for index, app in enumerate(apps):
        if _is_removed(app):
            name = _removal(app, index)["name"]
            if name in removed:
                _fail("wsgi_apps", "%s and wsgi_apps[%d] (%s) have the same name; each app needs its own"
                      % (removed[name], index, name))
            removed[name] = "wsgi_apps[%d] (%s)" % (index, name)
    specs = [_one(app, index, cpu_count) for index, app in enumerate(apps) if not _is_removed(app)]
    for spec in specs:
        if spec["name"] in removed:
            _fail("wsgi_apps", "%s is to be removed (state: absent) and deployed under the same name; keep one of "
                  "them" % removed[spec["name"]])
    http_port = _integer("http_port", http_port, 1, 65535)
    _collisions(specs, http_port)
    for spec in specs:
        spec[NORMALIZED] = {"cpu_count": _integer("cpu_count", cpu_count, 1, 4096), "http_port": http_port}
    return specs


def _is_normalized(spec):
    """Whether spec is the output of app_specs (it carries what it was normalized for)."""
    marker = spec.get(NORMALIZED) if isinstance(spec, dict) else None
    return isinstance(marker, dict) and set(marker) == {"cpu_count", "http_port"}


def normalized(specs, option, http_port=None):
    """specs (one spec or a list) as given, when each is normalized (by app_specs); raise naming option if not.

    The roles take what the play normalized once instead of normalizing again. With
    http_port, each spec must have been normalized for that nginx HTTP port.
    """
    for spec in specs if isinstance(specs, list) else [specs]:
        if not _is_normalized(spec):
            name = spec.get("name") if isinstance(spec, dict) else None
            raise AnsibleFilterError(
                "%s%s: takes app specs normalized by pyops.wsgi.app_specs (as the deploy role does once per play), not raw "
                "items of wsgi_apps; pass `[spec] | pyops.wsgi.app_specs(ansible_facts['processor_vcpus'], "
                "nginx_listen_port) | first`" % (option, " (%s)" % name if name else ""))
        if http_port is not None and spec[NORMALIZED]["http_port"] != int(http_port):
            raise AnsibleFilterError(
                "%s (%s): was normalized for nginx's HTTP port %s, but nginx listens on %s; normalize it with "
                "the port nginx_listen_port gives" % (option, spec["name"], spec[NORMALIZED]["http_port"], http_port))
    return specs


def _overlaps(first, second):
    """Whether two TCP (host, port) pairs need the same port of one interface."""
    return first[1] == second[1] and (first[0] == second[0] or is_wildcard(first[0]) or is_wildcard(second[0]))


def _collisions(specs, http_port):
    """Refuse two apps that would share a name, an nginx upstream, a port or a server name.

    Users, homes, sockets, units and logs are derived from the unique name, so the
    name covers them. Each message names both apps.
    """
    where = {}
    for index, spec in enumerate(specs):
        label = "wsgi_apps[%d] (%s)" % (index, spec["name"])
        other = where.get(spec["name"])
        if other:
            _fail("wsgi_apps", "%s and %s have the same name; each app needs its own (it is also its unix "
                  "user, home, socket and unit)" % (other, label))
        where[spec["name"]] = label

    front_end_clashes(specs, where)

    first_of = {}
    for spec in specs:
        if spec["nginx"]:
            first_of.setdefault(spec["front_end"], where[spec["name"]])
    if len(first_of) > 1:
        _fail("wsgi_apps", "%s; the apps of a host behind a front end share one: give them the same front_end"
              % " but ".join("%s names front_end %s" % (label, name) for name, label in first_of.items()))

    # Every TCP address something listens on: nginx, each app server, uWSGI's stats servers.
    taken = []
    if any(spec["nginx"] for spec in specs):
        taken.append((("", http_port), "nginx (its HTTP port)"))
        for spec in specs:
            if spec["nginx"] and spec["tls"] and spec["tls"]["port"] == http_port:
                _fail("%s.tls.port" % where[spec["name"]], "%d is nginx's plain HTTP port too (nginx_listen_port); "
                      "one port cannot speak both: give TLS another port, such as 443" % http_port)
        for port in sorted({spec["tls"]["port"] for spec in specs if spec["nginx"] and spec["tls"]}):
            taken.append((("", port), "nginx (its HTTPS port)"))
    for spec in specs:
        owned = [(address, "%s.bind %s" % (where[spec["name"]], address)) for address in spec["addresses"]]
        for option in ("stats", "stats-server"):
            values = spec["uwsgi_options"].get(option, [])
            for address in [values] if isinstance(values, str) else values:
                owned.append((address, "%s.uwsgi_options.%s %s" % (where[spec["name"]], option, address)))
        for address, label in owned:
            pair = split_tcp(address)
            if pair is None:
                continue
            for other_pair, other_label in taken:
                if _overlaps(pair, other_pair):
                    _fail("wsgi_apps", "%s collides with %s: both need port %d; give one of them another port"
                          % (label, other_label, pair[1]))
            taken.append((pair, label))


def front_end_clashes(specs, labels, fleet=False):
    """Refuse apps one nginx cannot tell apart: a shared upstream, two default sites, a name claimed twice.

    One rule for the apps of a host and for those a load balancer fronts (fleet:
    they come from different nodes). labels: each app's name as the messages
    give it. Only apps behind nginx count for the default site.
    """
    apart = " (on different nodes)" if fleet else ""
    upstreams = {}
    for spec in specs:
        name = spec["upstream"]["name"]
        if name in upstreams:
            _fail("wsgi_apps", "%s%s and %s%s would share the nginx upstream %s ('-' and '_' are the same there); "
                  "rename one" % ("apps " if fleet else "", labels[upstreams[name]], labels[spec["name"]], apart, name))
        upstreams[name] = spec["name"]

    default_apps = [labels[spec["name"]] for spec in specs if spec["nginx"] and not spec["server_names"]]
    if len(default_apps) > 1:
        _fail("wsgi_apps", "%s%s have no server_names%s; %s: give the others server_names"
              % ("apps " if fleet else "", " and ".join(default_apps), ", on different nodes" if fleet else "",
                 "the load balancers have one default site" if fleet else "at most one app may be nginx's default site"))

    owners = {}
    for spec in specs:
        for server_name in spec["server_names"]:
            if server_name in owners:
                _fail("wsgi_apps", "server name %r is claimed by both %s and %s%s; %s"
                      % (server_name, labels[owners[server_name]], labels[spec["name"]], apart,
                         "the load balancers can send a name to one app only" if fleet
                         else "a name can lead to one app only"))
            owners[server_name] = spec["name"]


# What a value that must never be printed is replaced with in a redacted spec.
REDACTED = "********"


def redacted(specs):
    """The specs with every secret replaced by REDACTED: environment values, TLS private keys given as
    content, Django's superuser password. Tasks whose results Ansible prints (loop items at -v) take
    these; only a task under no_log gets a secret."""
    result = []
    for spec in specs:
        spec = dict(spec)
        spec["environment"] = dict((key, REDACTED) for key in spec.get("environment") or {})
        if spec.get("tls") and spec["tls"].get("key_content"):
            spec["tls"] = dict(spec["tls"], key_content=REDACTED)
        django = spec.get("django")
        if isinstance(django, dict) and django.get("superuser"):
            spec["django"] = dict(django, superuser=dict(django["superuser"], password=REDACTED))
        result.append(spec)
    return result


def app_folders(specs):
    """Each app's folders as module wsgi_users makes them (path, owner, group): the code, venvs and configuration
    are root's, which the app's group reads; data_dir is the app's own."""
    folders = []
    for spec in specs:
        for key in ("home", "config_dir", "data_dir", "source_dir", "releases_dir", "shared_dir", "venvs_dir",
                    "archive_dir"):
            folders.append({"path": spec[key], "owner": spec["user"] if key == "data_dir" else "root",
                            "group": spec["group"]})
    return folders


class FilterModule(object):
    """pyops.wsgi app spec filters."""

    def filters(self):
        return {"app_specs": app_specs, "removed_apps": removed_apps, "normalized": normalized, "redacted": redacted, "app_folders": app_folders}
