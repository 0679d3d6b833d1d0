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
    for node_only in ("location /shop/", "alias ", "gzip off;", "X-Frame-Options", "uwsgi_pass"):
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
    assert "proxy_next_upstream" not in conf and "include /etc/nginx/pyops-wsgi" not in conf
    assert "location /shop/static/ {" in conf and "gzip off;" in conf
