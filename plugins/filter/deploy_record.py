# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a deploy changed of an app's files, so that a failed deploy can put them back."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def changed_files(results, app):
    """Records {app, dest, backup} of the task results that changed a file.

    results: registered results of tasks run with backup: true that name the file
    in dest (template, copy) or in filename (community.crypto's key and
    certificate modules); skipped ones and unchanged ones are left out. backup is
    the copy of what was there before, or '' when the file is new. Only paths: no
    content of the results (an environment file's diff holds secrets) is carried.
    """
    if not isinstance(results, list):
        raise AnsibleFilterError("changed_files: expects a list of registered results, got %r" % type(results).__name__)
    records = []
    for result in results:
        if not isinstance(result, dict) or not result.get("changed"):
            continue
        dest = result.get("dest") or result.get("filename")
        if not dest:
            continue
        records.append({"app": str(app), "dest": str(dest), "backup": str(result.get("backup_file") or "")})
    return records


def _url(spec, host):
    """Where the app answers: through nginx (its first server name, else the host), else its own address."""
    if not spec["nginx"]:
        address = spec["addresses"][0]
        return "unix:" + address if address.startswith("/") else "%s://%s/" % (
            "uwsgi" if spec["protocol"] == "uwsgi" else "http", address)
    # nginx's HTTP port, as the play normalized the spec for it (nginx_listen_port).
    scheme, port, default = ("https", spec["tls"]["port"], 443) if spec["tls"] else ("http", spec["normalized"]["http_port"], 80)
    name = spec["server_names"][0] if spec["server_names"] else host
    return "%s://%s%s%s/" % (scheme, name, "" if port == default else ":%d" % port, spec["mount"])


def _what_changed(spec, record, front_end_files):
    """What this run changed of one app: its release, its venv, its files, its nginx site and TLS files."""
    name, changed = spec["name"], []
    if record.get("switched"):
        changed.append("release")
    if record.get("venv_changed"):
        changed.append("venv")
    tls_dir = (spec.get("tls_files") or {}).get("dir")
    for record in list(record.get("files", [])) + list(front_end_files):
        dest = record["dest"]
        if record["app"] == name:
            changed.append(dest.rsplit("/", 1)[-1])
        elif record["app"] == "nginx" and dest.rsplit("/", 1)[-1] == "wsgi-%s.conf" % name:
            changed.append("nginx site")
        elif record["app"] == "nginx" and tls_dir and dest.startswith(tls_dir + "/"):
            changed.append("TLS " + dest.rsplit("/", 1)[-1])
    return [item for index, item in enumerate(changed) if item not in changed[:index]]


def deploy_summary(specs, run):
    """Per app, what a deploy did on a host, with no value of the spec's environment.

    run: {record: the deploy record (wsgi_deploy, module wsgi_record: per app its
    release, switched, venv_changed, files and reload), files: records of
    changed_files of the front end (nginx's), host: the host's address}. nginx's
    HTTP port is the one the specs were normalized for.
    """
    if not isinstance(specs, list) or not isinstance(run, dict):
        raise AnsibleFilterError("deploy_summary: expects the app specs and a dict of what the run did")
    summary = {}
    for spec in specs:
        name = spec["name"]
        record = run.get("record", {}).get(name) or {}
        summary[name] = {
            "release": record.get("release") or "not built in this run",
            "changed": ", ".join(_what_changed(spec, record, run.get("files", []))) or "nothing",
            "reload": record.get("reload") or "none",
            "url": _url(spec, str(run.get("host", "localhost"))),
        }
        if record.get("processes"):
            # The instances of its background processes started, restarted or stopped.
            summary[name]["processes"] = ", ".join(record["processes"])
    return summary


def reloads(specs, record, how, every=False):
    """{name: {reload: how it is reloaded}} of the apps an app server reloads itself.

    An app is reloaded when this run changed its release, code, venv or server
    configuration (its record's changed) and its process manager left the service
    running as it was (its record's reload is none: not started, not restarted);
    with every, each app given is (a server's `reload` entry point).
    how: {reload: the server's graceful reload, restart_on: the file (in the app's
    config_dir) whose change needs a restart instead, restart: that restart,
    upgrade: for a server that needs a new main process for a new venv, or for an
    app loaded in it (preload_app), that upgrade}.
    """
    if not isinstance(specs, list) or not isinstance(record, dict) or not isinstance(how, dict):
        raise AnsibleFilterError("reloads: expects the app specs, the deploy record and how the server reloads")
    result = {}
    for spec in specs:
        name = spec["name"]
        app = record.get(name) or {}
        if not every and (app.get("reload", "none") != "none" or not app.get("changed")):
            continue
        changed = [item["dest"] for item in app.get("files") or []]
        if how.get("restart_on") and "%s/%s" % (spec["config_dir"], how["restart_on"]) in changed:
            result[name] = {"reload": how["restart"]}
        elif how.get("upgrade") and (spec.get("preload_app") or app.get("venv_changed")):
            result[name] = {"reload": how["upgrade"]}
        else:
            result[name] = {"reload": how["reload"]}
    return result


class FilterModule(object):
    """pyops.wsgi deploy record filters."""

    def filters(self):
        return {"changed_files": changed_files, "deploy_summary": deploy_summary, "reloads": reloads}
