"""The web side: GET /enqueue?batch=B&count=N puts N tasks on the queue; GET
/done?batch=B counts the tasks of B done, by release and replica; /healthz."""

import json
import os
from urllib.parse import parse_qs

from jobs import done_file, record


def _answer(start_response, status, body):
    data = json.dumps(body, sort_keys=True).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _done(batch):
    numbers, releases, replicas = set(), {}, {}
    if os.path.exists(done_file()):
        with open(done_file(), encoding="utf-8") as handle:
            for line in handle:
                fields = line.split()
                if len(fields) != 4 or fields[0] != batch:
                    continue
                numbers.add(int(fields[1]))
                releases[fields[2]] = releases.get(fields[2], 0) + 1
                replicas[fields[3]] = replicas.get(fields[3], 0) + 1
    return {"count": sum(releases.values()), "distinct": len(numbers), "releases": releases, "replicas": replicas}


def app(environ, start_response):
    query = {key: values[0] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
    path = environ.get("PATH_INFO", "/")
    batch = query.get("batch", "default")
    if path == "/enqueue":
        count = int(query.get("count", "1"))
        first = int(query.get("first", "0"))
        for number in range(first, first + count):
            record.delay(batch, number)
        return _answer(start_response, "200 OK", {"enqueued": count})
    if path == "/done":
        return _answer(start_response, "200 OK", _done(batch))
    if path == "/healthz":
        return _answer(start_response, "200 OK", {"status": "ok"})
    return _answer(start_response, "404 Not Found", {"error": "not found"})
