"""uwsgi.ini and the uWSGI unit for the option sets real Flask and Django deployments use."""

from __future__ import annotations

import pytest

# What a typical Flask uwsgi.ini says, written as an app spec.
FLASK = {
    "name": "flaskapp",
    "source": {"type": "local", "path": "/src"},
    "entry": "app:create_app()",
    "server": "uwsgi",
    "protocol": "uwsgi",
    "workers": 4,
    "threads": 2,
    "timeout": 60,
    "max_requests": 5000,
    "uwsgi_options": {"buffer-size": 32768, "listen": 1024, "vacuum": True, "pidfile": "/run/flaskapp/uwsgi.pid"},
}
# And a typical Django one: TCP socket, its own stats server on loopback.
DJANGO = {
    "name": "djangoapp",
    "source": {"type": "git", "repo": "https://git.example/site.git", "version": "v2"},
    "entry": "mysite.wsgi:application",
    "server": "uwsgi",
    "protocol": "http",
    "bind": ["unix", "127.0.0.1:8001"],
    "workers": 3,
    "max_requests": 0,
    "uwsgi_options": {
        "stats": "127.0.0.1:1717",
        "harakiri-verbose": True,
        "log-maxsize": 10485760,
        "limit-as": 512,
        "ignore-sigpipe": True,
    },
}


def parse_ini(text):
    """[(key, value)] of a uWSGI ini: keys may repeat, so configparser will not do."""
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;[":
            continue
        key, _sep, value = line.partition("=")
        pairs.append((key.strip(), value.strip()))
    return pairs


@pytest.fixture(scope="module")
def flask(render):
    return render(FLASK, ["uwsgi.ini", "uwsgi.service", "nginx.conf"])


@pytest.fixture(scope="module")
def django(render):
    return render(DJANGO, ["uwsgi.ini", "nginx.conf"])


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("strict", "true"),
        ("master", "true"),
        ("chdir", "/srv/flaskapp"),
        ("virtualenv", "/srv/flaskapp/current/venv"),
        ("binary-path", "/srv/flaskapp/current/venv/bin/python"),
        ("wsgi-file", "/etc/pyops-wsgi/flaskapp/pyops_wsgi_entry.py"),
        ("processes", "4"),
        ("threads", "2"),
        ("enable-threads", "true"),
        ("lazy-apps", "true"),
        ("die-on-term", "true"),
        ("harakiri", "60"),
        ("max-requests", "5000"),
        # A tenth of max_requests unless given.
        ("max-requests-delta", "500"),
        # Requests are logged by nginx.
        ("disable-logging", "true"),
        ("reload-mercy", "30"),
        ("socket", "/run/flaskapp/uwsgi.sock"),
        ("chmod-socket", "660"),
        ("vacuum", "true"),
        ("buffer-size", "32768"),
        ("listen", "1024"),
        ("pidfile", "/run/flaskapp/uwsgi.pid"),
        ("stats", "/run/flaskapp/stats.sock"),
        ("master-fifo", "/run/flaskapp/master.fifo"),
    ],
)
def test_flask_ini(flask, key, value):
    assert (key, value) in parse_ini(flask["uwsgi.ini"])


def test_flask_ini_states_each_option_once_except_pythonpath(flask):
    keys = [pair[0] for pair in parse_ini(flask["uwsgi.ini"])]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    assert repeated == ["pythonpath"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("http-socket", "/run/djangoapp/uwsgi.sock"),
        ("http-socket", "127.0.0.1:8001"),
        ("stats", "127.0.0.1:1717"),
        ("harakiri-verbose", "true"),
        ("log-maxsize", "10485760"),
        ("disable-logging", "true"),
        ("limit-as", "512"),
        ("processes", "3"),
        ("chdir", "/srv/djangoapp"),
    ],
)
def test_django_ini(django, key, value):
    assert (key, value) in parse_ini(django["uwsgi.ini"])


def test_django_ini_has_no_max_requests_when_off(django):
    keys = [pair[0] for pair in parse_ini(django["uwsgi.ini"])]
    assert "max-requests" not in keys and "socket" not in keys


def test_unit_is_notify_and_chain_reloads(flask):
    lines = set(flask["uwsgi.service"].splitlines())
    for line in (
        "Type=notify",
        "User=flaskapp",
        "Group=flaskapp",
        "RuntimeDirectory=flaskapp",
        # The home, never a release: a later deploy prunes the release the master started in.
        "WorkingDirectory=/srv/flaskapp",
        "ExecStart=/srv/flaskapp/current/venv/bin/uwsgi --ini /etc/pyops-wsgi/flaskapp/uwsgi.ini",
        "ExecReload=/bin/sh -c 'echo c > /run/flaskapp/master.fifo'",
        "Restart=on-failure",
        # The sandbox; the master FIFO and sockets live in the runtime folder systemd makes writable.
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "ReadWritePaths=-/srv/flaskapp/data -/srv/flaskapp/shared",
    ):
        assert line in lines, line


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("flask", ["uwsgi_pass wsgi_flaskapp;", "include uwsgi_params;", "server unix:/run/flaskapp/uwsgi.sock"]),
        ("django", ["proxy_pass http://wsgi_djangoapp;", "server unix:/run/djangoapp/uwsgi.sock",
                    "server 127.0.0.1:8001"]),
    ],
)
def test_nginx_follows_the_protocol(request, fixture, expected):
    conf = request.getfixturevalue(fixture)["nginx.conf"]
    for text in expected:
        assert text in conf, text


def test_mount_and_fastcgi(render):
    app = dict(FLASK, name="fcgi", protocol="fastcgi", mount="/api", uwsgi_options={})
    rendered = render(app, ["uwsgi.ini", "nginx.conf"])
    pairs = parse_ini(rendered["uwsgi.ini"])
    assert ("fastcgi-socket", "/run/fcgi/uwsgi.sock") in pairs
    assert ("mount", "/api=/etc/pyops-wsgi/fcgi/pyops_wsgi_entry.py") in pairs
    assert ("manage-script-name", "true") in pairs
    assert "wsgi-file" not in dict(pairs)
    assert "location /api/ {" in rendered["nginx.conf"]
    assert "fastcgi_pass wsgi_fcgi;" in rendered["nginx.conf"]


def test_router_binds_uwsgi_http_router(render):
    app = dict(FLASK, name="router", protocol="router", bind="0.0.0.0:9090", uwsgi_options={})
    pairs = parse_ini(render(app, ["uwsgi.ini"])["uwsgi.ini"])
    assert ("http", "0.0.0.0:9090") in pairs
    assert "socket" not in dict(pairs)


def test_emperor_vassal_drops_to_the_app_user(render):
    rendered = render(FLASK, ["uwsgi.ini", "uwsgi-emperor.service"], emperor=True)
    pairs = parse_ini(rendered["uwsgi.ini"])
    for pair in (("uid", "flaskapp"), ("gid", "flaskapp"), ("chown-socket", "flaskapp:flaskapp"),
                 ("socket", "/run/flaskapp/uwsgi.sock"), ("master-fifo", "/run/flaskapp/master.fifo"),
                 ("pythonpath", "/srv/flaskapp/current/venv/lib/python3*/site-packages")):
        assert pair in pairs, pair
    unit = rendered["uwsgi-emperor.service"]
    assert "Type=notify" in unit
    assert ("ExecStart=/opt/pyops-wsgi/uwsgi-emperor/bin/uwsgi --emperor /etc/uwsgi-emperor/vassals --die-on-term "
            "--binary-path /opt/pyops-wsgi/uwsgi-emperor/bin/python "
            "--emperor-wrapper /opt/pyops-wsgi/uwsgi-emperor/bin/uwsgi") in unit


def test_source_build_reloads_its_own_binary(render):
    rendered = render(FLASK, ["uwsgi.ini"], overrides={}, emperor=False, package="uwsgi")
    assert ("binary-path", "/srv/flaskapp/current/venv/bin/uwsgi") in parse_ini(rendered["uwsgi.ini"])


def test_own_unit_has_no_uid_lines(flask):
    keys = dict(parse_ini(flask["uwsgi.ini"]))
    assert "uid" not in keys and "chown-socket" not in keys


def test_uwsgi_logs_requests_to_a_file_only_when_asked(render):
    pairs = parse_ini(render(dict(FLASK, access_log=True, memory_limit=0), ["uwsgi.ini"])["uwsgi.ini"])
    assert ("req-logger", "file:/var/log/flaskapp/access.log") in pairs
    assert "disable-logging" not in dict(pairs) and "reload-on-rss" not in dict(pairs)
    assert "reload-on-rss" not in dict(parse_ini(render(FLASK, ["uwsgi.ini"])["uwsgi.ini"]))
    assert "memory-report" not in dict(pairs)


def test_uwsgi_unit_bounds_the_service_memory(flask):
    lines = flask["uwsgi.service"].splitlines()
    # 4 processes of 1 GiB each and the master: throttled above 5 GiB, killed at 6 GiB (and margins).
    assert "MemoryHigh=5248M" in lines and "MemoryMax=6400M" in lines
