#!/usr/bin/python
# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: wsgi_release
short_description: Build an app's releases beside the running one, switch atomically, prune old ones
version_added: "1.0.0"
description:
  - Manages C(PATH/releases/ID) folders, the C(PATH/current) link to the running one, and C(PATH/shared),
    for one app whose home is O(path).
  - With O(state=present), copies O(source) into a new release named by a hash of its content and
    O(salt) (so the same code and requirements give the same release, and a second run changes nothing),
    links the O(shared_dirs) and O(shared_files) into it from C(PATH/shared), and links O(venv) as its
    C(venv). The release appears under its final name only when complete.
  - With O(state=current), points C(PATH/current) at O(release) by renaming a new link over the old one,
    so every reader sees either the old release or the new one, never a missing link.
    O(release=previous) is the release that was current before the running one.
  - With O(state=failed), marks O(release) as failed (a deploy of it did not pass), so that C(previous) skips it
    and it does not count toward O(keep). Building the same code again clears the mark.
  - With O(keep), removes the oldest releases beyond that number, never the current one or the one
    before it or the one just built, and then the venvs under C(PATH/venvs) that no release links any more.
    Failed releases are removed first and do not count.
  - Nothing it writes, moves or removes as root lies outside O(path); a shared path or a served path that
    passes through a symbolic link (in the code or in C(PATH/shared)) is refused before any change.
options:
  path:
    description:
      - The app's home, for example C(/srv/shop).
    type: path
    required: true
  state:
    description:
      - V(present) builds a release from O(source); V(current) switches C(current) to O(release);
        V(failed) marks O(release) as failed.
    type: str
    choices: [present, current, failed]
    default: present
  source:
    description:
      - The folder to build a release from (the app's code on the host). Required with O(state=present).
      - C(.git) folders, C(__pycache__) folders and C(.pyc) files are left out.
    type: path
  salt:
    description:
      - More content for the release's hash, for example the requirements' checksum, so that the same code
        with other requirements is another release.
    type: str
    default: ""
  venv:
    description:
      - A venv to link as the release's C(venv).
    type: path
  shared_dirs:
    description:
      - Folders, relative to the code, that live in C(PATH/shared) and are linked into every release.
        A new shared folder starts with what the first release had there.
    type: list
    elements: str
    default: []
  shared_files:
    description:
      - Files, relative to the code, linked the same way. A new shared file starts as the release's copy,
        if it has one.
    type: list
    elements: str
    default: []
  served_paths:
    description:
      - Paths that a web server serves from the release (static folders), relative to the code, or absolute
        under C(PATH/shared). Each must resolve inside the release, C(PATH/shared) or C(PATH/venvs) (a
        package's static files, through the release's C(venv) link), and one whose real path lies elsewhere
        (through a link such as C(etc -> /etc)) is refused before any change.
    type: list
    elements: str
    default: []
  owner:
    description:
      - Owner of the shared folders and files, and of the release's links to them (the app's user; the app
        writes there). nginx follows a link below a served folder only to a file of the link's owner.
    type: str
  group:
    description:
      - Group of the release's files and of the shared ones.
    type: str
  release:
    description:
      - With O(state=current), the release to switch to, by id, or V(previous) (the last release that ran
        before the current one and was not marked failed).
      - With O(state=failed), the release to mark.
      - With O(state=present), ignored.
    type: str
  keep:
    description:
      - How many releases to keep; older ones are removed (never the current one or the one before it, nor
        the one just built), with any O(state). V(0) keeps all.
    type: int
    default: 0
  host:
    description:
      - What a read of the host found, as module M(pyops.wsgi.wsgi_lock) returns it (RV(pyops.wsgi.wsgi_lock#module:host)),
        for example the deploy's read when it took the host's lock. With O(state=present), when its C(releases)
        shows that building O(source) with O(venv) would give the running release and O(keep) would remove nothing,
        the host is not called at all and nothing is reported changed. Give it only while O(source) is as it was
        when the host was read.
      - Read on the controller only.
    type: dict
    default: {}
extends_documentation_fragment:
  - pyops.wsgi.attributes.release
author:
  - pyops.wsgi developers (@pyops)
seealso:
  - module: pyops.wsgi.wsgi_probe
"""

EXAMPLES = r"""
- name: Build a release of the code in /srv/shop/code
  pyops.wsgi.wsgi_release:
    path: /srv/shop
    source: /srv/shop/code
    salt: "{{ requirements_checksum }}"
    venv: /srv/shop/venvs/3f2a9c1d0b7e
    shared_dirs: [media, var]
    owner: shop
    group: shop
  register: shop_release

- name: Make it the running release, keeping five
  pyops.wsgi.wsgi_release:
    path: /srv/shop
    state: current
    release: "{{ shop_release.id }}"
    keep: 5

- name: Go back to the release before
  pyops.wsgi.wsgi_release:
    path: /srv/shop
    state: current
    release: previous

- name: Never go back to the release that failed its health check
  pyops.wsgi.wsgi_release:
    path: /srv/shop
    state: failed
    release: "{{ shop_release.id }}"
"""

RETURN = r"""
id:
  description: The release built (O(state=present)) or switched to (O(state=current)).
  returned: always
  type: str
  sample: 9c4e1f07ab32
release_path:
  description: Its folder.
  returned: always
  type: str
  sample: /srv/shop/releases/9c4e1f07ab32
current:
  description: The release C(current) points at after the task (null when none).
  returned: always
  type: str
  sample: 9c4e1f07ab32
previous:
  description: The release that was current before the current one (null when none).
  returned: always
  type: str
  sample: 51d0e2aa90c4
releases:
  description: The releases kept, oldest first.
  returned: always
  type: list
  elements: str
  sample: [51d0e2aa90c4, 9c4e1f07ab32]
failed_releases:
  description: The releases kept that are marked failed, oldest first.
  returned: always
  type: list
  elements: str
  sample: [7e0c2b9d11fa]
built:
  description: Whether O(state=present) built a new release (or, in check mode, would); pruning alone is no build.
  returned: always
  type: bool
  sample: true
switched:
  description: Whether C(current) was (or, in check mode, would be) pointed at another release.
  returned: always
  type: bool
  sample: true
pruned:
  description: Releases and venvs removed (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [/srv/shop/releases/0a1b2c3d4e5f]
venv_before:
  description:
    - With O(state=current), the real path of the venv that the running release linked before the task (null
      when none), so that a caller can tell whether the switch changes the venv. Null with the other states.
  returned: always
  type: str
  sample: /srv/shop/venvs/3f2a9c1d0b7e
venv_after:
  description:
    - With O(state=current), the real path of the venv that the release switched to links (null when none).
      Null with the other states.
  returned: always
  type: str
  sample: /srv/shop/venvs/8d01b2e4c9a7
diff:
  description: The release C(current) pointed at before and after.
  returned: when O(state=current) and the release changed
  type: dict
  sample: {"before": "current -> 51d0e2aa90c4\n", "after": "current -> 9c4e1f07ab32\n"}
"""

import grp
import json
import os
import pwd
import shutil
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_release import (
    HISTORY, MARKER, SKIPPED_DIRS, _current, _failed, _history, _markers, _ordered, _previous, _releases, _venv_of,
    prune_plan)
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_release import release_id as build_id


def _ignored(folder, names):
    """What a release leaves out: VCS and bytecode, and anything that is not a file, folder or link."""
    left_out = set()
    for name in names:
        path = os.path.join(folder, name)
        if name in SKIPPED_DIRS or name.endswith(".pyc"):
            left_out.add(name)
        elif not os.path.islink(path) and not (os.path.isfile(path) or os.path.isdir(path)):
            left_out.add(name)
    return left_out


def _write_json(path, data):
    temporary = "%s.tmp-%d" % (path, os.getpid())
    with open(temporary, "w") as handle:
        json.dump(data, handle)
    os.replace(temporary, path)


def _ids(module, owner, group):
    uid = gid = -1
    try:
        if owner:
            uid = pwd.getpwnam(owner).pw_uid
        if group:
            gid = grp.getgrnam(group).gr_gid
    except KeyError as error:
        module.fail_json(msg="owner/group: no such user or group: %s" % error)
    return uid, gid


def _chown_tree(top, uid, gid):
    if uid == -1 and gid == -1:
        return
    for folder, dirs, files in os.walk(top):
        os.lchown(folder, uid, gid)
        for name in dirs + files:
            os.lchown(os.path.join(folder, name), uid, gid)


def _check_relative(module, kind, names):
    for name in names:
        parts = name.strip("/").split("/")
        if not name.strip("/") or name.startswith("/") or ".." in parts or "." in parts:
            module.fail_json(msg="%s: %r must be a path inside the code, such as media or var/db" % (kind, name))


def _link_below(top, relative, last_too=False):
    """The first path from top along relative that is a link (or not a folder where one is needed), or None.

    Root follows a link as readily as a folder: a shared path through `var -> /opt/x` in the code
    would move /opt/x's files into the app and remove them there."""
    parts = relative.strip("/").split("/")
    folder = top
    for index, part in enumerate(parts):
        folder = os.path.join(folder, part)
        last = index == len(parts) - 1
        if os.path.islink(folder) and (last_too or not last):
            return folder
        if not last and os.path.lexists(folder) and not os.path.isdir(folder):
            return folder
    return None


def _check_no_links(module, params, source):
    """Refuse, before any change, shared paths that pass through a link in the code or in PATH/shared."""
    shared = os.path.join(params["path"], "shared")
    if os.path.islink(shared):
        module.fail_json(msg="%s is a symbolic link (to %s); the app's shared folder must be a real folder"
                         % (shared, os.readlink(shared)))
    for kind in ("shared_dirs", "shared_files"):
        for name in params[kind]:
            for top, where, last_too in ((source, "the code", False), (shared, shared, True)):
                link = _link_below(top, name, last_too)
                if link:
                    what = ("a symbolic link (to %s)" % os.readlink(link)) if os.path.islink(link) else "not a folder"
                    module.fail_json(msg="%s: %s passes through %s, which is %s in %s; a shared path may not go "
                                         "through a link, which would move or change files outside the app. Remove "
                                         "the link, or share the folder it points to"
                                     % (kind, name, os.path.relpath(link, top), what, where))


def _inside(child, parents):
    return any(child == parent or child.startswith(parent.rstrip("/") + "/") for parent in parents)


def _check_served(module, params, release):
    """Every served path resolves inside the release, PATH/shared or PATH/venvs (a package's static
    files, through the release's venv link): nginx reads what root's links point at."""
    shared = os.path.realpath(os.path.join(params["path"], "shared"))
    venvs = os.path.realpath(os.path.join(params["path"], "venvs"))
    for name in params["served_paths"]:
        absolute = os.path.isabs(name)
        candidate = os.path.normpath(name if absolute else os.path.join(release, name))
        allowed = [shared] if absolute else [os.path.realpath(release), shared, venvs]
        if absolute and not _inside(candidate, [os.path.join(params["path"], "shared")]):
            module.fail_json(msg="served_paths: %s is outside %s/shared; serve folders of the app's code or "
                                 "shared folder only" % (name, params["path"]))
        real = os.path.realpath(candidate)
        if not _inside(real, allowed):
            module.fail_json(msg="served_paths: %s resolves to %s, outside the app's release and shared folder "
                                 "(a symbolic link in the code?); a web server would publish it. Serve a folder of "
                                 "the app's own code or shared folder" % (name, real))


def _own_shared_links(module, params, release):
    """Give the release's links into PATH/shared to the app's user; True if one was another's.

    nginx follows a link below a served folder only to a file of the link's own owner, and the
    shared files are the app user's. Releases built before the links were theirs are fixed here."""
    if not params["owner"]:
        return False
    app_uid = _ids(module, params["owner"], None)[0]
    changed = False
    for name in params["shared_dirs"] + params["shared_files"]:
        inside = os.path.join(release, name.strip("/"))
        if os.path.islink(inside) and os.lstat(inside).st_uid != app_uid:
            changed = True
            if not module.check_mode:
                os.lchown(inside, app_uid, -1)
    return changed


def _link_shared(path, release, names, is_dir, app_uid, gid):
    """Replace each name in the release by a link into PATH/shared, seeding a new shared path.

    The link is the app user's, as what it points to is (see _own_shared_links)."""
    for name in names:
        name = name.strip("/")
        inside = os.path.join(release, name)
        shared = os.path.join(path, "shared", name)
        os.makedirs(os.path.dirname(shared), mode=0o750, exist_ok=True)
        if not os.path.lexists(shared):
            if is_dir:
                if os.path.isdir(inside) and not os.path.islink(inside):
                    shutil.copytree(inside, shared, symlinks=True)
                else:
                    os.mkdir(shared, 0o750)
                _chown_tree(shared, app_uid, gid)
            elif os.path.isfile(inside) and not os.path.islink(inside):
                shutil.copy2(inside, shared)
                os.lchown(shared, app_uid, gid)
        if os.path.isdir(inside) and not os.path.islink(inside):
            shutil.rmtree(inside)
        elif os.path.lexists(inside):
            os.unlink(inside)
        os.makedirs(os.path.dirname(inside), exist_ok=True)
        os.symlink(shared, inside)
        os.lchown(inside, app_uid, gid)


def build(module, params):
    path, source = params["path"], params["source"]
    if not source or not os.path.isdir(source):
        module.fail_json(msg="source: %s is not a folder (state=present needs the code on the host)" % source)
    _check_relative(module, "shared_dirs", params["shared_dirs"])
    _check_relative(module, "shared_files", params["shared_files"])
    _check_no_links(module, params, source)
    _check_served(module, params, source)
    release_id = build_id(source, params["salt"], params["shared_dirs"], params["shared_files"], params["venv"])
    folder = os.path.join(path, "releases", release_id)
    markers = _markers(path)
    changed = release_id not in markers
    if not changed:
        _check_served(module, params, folder)
        owned = _own_shared_links(module, params, folder)
        if markers[release_id].get("failed"):
            # Built again: it gets another chance (the environment it failed with may have been fixed).
            if not module.check_mode:
                marker = dict(markers[release_id])
                marker.pop("failed", None)
                _write_json(os.path.join(folder, MARKER), marker)
            return True, release_id, {}
        return owned, release_id, {}
    if not module.check_mode:
        app_uid, gid = _ids(module, params["owner"], params["group"])
        os.makedirs(os.path.join(path, "releases"), mode=0o750, exist_ok=True)
        temporary = os.path.join(path, "releases", ".tmp-%s-%d" % (release_id, os.getpid()))
        if os.path.lexists(folder):
            shutil.rmtree(folder)  # an incomplete release (no marker) left by a failed run
        shutil.copytree(source, temporary, symlinks=True, ignore=_ignored)
        _chown_tree(temporary, -1, gid)
        _link_shared(path, temporary, params["shared_dirs"], True, app_uid, gid)
        _link_shared(path, temporary, params["shared_files"], False, app_uid, gid)
        if params["venv"]:
            os.symlink(params["venv"], os.path.join(temporary, "venv"))
        _write_json(os.path.join(temporary, MARKER), dict(id=release_id, created=time.time(), source=source))
        os.chmod(temporary, 0o750)
        os.lchown(temporary, -1, gid)
        os.rename(temporary, folder)
    return changed, release_id, {}


def switch(module, params):
    path = params["path"]
    current = _current(path)
    wanted = params["release"]
    if not wanted:
        module.fail_json(msg="release: required with state=current (a release id, or previous)")
    if wanted == "previous":
        wanted = _previous(path, current)
        if not wanted:
            module.fail_json(msg="release: there is no previous release to go back to (current: %s)" % current)
    releases = _releases(path)
    if wanted not in releases:
        module.fail_json(msg="release: %s is not a complete release under %s/releases (there are: %s)"
                         % (wanted, path, ", ".join(_ordered(releases)) or "none"))
    if wanted in _failed(path) and wanted != current:
        module.fail_json(msg="release: %s failed its deploy and is no rollback target (deploy its code again to "
                             "give it another chance); the others are: %s"
                         % (wanted, ", ".join(name for name in _ordered(releases) if name not in _failed(path))))
    changed = wanted != current
    diff = {}
    if changed:
        diff = dict(before="current -> %s\n" % current, after="current -> %s\n" % wanted)
        if not module.check_mode:
            link = os.path.join(path, "current")
            temporary = os.path.join(path, ".current-%d" % os.getpid())
            if os.path.lexists(temporary):
                os.unlink(temporary)
            os.symlink(os.path.join("releases", wanted), temporary)
            os.replace(temporary, link)
            history = [name for name in _history(path) if name in releases]
            if current and (not history or history[-1] != current):
                history.append(current)
            history.append(wanted)
            _write_json(os.path.join(path, "releases", HISTORY), history[-50:])
    return changed, wanted, diff


def mark_failed(module, params):
    """Mark a release as failed: no rollback target, first to be pruned."""
    path, wanted = params["path"], params["release"]
    markers = _markers(path)
    if wanted not in markers:
        module.fail_json(msg="release: %s is not a complete release under %s/releases" % (wanted, path))
    if markers[wanted].get("failed"):
        return False, wanted, {}
    if not module.check_mode:
        _write_json(os.path.join(path, "releases", wanted, MARKER), dict(markers[wanted], failed=time.time()))
    return True, wanted, dict(before="%s: ok\n" % wanted, after="%s: failed\n" % wanted)


def prune(module, params, protected):
    """Remove releases beyond keep (prune_plan), then unlinked venvs."""
    doomed, kept = prune_plan(params["path"], params["keep"], protected)
    if doomed and not module.check_mode:
        for victim in doomed:
            shutil.rmtree(victim)
    return doomed, kept


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", choices=["present", "current", "failed"], default="present"),
            source=dict(type="path"),
            salt=dict(type="str", default=""),
            venv=dict(type="path"),
            shared_dirs=dict(type="list", elements="str", default=[]),
            shared_files=dict(type="list", elements="str", default=[]),
            served_paths=dict(type="list", elements="str", default=[]),
            owner=dict(type="str"),
            group=dict(type="str"),
            release=dict(type="str"),
            keep=dict(type="int", default=0),
            host=dict(type="dict", default={}),
        ),
        required_if=[("state", "present", ("source",)), ("state", "current", ("release",)),
                     ("state", "failed", ("release",))],
        supports_check_mode=True,
    )
    params = module.params
    if params["keep"] < 0 or params["keep"] == 1:
        module.fail_json(msg="keep: 0 (keep all) or 2 and more (the running release and the one before it), "
                             "got %d" % params["keep"])
    if not os.path.isabs(params["path"]) or params["path"].rstrip("/") in ("", "/usr", "/etc", "/var", "/srv"):
        module.fail_json(msg="path: the app's own home, such as /srv/shop, got %r" % params["path"])
    venv_before = _venv_of(params["path"], "current") if params["state"] == "current" else None
    if params["state"] == "present":
        changed, release_id, diff = build(module, params)
    elif params["state"] == "failed":
        changed, release_id, diff = mark_failed(module, params)
    else:
        changed, release_id, diff = switch(module, params)
    current = release_id if params["state"] == "current" else _current(params["path"])
    previous = _previous(params["path"], current)
    if params["state"] == "current" and changed:
        previous = _current(params["path"]) if module.check_mode else previous
    # Never the running release, the one before it, or the one this task built.
    pruned, kept = prune(module, params, (current, previous, release_id))
    if params["state"] == "present" and release_id not in kept:
        kept.append(release_id)
    failed = _failed(params["path"])
    if module.check_mode and params["state"] == "failed":
        failed.add(release_id)
    result = dict(changed=changed or bool(pruned), id=release_id, switched=params["state"] == "current" and changed,
                  built=params["state"] == "present" and changed,
                  release_path=os.path.join(params["path"], "releases", release_id),
                  current=current, previous=previous, releases=kept, pruned=pruned,
                  failed_releases=[name for name in kept if name in failed], venv_before=venv_before,
                  venv_after=_venv_of(params["path"], release_id) if params["state"] == "current" else None)
    if diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
