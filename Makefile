# `make run` and `make test` work on a fresh machine with Python >= 3.11:
# they create .venv and install the pinned requirements on first use.
# Stamp files in .venv record what was installed, so re-runs skip pip until a
# requirements file changes.

PYTHON ?= python3
PORT ?= 5000
PYTEST_ARGS ?=
SEED_ARGS ?=
SERVE_PORT ?= 8000
PROXY_PORT ?= 8080
NGINX ?= $(shell command -v nginx || echo /usr/sbin/nginx)
BENCH_ARGS ?=
COVERAGE_FAIL_UNDER ?= 98.5
BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
FLASK := $(BIN)/flask --app run

.DEFAULT_GOAL := help
.PHONY: help run serve proxy seed bench test hooks schema schema-diff graphiql-assets format typecheck coverage clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) \
		| awk -F ':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

run: $(VENV)/.installed-runtime .env ## Migrate the database, serve on 127.0.0.1:PORT (5000); GraphiQL at /graphql
	$(FLASK) db upgrade
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

serve: $(VENV)/.installed-runtime .env ## Migrate, then serve with gunicorn in production config on 127.0.0.1:SERVE_PORT (8000), JSON logs
	APP_ENV=production $(FLASK) db upgrade
	APP_ENV=production PORT=$(SERVE_PORT) $(BIN)/gunicorn -c gunicorn.conf.py run:app

# The shipped deployment is nginx in front of gunicorn (README, "Production"):
# run `make serve` and `make proxy` side by side. Settings: deploy/render_nginx.py.
proxy: $(VENV)/.installed-runtime ## nginx (deploy/nginx.conf) on 127.0.0.1:PROXY_PORT (8080) in front of `make serve`; needs nginx
	@[ -x "$(NGINX)" ] || { echo "error: nginx is needed: apt-get install -y nginx" >&2; exit 1; }
	mkdir -p instance/nginx
	NGINX_LISTEN=127.0.0.1:$(PROXY_PORT) NGINX_UPSTREAM=127.0.0.1:$(SERVE_PORT) \
		NGINX_RUN_DIR=$(CURDIR)/instance/nginx NGINX_USER=$$(id -un) \
		$(BIN)/python -m deploy.render_nginx > instance/nginx/nginx.conf
	$(NGINX) -e stderr -c $(CURDIR)/instance/nginx/nginx.conf

seed: $(VENV)/.installed-runtime .env ## Migrate, then add demo users and contacts (SEED_ARGS="--users 5 --contacts 1000 --seed 1")
	$(FLASK) db upgrade
	$(FLASK) seed $(SEED_ARGS)

bench: $(VENV)/.installed-runtime ## The API against a hand-written endpoint on PostgreSQL at BENCH_DATABASE_URL, with wrk (BENCH_ARGS="--rounds 1 --duration 3"); see bench/README.md
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get install -y -qq wrk >/dev/null; } \
		|| { echo "error: wrk is needed: apt-get install -y wrk" >&2; exit 1; }
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/api_vs_handwritten.py $(BENCH_ARGS)

# The whole suite runs twice, once on each GraphQL executor (graphql_fastpath/
# and graphql-core's stock one): the fast one must answer exactly alike.
# Branch coverage of app/ and graphql_fastpath/ over both runs must not fall
# below COVERAGE_FAIL_UNDER (98.88 % on 2026-12-05; the floor leaves room
# for the branches only some runs take, e.g. under load); a run of part of
# the suite (PYTEST_ARGS) is not held to it.
test: $(VENV)/.installed-dev ## Lint, check formatting and types, run the tests on both executors (PYTEST_ARGS="...")
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	GRAPHQL_EXECUTOR=fast $(BIN)/pytest --cov --cov-report= $(PYTEST_ARGS)
	GRAPHQL_EXECUTOR=stock $(BIN)/pytest --cov --cov-append --cov-report=term:skip-covered \
		$(if $(PYTEST_ARGS),,--cov-fail-under=$(COVERAGE_FAIL_UNDER)) $(PYTEST_ARGS)

hooks: $(VENV)/.installed-dev ## Run ruff and mypy on every commit (.pre-commit-config.yaml), as `make test` does first
	$(BIN)/pre-commit install

coverage: $(VENV)/.installed-dev ## Run the tests with a branch-coverage report
	$(BIN)/pytest --cov --cov-report=term-missing $(PYTEST_ARGS)

typecheck: $(VENV)/.installed-dev ## Type-check app/ and graphql_fastpath/ with mypy
	$(BIN)/mypy

schema: $(VENV)/.installed-runtime ## Rewrite schema.graphql from the code
	$(FLASK) export-schema

BASE ?= HEAD~1

schema-diff: $(VENV)/.installed-runtime ## Breaking and dangerous changes to schema.graphql since BASE (HEAD~1); fails on a breaking one
	$(BIN)/python scripts/schema_diff.py $(BASE)

graphiql-assets: ## Rebuild app/static/graphiql/ from the npm registry (needs node and npm)
	scripts/fetch_graphiql_assets.sh

format: $(VENV)/.installed-dev ## Format the code and apply safe lint fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean: ## Remove .venv and caches (keeps .env and instance/)
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .coverage htmlcov
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# The venv is created once, by a Python that is new enough.
$(BIN)/python:
	@found=$$($(PYTHON) --version 2>&1) || found="not found"; \
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "error: Python >= 3.11 is needed, but '$(PYTHON)' is $$found." >&2; \
		echo "Run e.g. 'make $(MAKECMDGOALS) PYTHON=python3.12'." >&2; \
		exit 1; }
	$(PYTHON) -m venv $(VENV)

# Order-only (|) on the interpreter: a newer python binary must not force a
# reinstall, only a changed requirements file should.
$(VENV)/.installed-runtime: requirements.txt | $(BIN)/python
	$(PIP) install -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(PIP) install -r requirements-dev.txt
	@touch $@

# Order-only on .env.example: .env is the developer's own once made, and
# create_env.py refuses to overwrite it.
.env: | .env.example $(BIN)/python
	$(BIN)/python scripts/create_env.py
