# Two commands: `make run` and `make test`. Everything else is optional.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := workshop

.PHONY: run serve test test-pg lint format bench bench-smoke bench-cluster bench-soak bench-flood setup vendor clean cluster cluster-stop

# Stamp files: run, serve and cluster need only requirements.txt; test, lint and bench* add requirements-dev.txt.
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed

$(BIN)/python:
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { echo "make: workshop needs Python 3.11 or newer, and '$(PY)' is $$($(PY) --version 2>/dev/null || echo 'not found'); choose another: make $(or $(MAKECMDGOALS),run) PY=python3.12" >&2; exit 1; }
	@echo "Creating .venv with $$($(PY) --version) ..."
	$(PY) -m venv $(VENV)

$(RUNTIME): requirements.txt | $(BIN)/python
	@echo "Installing runtime dependencies ($$(grep -cE '^[A-Za-z]' requirements.txt) packages and what they need) into .venv ..."
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements.txt
	@touch $@

$(DEV): requirements-dev.txt $(RUNTIME)
	@echo "Installing development tools (requirements-dev.txt: pytest, Playwright, ruff, ...) into .venv ..."
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements-dev.txt
	@touch $@

setup: $(RUNTIME)
	$(BIN)/flask setup

run: $(RUNTIME)  ## set up venv, database, demo workshop; serve on http://$(HOST):$(PORT)
	@HOST=$(HOST) PORT=$(PORT) $(BIN)/python run.py --check-port run
	$(BIN)/flask setup
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python run.py

serve: $(RUNTIME)  ## production server: gunicorn + gevent, one process (docs/deploy.md)
	@HOST=$(HOST) PORT=$(PORT) $(BIN)/python run.py --check-port serve
	$(BIN)/flask setup
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c deploy/gunicorn.conf.py wsgi:app

test: $(DEV)  ## the whole suite (SQLite, then PostgreSQL when reachable)
	$(BIN)/ruff check workshop tests bench
	$(BIN)/lint-imports  # the layer contract in .importlinter (docs/architecture.md)
	$(BIN)/pytest -q
	if $(BIN)/python scripts/pg_available.py; then DATABASE_URL=$${PG_TEST_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(BIN)/pytest -q tests --ignore=tests/cluster -m 'not sqlite_only'; else test "$$?" = 3; fi

lint: $(DEV)
	$(BIN)/ruff check workshop tests bench
	$(BIN)/lint-imports

format: $(DEV)
	$(BIN)/ruff format workshop tests bench

vendor:  ## refresh vendored front-end assets from the npm registry (pinned versions)
	scripts/vendor.sh

clean:
	rm -rf $(VENV) instance/*.sqlite* .pytest_cache

cluster: $(RUNTIME)  ## nginx + WORKERS gunicorn processes + local PostgreSQL and Redis, on loopback (docs/deploy.md)
	scripts/cluster.sh start

cluster-stop:  ## stop what `make cluster` started (same PORT)
	scripts/cluster.sh stop

bench: $(DEV)  ## baseline and app twice, interleaved, then the flood and open-text phases (~15 min, docs/performance.md)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-smoke: $(DEV)  ## tiny benchmark (< 60 s); fails when a vote is lost or double counted (CI)
	$(BIN)/python -m bench.run --smoke

bench-soak: $(DEV)  ## 10-minute soak: 500 phones joining, voting, asking, reconnecting; RSS growth, errors, integrity (docs/performance.md)
	$(BIN)/python -m bench.run --soak $${SOAK_SECONDS:-600} $(BENCH_ARGS)

bench-flood: $(DEV)  ## only the phase with one phone flooding every event while 500 vote (< 2 min; also part of make bench)
	$(BIN)/python -m bench.run --flood $(BENCH_ARGS)

bench-cluster: $(DEV)  ## the app behind nginx with 1, 2 and 4 processes, PostgreSQL, Redis (< 10 min, docs/performance.md)
	$(BIN)/python -m bench.run --cluster 1,2,4 $(BENCH_ARGS)
