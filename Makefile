# The commands the README shows. Everything installs into .venv from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

.PHONY: install run test lint typecheck imports pytest openapi openapi-check migrate bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,embedded]'
	touch $(STAMP)

install: $(STAMP)

## The API on http://127.0.0.1:$${PORT:-8000}, on an embedded PostgreSQL unless DATABASE_URL is set.
run: install
	$(BIN)/python -m service.devserver

## Lint, types, import contracts, then every test on a real PostgreSQL.
test: install lint typecheck imports pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

imports: install
	$(BIN)/lint-imports

pytest: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider

## Regenerate the committed OpenAPI document from the code.
openapi: install
	DATABASE_URL=$${DATABASE_URL:-postgresql+psycopg://unused@127.0.0.1:1/unused} \
		$(BIN)/flask --app service.app openapi write --format=json openapi/openapi.json

migrate: install
	$(BIN)/flask --app service.app db upgrade

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .data
