"""A load balancer's server block is its own template; a node's place in the rotation is data."""

from __future__ import annotations

import pytest

SHOP = {"name": "shop", "source": {"type": "local", "path": "/src"}, "entry": "shop:app",
        "server_names": ["shop.example.com"], "static": [{"url": "/static/", "path": "static"}], "mount": "/shop",
        "nginx_directives": ["gzip off;"]}
BACKENDS = {"shop": {"scheme": "http", "servers": ["node1:80", "node2:80"]}}
NODE = {"app": "shop", "server": "node1:80", "max_fails": 3, "fail_timeout": "10s"}


def test_the_balancers_block_sends_everything_to_the_nodes_listed_in_their_own_files(render):
    conf = render(SHOP, ["balancer.conf"], extra={"nginx_backends": BACKENDS,
                                                  "__nginx_upstreams_dir": "/etc/nginx/pyops-wsgi/upstreams"})["balancer.conf"]
    upstream = conf[conf.index("upstream wsgi_shop {"):conf.index("}")]
    assert "include /etc/nginx/pyops-wsgi/upstreams/shop/*.conf;" in upstream
    assert "keepalive 16;" in upstream
    assert "proxy_pass http://wsgi_shop;" in conf and "proxy_next_upstream_tries 2;" in conf
    # The nodes' nginx serves the mount, the static files and the app's own directives.
    assert "location / {" in conf
    for node_only in ("location /shop/ ", "alias /srv", "gzip off;", "X-Frame-Options", "uwsgi_pass"):
        assert node_only not in conf, node_only


@pytest.mark.parametrize(("down", "line"), [
    (False, "server node1:80 max_fails=3 fail_timeout=10s;"),
    (True, "server node1:80 max_fails=3 fail_timeout=10s down;"),
])
def test_a_nodes_file_says_whether_it_is_down(render, down, line):
    text = render(SHOP, ["node.conf"], extra={"nginx_upstream_node": dict(NODE, down=down)})["node.conf"]
    assert text.splitlines()[-1] == line


def test_a_nodes_block_has_no_load_balancer_part(render):
    conf = render(SHOP, ["nginx.conf"], extra={"nginx_backends": BACKENDS})["nginx.conf"]
    assert "proxy_next_upstream" not in conf and "include /etc/nginx/pyops-wsgi/upstreams" not in conf
    assert "location /shop/static/ {" in conf and "gzip off;" in conf


def locations(conf):
    """Each location's first line and body (without comments), in order."""
    found, current = [], None
    for line in conf.splitlines():
        if line.strip().startswith("location "):
            current = [line.strip(), []]
            found.append(current)
        elif current is not None and line.strip() == "}":
            current = None
        elif current is not None and not line.strip().startswith("#"):
            current[1].append(line.strip())
    return found


@pytest.mark.parametrize(("template", "proxy", "static"), [
    ("nginx.conf", "location /shop/ {", "location /shop/static/ {"),
    ("balancer.conf", "location / {", "location /shop/static/ {"),
])
def test_maintenance_mode_switches_where_requests_are_passed_on_and_leaves_static_files(render, template, proxy, static):
    """A node's block and a load balancer's include the app's maintenance file (when it is there) where
    requests go to the app, first, and not where static files are served; its page is internal."""
    app = dict(SHOP, maintenance={"retry_after": 120})
    conf = render(app, [template], extra={"nginx_backends": BACKENDS if template == "balancer.conf" else {},
                                          "__nginx_upstreams_dir": "/etc/nginx/pyops-wsgi/upstreams"})[template]
    found = dict((head, body) for head, body in locations(conf))
    switch = "include /etc/nginx/pyops-wsgi/maintenance/shop.con[f];"
    assert found[proxy][0] == switch
    assert switch not in found[static]
    assert found[static][-1] in ("proxy_pass http://wsgi_shop;", "access_log off;")
    page = found["location = /.pyops-wsgi-maintenance.html {"]
    assert page == ["internal;", "alias /etc/nginx/pyops-wsgi/maintenance/shop.html;", "default_type text/html;"]
    # Retry-After on the page only, from the server block, whose other headers the page keeps (no add_header of its own).
    assert "map $uri $pyops_retry_after_wsgi_shop {\n    default \"\";\n    /.pyops-wsgi-maintenance.html 120;\n}" in conf
    assert "    add_header Retry-After $pyops_retry_after_wsgi_shop always;" in conf.splitlines()


def test_maintenance_mode_lets_the_host_the_callers_and_the_allow_list_through(render):
    app = dict(SHOP, maintenance={"allow": ["203.0.113.7", "10.20.0.0/16"]})
    rendered = render(app, ["maintenance.conf", "maintenance.html"],
                      extra={"__nginx_maintenance_allow": ["127.0.0.1", "::1", "172.19.0.2", "203.0.113.7", "10.20.0.0/16"]})
    lines = [line for line in rendered["maintenance.conf"].splitlines() if line and not line.startswith("#")]
    assert lines == ["allow 127.0.0.1;", "allow ::1;", "allow 172.19.0.2;", "allow 203.0.113.7;", "allow 10.20.0.0/16;",
                     "deny all;", "error_page 403 =503 /.pyops-wsgi-maintenance.html;"]
    assert "<h1>Down for maintenance</h1>" in rendered["maintenance.html"]
