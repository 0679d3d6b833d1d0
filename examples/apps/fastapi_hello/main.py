"""hello-api: the example ASGI app (FastAPI), found as main:app by the deploy's discovery.

Routes as the Flask example's where they mean the same, plus a WebSocket echo and
what ASGI's lifespan told the worker. Each worker logs its lifespan's startup and
shutdown to standard error (the journal of its unit), with its pid.
"""

import asyncio
import contextlib
import os
import pwd
import sys

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

MAX_MESSAGES = 30


@contextlib.asynccontextmanager
async def lifespan(app):
    app.state.started = True
    print("hello-api lifespan startup, worker %d" % os.getpid(), file=sys.stderr, flush=True)
    yield
    print("hello-api lifespan shutdown, worker %d" % os.getpid(), file=sys.stderr, flush=True)


app = FastAPI(lifespan=lifespan)
app.state.started = False


@app.get("/healthz")
async def healthz():
    return {"status": "ok"}


@app.get("/api/info")
async def info():
    return {
        "app": "hello-api",
        "greeting": os.environ.get("HELLO_GREETING", "Hello from ASGI"),
        "user": pwd.getpwuid(os.getuid()).pw_name,
        "pid": os.getpid(),
        "lifespan_started": app.state.started,
    }


@app.get("/api/wait")
async def wait():
    await asyncio.sleep(0.05)
    return {"waited_ms": 50}


@app.websocket("/ws/echo")
async def echo(websocket: WebSocket):
    await websocket.accept()
    try:
        for _count in range(MAX_MESSAGES):
            message = await websocket.receive_text()
            await websocket.send_text("echo: " + message)
    except WebSocketDisconnect:
        return
    await websocket.close()
