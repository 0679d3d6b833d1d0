"""A small Flask app built with an application factory: a page, JSON, a health route."""

import os
import pwd

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

    @app.get("/healthz")
    def health():
        return jsonify(status="ok")

    app.wsgi_app = echo_middleware(app.wsgi_app)
    return app
