# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What module wsgi_release and the host read of module wsgi_lock both read of an app's releases: their ids, the
running one, the one before it, what a build would name a release and what keep would remove. Standard library
only; nothing here changes the host."""

from __future__ import annotations

import hashlib
import json
import os
import stat

MARKER = ".pyops-release"
HISTORY = ".history"
SKIPPED_DIRS = {".git", "__pycache__"}


def content_id(source, salt):
    """12 hex digits of a hash over every path, its executable bit and its content, plus salt."""
    digest = hashlib.sha256(salt.encode("utf-8") + b"\0")
    for folder, dirs, files in os.walk(source):
        dirs[:] = sorted(name for name in dirs if name not in SKIPPED_DIRS)
        relative = os.path.relpath(folder, source)
        digest.update(("d %s\0" % relative).encode("utf-8", "surrogateescape"))
        for name in sorted(files):
            if name.endswith(".pyc"):
                continue
            path = os.path.join(folder, name)
            key = os.path.join(relative, name)
            if os.path.islink(path):
                digest.update(("l %s %s\0" % (key, os.readlink(path))).encode("utf-8", "surrogateescape"))
                continue
            mode = os.stat(path).st_mode
            if not stat.S_ISREG(mode):
                continue  # sockets, fifos, devices: not code, and not copied
            executable = "x" if mode & 0o111 else "-"
            digest.update(("f %s %s\0" % (key, executable)).encode("utf-8", "surrogateescape"))
            with open(path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
    return digest.hexdigest()[:12]


def _markers(path):
    """{id: marker} of complete releases (the marker holds at least 'created')."""
    found = {}
    folder = os.path.join(path, "releases")
    if not os.path.isdir(folder):
        return found
    for name in os.listdir(folder):
        marker = os.path.join(folder, name, MARKER)
        if not name.startswith(".") and os.path.isfile(marker) and not os.path.islink(marker):
            try:
                with open(marker) as handle:
                    data = json.load(handle)
                float(data["created"])
            except (OSError, ValueError, KeyError, TypeError):
                data = dict(created=os.stat(marker).st_mtime)
            found[name] = data
    return found


def _releases(path):
    """{id: created} of complete releases."""
    return dict((name, marker["created"]) for name, marker in _markers(path).items())


def _failed(path):
    """Ids of the releases marked failed."""
    return set(name for name, marker in _markers(path).items() if marker.get("failed"))


def _ordered(releases):
    return sorted(releases, key=lambda name: (releases[name], name))


def _current(path):
    link = os.path.join(path, "current")
    if not os.path.islink(link):
        return None
    return os.path.basename(os.readlink(link).rstrip("/"))


def _history(path):
    try:
        with open(os.path.join(path, "releases", HISTORY)) as handle:
            history = json.load(handle)
        return [str(item) for item in history] if isinstance(history, list) else []
    except (OSError, ValueError):
        return []


def _previous(path, current):
    failed = _failed(path)
    for name in reversed(_history(path)):
        if name != current and name not in failed:
            return name
    return None


def _venv_of(path, release):
    """The real path of the venv a release (by id, or `current`) links, or None."""
    link = os.path.join(path, release if release == "current" else os.path.join("releases", release), "venv")
    return os.path.realpath(link) if os.path.lexists(link) else None


def prune_plan(path, keep, protected):
    """(doomed, kept): the releases beyond keep (oldest first, failed ones before all others, never the
    protected ones) and then the venvs no kept release links; failed releases do not count toward keep."""
    releases = _releases(path)
    failed = _failed(path)
    ordered = _ordered(releases)
    doomed = []
    if keep > 0:
        for name in ordered:
            if name in failed and name not in protected:
                doomed.append(os.path.join(path, "releases", name))
        extra = len([name for name in ordered if name not in failed]) - keep
        for name in ordered:
            if name in failed:
                continue
            if extra <= 0:
                break
            if name in protected:
                continue
            doomed.append(os.path.join(path, "releases", name))
            extra -= 1
    kept = [name for name in ordered if os.path.join(path, "releases", name) not in doomed]
    venvs = os.path.join(path, "venvs")
    if keep > 0 and os.path.isdir(venvs):
        linked = set()
        for name in kept:
            link = os.path.join(path, "releases", name, "venv")
            if os.path.islink(link):
                linked.add(os.path.realpath(link))
        for name in sorted(os.listdir(venvs)):
            venv = os.path.join(venvs, name)
            if os.path.realpath(venv) not in linked:
                doomed.append(venv)
    return doomed, kept


def release_id(source, salt, shared_dirs, shared_files, venv):
    """The id a build gives a release: its code, the salt, and how the release is laid out (shared paths, venv)."""
    return content_id(source, salt + json.dumps([shared_dirs, shared_files, venv]))


def read_releases(app):
    """What a build of the app's source with the running release's venv (also its salt, as the deploy gives
    it) would find: the running release, the one before it, the id the build would give, what keep would
    remove. `app`: path, source, keep, shared_dirs, shared_files."""
    path = app["path"]
    current = _current(path)
    venv = _venv_of(path, current) if current else None
    previous = _previous(path, current)
    doomed, kept = prune_plan(path, app["keep"], (current, previous))
    built = None
    if venv and os.path.isdir(app["source"]):
        built = release_id(app["source"], venv, app["shared_dirs"], app["shared_files"], venv)
    return dict(current=current, previous=previous, venv=venv, keep=app["keep"], shared_dirs=app["shared_dirs"],
                shared_files=app["shared_files"], releases=kept, doomed=doomed, failed=sorted(_failed(path)), id=built)
