# Every target creates .venv and installs .[gen,dev] on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install test test-fast typecheck format-check generate check-generated demo serve worker bench golden compat wheel-smoke clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# The distribution was called loom before it became loomgen: drop an old install.
	$(BIN)/python -m pip uninstall --quiet --yes loom 2>/dev/null || true
	# setuptools warns about every editable install, in a banner --quiet does not hide.
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e ".[gen,dev]"
	touch $(STAMP)

install: $(STAMP)

## Run the whole test suite (slow property, crash and load tests included).
test: $(STAMP)
	$(BIN)/python -m pytest -q

## The suite without the tests marked slow.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

typecheck: $(STAMP)
	$(BIN)/mypy loom loomgen examples generated

## The hand-written packages are black-formatted; the generated one is exactly what black
## writes (loomgen writes black's form itself and runs black only where it must).
format-check: $(STAMP)
	$(BIN)/black --check --quiet loom loomgen generated

## Regenerate the example app's executors into generated/.
generate: $(STAMP)
	$(BIN)/loomgen build

check-generated: $(STAMP)
	$(BIN)/loomgen check

## Build the example app's executors, then run the shop scenario in both modes.
demo: $(STAMP)
	$(BIN)/loomgen build
	$(BIN)/python -m examples.shop.demo --both

## The example shop as an HTTP server on 127.0.0.1:$(PORT) (PORT=8000 by default), SQLite
## through the SQLAlchemy unit of work (DATABASE_URL for PostgreSQL), /metrics, generated
## executors in auto mode.
serve: $(STAMP)
	$(BIN)/loomgen build
	PORT=$${PORT:-8000} $(BIN)/python -m examples.shop.serve

bench: $(STAMP)
	$(BIN)/python -m bench

## loom-kernel 0.12.3's tests of the engine and the modules around it (see .ci/compat).
compat: $(STAMP)
	.ci/compat

## Rewrite the expected output of every golden case in tests/cases/.
golden: $(STAMP)
	$(BIN)/python -m tests.golden --update

## Build the wheel, install it (not editable) into fresh venvs and use it from outside the repo.
wheel-smoke: $(STAMP)
	bash .ci/wheel-smoke

## The example shop's Celery worker (runs SendEmail and StockAlert). The shop queues jobs there
## when started with LOOM_JOBS=celery LOOM_CELERY_BROKER_URL=redis://...; the worker reads
## LOOM_CELERY_BROKER_URL too (default redis://127.0.0.1:6379/0), LOOM_SHOP_DB, LOOM_SHOP_OUTBOX.
worker: $(STAMP)
	$(BIN)/python -m celery -A examples.shop.worker worker --loglevel=INFO --concurrency=$${CONCURRENCY:-2}

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .loomgen-cache var .bench .compat
