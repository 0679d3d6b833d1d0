# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""uWSGI helpers for the uwsgi role."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.pyops.wsgi.plugins.module_utils.uwsgi_options import option_names, unknown_options


def uwsgi_unknown_options(options, help_text):
    """Messages for the option names a uWSGI binary's --help does not list."""
    known = option_names(help_text)
    if not known:
        raise AnsibleFilterError("uwsgi_unknown_options: the uWSGI --help text lists no options")
    return [
        "%r (did you mean %r?)" % (name, suggestion) if suggestion else repr(name)
        for name, suggestion in unknown_options(options, known)
    ]


class FilterModule(object):
    """pyops.wsgi uWSGI filters."""

    def filters(self):
        return {"uwsgi_unknown_options": uwsgi_unknown_options}
