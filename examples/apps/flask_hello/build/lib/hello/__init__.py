"""A small Flask app built with an application factory: a page, JSON, a health route,
and a route that waits 50 ms, as an app waiting on a database would (benchmarks/serving.py)."""

import os
import pwd
import time

from flask import Flask, jsonify, request

from hello.websocket import echo_middleware


def create_app(greeting=None):
    app = Flask(__name__)
    app.config["GREETING"] = greeting or os.environ.get("HELLO_GREETING", "Hello")

    @app.get("/")
    def index():
        return (
            "<!doctype html><title>hello</title>"
            "<h1>%s from pyops.wsgi</h1>"
            '<p><a href="/api/info">/api/info</a> - <a href="/static/hello.txt">a static file</a></p>'
            % app.config["GREETING"]
        )

    @app.get("/api/info")
    def info():
        return jsonify(
            app="hello",
            greeting=app.config["GREETING"],
            user=pwd.getpwuid(os.getuid()).pw_name,
            pid=os.getpid(),
            scheme=request.scheme,
        )

    @app.get("/api/wait")
    def wait():
        # An I/O-bound request: the worker (or thread) waits, the CPU does not.
        time.sleep(0.05)
        return jsonify(waited_ms=50)

    @app.get("/healthz")
    def health():
        return jsonify(status="ok")

    app.wsgi_app = echo_middleware(app.wsgi_app)
    return app
