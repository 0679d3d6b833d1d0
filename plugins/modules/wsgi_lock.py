#!/usr/bin/python
# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: wsgi_lock
short_description: One deploy at a time on a host
version_added: "1.0.0"
description:
  - With O(state=present), takes the host's deploy lock, a file at O(path) naming its O(holder), when it
    started and when it expires. When another run holds it, waits up to O(timeout) seconds for it, then
    fails naming that holder.
  - A lock whose holder crashed is not held for ever; once it has expired (O(ttl) seconds after it was
    taken) the next run takes it over, and says so.
  - With O(state=absent), gives the lock back, only when O(token) still holds it.
  - With O(read), also reads, once the lock is held, what a deploy needs to know of the host (its Debian
    packages, the state of some systemd units, its groups' members, some files and folders as they are), so that a
    deploy asks the host once instead of once per role. Nothing else changes a host a run has locked, so what
    this read finds stays true for the run, but for what the run changes itself.
options:
  path:
    description:
      - The lock file. Its folder is made when missing (mode 0700).
    type: path
    default: /var/lib/pyops-wsgi/deploy.lock
  state:
    description:
      - V(present) takes the lock, V(absent) gives it back.
    type: str
    choices: [present, absent]
    default: present
  token:
    description:
      - What names this run's hold on the lock (made once per run, for example a random number).
    type: str
    required: true
  holder:
    description:
      - Who takes the lock, as other runs are told, for example C(alice@laptop (ansible-playbook deploy.yml)).
    type: str
    default: ""
  timeout:
    description:
      - Seconds to wait for a lock another run holds.
    type: int
    default: 600
  ttl:
    description:
      - Seconds after which a lock is taken to be left by a run that crashed.
    type: int
    default: 3600
  read:
    description:
      - What to read of the host with O(state=present), returned as RV(host) and set as the host fact C(wsgi_host).
    type: dict
    default: {}
    suboptions:
      packages:
        description:
          - The Debian packages installed (C(dpkg-query)); none on a host without dpkg.
        type: bool
        default: false
      units:
        description:
          - systemd units whose state to read, each C(ActiveState) and C(UnitFileState) (one C(systemctl show)).
        type: list
        elements: str
        default: []
      groups:
        description:
          - The members of every group (the users for whom it is a supplementary group).
        type: bool
        default: false
      users:
        description:
          - Users to read (RV(host.users)); one not there is left out.
        type: list
        elements: str
        default: []
      trees:
        description:
          - Folders to read whole (RV(host.trees)), as M(pyops.wsgi.wsgi_tree) compares them.
        type: list
        elements: str
        default: []
      releases:
        description:
          - Apps whose releases to read (RV(host.releases)), as M(pyops.wsgi.wsgi_release) finds them.
        type: list
        elements: dict
        default: []
        suboptions:
          path:
            description:
              - The app's home (O(pyops.wsgi.wsgi_release#module:path)).
            type: path
            required: true
          source:
            description:
              - The code a release is built from (O(pyops.wsgi.wsgi_release#module:source)).
            type: path
            required: true
          keep:
            description:
              - How many releases the app keeps (O(pyops.wsgi.wsgi_release#module:keep)).
            type: int
            default: 0
          shared_dirs:
            description:
              - Its O(pyops.wsgi.wsgi_release#module:shared_dirs).
            type: list
            elements: str
            default: []
          shared_files:
            description:
              - Its O(pyops.wsgi.wsgi_release#module:shared_files).
            type: list
            elements: str
            default: []
      files:
        description:
          - Shell patterns (as C(glob) takes them) of files, links and folders to read (RV(host.files)). Give no
            pattern that matches a file holding secrets, as the checksum of its text is returned.
        type: list
        elements: str
        default: []
      hidden_files:
        description:
          - Paths of files holding secrets, read as O(read.files) reads a file but with an HMAC-SHA256 of the text
            keyed with O(token) (which only this run knows) in place of its checksum, so that the output gives
            nothing to guess the secrets by.
        type: list
        elements: str
        default: []
attributes:
  check_mode:
    support: full
    description: Tells who holds the lock, reads what O(read) asks for, and changes nothing (makes no folder either).
  diff_mode:
    support: none
    description: The lock file is bookkeeping; there is nothing to show.
  idempotent:
    support: full
    description: Taking a lock this token holds, or giving back one it does not, changes nothing.
author:
  - pyops.wsgi developers (@pyops)
"""

EXAMPLES = r"""
- name: Wait for any other deploy on this host, then hold the lock
  pyops.wsgi.wsgi_lock:
    token: "{{ deploy_token }}"
    holder: "{{ lookup('env', 'USER') }}@{{ lookup('pipe', 'hostname') }}"
    timeout: 300

- name: Give it back
  pyops.wsgi.wsgi_lock:
    token: "{{ deploy_token }}"
    state: absent
"""

RETURN = r"""
holder:
  description: Who held the lock before this task (null when nobody did).
  returned: always
  type: str
  sample: alice@laptop
waited:
  description: Seconds waited for another run's lock.
  returned: always
  type: float
  sample: 12.5
expired:
  description: Whether the lock taken was an expired one, left by a run that crashed.
  returned: always
  type: bool
  sample: false
host:
  description: What O(read) asked for, of the host as it is once the lock is held.
  returned: when O(read) asks for anything
  type: dict
  contains:
    packages:
      description: The names of the installed Debian packages.
      type: list
      elements: str
      sample: [nginx, python3]
    units:
      description: By unit, its C(ActiveState) and C(UnitFileState) (empty for a unit that is not there).
      type: dict
      sample: {nginx.service: {ActiveState: active, UnitFileState: enabled}}
    groups:
      description: By group, its members.
      type: dict
      sample: {wsgi-hello: [www-data]}
    users:
      description: By user of O(read.users), its primary group, home, shell and whether its password is locked.
      type: dict
      sample: {wsgi-hello: {group: wsgi-hello, home: /srv/hello, shell: /usr/sbin/nologin, locked: true}}
    files:
      description: By path, each file, link or folder the patterns of O(read.files) matched, and each file of
        O(read.hidden_files) there (with C(hmac) in place of C(checksum)), as it is.
      type: dict
      sample: {/etc/nginx/nginx.conf: {type: file, owner: root, group: root, mode: "0644", checksum: 9f86d0...}}
    trees:
      description: By folder of O(read.trees), one digest of everything in it (null when it is not a folder).
      type: dict
      sample: {/srv/hello/source: 3b5d9c...}
    releases:
      description: By app home of O(read.releases), its running release (C(current)), the one before it
        (C(previous)), the venv the running one links (C(venv)), the id a build of the source with that venv would
        give (C(id)), the releases (C(releases)) and the failed ones (C(failed)), and what O(read.releases[].keep)
        would remove (C(doomed)).
      type: dict
    patterns:
      description: The patterns of O(read.files); a path one matches that RV(host.files) lacks is not on the host.
      type: list
      elements: str
"""

import fcntl
import glob
import grp
import hashlib
import hmac
import json
import os
import pwd
import stat
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_owners import names, shadow_locks
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_release import read_releases
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_tree import host_tree_digest


def _read(path):
    try:
        with open(path) as handle:
            data = json.load(handle)
        return data if isinstance(data, dict) else {}
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}  # a torn or foreign file: held by nobody we can name, expires by its age


def _describe(lock):
    started = lock.get("started")
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(started)) if isinstance(started, (int, float)) else "?"
    return "%s since %s" % (lock.get("holder") or "an unnamed run", when)


def _expired(lock, path, now):
    expires = lock.get("expires")
    if not isinstance(expires, (int, float)):
        try:
            expires = os.stat(path).st_mtime + 3600
        except OSError:
            return True
    return now >= expires


class _Guard:
    """An flock beside the lock file, so two runs never read and write it at once."""

    def __init__(self, path):
        self.path = path + ".guard"

    def __enter__(self):
        self.handle = os.fdopen(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a")
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def peek(module, params):
    """Check mode: who holds the lock, read without the guard, as check mode makes no file."""
    lock = _read(params["path"])
    if lock is not None and lock.get("token") == params["token"]:
        return False, lock.get("holder"), 0.0, False
    if lock is None or _expired(lock, params["path"], time.time()):
        return True, (lock or {}).get("holder"), 0.0, lock is not None
    module.warn("another deploy holds this host's lock: %s" % _describe(lock))
    return False, lock.get("holder"), 0.0, False


def take(module, params):
    path = params["path"]
    if module.check_mode:
        return peek(module, params)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    started = time.monotonic()
    seen = None
    while True:
        with _Guard(path):
            lock = _read(path)
            now = time.time()
            if lock is not None and lock.get("token") == params["token"]:
                return False, lock.get("holder"), time.monotonic() - started, False
            expired = lock is not None and _expired(lock, path, now)
            if lock is None or expired:
                temporary = "%s.tmp-%d" % (path, os.getpid())
                with open(temporary, "w") as handle:
                    json.dump(dict(token=params["token"], holder=params["holder"], started=now,
                                   expires=now + params["ttl"], pid=os.getpid()), handle)
                os.chmod(temporary, 0o600)
                os.replace(temporary, path)
                holder = lock.get("holder") if expired else None
                return True, holder, time.monotonic() - started, expired
            seen = lock
        if time.monotonic() - started >= params["timeout"]:
            module.fail_json(msg="another deploy holds this host's lock (%s): %s. Waited %d s; "
                                 "run again once it is done. A lock left by a run that crashed expires at %s."
                             % (path, _describe(seen), params["timeout"],
                                time.strftime("%H:%M:%S UTC", time.gmtime(seen.get("expires") or 0))),
                             holder=seen.get("holder"), waited=time.monotonic() - started, expired=False)
        time.sleep(1)


def give_back(module, params):
    path = params["path"]
    if not os.path.exists(path):
        return False, None
    with _Guard(path):
        lock = _read(path)
        if lock is None or lock.get("token") != params["token"]:
            return False, (lock or {}).get("holder")
        if not module.check_mode:
            os.unlink(path)
        return True, lock.get("holder")


def _packages(module):
    if not module.get_bin_path("dpkg-query"):
        return []
    rc, out, dummy = module.run_command(["dpkg-query", "--show", "--showformat=${Package} ${db:Status-Abbrev}\\n"])
    return sorted({line.split()[0] for line in out.splitlines() if line.split()[1:2] == ["ii"]}) if rc == 0 else []


def _units(module, units):
    systemctl = module.get_bin_path("systemctl")
    if not units or not systemctl:
        return {}
    rc, out, dummy = module.run_command([systemctl, "show", "--property=Id,ActiveState,UnitFileState", "--"] + units)
    states, state = {}, {}
    for line in (out if rc == 0 else "").splitlines() + [""]:
        if "=" in line:
            key, value = line.split("=", 1)
            state[key] = value
        elif state:
            states[state.pop("Id", "")] = state
            state = {}
    # systemctl names a unit it does not know by what it was asked; keep only what was asked.
    return {unit: states.get(unit, {}) for unit in units}


def read_host(module, read, token):
    """What `read` asks for, of the host as it is now."""
    host = {}
    if read["packages"]:
        host["packages"] = _packages(module)
    if read["units"]:
        host["units"] = _units(module, read["units"])
    if read["users"]:
        host["users"] = _users(module, read["users"])
    if read["groups"]:
        host["groups"] = {group.gr_name: sorted(group.gr_mem) for group in grp.getgrall()}
    if read["files"]:
        host["files"] = {path: _file(module, path) for pattern in read["files"] for path in sorted(glob.glob(pattern))}
        host["patterns"] = read["files"]
    for path in read["hidden_files"]:
        if os.path.islink(path) or os.path.isfile(path):
            host.setdefault("files", {})[path] = _file(module, path, key=token)
    if read["releases"]:
        host["releases"] = {app["path"]: read_releases(app) for app in read["releases"]}
    if read["trees"]:
        host["trees"] = {path: host_tree_digest(path) for path in read["trees"]}
    return host


def _file(module, path, key=None):
    """A file's owner, group, mode and checksum, a folder's owner, group and mode, or a link's target, as
    wsgi_files and wsgi_users compare them."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return dict(type="link", src=os.readlink(path))
    kind = "file" if stat.S_ISREG(info.st_mode) else "dir" if stat.S_ISDIR(info.st_mode) else "other"
    owner, group = names(info.st_uid, info.st_gid)
    found = dict(type=kind, owner=owner, group=group, mode="%04o" % stat.S_IMODE(info.st_mode))
    if kind == "file" and key is None:
        found["checksum"] = module.sha256(path)
    elif kind == "file":
        with open(path, "rb") as handle:
            found["hmac"] = hmac.new(key.encode("utf-8"), handle.read(), hashlib.sha256).hexdigest()
    return found


def _users(module, wanted):
    """Each user there: primary group, home, shell, and whether its password is locked (/etc/shadow)."""
    locked = shadow_locks() or {}  # not root: no user counts as locked, so nothing is taken as it should be
    users = {}
    for name in wanted:
        try:
            found = pwd.getpwnam(name)
        except KeyError:
            continue
        users[name] = dict(group=names(found.pw_uid, found.pw_gid)[1], home=found.pw_dir, shell=found.pw_shell,
                           locked=locked.get(name, False))
    return users


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/var/lib/pyops-wsgi/deploy.lock"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            token=dict(type="str", required=True, no_log=True),
            holder=dict(type="str", default=""),
            timeout=dict(type="int", default=600),
            ttl=dict(type="int", default=3600),
            read=dict(type="dict", default={}, options=dict(
                packages=dict(type="bool", default=False),
                units=dict(type="list", elements="str", default=[]),
                groups=dict(type="bool", default=False),
                users=dict(type="list", elements="str", default=[]),
                files=dict(type="list", elements="str", default=[]),
                hidden_files=dict(type="list", elements="str", default=[]),
                trees=dict(type="list", elements="str", default=[]),
                releases=dict(type="list", elements="dict", default=[], options=dict(
                    path=dict(type="path", required=True),
                    source=dict(type="path", required=True),
                    keep=dict(type="int", default=0),
                    shared_dirs=dict(type="list", elements="str", default=[]),
                    shared_files=dict(type="list", elements="str", default=[]),
                )),
            )),
        ),
        supports_check_mode=True,
    )
    params = module.params
    for key in ("timeout", "ttl"):
        if params[key] < (0 if key == "timeout" else 1):
            module.fail_json(msg="%s: must be %d or more, got %d" % (key, 0 if key == "timeout" else 1, params[key]))
    if not params["token"].strip():
        module.fail_json(msg="token: must not be empty")
    if params["state"] == "present":
        changed, holder, waited, expired = take(module, params)
        if expired:
            module.warn("took over the deploy lock of %s, which had expired (a run that crashed?)" % (holder or "?"))
    else:
        changed, holder = give_back(module, params)
        waited, expired = 0.0, False
    result = dict(changed=changed, holder=holder, waited=round(waited, 1), expired=expired)
    if params["state"] == "present" and any(params["read"].values()):
        result["host"] = read_host(module, params["read"], params["token"])
        result["ansible_facts"] = dict(wsgi_host=result["host"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
