#!/usr/bin/python
# Copyright: pyops.wsgi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: wsgi_record
short_description: Write what a deploy did to an app into the deploy record
version_added: "1.0.0"
description:
  - The roles of this collection tell each other what a deploy did through one host fact, C(wsgi_deploy),
    a mapping from each app's name to its record. This action writes it, on the controller (an action
    plugin); it changes nothing on the host.
  - A record holds C(release) (the id of the release built, or V(null)), C(running) (the release that ran
    when the deploy began, or V(null)), C(path) (its folder), C(venv)
    (the venv it runs), C(built) (this run built it), C(code_changed) (the app's code in its source folder
    changed), C(changed) (the release to run differs from the running one, or its environment, entry
    module, settings module, code or venv changed; each phase adds what it changed), C(venv_installed)
    (something was installed into its venv), C(switched) (C(current) moved, forward or back), C(venv_changed)
    (the release now running has another venv than the one before), C(taken_out) (a first release that
    failed, stopped), C(reload) (how the app server took the change, for the summary), C(server_packages)
    (what the app server needs in the venv), C(build_packages) (Debian packages that installing it needs),
    C(interface) (V(wsgi) or V(asgi), the spec's or the one found in the code; V(null) until the build has read it),
    C(processes) (the instances of the app's background processes this deploy started, restarted or stopped)
    and C(files) (the app's files this deploy changed, with the copies of what was there before).
  - Fields not given keep their value; a record not written yet starts from empty values.
options:
  app:
    description:
      - The app whose record O(set) and O(files) update.
    type: str
  set:
    description:
      - Fields of the record of O(app) to set. An unknown field, or a value of the wrong type, fails
        the task naming it.
    type: dict
    default: {}
  apps:
    description:
      - Fields to set in several records at once, by app name. An app's C(files) there are registered
        results, as in O(files), appended to that app's C(files).
    type: dict
    default: {}
  files:
    description:
      - Registered results of tasks run with C(backup=true) (template, copy, community.crypto's key and
        certificate modules); those that changed a file are appended to the C(files) of O(app), as
        C({app, dest, backup}) records (see the P(pyops.wsgi.changed_files#filter) filter). Only paths are
        kept. Ignored in check mode, where no file changes.
    type: list
    elements: raw
    default: []
  reset:
    description:
      - Start the records named (O(app), O(apps)) from empty values, forgetting what an earlier run of
        the same playbook wrote.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Writes the record as in a real run, without the files, which a check run does not change.
  diff_mode:
    support: none
    description: The record is a fact of the run; there is nothing to show.
  idempotent:
    support: full
    description: Reports no change; the host is not touched.
author:
  - pyops.wsgi developers (@pyops)
"""

EXAMPLES = r"""
- name: Record the release built for the app
  pyops.wsgi.wsgi_record:
    app: shop
    set:
      release: 9c4e1f07ab32
      path: /srv/shop/releases/9c4e1f07ab32
      built: true

- name: Record the app's files this deploy changed
  pyops.wsgi.wsgi_record:
    app: shop
    files: "{{ [config_result, unit_result] }}"
"""

RETURN = r"""
record:
  description: Every app's record after the update, also set as the host fact C(wsgi_deploy).
  returned: always
  type: dict
  sample:
    shop:
      release: 9c4e1f07ab32
      running: 51d0e2aa90c4
      path: /srv/shop/releases/9c4e1f07ab32
      venv: /srv/shop/venvs/4f1d0c2a9e77
      built: true
      code_changed: true
      changed: true
      venv_installed: false
      switched: true
      venv_changed: false
      taken_out: false
      reload: graceful reload (HUP)
      server_packages: [gunicorn==27.0.1]
      build_packages: []
      interface: wsgi
      processes: [wsgi-shop.worker@1.service, wsgi-shop.worker@2.service]
      files:
        - app: shop
          dest: /etc/pyops-wsgi/shop/app.env
          backup: /etc/pyops-wsgi/shop/app.env.4410.2026-12-05@10:11:12~
"""
