"""lb_backends: what the load balancers serve, and which nodes behind each app; lb_rotation: what a node takes out;
release_runs: which node runs an app's release command."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.pyops.wsgi.plugins.filter.fleet import FilterModule, lb_backends, lb_rotation, fleet_timers, release_runs


def app(**overrides):
    spec = {"name": "hello", "source": {"type": "local", "path": "/src/hello"}, "entry": "hello:app",
            "server_names": ["hello.example"]}
    spec.update(overrides)
    return spec


def test_filter_is_registered_under_its_name():
    assert FilterModule().filters() == {"lb_backends": lb_backends, "lb_rotation": lb_rotation,
                                        "release_runs": release_runs, "fleet_timers": fleet_timers}


def test_each_app_lists_every_node_that_runs_it_on_its_nginx_port():
    hostvars = {
        "node1": {"wsgi_apps": [app(), app(name="shop", server_names=["shop.example"])],
                  "ansible_host": "10.0.0.11"},
        "node2": {"wsgi_apps": [app()], "wsgi_node_address": "10.1.0.12", "ansible_host": "node2.ssh",
                  "nginx_listen_port": 8080},
        "node3": {"wsgi_apps": [app(), app(name="worker", nginx=False, server_names=[])]},
    }
    result = lb_backends(["node1", "node2", "node3"], hostvars)
    assert [spec["name"] for spec in result["apps"]] == ["hello", "shop"]
    assert result["backends"] == {
        "hello": {"scheme": "http", "servers": ["10.0.0.11:80", "10.1.0.12:8080", "node3:80"]},
        "shop": {"scheme": "http", "servers": ["10.0.0.11:80"]},
    }
    assert all(spec["normalized"] == {"cpu_count": 1, "http_port": 80} for spec in result["apps"])


@pytest.mark.parametrize(
    ("node2_apps", "served", "removed"),
    [
        # Removed on one node, served on the other: served from that one only, not removed.
        ([{"name": "shop", "state": "absent"}], {"hello": ["a:80"], "shop": ["a:80"]}, []),
        # Removed wherever it was: the load balancers drop it.
        ([], {"hello": ["a:80"]}, ["shop"]),
    ],
    ids=["removed-on-one-node", "removed-everywhere"],
)
def test_an_app_a_node_removes_is_served_from_the_others_and_dropped_when_none_serves_it(node2_apps, served, removed):
    shop = app(name="shop", server_names=["shop.example"])
    first = [app(), shop] if served.get("shop") else [app(), {"name": "shop", "state": "absent", "purge": True}]
    hostvars = {"a": {"wsgi_apps": first}, "b": {"wsgi_apps": node2_apps or [{"name": "shop", "state": "absent"}]}}
    result = lb_backends(["a", "b"], hostvars)
    assert {name: backend["servers"] for name, backend in result["backends"].items()} == served
    assert [spec["name"] for spec in result["removed"]] == removed
    for spec in result["removed"]:
        assert spec["tls_dir"] == "/etc/ssl/pyops-wsgi/shop" and spec["units"] == "wsgi-shop.*"


def test_the_apps_are_normalized_for_the_load_balancers_own_port():
    hostvars = {"node1": {"wsgi_apps": [app()]}, "node2": {"wsgi_apps": [app()], "nginx_listen_port": 8080}}
    (spec,) = lb_backends(["node1", "node2"], hostvars, 8000)["apps"]
    assert spec["normalized"]["http_port"] == 8000 and spec["bind"] == ["unix"]


def test_a_tls_app_is_reached_over_https_on_its_tls_port():
    tls = {"self_signed": True, "port": 8443}
    result = lb_backends(["a", "b"], {"a": {"wsgi_apps": [app(tls=tls)]}, "b": {"wsgi_apps": [app(tls=tls)]}})
    assert result["backends"]["hello"] == {"scheme": "https", "servers": ["a:8443", "b:8443"]}
    assert result["apps"][0]["tls"]["self_signed"] is True


@pytest.mark.parametrize(
    ("second", "message"),
    [
        (app(server_names=["other.example"]),
         "app hello has another server_names on b than on a (['other.example'], ['hello.example'])"),
        (app(tls={"self_signed": True}), "app hello has another tls on b than on a"),
        (app(timeout=90), "app hello has another timeout on b than on a"),
        # The load balancers' maintenance mode lets one allow-list through.
        (app(maintenance={"allow": ["10.0.0.0/8"]}), "app hello has another maintenance on b than on a"),
        (app(name="shop"), "server name 'hello.example' is claimed by both hello and shop (on different nodes)"),
        (app(name="hello_x", server_names=["x.example"]), None),
    ],
)
def test_one_app_must_look_the_same_on_every_node(second, message):
    hostvars = {"a": {"wsgi_apps": [app(name="hello-x", server_names=["y.example"]), app()]},
                "b": {"wsgi_apps": [second]}}
    with pytest.raises(AnsibleFilterError) as caught:
        lb_backends(["a", "b"], hostvars)
    expected = message or "apps hello-x and hello_x (on different nodes) would share the nginx upstream wsgi_hello_x"
    assert expected in str(caught.value)


def test_a_bad_spec_on_any_node_is_refused_naming_the_key():
    with pytest.raises(AnsibleFilterError, match=r"wsgi_apps\[0\] \(hello\)\.workers: argument 'workers' is of type str"):
        lb_backends(["a"], {"a": {"wsgi_apps": [app(workers="many")]}})


def test_the_load_balancers_need_app_nodes():
    with pytest.raises(AnsibleFilterError, match="need app nodes"):
        lb_backends([], {})


ROTATION_HOSTVARS = {
    # hello on three nodes, shop on node1 and node2, admin on node1 alone, a worker without nginx.
    "node1": {"wsgi_apps": [app(), app(name="shop", server_names=["shop.example"]),
                            app(name="admin", server_names=["admin.example"]),
                            app(name="worker", nginx=False, server_names=[])],
              "ansible_host": "10.0.0.11"},
    "node2": {"wsgi_apps": [app(), app(name="shop", server_names=["shop.example"])], "wsgi_node_address": "10.1.0.12"},
    "node3": {"wsgi_apps": [app()]},
}
EVERY_APP = ["hello", "shop", "admin", "worker"]


@pytest.mark.parametrize(
    ("node", "batch", "changed", "expected"),
    [
        # One node at a time: every changed app another node serves; admin (node1 only) and the worker stay.
        ("node1", ["node1"], EVERY_APP, {"address": "10.0.0.11", "apps": ["hello", "shop"]}),
        # Only what changes leaves.
        ("node1", ["node1"], ["shop"], {"address": "10.0.0.11", "apps": ["shop"]}),
        ("node1", ["node1"], [], {"address": "10.0.0.11", "apps": []}),
        # node1 and node2 together: shop has no other node, hello still has node3.
        ("node2", ["node1", "node2"], EVERY_APP, {"address": "10.1.0.12", "apps": ["hello"]}),
        # The whole fleet at once (wsgi_serial=100%): nothing leaves.
        ("node3", ["node1", "node2", "node3"], EVERY_APP, {"address": "node3", "apps": []}),
    ],
)
def test_rotation_takes_out_changed_apps_other_nodes_keep_serving(node, batch, changed, expected):
    assert lb_rotation(node, batch, ["node1", "node2", "node3"], ROTATION_HOSTVARS, changed) == expected


def test_rotation_and_backends_agree_on_the_address():
    backends = lb_backends(["node1", "node2", "node3"], ROTATION_HOSTVARS)["backends"]["hello"]["servers"]
    addresses = [lb_rotation(node, [node], ["node1", "node2", "node3"], ROTATION_HOSTVARS, [])["address"]
                 for node in ("node1", "node2", "node3")]
    assert backends == ["%s:80" % address for address in addresses]


def test_a_different_tls_key_on_two_nodes_is_named_without_printing_the_keys():
    def tls(key):
        return {"certificate_content": "CERT", "key_content": key}
    hostvars = {"a": {"wsgi_apps": [app(tls=tls("first-secret-key"))]},
                "b": {"wsgi_apps": [app(tls=tls("second-secret-key"))]}}
    with pytest.raises(AnsibleFilterError) as caught:
        lb_backends(["a", "b"], hostvars)
    assert "app hello has another tls on b than on a" in str(caught.value)
    assert "secret-key" not in str(caught.value)


# node1 switches hello and shop, node2 hello only, node3 nothing; node0 ran shop's in an earlier batch.
RELEASE_HOSTVARS = {
    "node0": {"deploy_release_commands": ["shop"], "deploy_release_commands_ran": ["shop"]},
    "node1": {"deploy_release_commands": ["hello", "shop"]},
    "node2": {"deploy_release_commands": ["hello"]},
    "node3": {},
}


@pytest.mark.parametrize(
    ("node", "batch", "expected"),
    [
        # The first node of the batch that switches an app runs its command, unless an earlier batch did.
        ("node1", ["node1", "node2", "node3"], ["hello"]),
        ("node2", ["node1", "node2", "node3"], []),
        ("node3", ["node1", "node2", "node3"], []),
        # Batch order decides, not inventory order.
        ("node2", ["node3", "node2", "node1"], ["hello"]),
        ("node1", ["node3", "node2", "node1"], []),
        # One node at a time: each batch's node, until one ran it.
        ("node2", ["node2"], ["hello"]),
    ],
)
def test_release_commands_run_once_for_the_fleet(node, batch, expected):
    assert release_runs(node, batch, ["node0", "node1", "node2", "node3"], RELEASE_HOSTVARS) == expected


def test_a_release_command_a_node_ran_is_not_run_again_by_a_later_batch():
    hostvars = dict(RELEASE_HOSTVARS, node1={"deploy_release_commands": ["hello", "shop"],
                                             "deploy_release_commands_ran": ["hello"]})
    assert release_runs("node2", ["node2"], ["node0", "node1", "node2", "node3"], hostvars) == []


# node1 has hello, node2 hello and shop, node3 shop; the load balancer and a host outside the fleet have their own.
TIMER_HOSTVARS = {
    "node1": {"wsgi_apps": [{"name": "hello"}]},
    "node2": {"wsgi_apps": [{"name": "hello"}, {"name": "shop"}]},
    "node3": {"wsgi_apps": [{"name": "shop"}]},
    "alone": {"wsgi_apps": [{"name": "hello"}, {"name": "blog"}]},
}


@pytest.mark.parametrize(
    ("node", "nodes", "expected"),
    [
        # The first node of the fleet (inventory order) that has the app runs its once-per-fleet timers.
        ("node1", ["node1", "node2", "node3"], ["hello"]),
        ("node2", ["node1", "node2", "node3"], ["shop"]),
        ("node3", ["node1", "node2", "node3"], []),
        ("node3", ["node3", "node2", "node1"], ["shop"]),
        ("node1", ["node3", "node2", "node1"], []),
        # A host outside the fleet runs all its own.
        ("alone", ["node1", "node2", "node3"], ["hello", "blog"]),
        ("alone", [], ["hello", "blog"]),
    ],
)
def test_once_per_fleet_timers_run_on_the_first_node_with_the_app(node, nodes, expected):
    assert fleet_timers(node, nodes, TIMER_HOSTVARS) == expected
