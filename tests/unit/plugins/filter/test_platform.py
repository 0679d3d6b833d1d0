"""platform_problem: the hosts the collection deploys to, and a clear refusal of the others."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.pyops.wsgi.plugins.filter.platform import FilterModule, platform_problem

SUPPORTED = "Debian 11 (bullseye), 12 (bookworm), 13 (trixie)"


def facts(distribution, version, family=None, service_mgr="systemd"):
    return {"distribution": distribution, "distribution_version": version,
            "distribution_major_version": version.split(".")[0], "os_family": family or distribution,
            "service_mgr": service_mgr}


def test_filter_is_registered_under_its_name():
    assert FilterModule().filters() == {"platform_problem": platform_problem}


@pytest.mark.parametrize("version", ["11.11", "12.8", "13.1"])
def test_debian_11_to_13_with_systemd_are_supported(version):
    assert platform_problem(facts("Debian", version)) == ""


@pytest.mark.parametrize("host, found", [
    (facts("RedHat", "9.4"), "RedHat 9.4"),
    (facts("Rocky", "9.3", family="RedHat"), "Rocky 9.3 (RedHat family)"),
    (facts("Ubuntu", "24.04", family="Debian"), "Ubuntu 24.04 (Debian family)"),
    (facts("Debian", "10.13"), "Debian 10.13"),
    (dict(facts("Debian", "14"), distribution_major_version="forky"), "Debian 14"),
    (facts("Alpine", "3.20.1"), "Alpine 3.20.1"),
])
def test_other_systems_are_refused_naming_them_and_the_supported_ones(host, found):
    problem = platform_problem(host)
    assert problem.startswith("this host runs %s, which pyops.wsgi does not deploy to" % found)
    assert "it supports %s, with systemd" % SUPPORTED in problem
    assert problem.endswith("Nothing was changed: run it against a supported host")


@pytest.mark.parametrize("service_mgr, named", [("sysvinit", "sysvinit"), ("", "no known init"), (None, "no known init")])
def test_debian_without_systemd_is_refused(service_mgr, named):
    problem = platform_problem(facts("Debian", "12.8", service_mgr=service_mgr))
    assert problem == ("this host runs Debian 12.8 with %s as its service manager; pyops.wsgi runs apps under "
                       "systemd. Nothing was changed: boot the host with systemd" % named)


@pytest.mark.parametrize("value", [None, [], {}, "Debian"])
def test_no_facts_is_refused(value):
    with pytest.raises(AnsibleFilterError, match="expects a host's gathered facts"):
        platform_problem(value)


def test_every_roles_platforms_are_the_supported_ones():
    """Galaxy's platforms (each role's meta/main.yml) and the check name the same releases."""
    import pathlib

    import yaml

    from ansible_collections.pyops.wsgi.plugins.filter.platform import SUPPORTED as CHECKED

    roles = pathlib.Path(__file__).resolve().parents[4] / "roles"
    expected = [{"name": name, "versions": [versions[major] for major in sorted(versions, key=int)]}
                for name, versions in CHECKED.items()]
    metas = sorted(roles.glob("*/meta/main.yml"))
    assert metas
    for meta in metas:
        assert yaml.safe_load(meta.read_text())["galaxy_info"]["platforms"] == expected, meta
