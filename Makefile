# Admit — run `make help` for the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

help: ## Show this help
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install Admit with its development tools

demo: $(STAMP) ## Run the platform on SQLite with demo data at http://127.0.0.1:8000
	$(BIN)/admit demo

TEST_WORKERS ?= 3
PARALLEL := $(BIN)/python -m pytest -n $(TEST_WORKERS)

test: $(STAMP) ## Run the whole test suite (SQLite and PostgreSQL, e2e, browser); prints its time
	@start=$$(date +%s); rc=0; \
	$(PARALLEL) -m "not whole_machine" $(ARGS) || rc=$$?; \
	$(BIN)/python -m pytest -m whole_machine $(ARGS) || rc=$$?; \
	echo "make test: $$(( $$(date +%s) - start )) s wall (budget: 720 s, docs/testing.md)"; \
	exit $$rc

test-fast: $(STAMP) ## The edit-test loop: unit tests and SQLite integration tests, in parallel
	HYPOTHESIS_PROFILE=dev $(PARALLEL) tests/unit tests/integration -k "not postgresql" $(ARGS)

FUZZ_EXAMPLES ?= 100

fuzz: $(STAMP) ## Schemathesis over the whole OpenAPI document, deeper (FUZZ_EXAMPLES per operation)
	ADMIT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PARALLEL) tests/integration/contract/test_openapi_fuzz.py $(ARGS)

check: $(STAMP) ## Lint, type-check, import boundaries, migrations in sync
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m admit.devtools.boundaries
	$(BIN)/python -m admit.devtools.alembic_check

format: $(STAMP) ## Format the code
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP) ## Run the benchmarks and print their table (options: BENCH_* or ARGS="--help")
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null) \
		|| echo "wrk could not be installed: plain GETs fall back to the aiohttp generator"
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect \
		"$$(ls /etc/postgresql)" main start
	$(BIN)/python -m bench $(ARGS)

screenshots: $(STAMP) ## Refresh docs/screenshots: the purchase at 360 px (Chromium; every engine)
	ADMIT_SCREENSHOTS_DIR=docs/screenshots/phone $(BIN)/pytest -q -p no:randomly \
		tests/browser/test_phone_layout.py -k "sideways and 360px"
	ADMIT_SCREENSHOTS_DIR=docs/screenshots $(BIN)/pytest -q -p no:randomly \
		tests/browser/test_engines.py -k "buy and 360"

clean: ## Remove the virtualenv and local state
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

.PHONY: help install demo test test-fast fuzz check format bench screenshots clean
