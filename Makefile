# Two commands: `make run` and `make test`. Everything else is optional.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := workshop

.PHONY: run serve test test-pg lint format bench bench-smoke bench-cluster bench-soak bench-flood setup vendor clean cluster cluster-stop

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(BIN)/activate

setup: $(BIN)/activate
	$(BIN)/flask setup

run: setup  ## set up venv, database, demo workshop; serve on http://$(HOST):$(PORT)
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python run.py

serve: setup  ## production server: gunicorn + gevent, one process (docs/deploy.md)
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py wsgi:app

test: $(BIN)/activate  ## the whole suite (SQLite, then PostgreSQL when reachable)
	$(BIN)/ruff check workshop tests bench
	$(BIN)/pytest -q
	if $(BIN)/python scripts/pg_available.py; then DATABASE_URL=$${PG_TEST_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(BIN)/pytest -q tests --ignore=tests/cluster -m 'not sqlite_only'; else test "$$?" = 3; fi

lint: $(BIN)/activate
	$(BIN)/ruff check workshop tests bench

format: $(BIN)/activate
	$(BIN)/ruff format workshop tests bench

vendor:  ## refresh vendored front-end assets from the npm registry (pinned versions)
	scripts/vendor.sh

clean:
	rm -rf $(VENV) instance/*.sqlite* .pytest_cache

cluster: $(BIN)/activate  ## nginx + WORKERS gunicorn processes + local PostgreSQL and Redis, on loopback (docs/deploy.md)
	scripts/cluster.sh start

cluster-stop:  ## stop what `make cluster` started (same PORT)
	scripts/cluster.sh stop

bench: $(BIN)/activate  ## whole benchmark ladder against the baseline and the app (< 10 min, docs/performance.md)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-smoke: $(BIN)/activate  ## tiny benchmark (< 60 s); fails when a vote is lost or double counted (CI)
	$(BIN)/python -m bench.run --smoke

bench-soak: $(BIN)/activate  ## 10-minute soak: 500 phones joining, voting, asking, reconnecting; RSS growth, errors, integrity (docs/performance.md)
	$(BIN)/python -m bench.run --soak $${SOAK_SECONDS:-600} $(BENCH_ARGS)

bench-flood: $(BIN)/activate  ## only the phase with one phone flooding every event while 500 vote (< 2 min; also part of make bench)
	$(BIN)/python -m bench.run --flood $(BENCH_ARGS)

bench-cluster: $(BIN)/activate  ## the app behind nginx with 1, 2 and 4 processes, PostgreSQL, Redis (< 10 min, docs/performance.md)
	$(BIN)/python -m bench.run --cluster 1,2,4 $(BENCH_ARGS)
