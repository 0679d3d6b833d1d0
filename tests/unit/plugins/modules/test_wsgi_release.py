"""wsgi_release on real folders: content-named releases, atomic switch, previous, shared paths, pruning."""

from __future__ import annotations

import json
import os
import pathlib
import socket

import pytest

from .conftest import run_module


def code(folder, version, extra=None):
    folder = pathlib.Path(folder)
    (folder / "pkg").mkdir(parents=True, exist_ok=True)
    (folder / "pkg" / "__init__.py").write_text("VERSION = %r\n" % version)
    (folder / "media").mkdir(exist_ok=True)
    (folder / "media" / "logo.txt").write_text("logo\n")
    (folder / ".git").mkdir(exist_ok=True)
    (folder / ".git" / "HEAD").write_text(version)
    for name, text in (extra or {}).items():
        (folder / name).write_text(text)
    return str(folder)


def build(home, source, **args):
    return run_module("wsgi_release", path=str(home), source=source, **args)


def switch(home, release, **args):
    return run_module("wsgi_release", path=str(home), state="current", release=release, **args)


def test_same_code_same_release_and_a_second_run_changes_nothing(tmp_path):
    home, source = tmp_path / "app", code(tmp_path / "src", "v1")
    failed, first = build(home, source)
    assert not failed, first
    assert first["changed"] is True and len(first["id"]) == 12
    assert (home / "releases" / first["id"] / "pkg" / "__init__.py").read_text() == "VERSION = 'v1'\n"
    assert not (home / "releases" / first["id"] / ".git").exists()
    failed, second = build(home, source)
    assert not failed and second["changed"] is False and second["id"] == first["id"]
    # A change of git metadata alone is not a new release; a change of code is.
    (pathlib.Path(source) / ".git" / "HEAD").write_text("moved")
    assert build(home, source)[1]["id"] == first["id"]
    code(source, "v2")
    assert build(home, source)[1]["id"] != first["id"]


def test_salt_makes_another_release(tmp_path):
    home, source = tmp_path / "app", code(tmp_path / "src", "v1")
    assert build(home, source, salt="req-a")[1]["id"] != build(home, source, salt="req-b")[1]["id"]


def test_switch_is_a_link_renamed_over_the_old_one_and_previous_goes_back(tmp_path):
    home = tmp_path / "app"
    one = build(home, code(tmp_path / "one", "v1"))[1]["id"]
    two = build(home, code(tmp_path / "two", "v2"))[1]["id"]
    failed, result = switch(home, one)
    assert not failed and result["changed"] and result["current"] == one and result["previous"] is None
    assert os.readlink(home / "current") == "releases/" + one
    failed, result = switch(home, two, _ansible_diff=True)
    assert not failed and (result["current"], result["previous"]) == (two, one)
    assert result["diff"] == {"before": "current -> %s\n" % one, "after": "current -> %s\n" % two}
    assert (home / "current" / "pkg" / "__init__.py").read_text() == "VERSION = 'v2'\n"
    assert switch(home, two)[1]["changed"] is False
    failed, result = switch(home, "previous")
    assert not failed and result["current"] == one and result["previous"] == two
    assert not list(home.glob(".current-*")), "no temporary link is left behind"


def test_check_mode_reports_and_changes_nothing(tmp_path):
    home = tmp_path / "app"
    one = build(home, code(tmp_path / "one", "v1"))[1]["id"]
    switch(home, one)
    failed, result = build(home, code(tmp_path / "two", "v2"), _ansible_check_mode=True)
    assert not failed and result["changed"] and not (home / "releases" / result["id"]).exists()
    two = build(home, str(tmp_path / "two"))[1]["id"]
    failed, result = switch(home, two, _ansible_check_mode=True)
    assert not failed and result["changed"] and (result["current"], result["previous"]) == (two, one)
    assert os.readlink(home / "current") == "releases/" + one


def test_shared_paths_survive_releases_and_start_from_the_first_one(tmp_path):
    home = tmp_path / "app"
    one = build(home, code(tmp_path / "one", "v1", {"db.sqlite3": "empty"}), shared_dirs=["media", "var/uploads"],
                shared_files=["db.sqlite3"])[1]["id"]
    release = home / "releases" / one
    assert os.readlink(release / "media") == str(home / "shared" / "media")
    assert (release / "media" / "logo.txt").read_text() == "logo\n", "a new shared folder is seeded"
    assert (release / "var" / "uploads").is_dir() and os.path.islink(release / "var" / "uploads")
    (release / "media" / "upload.bin").write_text("user data")
    (release / "db.sqlite3").write_text("rows")
    two = build(home, code(tmp_path / "two", "v2", {"db.sqlite3": "empty"}), shared_dirs=["media", "var/uploads"],
                shared_files=["db.sqlite3"])[1]["id"]
    assert (home / "releases" / two / "media" / "upload.bin").read_text() == "user data"
    assert (home / "releases" / two / "db.sqlite3").read_text() == "rows"


def test_keep_prunes_the_oldest_but_never_current_or_previous(tmp_path):
    home = tmp_path / "app"
    (home / "venvs" / "old").mkdir(parents=True)
    (home / "venvs" / "used").mkdir(parents=True)
    ids = []
    for number in range(5):
        venv = str(home / "venvs" / ("old" if number == 0 else "used"))
        ids.append(build(home, code(tmp_path / ("v%d" % number), "v%d" % number), venv=venv)[1]["id"])
    switch(home, ids[0])
    switch(home, ids[1])
    failed, result = switch(home, ids[1], keep=2)
    assert not failed, result
    # The two kept are current (ids[1]) and previous (ids[0]), although ids[3] and ids[4] are newer.
    assert result["releases"] == [ids[0], ids[1]]
    assert sorted(result["pruned"]) == sorted(str(home / "releases" / i) for i in ids[2:])
    assert sorted(os.listdir(home / "releases")) == sorted([ids[0], ids[1], ".history"])
    assert (home / "venvs" / "old").exists() and (home / "venvs" / "used").exists()
    switch(home, ids[1], keep=2)
    failed, result = build(home, str(tmp_path / "v4"), venv=str(home / "venvs" / "used"), keep=2)
    assert result["pruned"] == [], "current and previous are never pruned, even beyond keep"


def test_unlinked_venvs_are_pruned(tmp_path):
    home = tmp_path / "app"
    for name in ("a", "b", "c"):
        (home / "venvs" / name).mkdir(parents=True)
    ids = [build(home, code(tmp_path / name, name), venv=str(home / "venvs" / name))[1]["id"] for name in "abc"]
    switch(home, ids[1])
    failed, result = switch(home, ids[2], keep=2)
    assert not failed
    assert result["pruned"] == [str(home / "releases" / ids[0]), str(home / "venvs" / "a")]
    assert sorted(os.listdir(home / "venvs")) == ["b", "c"]


def test_the_marker_records_the_release(tmp_path):
    home = tmp_path / "app"
    release = build(home, code(tmp_path / "src", "v1"))[1]["id"]
    marker = json.loads((home / "releases" / release / ".pyops-release").read_text())
    assert marker["id"] == release and marker["source"] == str(tmp_path / "src")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (dict(path="/srv/app", state="present"), "state is present but all of the following are missing: source"),
        (dict(path="/srv/app", state="current"), "state is current but all of the following are missing: release"),
        (dict(path="/srv", source="/tmp"), "path: the app's own home"),
        (dict(path="/srv/app", source="/nonexistent"), "source: /nonexistent is not a folder"),
        (dict(path="/srv/app", source="/tmp", keep=1), "keep: 0 (keep all) or 2 and more"),
        (dict(path="/srv/app", source="/tmp", shared_dirs=["../etc"]), "shared_dirs: '../etc' must be a path inside"),
        (dict(path="/srv/app", source="/tmp", shared_files=["/etc/passwd"]), "shared_files: '/etc/passwd' must be"),
    ],
)
def test_bad_input(args, message):
    failed, result = run_module("wsgi_release", **args)
    assert failed and message in result["msg"], result["msg"]


def test_switching_to_a_missing_release_names_the_ones_there(tmp_path):
    home = tmp_path / "app"
    one = build(home, code(tmp_path / "one", "v1"))[1]["id"]
    failed, result = switch(home, "nope")
    assert failed and "release: nope is not a complete release" in result["msg"] and one in result["msg"]
    failed, result = switch(home, "previous")
    assert failed and "there is no previous release" in result["msg"]


def test_sockets_in_the_code_are_left_out(tmp_path):
    source = pathlib.Path(code(tmp_path / "src", "v1"))
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(source / "app.sock"))
        failed, result = build(tmp_path / "app", str(source))
    assert not failed, result
    assert not os.path.lexists(tmp_path / "app" / "releases" / result["id"] / "app.sock")


def snapshot(folder):
    """Every path below folder with its type, mode and content: what must not change."""
    found = {}
    for top, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(top, name)
            info = os.lstat(path)
            text = open(path).read() if os.path.isfile(path) and not os.path.islink(path) else None
            found[os.path.relpath(path, folder)] = (info.st_mode, info.st_uid, info.st_gid, text)
    return found


def victim(tmp_path):
    """A folder outside the app, as /opt/victim would be on a host."""
    outside = tmp_path / "outside"
    (outside / "db").mkdir(parents=True)
    (outside / "db" / "rows.sqlite3").write_text("the host's data")
    (outside / "settings.py").write_text("SECRET = 1")
    return outside


@pytest.mark.parametrize(
    ("links", "kind", "names", "passes"),
    [
        # The reproduction: var -> /opt/victim in the code, shared_dirs var/db.
        ({"var": "outside"}, "shared_dirs", ["media", "var/db"], "var"),
        # A link deeper down, and a shared file below a link.
        ({"deep/er": "outside"}, "shared_dirs", ["deep/er/db"], "deep/er"),
        ({"conf": "outside"}, "shared_files", ["conf/settings.py"], "conf"),
        # A file where a folder is needed is refused too.
        ({}, "shared_files", ["pkg/__init__.py/x"], "pkg/__init__.py"),
    ],
)
def test_a_shared_path_through_a_link_in_the_code_is_refused_before_any_change(tmp_path, links, kind, names, passes):
    outside = victim(tmp_path)
    source = pathlib.Path(code(tmp_path / "src", "v1"))
    for name, target in links.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(str(tmp_path / target), str(source / name))
    before = snapshot(outside)
    home = tmp_path / "app"
    failed, result = build(home, str(source), **{kind: names})
    assert failed, result
    assert "%s: %s passes through %s" % (kind, names[-1], passes) in result["msg"], result["msg"]
    assert "in the code" in result["msg"]
    assert snapshot(outside) == before, "nothing outside the app changed"
    assert not home.exists(), "nothing was written"


@pytest.mark.parametrize(
    ("link", "kind", "names"),
    [
        ("var", "shared_dirs", ["var/db"]),
        ("media", "shared_dirs", ["media"]),
        ("db.sqlite3", "shared_files", ["db.sqlite3"]),
    ],
)
def test_a_link_the_app_left_in_its_shared_folder_is_refused(tmp_path, link, kind, names):
    # The app's user writes PATH/shared: a link there would send root's next deploy elsewhere.
    outside = victim(tmp_path)
    home = tmp_path / "app"
    (home / "shared").mkdir(parents=True)
    os.symlink(str(outside), str(home / "shared" / link))
    before = snapshot(outside)
    failed, result = build(home, code(tmp_path / "src", "v1"), **{kind: names})
    assert failed and "passes through %s, which is a symbolic link" % link in result["msg"], result["msg"]
    assert snapshot(outside) == before
    assert not (home / "releases").exists()


def test_a_linked_shared_folder_is_refused(tmp_path):
    home = tmp_path / "app"
    home.mkdir()
    os.symlink(str(victim(tmp_path)), str(home / "shared"))
    failed, result = build(home, code(tmp_path / "src", "v1"), shared_dirs=["media"])
    assert failed and "the app's shared folder must be a real folder" in result["msg"]


def test_links_inside_the_code_that_no_shared_path_passes_are_kept(tmp_path):
    source = pathlib.Path(code(tmp_path / "src", "v1"))
    os.symlink("pkg", str(source / "alias"))
    failed, result = build(tmp_path / "app", str(source), shared_dirs=["media"])
    assert not failed, result
    assert os.readlink(tmp_path / "app" / "releases" / result["id"] / "alias") == "pkg"


@pytest.mark.parametrize(
    ("link", "served", "refused"),
    [
        ("etclink", "etclink", True),
        ("etclink", "etclink/passwd", True),
        ("static", "static/css", True),
        (None, "/elsewhere/static", True),
        (None, "media", False),
        (None, "missing/folder", False),
    ],
)
def test_a_served_path_must_resolve_inside_the_release_or_shared_folder(tmp_path, link, served, refused):
    outside = victim(tmp_path)
    source = pathlib.Path(code(tmp_path / "src", "v1"))
    if link:
        os.symlink(str(outside), str(source / link))
    failed, result = build(tmp_path / "app", str(source), served_paths=[served])
    assert failed is refused, result
    if refused:
        assert result["msg"].startswith("served_paths: %s " % served), result["msg"]
        assert not (tmp_path / "app" / "releases").exists()


def test_a_served_path_in_the_shared_folder_is_taken(tmp_path):
    home = tmp_path / "app"
    failed, result = build(home, code(tmp_path / "src", "v1"), shared_dirs=["media"],
                           served_paths=["media", str(home / "shared" / "media")])
    assert not failed, result


def test_a_failed_release_is_no_rollback_target_and_does_not_count_toward_keep(tmp_path):
    home = tmp_path / "app"
    ids = [build(home, code(tmp_path / ("v%d" % n), "v%d" % n))[1]["id"] for n in range(5)]
    good, bad = ids[0], ids[1:]
    switch(home, good)
    for release in bad:
        switch(home, release)
        failed, marked = run_module("wsgi_release", path=str(home), state="failed", release=release)
        assert not failed and marked["changed"] is True and release in marked["failed_releases"], marked
        failed, back = switch(home, "previous")
        assert not failed and back["id"] == good, "previous skips the failed releases"
    # Marking twice changes nothing.
    assert run_module("wsgi_release", path=str(home), state="failed", release=bad[0])[1]["changed"] is False
    failed, result = switch(home, bad[0])
    assert failed and "failed its deploy and is no rollback target" in result["msg"]
    # keep=2 keeps the good releases and removes every failed one first.
    good_two = build(home, code(tmp_path / "v9", "v9"))[1]["id"]
    failed, result = switch(home, good_two, keep=2)
    assert not failed, result
    assert result["releases"] == [good, good_two] and result["previous"] == good
    assert sorted(result["pruned"]) == sorted(str(home / "releases" / name) for name in bad)
    assert result["failed_releases"] == []


def test_building_a_failed_release_again_clears_its_mark(tmp_path):
    home, source = tmp_path / "app", code(tmp_path / "src", "v1")
    release = build(home, source)[1]["id"]
    run_module("wsgi_release", path=str(home), state="failed", release=release)
    failed, result = run_module("wsgi_release", path=str(home), source=source, _ansible_check_mode=True)
    assert not failed and result["changed"] is True and result["failed_releases"] == [release]
    failed, result = build(home, source)
    assert not failed and result["changed"] is True and result["failed_releases"] == []
    assert build(home, source)[1]["changed"] is False
    assert switch(home, release)[0] is False


def test_a_served_path_through_the_releases_venv_is_taken(tmp_path):
    # A package's static files: release/venv -> PATH/venvs/HASH/.../site-packages/PKG/static.
    home = tmp_path / "app"
    static = home / "venvs" / "abc" / "lib" / "site-packages" / "shop" / "static"
    static.mkdir(parents=True)
    failed, result = build(home, code(tmp_path / "src", "v1"), venv=str(home / "venvs" / "abc"),
                           served_paths=["venv/lib/site-packages/shop/static"])
    assert not failed, result


@pytest.mark.skipif(os.geteuid() != 0, reason="giving files to another user needs root")
def test_the_links_into_the_shared_folder_are_the_app_users_and_old_ones_are_given_to_it(tmp_path):
    import pwd
    nobody = pwd.getpwnam("nobody").pw_uid
    home, source = tmp_path / "app", code(tmp_path / "src", "v1", {"db.sqlite3": "empty"})
    args = dict(shared_dirs=["media", "var/uploads"], shared_files=["db.sqlite3"], owner="nobody")
    first = build(home, source, **args)[1]
    release = home / "releases" / first["id"]
    links = [release / "media", release / "var" / "uploads", release / "db.sqlite3"]
    assert [os.lstat(link).st_uid for link in links] == [nobody] * 3
    assert os.lstat(release / "pkg" / "__init__.py").st_uid == 0, "the code stays root's"
    # A release built before the links were the app user's: given to it once, with changed.
    for link in links:
        os.lchown(link, 0, -1)
    failed, fixed = build(home, source, **args)
    assert not failed and fixed["changed"] is True and fixed["id"] == first["id"]
    assert [os.lstat(link).st_uid for link in links] == [nobody] * 3
    assert (release / "pkg" / "__init__.py").exists(), "the release is not built again"
    assert build(home, source, **args)[1]["changed"] is False


def test_a_switch_names_the_venv_before_and_after_it_in_check_mode_too(tmp_path):
    home = tmp_path / "app"
    for name in ("a", "b"):
        (home / "venvs" / name).mkdir(parents=True)
    one = build(home, code(tmp_path / "one", "v1"), venv=str(home / "venvs" / "a"))[1]["id"]
    two = build(home, code(tmp_path / "two", "v2"), venv=str(home / "venvs" / "b"))[1]["id"]
    failed, first = switch(home, one)
    assert not failed and first["venv_before"] is None and first["venv_after"] == str(home / "venvs" / "a")
    failed, checked = switch(home, two, _ansible_check_mode=True)
    assert not failed and checked["switched"] is True
    assert checked["venv_before"] == str(home / "venvs" / "a") and checked["venv_after"] == str(home / "venvs" / "b")
    failed, same = switch(home, one)
    assert not failed and same["switched"] is False and same["venv_before"] == same["venv_after"]
    assert build(home, code(tmp_path / "one", "v1"), venv=str(home / "venvs" / "a"))[1]["venv_before"] is None


def test_a_build_prunes_beyond_keep_and_tells_a_build_from_a_prune(tmp_path):
    home = tmp_path / "app"
    ids = [build(home, code(tmp_path / name, name))[1]["id"] for name in ("a", "b", "c")]
    switch(home, ids[0])
    switch(home, ids[1])
    # Building the running release again: nothing built, the one beyond keep (neither running,
    # nor the one before it) pruned, so that no switch is needed to prune it.
    failed, result = build(home, str(tmp_path / "b"), keep=2)
    assert not failed, result
    assert result["built"] is False and result["changed"] is True and result["current"] == ids[1]
    assert result["pruned"] == [str(home / "releases" / ids[2])]
    failed, result = build(home, str(tmp_path / "b"), keep=2)
    assert (result["built"], result["changed"], result["pruned"]) == (False, False, [])
    # A new release is built and kept, with the running one and the one before it.
    failed, result = build(home, code(tmp_path / "d", "d"), keep=2)
    assert result["built"] is True and result["pruned"] == []
    assert result["releases"] == [ids[0], ids[1], result["id"]]
    assert switch(home, ids[1])[1]["built"] is False


def test_the_host_read_names_the_id_a_build_would_give_and_the_action_trusts_only_an_exact_match(tmp_path):
    """wsgi_lock's read of the releases gives the id a build of the source with the running release's venv would
    give: the running one's while nothing changed; the action plugin spares the build only then."""
    from ansible_collections.pyops.wsgi.plugins.action.wsgi_release import as_read

    home, source, venv = tmp_path / "shop", code(tmp_path / "code", "1"), tmp_path / "shop" / "venvs" / "a1"
    venv.mkdir(parents=True)
    args = dict(salt=str(venv), venv=str(venv), shared_dirs=["media"], keep=2)
    failed, built = build(home, source, **args)
    assert not failed
    assert not switch(home, built["id"])[0]

    def read():
        failed, result = run_module("wsgi_lock", path=str(tmp_path / "lock" / "deploy.lock"), token="a-test-run-token",
                                    read=dict(releases=[dict(path=str(home), source=source, keep=2,
                                                             shared_dirs=["media"])]))
        assert not failed
        return result["host"]

    host = read()
    found = host["releases"][str(home)]
    assert found["id"] == found["current"] == built["id"] and found["venv"] == str(venv) and found["doomed"] == []
    task = dict(args, path=str(home), source=source, state="present")
    assert as_read(task, host) is True
    # Each difference sends the build to the host.
    for changed in (dict(venv=str(venv) + "x"), dict(salt="other"), dict(keep=3), dict(shared_dirs=[]),
                    dict(state="current")):
        assert as_read(dict(task, **changed), host) is False
    # New code: the read's id is another, and the build makes that release.
    code(source, "2")
    host = read()
    assert host["releases"][str(home)]["id"] != built["id"] and as_read(task, host) is False
    failed, again = build(home, source, **args)
    assert not failed and again["built"] and again["id"] == host["releases"][str(home)]["id"]
