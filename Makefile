# FinCRM — `make run` (set up, migrate, seed demo data once, serve) and `make test`.
# Every target is idempotent: running it a second time is fast and changes nothing.
# All FINCRM_* variables in the environment pass through to the commands
# (make exports the environment to every recipe); the ones below only get defaults.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help venv tools pwa-tools system-deps migrate seed run serve test bench clean distclean

ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
FINCRM := $(VENV)/bin/fincrm
REFLEX := $(VENV)/bin/reflex
TOOLS := $(ROOT)/.tools
BUN_VERSION := 1.4.4
WORKBOX_VERSION := 7.4.1
IDB_VERSION := 8.0.4
NODE_MIN_VERSION := 22.22.0
SYSTEM_PACKAGES := chromium chromium-driver fonts-noto-cjk poppler-utils

# Serving. Default host is loopback (demo mode has well-known passwords); to reach the app
# from a phone on the LAN: FINCRM_HOST=0.0.0.0 FINCRM_PUBLIC_URL=http://<lan-ip>:3000 make run
FINCRM_PORT ?= 3000
FINCRM_HOST ?= 127.0.0.1
FINCRM_PUBLIC_URL ?= http://localhost:$(FINCRM_PORT)
export FINCRM_PORT FINCRM_HOST FINCRM_PUBLIC_URL

# Demo mode is asked for, never guessed from the database: the app targets run the demo (generated keys,
# demo users, demo data) unless FINCRM_DEMO says otherwise. `FINCRM_DEMO=0 make run` serves a real
# installation: keys required, no demo data (README: "Running without demo data").
APP_TARGETS := run migrate seed serve
$(APP_TARGETS): export FINCRM_DEMO ?= 1

# Reflex toolchain: bun from .tools (installed by `make tools`), never Reflex's internet installer.
export PATH := $(TOOLS)/node_modules/.bin:$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export NPM_CONFIG_REGISTRY ?= https://registry.npmjs.org/

PYTEST_ARGS ?=

# The venv stamp is keyed on the content of pyproject.toml: editing dependencies reinstalls,
# touching the file does not.
PYPROJECT_HASH := $(shell sha256sum pyproject.toml 2>/dev/null | cut -c1-16)
VENV_STAMP := $(VENV)/.fincrm-installed-$(PYPROJECT_HASH)

help:
	@echo "make run          set up everything, migrate, seed demo data (first run), serve on $(FINCRM_PUBLIC_URL)"
	@echo "                  (demo mode; FINCRM_DEMO=0 make run for a real installation, see the README)"
	@echo "make test         set up everything and run the whole test suite"
	@echo "make bench        run the benchmarks (one JSON line per figure)"
	@echo "make venv|tools|system-deps|migrate|seed|serve|clean|distclean"

# ---------------------------------------------------------------- setup

venv: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml
	@set -e; \
	if [ ! -x "$(PY)" ] || ! "$(PY)" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
	  pybin=""; \
	  for c in python3.13 python3.12 python3.11 python3; do \
	    if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
	      pybin=$$(command -v $$c); break; \
	    fi; \
	  done; \
	  if [ -z "$$pybin" ]; then echo "ERROR: Python >= 3.11 is required (python3.11+ not found on PATH)" >&2; exit 1; fi; \
	  echo "Creating $(VENV) with $$pybin"; \
	  rm -rf "$(VENV)"; \
	  "$$pybin" -m venv "$(VENV)"; \
	  "$(PY)" -m pip install --quiet --upgrade pip; \
	fi; \
	echo "Installing FinCRM into $(VENV) (pyproject.toml changed or first run)"; \
	"$(PY)" -m pip install --quiet --disable-pip-version-check -e '.[dev]'; \
	rm -f $(VENV)/.fincrm-installed-*; \
	touch "$@"

# bun >= $(BUN_VERSION) for the Reflex frontend build. Reflex's own installer downloads from the
# internet; we install bun from the npm registry into .tools instead. A bun already on PATH
# (or a previous install in .tools) is reused. The committed reflex.lock/ holds bun's lockfile,
# so bun is installed even when Node >= $(NODE_MIN_VERSION) could build with npm.
tools: pwa-tools
	@set -e; \
	ver_ge() { [ "$$(printf '%s\n%s\n' "$$2" "$$1" | sort -V | head -n1)" = "$$2" ]; }; \
	bun_ver=$$(bun --version 2>/dev/null || true); \
	if [ -n "$$bun_ver" ] && ver_ge "$$bun_ver" "$(BUN_VERSION)"; then exit 0; fi; \
	node_ver=$$(node --version 2>/dev/null | sed 's/^v//' || true); \
	if ! command -v npm >/dev/null 2>&1; then \
	  if [ -n "$$node_ver" ] && ver_ge "$$node_ver" "$(NODE_MIN_VERSION)"; then \
	    echo "NOTE: no bun found; Reflex will build with Node $$node_ver"; exit 0; \
	  fi; \
	  echo "ERROR: need bun >= $(BUN_VERSION), or npm to install it (apt-get install nodejs npm)" >&2; exit 1; \
	fi; \
	echo "Installing bun@$(BUN_VERSION) into .tools (found: $${bun_ver:-none})"; \
	npm install --silent --no-audit --no-fund --prefix "$(TOOLS)" "bun@$(BUN_VERSION)"; \
	"$(TOOLS)/node_modules/.bin/bun" --version >/dev/null

# Workbox (the service worker of each production build: fincrm_app/pwa.py, workbox-config.cjs), workbox-window
# (its registration in the page: assets/pwa.js) and idb (notes kept on the device: assets/offline-notes.js), from the
# npm registry into .tools. Without npm the app still
# builds and runs, without offline support.
pwa-tools:
	@set -e; \
	have=$$(sed -n 's/^ *"version": "\(.*\)",*$$/\1/p' "$(TOOLS)/node_modules/workbox-cli/package.json" 2>/dev/null | head -n1); \
	if [ "$$have" = "$(WORKBOX_VERSION)" ] && [ -f "$(TOOLS)/node_modules/workbox-window/build/workbox-window.prod.umd.js" ] \
	   && [ -f "$(TOOLS)/node_modules/idb/build/umd.js" ]; then exit 0; fi; \
	if ! command -v npm >/dev/null 2>&1; then \
	  echo "NOTE: npm not found: the app builds without its service worker (apt-get install npm)"; exit 0; \
	fi; \
	echo "Installing workbox-cli@$(WORKBOX_VERSION), workbox-window@$(WORKBOX_VERSION) and idb@$(IDB_VERSION) into .tools"; \
	npm install --silent --no-audit --no-fund --prefix "$(TOOLS)" "workbox-cli@$(WORKBOX_VERSION)" \
	  "workbox-window@$(WORKBOX_VERSION)" "idb@$(IDB_VERSION)"

# Chromium (browser tests), its driver, CJK fonts (PDFs and screenshots), poppler (PDF checks).
system-deps:
	@set -e; \
	missing=""; \
	if command -v dpkg >/dev/null 2>&1; then \
	  for p in $(SYSTEM_PACKAGES); do \
	    dpkg -s $$p 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; \
	  done; \
	else \
	  [ -x /usr/bin/chromium ] || echo "NOTE: not a Debian system; install Chromium at /usr/bin/chromium, fonts-noto-cjk and poppler-utils yourself (browser tests are skipped without Chromium)"; \
	  exit 0; \
	fi; \
	[ -z "$$missing" ] && exit 0; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "NOTE: missing system packages:$$missing (no apt-get; install them yourself)"; exit 0; \
	fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else echo "NOTE: missing system packages:$$missing — run: sudo apt-get install$$missing (browser tests are skipped without Chromium)"; exit 0; fi; \
	echo "Installing system packages:$$missing"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing

# ---------------------------------------------------------------- app

migrate: venv
	$(FINCRM) db upgrade

seed: migrate
	@case "$$(printf '%s' "$$FINCRM_DEMO" | tr '[:upper:]' '[:lower:]')" in \
	  1|true|t|yes|y|on) $(FINCRM) seed --demo --if-empty ;; \
	  *) echo "FINCRM_DEMO=$$FINCRM_DEMO: demo mode is off, no demo data seeded" ;; \
	esac

run: venv tools system-deps migrate seed serve

# Production mode: Reflex builds the frontend (about 5-60 s, every start) and serves it, the
# websocket (/_event) and our FastAPI routes from ONE port. `--single-port` only validates
# in Reflex 0.10.1 (prod is always single-port) and documents the intent.
serve: venv tools
	$(REFLEX) run --env prod --single-port --frontend-port $(FINCRM_PORT) --backend-host $(FINCRM_HOST)

# ---------------------------------------------------------------- checks

# Plain pytest, not -n: the browser tests share one live production app per session, and
# xdist would start (and build) one per worker (each session holds its own .web-test-<n> build dir).
test: venv tools system-deps
	@rc=0; $(VENV)/bin/pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc = 5 ]; then echo "ERROR: pytest collected no tests" >&2; fi; \
	exit $$rc

# The screening figure compares with OpenSanctions' nomenklatura: the `bench` extra, installed here only (it is
# heavy: pyarrow, duckdb, scipy), never by `make run`. The live dashboard figure (dashboard_live) builds and starts
# the app and drives system Chromium, as the browser tests do: hence the toolchain and the system packages.
bench: venv tools system-deps
	"$(PY)" -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	$(PY) -m bench

# ---------------------------------------------------------------- cleanup

# Build output and caches only; never data/ (the SQLite database and documents).
clean:
	rm -rf .web .web-test-* .states .pytest_cache .hypothesis
	find . -path ./.venv -prune -o -path ./.tools -prune -o -type d -name __pycache__ -prune -exec rm -rf {} + 

distclean: clean
	rm -rf .venv .tools
