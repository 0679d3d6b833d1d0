# One entry point for every check; CI calls `make test` through .ci/run.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export LANG := C.UTF-8
export LC_ALL := C.UTF-8
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0

# ansible-core 2.21 needs Python 3.12+: prefer 3.13, then 3.12 (pyenv's included).
# pyenv's shims come last: they exist even where the version is not installed.
PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3 $(HOME)/.pyenv/versions/3.12*/bin/python3) \
	$(shell for p in python3.13 python3.12; do $$p -c '' 2>/dev/null && command -v $$p; done))
VENV := .venv
# The oldest ansible-core we test (2.19) runs on Python 3.11.
PYTHON_COMPAT ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.11*/bin/python3) \
	$(shell for p in python3.11 python3; do $$p -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null && command -v $$p; done))
VENV_COMPAT := .venv-compat
# Checkers we did not write (sslyze), for scenario hardened: the system's Python 3.
VENV_TOOLS := .venv-tools
# galaxy-importer, for `make galaxy` (requirements-galaxy.txt says why its own).
VENV_GALAXY := .venv-galaxy
# antsibull-docs and Sphinx, for `make docs`.
VENV_DOCS := .venv-docs
BIN := $(CURDIR)/$(VENV)/bin
COLLECTION_LINK := .ansible/collections/ansible_collections/pyops/wsgi
# Molecule runs side by side (pytest-xdist): a run mostly waits on its instance.
# JOBS=1 runs them one after another.
JOBS ?= 2
PARALLEL := $(if $(filter-out 1,$(JOBS)),-n $(JOBS) --dist worksteal)
SCENARIOS := $(notdir $(patsubst %/,%,$(dir $(wildcard molecule/*/molecule.yml))))

.PHONY: help demo demo-clean test test-setup lint sanity unit molecule debian-tools engine image images venv venv-compat venv-tools role-readmes galaxy venv-galaxy docs venv-docs bench-reload bench-redeploy bench-fleet bench-serving bench-ansible

help:
	@echo "make demo            deploy the example app into a local Debian 12 container"
	@echo "make demo-clean      remove the demo container"
	@echo "make test            lint, unit tests and every molecule scenario (what CI runs)"
	@echo "make lint            yamllint and ansible-lint (production profile)"
	@echo "make sanity          ansible-test sanity (no ignore file), on a copy of the collection"
	@echo "make unit            pytest unit tests"
	@echo "make galaxy          build the tarball and import it with galaxy-importer, offline"
	@echo "make docs            build the docs site (antsibull-docs, Sphinx) into .cache/docs/html, offline"
	@echo "make role-readmes    write each role's README.md from its argument specs"
	@echo "make molecule        every molecule scenario: $(SCENARIOS)"
	@echo "make molecule-NAME   one scenario, for example make molecule-default"
	@echo "make bench-reload    failed requests during reloads vs restarts (uWSGI), printed"
	@echo "make bench-redeploy  failed requests during redeploys vs restarts (Gunicorn, uWSGI), printed"
	@echo "make bench-fleet     deploy times for 1 and 4 nodes; failed requests in a rolling deploy, printed"
	@echo "make bench-serving   requests/s and p99 of the deployed stacks beside the same servers by hand, printed"
	@echo "make bench-ansible   deploy, re-run and --check times and task counts for 1 and 5 apps, printed"

# A venv from its requirements file (the rule's first prerequisite), with pip
# upgraded first; $(1) is the Python, $(2) what to say when there is none.
define venv_from_requirements
	@test -n "$(1)" || { echo "$(2)" >&2; exit 1; }
	$(1) -m venv $(@D)
	$(@D)/bin/pip install --quiet --upgrade pip
	$(@D)/bin/pip install --quiet -r $<
	touch $@
endef

$(VENV)/.stamp: requirements-controller.txt
	$(call venv_from_requirements,$(PYTHON),Python 3.12 or newer is needed for the controller venv)

$(VENV_COMPAT)/.stamp: requirements-compat.txt
	$(call venv_from_requirements,$(PYTHON_COMPAT),Python 3.11 is needed for the ansible-core 2.19 venv)

$(VENV_TOOLS)/.stamp: requirements-tools.txt
	python3 -m venv $(VENV_TOOLS)
	$(VENV_TOOLS)/bin/pip install --quiet --upgrade pip
	$(VENV_TOOLS)/bin/pip install --quiet $$(grep -E '^sslyze==' requirements-tools.txt)
	touch $@

$(VENV_GALAXY)/.stamp: requirements-galaxy.txt
	$(call venv_from_requirements,$(PYTHON),Python 3.12 or newer is needed for the galaxy-importer venv)

$(VENV_DOCS)/.stamp: requirements-docs.txt
	$(call venv_from_requirements,$(PYTHON),Python 3.12 or newer is needed for the docs venv)

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../../.. $@

venv: $(VENV)/.stamp $(COLLECTION_LINK)

venv-compat: $(VENV_COMPAT)/.stamp

venv-galaxy: $(VENV_GALAXY)/.stamp

venv-docs: $(VENV_DOCS)/.stamp

# sslyze, which molecule's verify runs on the controller.
venv-tools: $(VENV_TOOLS)/.stamp debian-tools

# The Debian packages the checks use, in one apt run (jobs side by side would
# fight over dpkg's lock): Docker, debootstrap for the base images, shellcheck
# for ansible-test, openssl for scenario hardened's test CA.
DEBIAN_TOOLS := docker.io debootstrap shellcheck openssl
debian-tools:
	@missing=$$(for p in $(DEBIAN_TOOLS); do 		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -qx 'install ok installed' || echo $$p; done); 	if [ -n "$$missing" ]; then 		echo "installing $$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

engine: debian-tools
	tests/harness/docker-engine.sh

# Debian 12 (demo, every scenario), and 11 and 13 for runs of scenario default
# (tests/integration/test_molecule.py); `make -j` builds them side by side.
image: image-bookworm

images: image-bookworm image-trixie image-bullseye

image-%: engine
	tests/harness/base-image.sh $*

demo: venv image
	PATH=$(BIN):$$PATH tests/harness/demo.sh

demo-clean: engine
	docker rm -f $${DEMO_CONTAINER:-pyops-demo}

lint: venv
	$(BIN)/yamllint --strict .
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
	$(BIN)/ansible-lint --profile production --strict

# ansible-test needs the collection at ansible_collections/pyops/wsgi and its own
# venvs (pip from PyPI); its shellcheck test needs Debian's shellcheck.
sanity: venv debian-tools
	PATH=$(BIN):$$PATH tests/harness/sanity.sh --python $$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

unit: venv
	$(BIN)/pytest -q tests/unit

# What Galaxy checks on import (tests/galaxy/galaxy-importer.cfg), on the tarball
# `ansible-galaxy collection build` makes; fails on any warning or error.
galaxy: venv-galaxy
	tests/harness/galaxy-import.sh $(VENV_GALAXY)/bin .cache/galaxy

# Modules, filters and roles from their own docs, and the guides in docs/docsite;
# fails on any lint finding or Sphinx warning.
docs: venv-docs
	tests/harness/docs.sh $(VENV_DOCS)/bin .cache/docs

# tests/unit/roles/test_role_docs.py fails while one differs.
role-readmes: venv
	$(BIN)/python tests/harness/role_readmes.py

molecule: venv venv-compat venv-tools images
	$(BIN)/pytest -v -p no:cacheprovider $(PARALLEL) tests/integration/test_molecule.py

molecule-%: venv venv-compat venv-tools images
	$(BIN)/pytest -v -p no:cacheprovider $(PARALLEL) tests/integration/test_molecule.py -k "scenario_$*"

# First, side by side, the venvs and the base images (mostly downloads, dpkg and
# debootstrap). Then the checks (linters, sanity, the Galaxy import, the docs) run
# beside one pytest run over the unit tests and every scenario (the checks take the
# few minutes they would add before it); their output is in .cache/checks.log, printed
# whole when one fails. Either failing fails `make test`.
test-setup: venv venv-compat venv-tools venv-galaxy venv-docs images debian-tools

CHECKS := lint sanity galaxy docs

test:
	$(MAKE) --jobs=3 --output-sync=target test-setup
	@mkdir -p .cache
	@$(MAKE) --jobs=2 --output-sync=target $(CHECKS) > .cache/checks.log 2>&1 & checks=$$!; \
	$(BIN)/pytest -v -p no:cacheprovider --durations=25 $(PARALLEL) tests/unit tests/integration; tests=$$?; \
	wait $$checks; checked=$$?; \
	if [ $$checked -ne 0 ]; then cat .cache/checks.log; echo "checks ($(CHECKS)): FAILED, exit $$checked"; \
	else echo "checks ($(CHECKS)): passed (.cache/checks.log)"; fi; \
	[ $$tests -eq 0 ] && [ $$checked -eq 0 ]

# Failed requests during graceful reloads vs plain restarts, under a bounded load
# through nginx (scenario uwsgi's instance, app u-socket). Prints figures, asserts nothing.
# Molecule reads every scenario's molecule.yml, scenario default's image included.
bench-reload: venv image
	export PATH=$(BIN):$$PATH PYOPS_IMAGE_BOOKWORM=$$(tests/harness/base-image.sh bookworm); \
	export PYOPS_DEFAULT_IMAGE=$$PYOPS_IMAGE_BOOKWORM; \
	molecule create -s uwsgi && molecule prepare -s uwsgi && molecule converge -s uwsgi \
	&& $(BIN)/python benchmarks/reload_under_load.py --container pyops-uwsgi-debian12 \
		--unit wsgi-u-socket.service --url http://127.0.0.1:$${PYOPS_UWSGI_PORT:-18081}/api/info \
		--host socket.uwsgi.test; \
	status=$$?; molecule destroy -s uwsgi; exit $$status

# Failed requests during redeploys (playbooks/deploy.yml: new code, new venv) vs a
# plain restart, Gunicorn and uWSGI, under a bounded load through nginx on
# 127.0.0.1; and the deploy's wall time with and without a new venv. Prints figures.
bench-redeploy: venv image
	tests/harness/target.sh $${BENCH_CONTAINER:-pyops-bench} $${BENCH_PORT:-18095}
	PATH=$(BIN):$$PATH $(BIN)/python -u benchmarks/redeploy_under_load.py \
		--container $${BENCH_CONTAINER:-pyops-bench} --port $${BENCH_PORT:-18095} $(BENCH_ARGS); \
	status=$$?; docker rm -f $${BENCH_CONTAINER:-pyops-bench} >/dev/null; exit $$status

# A fleet's costs: deploy, re-run and --check times for 1 and 4 app nodes; failed
# requests through a load balancer on 127.0.0.1 during a rolling deploy. Prints figures.
bench-fleet: venv image
	PATH=$(BIN):$$PATH $(BIN)/python -u benchmarks/fleet.py --port $${BENCH_FLEET_PORT:-18097}

# Ansible's own speed: wall time and tasks of the first deploy, a re-run that changes
# nothing and --check --diff, for 1 and for 5 apps on one host. Prints figures.
bench-ansible: venv image
	tests/harness/target.sh $${BENCH_CONTAINER:-pyops-bench-ansible} -
	PATH=$(BIN):$$PATH $(BIN)/python -u benchmarks/ansible_speed.py --container $${BENCH_CONTAINER:-pyops-bench-ansible} \
		$(BENCH_ARGS); status=$$?; docker rm -f $${BENCH_CONTAINER:-pyops-bench-ansible} >/dev/null; exit $$status

# Requests/s, p50 and p99 of each deployed default beside the same server run by hand
# (direct and behind its own nginx) and nginx's return 200, in one container, with
# wrk (Debian's) in its network namespace; an I/O-bound route's share of slot capacity.
bench-serving: venv image
	@command -v wrk >/dev/null || { echo "installing wrk"; apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	tests/harness/target.sh $${SERVING_CONTAINER:-pyops-serving} -
	PATH=$(BIN):$$PATH $(BIN)/python -u benchmarks/serving.py --container $${SERVING_CONTAINER:-pyops-serving} \
		$(BENCH_ARGS); status=$$?; docker rm -f $${SERVING_CONTAINER:-pyops-serving} >/dev/null; exit $$status
