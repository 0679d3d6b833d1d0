"""Reading uWSGI's --help and suggesting names for misspelt options."""

from __future__ import annotations

import pytest

from ansible_collections.pyops.wsgi.plugins.filter.uwsgi import uwsgi_unknown_options
from ansible_collections.pyops.wsgi.plugins.module_utils.uwsgi_options import option_names, unknown_options
from ansible.errors import AnsibleFilterError

# The shape of `uwsgi --help`: a usage line, then one option a line, some with a short alias.
HELP = """Usage: /srv/app/venv/bin/python [options...]
    -s|--socket                             bind to the given socket
    --http-socket                           bind with HTTP
    -M|--master                             enable master process
    --harakiri                              set harakiri timeout
    --harakiri-verbose                      log more on harakiri
    --buffer-size                           set internal buffer size
    --max-requests                          reload workers after this many requests
    --stats                                 enable the stats server
"""


def test_option_names_reads_long_names_with_and_without_aliases():
    assert option_names(HELP) == {
        "socket", "http-socket", "master", "harakiri", "harakiri-verbose", "buffer-size", "max-requests", "stats"}


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"harakiri": 30, "stats": "/run/a/stats.sock"}, []),
        ({"harikari": 30}, [("harikari", "harakiri")]),
        ({"buffer-sise": 1}, [("buffer-sise", "buffer-size")]),
        ({"max-request": 1}, [("max-request", "max-requests")]),
        ({"completely-unknown": 1}, [("completely-unknown", None)]),
    ],
)
def test_unknown_options_suggest_the_closest_name(options, expected):
    assert unknown_options(options, option_names(HELP)) == expected


def test_filter_formats_messages():
    assert uwsgi_unknown_options({"harikari": 30, "nonsense-thing": 1}, HELP) == [
        "'harikari' (did you mean 'harakiri'?)", "'nonsense-thing'"]


def test_filter_refuses_an_empty_help_text():
    with pytest.raises(AnsibleFilterError):
        uwsgi_unknown_options({"a": 1}, "")
