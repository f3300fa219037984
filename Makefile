# artisan-sf: `make demo` runs the product end to end, `make test` runs the suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup env migrate services test demo bench soak lint

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

.env: | $(VENV)/.installed
	$(BIN)/python scripts/write_env.py

env: .env

setup: $(VENV)/.installed .env
	mkdir -p var

migrate: setup
	$(BIN)/python manage.py migrate --noinput

# Starts PostgreSQL and Redis where they are installed but not running.
services:
	bash scripts/ensure_services.sh

test: setup services
	$(BIN)/pytest

bench: setup services
	$(BIN)/pytest -m bench -p no:randomly

soak: setup services
	$(BIN)/pytest -m slow

demo: setup
	$(BIN)/python scripts/demo.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
