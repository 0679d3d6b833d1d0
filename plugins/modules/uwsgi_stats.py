#!/usr/bin/python
# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: uwsgi_stats
short_description: Read the uWSGI stats server
version_added: "1.0.0"
description:
  - Connects to a uWSGI stats server (the C(stats) option) over a unix socket or TCP on the target and
    returns its workers with their state, requests and exceptions, its sockets and the listen queue,
    plus totals.
  - With O(config), the stats address is read from a uWSGI ini file, and the module fails with a clear
    message when that file configures no stats server.
  - Accepts both the plain JSON stats server and C(stats-http).
  - It only reads, so it runs unchanged in check mode and never reports a change.
options:
  socket:
    description:
      - Path of the stats server's unix socket.
      - Exactly one of O(socket), O(port) and O(config) is required.
    type: path
  host:
    description:
      - Address of the stats server with O(port).
    type: str
    default: 127.0.0.1
  port:
    description:
      - TCP port of the stats server on O(host).
    type: int
  config:
    description:
      - A uWSGI ini file (its C([uwsgi]) section) to read the C(stats) address from.
    type: path
  timeout:
    description:
      - Seconds to wait for the connection and the whole answer.
    type: float
    default: 5
extends_documentation_fragment:
  - pyops.wsgi.attributes.read_only
author:
  - pyops.wsgi developers (@pyops)
seealso:
  - module: pyops.wsgi.wsgi_probe
"""

EXAMPLES = r"""
- name: Read the stats of the app's uWSGI from its config
  pyops.wsgi.uwsgi_stats:
    config: /etc/pyops-wsgi/shop/uwsgi.ini
  register: shop_stats

- name: Every worker is accepting requests
  ansible.builtin.assert:
    that: shop_stats.totals.accepting == shop_stats.totals.workers

- name: Read a stats server on the loopback
  pyops.wsgi.uwsgi_stats:
    port: 1717
"""

RETURN = r"""
address:
  description: The stats server that answered.
  returned: always
  type: str
  sample: unix:/run/shop/stats.sock
version:
  description: uWSGI's version.
  returned: always
  type: str
  sample: 2.0.30
pid:
  description: The master's process id.
  returned: always
  type: int
  sample: 4242
listen_queue:
  description: Connections waiting in the listen queue of the first socket.
  returned: always
  type: int
  sample: 0
listen_queue_errors:
  description: Connections refused because the listen queue was full.
  returned: always
  type: int
  sample: 0
load:
  description: Requests being served or waiting, as uWSGI counts them.
  returned: always
  type: int
  sample: 1
workers:
  description: One entry per worker.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Worker number, from 1.
      type: int
    pid:
      description: Process id (0 while the worker is being respawned).
      type: int
    status:
      description: C(idle), C(busy), C(cheap), C(pause), C(sig) and so on, as uWSGI reports it.
      type: str
    accepting:
      description: Whether the worker takes new requests.
      type: bool
    requests:
      description: Requests served by this worker.
      type: int
    exceptions:
      description: Exceptions raised in this worker.
      type: int
    harakiri_count:
      description: Times this worker was killed for running over harakiri.
      type: int
    respawn_count:
      description: Times this worker was spawned.
      type: int
    avg_rt:
      description: Average response time in microseconds.
      type: int
    rss:
      description: Resident memory in bytes (0 unless C(memory-report) is on).
      type: int
  sample: [{"id": 1, "pid": 4243, "status": "idle", "accepting": true, "requests": 12, "exceptions": 0,
            "harakiri_count": 0, "respawn_count": 1, "avg_rt": 850, "rss": 0}]
sockets:
  description: The sockets uWSGI listens on, with their queues.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Address of the socket.
      type: str
    proto:
      description: Protocol of the socket (uwsgi, http, fastcgi...).
      type: str
    queue:
      description: Connections waiting.
      type: int
    max_queue:
      description: The listen backlog.
      type: int
  sample: [{"name": "/run/shop/uwsgi.sock", "proto": "uwsgi", "queue": 0, "max_queue": 100}]
totals:
  description: Sums over the workers.
  returned: always
  type: dict
  contains:
    workers:
      description: Number of workers.
      type: int
    accepting:
      description: Workers taking requests.
      type: int
    busy:
      description: Workers serving a request.
      type: int
    idle:
      description: Workers waiting for a request.
      type: int
    requests:
      description: Requests served.
      type: int
    exceptions:
      description: Exceptions raised.
      type: int
  sample: {"workers": 2, "accepting": 2, "busy": 0, "idle": 2, "requests": 12, "exceptions": 0}
"""

import configparser

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_address import local_host, split_tcp
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_wire import WireError, describe, read_stats

_WORKER_KEYS = ("id", "pid", "status", "accepting", "requests", "exceptions", "harakiri_count", "respawn_count",
                "avg_rt", "rss")


def stats_address(config):
    """(socket, host, port) from the stats option of a uWSGI ini file; ValueError says what is wrong."""
    parser = configparser.RawConfigParser(strict=False, allow_no_value=True, interpolation=None)
    try:
        with open(config) as handle:
            parser.read_file(handle)
    except (OSError, configparser.Error) as error:
        raise ValueError("config: cannot read %s as an ini file: %s" % (config, error))
    if not parser.has_section("uwsgi"):
        raise ValueError("config: %s has no [uwsgi] section" % config)
    value = parser.get("uwsgi", "stats", fallback=None) or parser.get("uwsgi", "stats-server", fallback=None)
    if not value:
        raise ValueError("config: %s configures no stats server; add one, for example "
                         "uwsgi_options: {stats: /run/APP/stats.sock} in the app spec" % config)
    tcp = split_tcp(value)
    if tcp:
        return None, local_host(tcp[0]), tcp[1]
    return value.strip(), None, None


def summarize(stats):
    """The fields in RETURN from uWSGI's stats document."""
    workers = []
    for worker in stats.get("workers") or []:
        item = dict((key, worker.get(key, 0)) for key in _WORKER_KEYS)
        item["accepting"] = bool(item["accepting"])
        item["status"] = str(item["status"] or "")
        workers.append(item)
    sockets = [dict(name=sock.get("name", ""), proto=sock.get("proto", ""), queue=sock.get("queue", 0),
                    max_queue=sock.get("max_queue", 0)) for sock in stats.get("sockets") or []]
    totals = dict(
        workers=len(workers),
        accepting=sum(1 for worker in workers if worker["accepting"]),
        busy=sum(1 for worker in workers if worker["status"] == "busy"),
        idle=sum(1 for worker in workers if worker["status"] == "idle"),
        requests=sum(worker["requests"] or 0 for worker in workers),
        exceptions=sum(worker["exceptions"] or 0 for worker in workers),
    )
    return dict(version=str(stats.get("version", "")), pid=stats.get("pid", 0),
                listen_queue=stats.get("listen_queue", 0), listen_queue_errors=stats.get("listen_queue_errors", 0),
                load=stats.get("load", 0), workers=workers, sockets=sockets, totals=totals)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            socket=dict(type="path"),
            host=dict(type="str", default="127.0.0.1"),
            port=dict(type="int"),
            config=dict(type="path"),
            timeout=dict(type="float", default=5),
        ),
        mutually_exclusive=[("socket", "port", "config")],
        required_one_of=[("socket", "port", "config")],
        supports_check_mode=True,
    )
    params = module.params
    if params["timeout"] <= 0:
        module.fail_json(msg="timeout: must be more than 0, got %s" % params["timeout"])
    socket_path, host, port = params["socket"], params["host"], params["port"]
    if params["config"]:
        try:
            socket_path, host, port = stats_address(params["config"])
        except ValueError as error:
            module.fail_json(msg=str(error))
    if port is not None and not 0 < port < 65536:
        module.fail_json(msg="port: must be 1 to 65535, got %d" % port)
    address = describe(socket_path, host, port, protocol="stats").replace("stats+", "").replace("stats://", "")
    try:
        stats = read_stats(socket_path, host, port, params["timeout"])
    except WireError as error:
        module.fail_json(msg="uWSGI stats: %s" % error, address=address)
    module.exit_json(changed=False, address=address, **summarize(stats))


if __name__ == "__main__":
    main()
