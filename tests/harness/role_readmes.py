"""Write each role's README.md from its meta/argument_specs.yml.

A role's README says what the role does, which entry points it has and every
variable each takes, with its type, default and description, all read from the
argument specs, so the two cannot disagree; the collection's README gets the
table of roles between its two ROLES markers. tests/unit/roles/test_role_docs.py
renders them again and compares. `make role-readmes` rewrites them; with
--check this script only says which differ.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
NAMESPACE = "pyops.wsgi"

# Ansible's documentation markup, as Markdown.
_MARKUP = [
    (re.compile(r"L\(([^,()]+),\s*([^()]+)\)"), r"[\1](\2)"),
    (re.compile(r"U\(([^()]+)\)"), r"<\1>"),
    (re.compile(r"P\(([^#()]+)#(\w+)\)"), r"`\1` (\2)"),
    (re.compile(r"[CVOE]\(([^()]+)\)"), r"`\1`"),
    (re.compile(r"I\(([^()]+)\)"), r"*\1*"),
    (re.compile(r"B\(([^()]+)\)"), r"**\1**"),
]


def markdown(text):
    for pattern, replacement in _MARKUP:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def _paragraphs(description):
    if description is None:
        return []
    if isinstance(description, str):
        description = [description]
    return [markdown(line) for line in description]


def _cell(text):
    return text.replace("|", "\\|")


def _default(option):
    if option.get("required"):
        return "required"
    if "default" not in option:
        return ""
    return "`%s`" % json.dumps(option["default"])


def _type(option):
    kind = option.get("type", "str")
    if kind == "list" and "elements" in option:
        kind = "list of %s" % option["elements"]
    if "choices" in option:
        kind += ": " + ", ".join("`%s`" % choice for choice in option["choices"])
    return kind


def _option_rows(options, prefix=""):
    for name in sorted(options):
        option = options[name] or {}
        yield "| `%s%s` | %s | %s | %s |" % (
            prefix, name, _cell(_type(option)), _cell(_default(option)),
            _cell(" ".join(_paragraphs(option.get("description")))),
        )
        if option.get("options"):
            yield from _option_rows(option["options"], prefix="%s%s." % (prefix, name))


def render(role_dir):
    """The README.md of the role in role_dir, as text."""
    role_dir = pathlib.Path(role_dir)
    role = "%s.%s" % (NAMESPACE, role_dir.name)
    specs = yaml.safe_load((role_dir / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    main = specs["main"]
    lines = [
        "# %s" % role,
        "",
        "<!-- Written by `make role-readmes` from meta/argument_specs.yml; edit that file instead. -->",
        "",
        "%s." % markdown(main["short_description"]).rstrip("."),
        "",
        "Part of the `%s` collection; `playbooks/deploy.yml` runs it for every app in `wsgi_apps`"
        " (the collection's README describes the app spec and the deploy as a whole)." % NAMESPACE,
        "Ansible checks each entry point's variables against these specs before the role runs.",
        "",
        "## Entry points",
        "",
        "| entry point | what it does |",
        "|---|---|",
    ]
    ordered = ["main"] + sorted(name for name in specs if name != "main")
    for name in ordered:
        lines.append("| [`%s`](#%s) | %s |" % (name, name, _cell(markdown(specs[name]["short_description"]))))
    for name in ordered:
        spec = specs[name]
        lines += ["", "## %s" % name, ""]
        if name == "main":
            call = "ansible.builtin.include_role:\n  name: %s" % role
        else:
            call = "ansible.builtin.include_role:\n  name: %s\n  tasks_from: %s" % (role, name)
        lines += ["```yaml", "- " + call.replace("\n", "\n  "), "```", ""]
        for paragraph in _paragraphs(spec.get("description")) or [markdown(spec["short_description"])]:
            lines += [paragraph, ""]
        options = spec.get("options") or {}
        if options:
            lines += ["| variable | type | default | description |", "|---|---|---|---|"]
            lines += list(_option_rows(options))
        else:
            lines.append("It takes no variables.")
    return "\n".join(lines) + "\n"


BEGIN = "<!-- ROLES: written by `make role-readmes` from each role's argument specs -->"
END = "<!-- /ROLES -->"


def roles_table(root=ROOT):
    """The collection README's table of roles, markers included."""
    lines = [BEGIN, "| role | what it does | entry points besides `main` |", "|---|---|---|"]
    for role_dir in role_dirs(root):
        specs = yaml.safe_load((role_dir / "meta" / "argument_specs.yml").read_text())["argument_specs"]
        others = ", ".join("`%s`" % name for name in sorted(specs) if name != "main") or "-"
        lines.append("| [`%s.%s`](roles/%s/README.md) | %s | %s |" % (
            NAMESPACE, role_dir.name, role_dir.name, _cell(markdown(specs["main"]["short_description"])), others))
    return "\n".join(lines + [END])


def with_roles_table(readme_text, root=ROOT):
    """readme_text with the table between its markers written again."""
    start, end = readme_text.index(BEGIN), readme_text.index(END) + len(END)
    return readme_text[:start] + roles_table(root) + readme_text[end:]


def role_dirs(root=ROOT):
    return sorted(path.parent.parent for path in (root / "roles").glob("*/meta/argument_specs.yml"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say which README.md differ")
    args = parser.parse_args(argv)
    stale = []
    for role_dir in role_dirs():
        readme = role_dir / "README.md"
        text = render(role_dir)
        if readme.exists() and readme.read_text() == text:
            continue
        stale.append(str(readme.relative_to(ROOT)))
        if not args.check:
            readme.write_text(text)
    readme = ROOT / "README.md"
    text = with_roles_table(readme.read_text())
    if readme.read_text() != text:
        stale.append("README.md")
        if not args.check:
            readme.write_text(text)
    for path in stale:
        print(("differs from its argument specs: %s" if args.check else "wrote %s") % path)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
