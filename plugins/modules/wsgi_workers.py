#!/usr/bin/python
# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: wsgi_workers
short_description: Change how many workers a running app server keeps, one signal at a time
version_added: "1.0.0"
description:
  - Counts the workers of the app server's main process O(pid) (its child processes, leaving out the resource
    tracker Python's multiprocessing may start, once their number held for a second) and sends it C(SIGTTIN) (one worker more) or C(SIGTTOU) (one
    fewer), one signal at a time, each time waiting until the count moved, until it runs O(workers). Gunicorn's
    arbiter and Uvicorn's supervisor take these signals; a worker let go first finishes the requests it serves,
    and the others serve on, so no request fails.
  - With O(marker), notes the number in that file while it differs from O(spec_workers) (the deploy role puts the
    spec's number back when it finds the file), and removes the file once the number is the spec's again.
options:
  pid:
    description:
      - The app server's main process.
      - Exactly one of O(pid) and O(unit) is required.
    type: int
  unit:
    description:
      - The systemd unit whose main process (C(MainPID)) is the app server's.
    type: str
  workers:
    description:
      - How many workers it is to run, from 1 to 1024.
    type: int
    required: true
  spec_workers:
    description:
      - The number the app's spec gives, which O(marker) is measured against.
    type: int
  marker:
    description:
      - A file noting the number while it is not the spec's, in the app's runtime folder (gone when the service
        stops, as the number then goes back to the spec's). Needs O(spec_workers).
    type: path
  timeout:
    description:
      - Seconds to wait for each worker to start or to stop (a stopping worker finishes its requests first).
    type: int
    default: 60
attributes:
  check_mode:
    support: full
    description: Reports the count it would change, and sends no signal.
  diff_mode:
    support: none
    description: The before and after counts are returned instead.
  idempotent:
    support: full
    description: A master already running O(workers) workers gets no signal; a second run reports no change.
author:
  - pyops.wsgi developers (@pyops)
"""

EXAMPLES = r"""
- name: Run 8 Gunicorn workers for shop until its next deploy
  pyops.wsgi.wsgi_workers:
    unit: wsgi-shop.service
    workers: 8
    spec_workers: 4
    marker: /run/shop/pyops-workers
"""

RETURN = r"""
before:
  description: The workers it ran before.
  returned: always
  type: int
  sample: 4
after:
  description: The workers it runs now (in check mode, the number it would run).
  returned: always
  type: int
  sample: 8
pid:
  description: The app server's main process.
  returned: always
  type: int
  sample: 2514
"""

import os
import signal
import time

from ansible.module_utils.basic import AnsibleModule

# Helper processes of Python's multiprocessing, children of a master that are no workers.
_HELPERS = (b"multiprocessing.resource_tracker", b"multiprocessing.semaphore_tracker", b"multiprocessing.forkserver")


def _proc(pid, name):
    """/proc/PID/NAME of process pid, or None when it is gone."""
    try:
        with open("/proc/%d/%s" % (pid, name), "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _parent(pid):
    """The parent pid of process pid, or None when it is gone."""
    stat = _proc(pid, "stat")
    # The command name, in parentheses, may hold spaces and parentheses: the fields follow the last ')'.
    return None if stat is None else int(stat[stat.rindex(b")") + 2:].split()[1])


def _is_helper(pid):
    command = _proc(pid, "cmdline")
    return command is None or any(helper in command for helper in _HELPERS)


def count_workers(pid):
    """How many workers the master pid runs: its children, but multiprocessing's helpers."""
    children = [int(name) for name in os.listdir("/proc") if name.isdigit() and _parent(int(name)) == pid]
    return len([child for child in children if not _is_helper(child)])


def _wait_for_change(pid, count, timeout):
    """The count once it is no longer count, or None when timeout seconds pass first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = count_workers(pid)
        if now != count:
            return now
        time.sleep(0.1)
    return None


def settled_count(pid, timeout, quiet=1.0):
    """The count once it held for quiet seconds (a master still starting its workers, or replacing one, is not
    counted half-way), or the last count when timeout seconds pass first."""
    deadline = time.monotonic() + timeout
    count, since = count_workers(pid), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = count_workers(pid)
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return count


def _marker(module, workers):
    """Note workers in the marker while they differ from the spec's; remove it when they do not. Whether it changed."""
    path, spec = module.params["marker"], module.params["spec_workers"]
    if not path:
        return False
    wanted = None if workers == spec else "%d\n" % workers
    try:
        with open(path, encoding="utf-8") as handle:
            current = handle.read()
    except FileNotFoundError:
        current = None
    if current == wanted:
        return False
    if not module.check_mode:
        if wanted is None:
            os.unlink(path)
        else:
            temporary = "%s.%d" % (path, os.getpid())
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(wanted)
            os.chmod(temporary, 0o644)
            module.atomic_move(temporary, path)
    return True


def _main_pid(module, unit):
    """systemd's main process of unit (0 when it does not run)."""
    systemctl = module.get_bin_path("systemctl", required=True)
    rc, out, err = module.run_command([systemctl, "show", "--property=MainPID", "--value", "--", unit])
    if rc != 0 or not out.strip().isdigit():
        module.fail_json(msg="cannot read the main process of %s: %s" % (unit, (err or out).strip()))
    return int(out.strip())


def main():
    module = AnsibleModule(
        argument_spec=dict(
            pid=dict(type="int"),
            unit=dict(type="str"),
            workers=dict(type="int", required=True),
            spec_workers=dict(type="int"),
            marker=dict(type="path"),
            timeout=dict(type="int", default=60),
        ),
        required_by={"marker": ("spec_workers",)},
        required_one_of=[("pid", "unit")],
        mutually_exclusive=[("pid", "unit")],
        supports_check_mode=True,
    )
    workers, timeout = module.params["workers"], module.params["timeout"]
    if not 1 <= workers <= 1024:
        module.fail_json(msg="workers must be from 1 to 1024, got %d" % workers)
    unit = module.params["unit"]
    pid = module.params["pid"] if unit is None else _main_pid(module, unit)
    if pid < 2 or _parent(pid) is None:
        module.fail_json(msg="no app server runs as %s: is the app's service running?"
                         % ("process %d" % pid if unit is None else unit))
    before = count = settled_count(pid, timeout)
    if not module.check_mode:
        while count != workers:
            os.kill(pid, signal.SIGTTIN if count < workers else signal.SIGTTOU)
            moved = _wait_for_change(pid, count, timeout)
            if moved is None:
                module.fail_json(msg="process %d still runs %d workers %d s after a %s (on the way from %d to %d)"
                                 % (pid, count, timeout, "TTIN" if count < workers else "TTOU", before, workers),
                                 before=before, after=count, pid=pid)
            count = moved
    changed = _marker(module, workers) or before != workers
    module.exit_json(changed=changed, before=before, after=workers, pid=pid)


if __name__ == "__main__":
    main()
