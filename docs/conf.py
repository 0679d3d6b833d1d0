"""Sphinx settings for the collection's docs site (`make docs`, tests/harness/docs.sh).

The pages come from `antsibull-docs collection` (modules, filters, roles, from their
own documentation) and from docs/docsite/rst (the guides). Built without network:
no intersphinx inventories are fetched, so links to other projects' docs are plain.
"""

project = "pyops.wsgi"
copyright = "pyops.wsgi contributors, GPL-3.0-or-later"
title = "pyops.wsgi"
html_short_title = "pyops.wsgi"

extensions = ["sphinx_antsibull_ext"]
pygments_style = "ansible"
highlight_language = "YAML+Jinja"
html_theme = "sphinx_ansible_theme"
html_show_sphinx = False
html_theme_options = {"topbar_links": {}, "vcs_pageview_mode": "", "display_version": False}
html_context = {"display_github": False}
master_doc = "index"
exclude_patterns = ["_build"]
