#!/usr/bin/python
# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: wsgi_users
short_description: Make apps' system users and their groups, then their folders, all in one call
version_added: "1.0.0"
description:
  - Makes each group and user of O(users) that is missing, and sets an existing user's primary group, home and shell
    when they differ, in one call (M(ansible.builtin.group) and M(ansible.builtin.user) cost two calls per app).
  - A user made here is a system account with no password (locked, C(!)) whose home folder is not made (the app's
    folders are made apart). An existing user's password is locked when it is not.
  - Uses C(groupadd), C(useradd) and C(usermod) from the host's shadow tools.
  - Adds existing users to groups with O(members) (nginx's user to each app's group), never taking them out of
    others. In check mode a group that an earlier task of the run would make counts as there.
  - Then makes or fixes O(folders) as M(pyops.wsgi.wsgi_folders) does, in the same call. Every folder is checked
    before the first user or group is made, so a link or a file where a folder belongs changes nothing.
options:
  users:
    description:
      - The users, each with its primary group.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - The user's name.
        type: str
        required: true
      group:
        description:
          - Its primary group, made as a system group when missing.
        type: str
        required: true
      home:
        description:
          - Its home folder (not made).
        type: path
        required: true
      shell:
        description:
          - Its login shell.
        type: path
        default: /usr/sbin/nologin
  members:
    description:
      - Users (existing ones, or of O(users)) to add to groups (existing ones, or of O(users)) as a supplementary
        group; a group they are in already, as primary or supplementary, is left as it is.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - The user.
        type: str
        required: true
      groups:
        description:
          - The groups it must be in.
        type: list
        elements: str
        required: true
  folders:
    description:
      - Folders to make or fix once the users and groups exist, in the order given (missing ones above them are
        made as root's, mode 0755); their owners and groups may be users and groups of O(users).
    type: list
    elements: dict
    default: []
  host:
    description:
      - What a read of the host found, as module M(pyops.wsgi.wsgi_lock) returns it (RV(pyops.wsgi.wsgi_lock#module:host)),
        for example the deploy's read when it took the host's lock. When its C(users), C(groups) and C(files) show
        every user, group, membership and folder as it should be, the host is not called at all and nothing is
        reported changed.
      - Read on the controller only.
    type: dict
    default: {}
extends_documentation_fragment:
  - pyops.wsgi.attributes.users
  - pyops.wsgi.folders
author:
  - pyops.wsgi developers (@pyops)
"""

EXAMPLES = r"""
- name: Make the shop's user and group
  pyops.wsgi.wsgi_users:
    users:
      - {name: shop, group: shop, home: /srv/shop}

- name: Let nginx's user read the shop's socket, through the shop's group
  pyops.wsgi.wsgi_users:
    members:
      - {name: www-data, groups: [shop]}

- name: Make the shop's user and group, then its home and data folders
  pyops.wsgi.wsgi_users:
    users:
      - {name: shop, group: shop, home: /srv/shop}
    folders:
      - {path: /srv/shop, group: shop}
      - {path: /srv/shop/data, owner: shop, group: shop}
"""

RETURN = r"""
groups_made:
  description: Groups made (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [shop]
users_made:
  description: Users made (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [shop]
users_fixed:
  description: Users whose group, home, shell or password were set (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: []
members_added:
  description: By user, the groups it was added to (or would be, in check mode).
  returned: always
  type: dict
  sample: {www-data: [shop]}
folders_made:
  description: Folders made (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [/srv/shop/data]
folders_fixed:
  description: Folders whose owner, group or mode was set (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: []
diff:
  description: Each group, user and folder made or fixed, before and after.
  returned: when something changed
  type: dict
  sample: {"before": "user shop (absent)\n", "after": "user shop group shop home /srv/shop shell /usr/sbin/nologin\n"}
"""

import grp
import pwd

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_folders import USERS_ARGUMENTS, make, plan
from ansible_collections.pyops.wsgi.plugins.module_utils.wsgi_owners import shadow_locks


def _describe(group, home, shell):
    return "group %s home %s shell %s" % (group, home, shell)


def _members(group):
    """The users in a group, as a supplementary or as their primary group; none for a group not there (yet)."""
    try:
        found = grp.getgrnam(group)
    except KeyError:
        return set()
    return set(found.gr_mem) | set(user.pw_name for user in pwd.getpwall() if user.pw_gid == found.gr_gid)


def _missing_memberships(module, members, coming):
    """[(user, groups)] to check again once users are made, or a failure naming what is missing, before any change."""
    additions = []
    for member in members:
        for kind, names, lookup in (("user", [member["name"]], pwd.getpwnam), ("group", member["groups"], grp.getgrnam)):
            for name in names:
                try:
                    lookup(name)
                except KeyError:
                    if name not in coming and not module.check_mode:
                        module.fail_json(msg="wsgi_users: members: no such %s: %s" % (kind, name))
        additions.append((member["name"], list(member["groups"])))
    return additions


def _locked(module, name):
    """Whether the user's password is locked (starts with ! or is *), read from /etc/shadow."""
    locks = shadow_locks()
    if locks is None:
        module.fail_json(msg="wsgi_users: reading /etc/shadow needs root (become: true)")
    return locks.get(name, True)


def main():
    module = AnsibleModule(argument_spec=USERS_ARGUMENTS, supports_check_mode=True)
    users = module.params["users"]
    coming = set(user["name"] for user in users) | set(user["group"] for user in users)
    additions = _missing_memberships(module, module.params["members"], coming)
    steps = plan(module, module.params["folders"], coming=coming)
    groups_made, users_made, users_fixed, before, after = [], [], [], [], []
    for user in users:
        name, group, home, shell = user["name"], user["group"], user["home"], user["shell"]
        try:
            grp.getgrnam(group)
        except KeyError:
            if group not in groups_made:
                groups_made.append(group)
                before.append("group %s (absent)\n" % group)
                after.append("group %s\n" % group)
                if not module.check_mode:
                    module.run_command(["groupadd", "--system", group], check_rc=True)
        try:
            found = pwd.getpwnam(name)
        except KeyError:
            users_made.append(name)
            before.append("user %s (absent)\n" % name)
            after.append("user %s %s\n" % (name, _describe(group, home, shell)))
            if not module.check_mode:
                module.run_command(["useradd", "--system", "--gid", group, "--home-dir", home, "--no-create-home",
                                    "--shell", shell, name], check_rc=True)
            continue
        try:
            current_group = grp.getgrgid(found.pw_gid).gr_name
        except KeyError:
            current_group = str(found.pw_gid)
        options = []
        if current_group != group:
            options += ["--gid", group]
        if found.pw_dir != home:
            options += ["--home", home]
        if found.pw_shell != shell:
            options += ["--shell", shell]
        if not _locked(module, name):
            options += ["--lock"]
        if not options:
            continue
        users_fixed.append(name)
        before.append("user %s %s%s\n" % (name, _describe(current_group, found.pw_dir, found.pw_shell),
                                          "" if "--lock" not in options else " password set"))
        after.append("user %s %s%s\n" % (name, _describe(group, home, shell),
                                         "" if "--lock" not in options else " password locked"))
        if not module.check_mode:
            module.run_command(["usermod"] + options + [name], check_rc=True)
    members_added = {}
    for name, groups in additions:
        # Planned before any change; a group of `users` is there by now.
        groups = [group for group in groups if name not in _members(group)]
        if not groups:
            continue
        members_added[name] = groups
        before.append("user %s not in %s\n" % (name, ", ".join(groups)))
        after.append("user %s in %s\n" % (name, ", ".join(groups)))
        if not module.check_mode:
            module.run_command(["usermod", "--append", "--groups", ",".join(groups), name], check_rc=True)
    folders_made, folders_fixed, folders_before, folders_after = make(module, steps)
    before += folders_before
    after += folders_after
    result = {"changed": bool(groups_made or users_made or users_fixed or members_added or folders_made or folders_fixed),
              "groups_made": groups_made, "users_made": users_made, "users_fixed": users_fixed,
              "members_added": members_added, "folders_made": folders_made, "folders_fixed": folders_fixed}
    if result["changed"]:
        result["diff"] = {"before": "".join(before), "after": "".join(after)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
