# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""uWSGI options: which names exist, which values are safe under systemd and nginx.

Standard library only: used by controller-side filters.
"""

from __future__ import annotations

import difflib
import re

from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_address import is_loopback, split_tcp

_HELP_OPTION = re.compile(r"^\s+(?:-\w\|)?--([a-z0-9][a-z0-9-]*)\s", re.MULTILINE)
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*\Z")

# Options the app spec itself sets: naming them in uwsgi_options would make nginx
# and uWSGI disagree, so the message says which spec key to use instead.
OWNED_BY_SPEC = {
    "socket": "bind and protocol",
    "uwsgi-socket": "bind and protocol",
    "http-socket": "bind and protocol",
    "fastcgi-socket": "bind and protocol",
    "http": "bind and protocol: router",
    "chdir": "source (the code folder is derived)",
    "virtualenv": "the app's venv (derived)",
    "home": "the app's venv (derived)",
    "venv": "the app's venv (derived)",
    "wsgi-file": "entry",
    "module": "entry",
    "callable": "entry",
    "mount": "mount",
    "uid": "name (the app's own user)",
    "gid": "name (the app's own group)",
    "master-fifo": "nothing: pyops.wsgi reloads through it",
    "processes": "workers",
    "workers": "workers",
    "threads": "threads",
    "max-requests": "max_requests",
    "max-requests-delta": "max_requests_jitter",
    "reload-on-rss": "memory_limit",
    "disable-logging": "access_log",
    "req-logger": "access_log",
    "harakiri": "timeout",
}
# Never under systemd or in production, whatever the user allows.
REFUSED = {
    "daemonize": "systemd supervises uWSGI; a daemonized uWSGI leaves its unit and systemd "
                 "would think it died. Log to the journal (the default) or use logto.",
    "daemonize2": "systemd supervises uWSGI; a daemonized uWSGI leaves its unit and systemd "
                  "would think it died. Log to the journal (the default) or use logto.",
    "py-autoreload": "it polls every module and restarts on any change: a development tool, "
                     "not for production. pyops.wsgi reloads gracefully on every deploy.",
    "python-autoreload": "it polls every module and restarts on any change: a development tool, "
                         "not for production. pyops.wsgi reloads gracefully on every deploy.",
    "py-auto-reload": "it polls every module and restarts on any change: a development tool, "
                      "not for production. pyops.wsgi reloads gracefully on every deploy.",
}
_STATS_OPTIONS = ("stats", "stats-server")


def option_names(help_text):
    """The long option names a uWSGI binary prints with --help."""
    return frozenset(_HELP_OPTION.findall(help_text or ""))


def unknown_options(options, known):
    """[(name, suggestion or None)] for every name uWSGI does not accept."""
    result = []
    for name in sorted(options):
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
            result.append((name, close[0] if close else None))
    return result


def _values(value):
    return value if isinstance(value, list) else [value]


def _world_accessible(mode):
    text = str(mode).strip()
    if text in ("", "true", "True"):
        return True  # a bare chmod-socket means 666
    try:
        bits = int(text, 8)
    except ValueError:
        return True
    return bool(bits & 0o007)


def _stats_is_local(address):
    text = str(address)
    if text.startswith("/") or text.startswith("@"):
        return True
    tcp = split_tcp(text)
    return tcp is not None and is_loopback(tcp[0])


def check_options(options, allow_world_socket=False, allow_public_stats=False):
    """Normalize uwsgi_options; return (options, problems).

    Each problem is (option name, message). Values become strings or lists of
    strings, booleans 'true'/'false', as uWSGI's ini reader wants them.
    """
    problems = []
    result = {}
    if not isinstance(options, dict):
        return {}, [("", "must be a mapping of uWSGI option names to values")]
    for raw_name, value in options.items():
        name = str(raw_name).strip().lstrip("-").replace("_", "-")
        if not _NAME.match(name):
            problems.append((name, "is not a uWSGI option name"))
            continue
        if name in REFUSED:
            problems.append((name, "is refused: " + REFUSED[name]))
            continue
        if name in OWNED_BY_SPEC:
            problems.append((name, "is set by the app spec; use %s instead" % OWNED_BY_SPEC[name]))
            continue
        values = []
        for item in _values(value):
            if isinstance(item, (dict, list)):
                problems.append((name, "values must be strings, numbers or booleans"))
                break
            values.append(str(item).lower() if isinstance(item, bool) else str(item))
        else:
            if name == "chmod-socket" and not allow_world_socket and any(_world_accessible(v) for v in values):
                problems.append((name, "%s lets every local user talk to the app; nginx reaches the socket "
                                       "through the app's group with 660 (the default). Set "
                                       "uwsgi_allow_world_socket: true only if you really need it"
                                 % ", ".join(values)))
                continue
            if name in _STATS_OPTIONS and not allow_public_stats and not all(_stats_is_local(v) for v in values):
                problems.append((name, "%s would publish the stats server (every worker, request and "
                                       "address) beyond this host; use a unix socket or 127.0.0.1:PORT, "
                                       "or set uwsgi_allow_public_stats: true" % ", ".join(values)))
                continue
            if name == "listen":
                try:
                    if int(values[-1]) < 1:
                        raise ValueError
                except ValueError:
                    problems.append((name, "must be a positive whole number (the socket backlog)"))
                    continue
            result[name] = values if isinstance(value, list) else values[0]
    return result, problems
