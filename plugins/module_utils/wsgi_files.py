# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the wsgi_files action plugin (on the controller) and module (on the host) both take. Standard library only."""

from __future__ import annotations

# One entry of `files`. The action plugin renders `template` (with `vars`) into
# `content` and sends the module the entries without those two.
ENTRY = {
    "dest": {"type": "path", "required": True},
    "state": {"type": "str", "default": "file", "choices": ["file", "link", "absent"]},
    "content": {"type": "str"},
    "template": {"type": "str"},
    "vars": {"type": "dict", "default": {}},
    "src": {"type": "str"},
    "owner": {"type": "str", "default": "root"},
    "group": {"type": "str", "default": "root"},
    "mode": {"type": "str", "default": "0644"},
    "backup": {"type": "bool", "default": False},
    "secret": {"type": "bool", "default": False},
}
ARGUMENTS = {"files": {"type": "list", "elements": "dict", "required": True, "options": ENTRY},
             "host": {"type": "dict", "default": {}}, "host_key": {"type": "str", "default": "", "no_log": True}}
# Rendered on the controller; never sent to the host.
CONTROLLER_ONLY = ("template", "vars")
# The module's own: the action plugin moves the text of each secret file here, in
# order, so that Ansible keeps it out of the host's log and the task's result.
MODULE_ARGUMENTS = dict(ARGUMENTS, secrets={"type": "list", "elements": "str", "no_log": True, "default": []})
# What a diff shows of a secret file's text, before and after.
HIDDEN = ("(text hidden: the file holds secrets)\n", "(new text hidden: the file holds secrets)\n")
