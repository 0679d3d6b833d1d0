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


class FilterModule(object):
    """pyops.wsgi deploy record filters."""

    def filters(self):
        return {"changed_files": changed_files}
