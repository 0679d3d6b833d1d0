"""A Celery app with one task, and a WSGI app (jobs.web) that enqueues it.

The broker is JOBS_BROKER (Redis on the host by default). Each task waits
JOBS_TASK_SECONDS, then appends a line to JOBS_DONE_FILE naming its batch, its
number, the release it ran in and the worker's replica, which the web app counts.
"""

import os
import time

from celery import Celery

celery = Celery("jobs", broker=os.environ.get("JOBS_BROKER", "redis://127.0.0.1:6379/0"))
celery.conf.update(
    # A worker holds one task beyond the one it runs: a restart hands back little.
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    task_ignore_result=True,
)


def done_file():
    return os.environ.get("JOBS_DONE_FILE", "/tmp/jobs-done.log")


@celery.task(name="jobs.record")
def record(batch, number):
    time.sleep(float(os.environ.get("JOBS_TASK_SECONDS", "0.2")))
    release = os.path.basename(os.getcwd())
    line = "%s %d %s %s\n" % (batch, number, release, os.environ.get("PYOPS_REPLICA", "-"))
    # One write of a short line in append mode: lines of workers side by side do not mix.
    with open(done_file(), "a", encoding="utf-8") as handle:
        handle.write(line)
