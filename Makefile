# The front door. `make run` sets up and starts everything; `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

export DJANGO_SETTINGS_MODULE ?= hub.settings.dev
export WAGTAILADMIN_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: install run test e2e lint format bench migrate demo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

run: demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo
	@echo "  Admin:  http://$(HOST):$(PORT)/admin/"
	@$(BIN)/python manage.py seed_demo --logins
	@echo "  Web, worker and scheduler start now; Ctrl-C stops all three."
	@echo
	PATH="$(CURDIR)/$(BIN):$$PATH" HOST=$(HOST) $(BIN)/honcho start --port $(PORT) --procfile Procfile

test: install
	DJANGO_SETTINGS_MODULE=hub.settings.test $(BIN)/python -m pytest $(PYTEST_ARGS)

e2e: install
	DJANGO_SETTINGS_MODULE=hub.settings.test $(BIN)/python -m pytest -m e2e $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf var/static var/celerybeat-schedule*
