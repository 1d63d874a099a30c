# Candor — the two commands are `make run` and `make test`; both install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
TOOLS := .tools
UV_VERSION := 0.13.9
# uv from PATH if present, else a private copy installed from PyPI into .tools/.
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/uv/bin/uv)
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PG_TEST_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/candor_test

.PHONY: help install browser run test test-sqlite test-postgres lint format bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(TOOLS)/uv/bin/uv:
	$(PYTHON) -m venv $(TOOLS)/uv
	$(TOOLS)/uv/bin/pip install --quiet "uv==$(UV_VERSION)"

install: $(if $(findstring $(TOOLS),$(UV)),$(TOOLS)/uv/bin/uv) ## Install uv (if missing) and the workspace
	$(UV) sync --frozen --all-packages

run: install ## Start broker, SQLite, mail catcher and the three services with example data
	$(UV) run --frozen candor-dev run

test: install browser ## Run the whole suite (SQLite; PostgreSQL too when CANDOR_TEST_DATABASE_URL is set)
	$(UV) run --frozen pytest

test-postgres: install browser ## Run the whole suite on PostgreSQL at $(PG_TEST_URL)
	$(UV) run --frozen python -m candor_dev.pgtest "$(PG_TEST_URL)"
	CANDOR_TEST_DATABASE_URL="$(PG_TEST_URL)" $(UV) run --frozen pytest

browser: ## Debian's Chromium for the status page's browser tests (installed once, if missing)
	@command -v $(CHROMIUM) >/dev/null || { \
		echo "installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

lint: install ## ruff (lint + format check), mypy --strict, and every test module imports
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy shared/src services/incident-api/src services/sla-monitor/src services/notifier/src dev/src
	$(UV) run --frozen pytest --collect-only -q > /dev/null

format: install ## Format and autofix
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

bench: install ## Benchmarks; figures printed and written to bench/results/
	$(UV) run --frozen python -m candor_dev.bench

clean: ## Remove local state (var/) and caches
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
