"""only_apps and renamed_option: which apps a run works on, and the old option names."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.pyops.wsgi.plugins.filter import selection
from ansible_collections.pyops.wsgi.plugins.filter.selection import FilterModule, only_apps, renamed_option

APPS = ["shop", "blog", "api"]


def test_filters_are_registered_under_their_names():
    assert FilterModule().filters() == {"only_apps": only_apps, "renamed_option": renamed_option}


@pytest.mark.parametrize("only, selected", [
    ("", APPS),
    (None, APPS),
    ("   ", APPS),
    ([], APPS),
    ("blog", ["blog"]),
    ("api,shop", ["shop", "api"]),
    (" api , shop ", ["shop", "api"]),
    ("blog,blog", ["blog"]),
    (["api", "blog"], ["blog", "api"]),
])
def test_the_names_given_are_selected_in_wsgi_apps_order(only, selected):
    assert only_apps(APPS, only) == selected


@pytest.mark.parametrize("only, message", [
    ("shopp", r"wsgi_only: shopp is not in wsgi_apps \(its apps: shop, blog, api\)"),
    ("shop,x,y", r"wsgi_only: x, y are not in wsgi_apps"),
    ("shop,,blog", r"empty or non-text name"),
    (["shop", 3], r"empty or non-text name"),
    (5, r"expects app names, as NAME,NAME or a list"),
])
def test_names_of_no_app_are_refused_naming_the_apps_there_are(only, message):
    with pytest.raises(AnsibleFilterError, match=message):
        only_apps(APPS, only)


def test_the_input_must_be_the_apps_names():
    with pytest.raises(AnsibleFilterError, match="expects the list of the apps' names"):
        only_apps([{"name": "shop"}], "shop")


class FakeDisplay:
    seen = []

    def deprecated(self, msg, **kwargs):
        self.seen.append((msg, kwargs))


@pytest.mark.parametrize("value, warned", [("shop", True), ("", False), (None, False)])
def test_a_renamed_option_passes_its_value_and_warns_only_when_set(monkeypatch, value, warned):
    FakeDisplay.seen = []
    monkeypatch.setattr(selection, "Display", FakeDisplay)
    assert renamed_option(value, "app", "wsgi_only") == value
    if warned:
        assert FakeDisplay.seen == [("-e app= is deprecated; use -e wsgi_only= instead (it names the same thing)",
                                     {"version": "2.0.0", "collection_name": "pyops.wsgi"})]
    else:
        assert FakeDisplay.seen == []
