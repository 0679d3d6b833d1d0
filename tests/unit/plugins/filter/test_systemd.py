"""systemctl show's output for several units, read into properties by unit."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.pyops.wsgi.plugins.filter.systemd import systemd_command, systemd_show

# As systemctl 252 prints it for a running unit and one it does not know.
TWO_UNITS = """Id=wsgi-shop.service
ActiveState=active
UnitFileState=enabled

Id=wsgi-blog.service
ActiveState=inactive
UnitFileState=
"""


def test_each_unit_by_its_id():
    units = systemd_show(TWO_UNITS)
    assert units == {
        "wsgi-shop.service": {"Id": "wsgi-shop.service", "ActiveState": "active", "UnitFileState": "enabled"},
        "wsgi-blog.service": {"Id": "wsgi-blog.service", "ActiveState": "inactive", "UnitFileState": ""},
    }


def test_nothing_printed_is_no_unit():
    assert systemd_show("") == {}


def test_a_value_with_an_equals_sign_is_kept_whole():
    assert systemd_show("Id=a.service\nEnvironment=A=1 B=2\n")["a.service"]["Environment"] == "A=1 B=2"


@pytest.mark.parametrize(("text", "message"), [
    ("ActiveState=active\n", "has no Id"),
    (None, "expects the text"),
])
def test_what_cannot_be_read_is_refused(text, message):
    with pytest.raises(AnsibleFilterError, match=message):
        systemd_show(text)


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["/usr/bin/python3", "run.py", "flask", "purge"], '"/usr/bin/python3" "run.py" "flask" "purge"'),
        # What systemd would read otherwise: spaces, quotes, backslashes, specifiers, variables, line breaks.
        (["python", "-c", 'print("50% of $HOME")'], '"python" "-c" "print(\\"50%% of $$HOME\\")"'),
        (["sh", "-c", "a\\b\nc\td"], '"sh" "-c" "a\\\\b\\nc\\td"'),
        (["echo", ""], '"echo" ""'),
    ],
)
def test_a_command_line_systemd_reads_back_as_the_same_arguments(argv, line):
    assert systemd_command(argv) == line


@pytest.mark.parametrize("argv", [[], "flask purge", ["flask", 1], ["echo", "bell\a"]])
def test_a_command_that_is_no_list_of_strings_is_refused(argv):
    with pytest.raises(AnsibleFilterError, match="systemd_command"):
        systemd_command(argv)
