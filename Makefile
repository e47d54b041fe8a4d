# The front door. `make run` sets up and starts everything; `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

export DJANGO_SETTINGS_MODULE ?= hub.settings.dev
export WAGTAILADMIN_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: install run test e2e lint format bench migrate demo clean messages

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

# The German catalogues: collect the strings of each app (and of hub/, core/ and templates/
# into hub/locale), then compile the .mo files, which are committed.
MESSAGES_OPTS := -l de --no-obsolete --add-location=file
messages: install
	cd campaigns && ../$(BIN)/python ../manage.py makemessages $(MESSAGES_OPTS)
	cd campaigns && ../$(BIN)/python ../manage.py makemessages -d djangojs $(MESSAGES_OPTS) --ignore="static/campaigns/vendor/*"
	cd channels && ../$(BIN)/python ../manage.py makemessages $(MESSAGES_OPTS)
	cd content && ../$(BIN)/python ../manage.py makemessages $(MESSAGES_OPTS)
	$(BIN)/python manage.py makemessages $(MESSAGES_OPTS) --ignore="campaigns/*" --ignore="channels/*" --ignore="content/*" --ignore="tests/*" --ignore="bench/*" --ignore="var/*" --ignore="$(VENV)/*" --ignore="templates/newsletter/*" --ignore="templates/webshop/*"
	$(BIN)/python manage.py compilemessages --ignore="$(VENV)/*" --ignore="var/*"

clean:
	rm -rf var/static var/celerybeat-schedule*
