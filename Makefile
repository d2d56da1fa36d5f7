# City Brain: `make run` serves the API on SQLite with demo data; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install run test lint worker migrate seed-demo clean

$(STAMP): pyproject.toml $(wildcard examples/*/pyproject.toml)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' $(foreach d,$(wildcard examples/*/pyproject.toml),-e $(dir $(d)))
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	CITYBRAIN_ENV=$${CITYBRAIN_ENV:-dev} $(BIN)/citybrain migrate

seed-demo: migrate
	CITYBRAIN_ENV=$${CITYBRAIN_ENV:-dev} $(BIN)/citybrain seed-demo

run: $(STAMP)
	CITYBRAIN_ENV=dev $(BIN)/citybrain migrate
	CITYBRAIN_ENV=dev $(BIN)/citybrain seed-demo
	CITYBRAIN_ENV=dev PORT=$(PORT) $(BIN)/citybrain run --port $(PORT)

test: $(STAMP)
	CITYBRAIN_ENV=test $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

worker: $(STAMP)
	@test -n "$$REDIS_URL" || (echo "make worker needs REDIS_URL" && exit 2)
	$(BIN)/citybrain worker

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
