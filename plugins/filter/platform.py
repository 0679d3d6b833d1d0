# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a host is one the collection deploys to, from its gathered facts."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

# The platforms every role's meta/main.yml names and the scenarios test: Debian's
# major versions and their code names, with systemd as the init system.
SUPPORTED = {"Debian": {"11": "bullseye", "12": "bookworm", "13": "trixie"}}


def _supported_text():
    """Debian 11 (bullseye), 12 (bookworm), 13 (trixie)."""
    texts = []
    for distribution, versions in SUPPORTED.items():
        majors = sorted(versions, key=int)
        texts.append("%s %s" % (distribution, ", ".join("%s (%s)" % (major, versions[major]) for major in majors)))
    return "; ".join(texts)


def platform_problem(facts):
    """'' for a supported host, else what it runs, what is supported and what to do."""
    if not isinstance(facts, dict) or "distribution" not in facts:
        raise AnsibleFilterError("platform_problem: expects a host's gathered facts (ansible_facts, gather_facts: true)")
    distribution = str(facts.get("distribution", ""))
    major = str(facts.get("distribution_major_version", ""))
    found = "%s %s" % (distribution, facts.get("distribution_version") or major)
    if facts.get("os_family") and facts.get("os_family") != distribution:
        found += " (%s family)" % facts["os_family"]
    if major not in SUPPORTED.get(distribution, {}):
        return ("this host runs %s, which pyops.wsgi does not deploy to; it supports %s, with systemd. "
                "Nothing was changed: run it against a supported host" % (found.strip(), _supported_text()))
    if facts.get("service_mgr") != "systemd":
        return ("this host runs %s with %s as its service manager; pyops.wsgi runs apps under systemd. "
                "Nothing was changed: boot the host with systemd" % (found.strip(), facts.get("service_mgr") or "no known init"))
    return ""


class FilterModule(object):
    """pyops.wsgi host filters."""

    def filters(self):
        return {"platform_problem": platform_problem}
