# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a load balancer fronts: the apps of the app nodes, and each app's nodes.

The load balancer is nginx (the nginx role) with one server block per app, like an
app node's, whose upstream lists the app nodes' own nginx instead of the app server.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.pyops.wsgi.plugins.filter.app_spec import app_specs, front_end_clashes, redacted, removed_apps

# What the load balancer's server block is made of: one value per app across the fleet.
_SHARED_KEYS = ("server_names", "tls", "websocket", "client_max_body_size", "timeout", "maintenance")


def _node_address(name, host):
    address = host.get("wsgi_node_address") or host.get("ansible_host") or name
    return str(address)


def lb_backends(nodes, hostvars, http_port=80):
    """The app specs the load balancer serves and, per app, the nodes to send it to.

    nodes: the app nodes' inventory names (groups['web']); hostvars: Ansible's
    hostvars, where each node has its wsgi_apps and may set wsgi_node_address (the
    address the load balancer reaches it on; default ansible_host, then its name);
    http_port: the load balancer's own nginx HTTP port, which its specs are normalized for.
    Returns {"apps": [spec, ...], "backends": {name: {"scheme": ..., "servers": [...]}}, "removed": [...]}.
    An app served over TLS by the nodes is reached over HTTPS on its TLS port. "removed" holds the apps some
    node removes (state: absent, as pyops.wsgi.removed_apps gives them) that no node serves any more.
    """
    if not isinstance(nodes, list) or not nodes:
        raise AnsibleFilterError("lb_backends: the load balancers need app nodes (group web), got %r" % (nodes,))
    apps, backends, first_node = {}, {}, {}
    for node in nodes:
        host = hostvars[node]
        specs = app_specs(host.get("wsgi_apps") or [], 1, host.get("nginx_listen_port", 80))
        for spec in specs:
            if not spec["nginx"]:
                continue
            name = spec["name"]
            if name not in apps:
                # The load balancer reaches the nodes' nginx: where each app server
                # listens on its node does not concern it (nor collides there).
                apps[name] = app_specs([dict(spec, bind=["unix"], uwsgi_options={})], 1, http_port)[0]
                first_node[name] = node
                scheme = "https" if spec["tls"] else "http"
                backends[name] = {"scheme": scheme, "servers": []}
            for key in _SHARED_KEYS:
                if spec[key] != apps[name][key]:
                    shown = redacted([spec, apps[name]])  # the message names values, never secrets
                    values = (name, key, node, first_node[name], shown[0][key], shown[1][key])
                    raise AnsibleFilterError("wsgi_apps: app %s has another %s on %s than on %s (%r, %r); the load "
                                             "balancers need one value: make them the same" % values)
            port = spec["tls"]["port"] if spec["tls"] else int(host.get("nginx_listen_port", 80))
            backends[name]["servers"].append("%s:%d" % (_node_address(node, host), port))
    ordered = list(apps.values())
    front_end_clashes(ordered, {spec["name"]: spec["name"] for spec in ordered}, fleet=True)
    removed = {}
    for node in nodes:
        for spec in removed_apps(hostvars[node].get("wsgi_apps") or []):
            if spec["name"] not in apps:
                removed.setdefault(spec["name"], spec)
    return {"apps": ordered, "backends": backends, "removed": list(removed.values())}


def lb_rotation(node, batch, nodes, hostvars, changed):
    """Where the load balancers reach an app node, and which of its apps may leave them now.

    node: the app node's inventory name; batch: the nodes deployed with it
    (ansible_play_batch); nodes: every app node (groups['web']); changed: the
    names of its apps whose release changes (app_changed). An app leaves the
    load balancers only when it changes and a node outside the batch keeps
    serving it: a batch holding every node of an app (an app on one node, or
    wsgi_serial=100%) would leave the load balancers none, so it stays in.
    Returns {"address": ..., "apps": [...]}.
    """
    host = hostvars[node]
    staying = [other for other in nodes if other not in batch]
    served_elsewhere = {app.get("name") for other in staying for app in hostvars[other].get("wsgi_apps") or []
                        if isinstance(app, dict)}
    specs = app_specs(host.get("wsgi_apps") or [], 1, host.get("nginx_listen_port", 80))
    apps = [spec["name"] for spec in specs
            if spec["nginx"] and spec["name"] in changed and spec["name"] in served_elsewhere]
    return {"address": _node_address(node, host), "apps": apps}


def release_runs(node, batch, nodes, hostvars):
    """The apps whose release command this node runs now, once for the fleet and before any node switches.

    Each node of the play notes its apps that switch and have a release command
    (deploy_release_commands), and a node that ran one notes it (deploy_release_commands_ran):
    an app's command runs on the first node of the batch that switches it, unless a node of an
    earlier batch ran it in this run.
    """
    ran = {app for other in nodes for app in hostvars[other].get("deploy_release_commands_ran") or []}

    def switching(other):
        return hostvars[other].get("deploy_release_commands") or []

    return [app for app in switching(node)
            if app not in ran and next(other for other in batch if app in switching(other)) == node]


def fleet_timers(node, nodes, hostvars):
    """The apps whose once-per-fleet timers (timers with once_per_fleet) this node runs.

    node: the node's inventory name; nodes: the fleet's app nodes in inventory order (groups['web']);
    hostvars: where each node has its wsgi_apps. Such a timer runs on the first node of the fleet that
    has the app, whichever hosts a run is limited to; a node outside the fleet runs its own.
    """
    names = [app.get("name") for app in hostvars[node].get("wsgi_apps") or [] if isinstance(app, dict)]
    if node not in (nodes or []):
        return names

    def first_with(name):
        return next(other for other in nodes
                    if any(isinstance(app, dict) and app.get("name") == name
                           for app in hostvars[other].get("wsgi_apps") or []))

    return [name for name in names if first_with(name) == node]


class FilterModule(object):
    """pyops.wsgi fleet filters."""

    def filters(self):
        return {"lb_backends": lb_backends, "lb_rotation": lb_rotation, "release_runs": release_runs,
                "fleet_timers": fleet_timers}
