#!/usr/bin/python
# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: wsgi_probe
short_description: Send one request to a WSGI app over HTTP or the uwsgi protocol and check the answer
version_added: "1.0.0"
description:
  - Connects to an app server, or to nginx, over a unix socket or TCP on the target, sends one request
    in HTTP or in uWSGI's binary uwsgi protocol, and checks the status code and, optionally, the body.
  - The uwsgi protocol lets a uWSGI C(socket) or a Gunicorn C(protocol = uwsgi) socket be checked without
    nginx in front.
  - Retries until the answer is as expected or O(retries) is used up; the module fails with the last
    status or error. It only reads, so it runs unchanged in check mode and never reports a change.
options:
  socket:
    description:
      - Path of a unix socket to connect to.
      - Exactly one of O(socket), O(port) and O(probes) is required.
    type: path
  host:
    description:
      - Address to connect to with O(port).
    type: str
    default: 127.0.0.1
  port:
    description:
      - TCP port to connect to on O(host).
    type: int
  protocol:
    description:
      - V(http) sends an HTTP/1.1 request; V(uwsgi) sends a uwsgi packet (modifier1 0).
    type: str
    choices: [http, uwsgi]
    default: http
  tls:
    description:
      - Speak HTTPS (TLS over O(port)). The server name sent in the handshake is O(host_header) without a port.
    type: bool
    default: false
  validate_certs:
    description:
      - With O(tls), check the server's certificate against the system's trusted authorities and O(host_header).
    type: bool
    default: true
  path:
    description:
      - Request path, with a query string if needed.
    type: str
    default: /
  method:
    description:
      - Request method.
    type: str
    default: GET
  host_header:
    description:
      - The Host header (nginx picks the server block by it).
    type: str
    default: localhost
  headers:
    description:
      - More request headers.
    type: dict
    default: {}
  body:
    description:
      - Request body, sent as UTF-8.
    type: str
    default: ""
  status_codes:
    description:
      - Status codes that count as healthy.
    type: list
    elements: int
    default: [200]
  any_status_below:
    description:
      - When more than 0, any status below it counts as healthy too (V(500), any answer the app gave
        that is not a server error), besides those in O(status_codes).
    type: int
    default: 0
  require_header:
    description:
      - A header the answer must carry (any value), for example one nginx adds only when the app itself
        answered, so that nginx's own pages do not pass.
    type: str
  body_regex:
    description:
      - A Python regular expression the body (decoded as UTF-8) must match somewhere.
    type: str
  timeout:
    description:
      - Seconds to wait for the connection and for each read.
    type: float
    default: 5
  retries:
    description:
      - How many times to try again after a failed attempt.
    type: int
    default: 0
  delay:
    description:
      - Seconds between attempts.
    type: float
    default: 1
  body_excerpt:
    description:
      - How many characters of the body to return.
    type: int
    default: 1024
  probes:
    description:
      - Several requests in one call, sent at the same time, each a dict of the options above (from O(socket) to
        O(body_excerpt), with the same defaults) and a C(name) that labels it in the results and in the failure.
      - The task fails when any of them fails, naming each one that did; every probe still runs to its end
        (with its own retries), so one slow app does not hide another's failure.
      - Instead of O(socket) and O(port) at the top level.
    type: list
    elements: dict
extends_documentation_fragment:
  - pyops.wsgi.attributes.read_only
author:
  - pyops.wsgi developers (@pyops)
seealso:
  - module: pyops.wsgi.uwsgi_stats
"""

EXAMPLES = r"""
- name: Two apps answer, on their sockets and through nginx, checked at once
  pyops.wsgi.wsgi_probe:
    probes:
      - {name: shop, socket: /run/shop/gunicorn.sock, path: /healthz}
      - {name: blog, port: 80, host_header: blog.example.com, status_codes: [200, 302]}

- name: The app answers on its uWSGI socket in the uwsgi protocol
  pyops.wsgi.wsgi_probe:
    socket: /run/shop/uwsgi.sock
    protocol: uwsgi
    path: /healthz
    retries: 5

- name: The app answers through nginx, with the page we expect
  pyops.wsgi.wsgi_probe:
    port: 80
    host_header: shop.example.com
    path: /
    status_codes: [200, 302]
    body_regex: "<title>Shop</title>"

- name: The app answers over HTTPS with a self-signed certificate
  pyops.wsgi.wsgi_probe:
    port: 443
    tls: true
    validate_certs: false
    host_header: shop.example.com
"""

RETURN = r"""
target:
  description: Where the request went, as protocol and address.
  returned: without O(probes)
  type: str
  sample: uwsgi+unix:/run/shop/uwsgi.sock
status:
  description: The status code of the last answer, or null when there was none.
  returned: without O(probes)
  type: int
  sample: 200
reason:
  description: The reason phrase of the last answer.
  returned: without O(probes)
  type: str
  sample: OK
headers:
  description: Headers of the last answer, names in lower case; repeated headers joined with a comma.
  returned: without O(probes)
  type: dict
  sample: {"content-type": "application/json", "content-length": "42"}
body:
  description: The beginning of the body (O(body_excerpt) characters), decoded as UTF-8.
  returned: without O(probes)
  type: str
  sample: '{"status": "ok"}'
body_length:
  description: Bytes of body read (at most 1 MiB are read).
  returned: without O(probes)
  type: int
  sample: 16
elapsed:
  description: Seconds the last attempt took, from connecting to the end of the answer.
  returned: without O(probes)
  type: float
  sample: 0.004
attempts:
  description: How many requests were sent.
  returned: without O(probes)
  type: int
  sample: 1
probes:
  description: With O(probes), each one's result in the order given - the fields above, and its C(name), whether it
    C(failed) and why (C(msg)).
  returned: with O(probes)
  type: list
  elements: dict
  sample: [{"name": "shop on its socket", "target": "http+unix:/run/shop/gunicorn.sock", "status": 200,
            "failed": false, "msg": "", "attempts": 1}]
"""

import re
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_wire import (
    WireError, connect, describe, exchange, http_request, uwsgi_request,
)


def _attempt(params, request, target):
    """One request; returns (result fields, problem or None)."""
    started = time.monotonic()
    sock = connect(params["socket"], params["host"], params["port"], params["timeout"], params["tls"],
                   params["host_header"].split(":")[0], params["validate_certs"], params["protocol"])
    status, reason, headers, body = exchange(sock, request, params["method"], target, params["timeout"])
    # Compressed or binary bodies too: the result must stay valid UTF-8.
    text = body.decode("utf-8", "replace")
    result = dict(status=status, reason=reason, headers=headers, body=text[:params["body_excerpt"]],
                  body_length=len(body), elapsed=round(time.monotonic() - started, 6))
    below = params["any_status_below"]
    if status not in params["status_codes"] and not (below and status < below):
        wanted = [str(code) for code in params["status_codes"]] + (["a status below %d" % below] if below else [])
        return result, "answered %d %s, expected %s" % (status, reason, " or ".join(wanted))
    header = (params["require_header"] or "").lower()
    if header and not headers.get(header):
        return result, ("answered %d %s without the %s header: it did not come from the app (nginx answered "
                        "itself, or another server did)" % (status, reason, params["require_header"]))
    if params["body_regex"] and not re.search(params["body_regex"], text):
        return result, "answered %d but the body does not match %r" % (status, params["body_regex"])
    return result, None


# The options of one request: the task's own, or each item of probes.
REQUEST = dict(
    socket=dict(type="path"),
    host=dict(type="str", default="127.0.0.1"),
    port=dict(type="int"),
    protocol=dict(type="str", choices=["http", "uwsgi"], default="http"),
    tls=dict(type="bool", default=False),
    validate_certs=dict(type="bool", default=True),
    path=dict(type="str", default="/"),
    method=dict(type="str", default="GET"),
    host_header=dict(type="str", default="localhost"),
    headers=dict(type="dict", default={}),
    body=dict(type="str", default=""),
    status_codes=dict(type="list", elements="int", default=[200]),
    any_status_below=dict(type="int", default=0),
    require_header=dict(type="str"),
    body_regex=dict(type="str"),
    timeout=dict(type="float", default=5),
    retries=dict(type="int", default=0),
    delay=dict(type="float", default=1),
    body_excerpt=dict(type="int", default=1024),
)


class ProbeError(Exception):
    """A request that cannot be sent as given."""


def _prepared(params):
    """(request bytes, target, method) of one request's options, or ProbeError naming what is wrong."""
    if not params["socket"] and params["port"] is None:
        raise ProbeError("give socket or port")
    if params["socket"] and params["tls"]:
        raise ProbeError("tls: only with port; a unix socket is spoken to in plain HTTP or uwsgi")
    if params["port"] is not None and not 0 < params["port"] < 65536:
        raise ProbeError("port: must be 1 to 65535, got %d" % params["port"])
    if not params["path"].startswith("/"):
        raise ProbeError("path: must start with '/', got %r" % params["path"])
    for name in ("timeout", "delay"):
        if params[name] < 0 or (name == "timeout" and params[name] == 0):
            raise ProbeError("%s: must be more than 0, got %s" % (name, params[name]))
    if params["retries"] < 0:
        raise ProbeError("retries: must be 0 or more, got %d" % params["retries"])
    if not 0 <= params["any_status_below"] <= 600:
        raise ProbeError("any_status_below: must be 0 (off) to 600, got %d" % params["any_status_below"])
    if not params["status_codes"] and not params["any_status_below"]:
        raise ProbeError("status_codes: give at least one, or any_status_below")
    if params["body_regex"]:
        try:
            re.compile(params["body_regex"])
        except re.error as error:
            raise ProbeError("body_regex: not a valid regular expression: %s" % error) from error
    method = params["method"].upper()
    if not re.match(r"^[A-Z]+\Z", method):
        raise ProbeError("method: letters only, got %r" % params["method"])
    headers = sorted((str(name), str(value)) for name, value in params["headers"].items())
    for name, value in headers:
        if not re.match(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z", name) or "\r" in value or "\n" in value:
            raise ProbeError("headers: %r is not a valid header name and value" % name)
    target = describe(params["socket"], params["host"], params["port"], params["protocol"], params["tls"])
    body = to_bytes(params["body"])
    try:
        if params["protocol"] == "uwsgi":
            request = uwsgi_request(method, params["path"], params["host_header"], headers, body,
                                    params["port"] or 80)
        else:
            request = http_request(method, params["path"], params["host_header"], headers, body)
    except (WireError, UnicodeEncodeError) as error:
        raise ProbeError("%s: cannot build the request: %s" % (target, error)) from error
    return request, target, method


def _probe(params, request, target, method):
    """Send the request until it passes or the retries are used up: (result fields, failure message or None)."""
    params = dict(params, method=method)
    result = dict(target=target, status=None, reason="", headers={}, body="", body_length=0, elapsed=0.0)
    for attempt in range(1, params["retries"] + 2):
        try:
            fields, problem = _attempt(params, request, target)
            result.update(fields)
        except WireError as error:
            problem = str(error)
            result.update(status=None, reason="", headers={}, body="", body_length=0, elapsed=0.0)
        result["attempts"] = attempt
        if problem is None:
            return result, None
        if attempt <= params["retries"]:
            time.sleep(params["delay"])
    return result, "%s %s on %s: %s (after %d attempt%s)" % (
        method, params["path"], target, problem.replace(target + ": ", ""), result["attempts"],
        "" if result["attempts"] == 1 else "s")


def _probe_all(module, probes):
    """Every probe at once, each with its own retries; fails naming each one that failed."""
    validator = ArgumentSpecValidator(dict(REQUEST, name=dict(type="str")),
                                      mutually_exclusive=[("socket", "port")])
    prepared = []
    for number, item in enumerate(probes):
        label = (item.get("name") if isinstance(item, dict) else None) or "probes[%d]" % number
        checked = validator.validate(item if isinstance(item, dict) else {})
        if checked.error_messages:
            module.fail_json(msg="%s: %s" % (label, "; ".join(checked.error_messages)))
        params = checked.validated_parameters
        try:
            prepared.append((params, label) + _prepared(params))
        except ProbeError as error:
            module.fail_json(msg="%s: %s" % (label, error))
    with ThreadPoolExecutor(max_workers=min(8, len(prepared)) or 1) as pool:
        answers = list(pool.map(lambda item: _probe(item[0], *item[2:]), prepared))
    results, failures = [], []
    for (params, label, request, target, method), (result, problem) in zip(prepared, answers):
        del request, target, method
        results.append(dict(result, name=label, failed=problem is not None, msg=problem or ""))
        if problem:
            failures.append("%s: %s" % (label, problem))
    if failures:
        module.fail_json(msg="; ".join(failures), changed=False, probes=results)
    module.exit_json(changed=False, probes=results)


def main():
    module = AnsibleModule(
        argument_spec=dict(REQUEST, probes=dict(type="list", elements="dict")),
        mutually_exclusive=[("socket", "port"), ("socket", "probes"), ("port", "probes")],
        required_one_of=[("socket", "port", "probes")],
        supports_check_mode=True,
    )
    if module.params["probes"] is not None:
        _probe_all(module, module.params["probes"])
    try:
        request, target, method = _prepared(module.params)
    except ProbeError as error:
        module.fail_json(msg=str(error))
    result, problem = _probe(module.params, request, target, method)
    if problem is None:
        module.exit_json(changed=False, **result)
    module.fail_json(msg=problem, changed=False, **result)


if __name__ == "__main__":
    main()
