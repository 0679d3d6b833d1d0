# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which apps a run works on (-e wsgi_only=NAME[,NAME]), and the old option names it still takes."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display


def _names(only):
    """wsgi_only as a list of names: a comma-separated string or a list."""
    if only is None:
        return []
    if isinstance(only, str):
        entries = only.split(",") if only.strip() else []
    elif isinstance(only, (list, tuple)):
        entries = list(only)
    else:
        raise AnsibleFilterError("wsgi_only: expects app names, as NAME,NAME or a list, got %r" % (only,))
    names = []
    for entry in entries:
        if not isinstance(entry, str) or not entry.strip():
            raise AnsibleFilterError("wsgi_only: %r holds an empty or non-text name; give app names, as NAME,NAME" % (only,))
        if entry.strip() not in names:
            names.append(entry.strip())
    return names


def only_apps(names, only):
    """The names of `names` (every app's, in order) that `only` selects; all of them when it is empty."""
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise AnsibleFilterError("only_apps: expects the list of the apps' names, got %r" % (names,))
    wanted = _names(only)
    if not wanted:
        return list(names)
    unknown = [name for name in wanted if name not in names]
    if unknown:
        raise AnsibleFilterError(
            "wsgi_only: %s %s not in wsgi_apps (its apps: %s); name apps of wsgi_apps, as NAME,NAME"
            % (", ".join(unknown), "is" if len(unknown) == 1 else "are", ", ".join(names) or "none"))
    return [name for name in names if name in wanted]


def renamed_option(value, old, new):
    """value, given as the old option `old`: a deprecation warning naming `new` when it is set.

    The old names go in 2.0.0 (the version below).
    """
    if value is not None and value != "":
        Display().deprecated(
            "-e %s= is deprecated; use -e %s= instead (it names the same thing)" % (old, new),
            version="2.0.0", collection_name="pyops.wsgi")
    return value


class FilterModule(object):
    """pyops.wsgi app selection filters."""

    def filters(self):
        return {"only_apps": only_apps, "renamed_option": renamed_option}
