# The two commands: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export BIN

# Tests: PostgreSQL and Redis on localhost by default (override with TEST_DATABASE_URL / TEST_REDIS_URL).
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/bangban_test
TEST_REDIS_URL    ?= redis://127.0.0.1:6379/15
export TEST_DATABASE_URL TEST_REDIS_URL

.PHONY: run test test-fast lint format i18n catalogs clean help

help:
	@echo "make run    - install, migrate, load demo data, start web + worker + beat"
	@echo "make test   - install dev tools, lint, check catalogs, run the whole suite"
	@echo "make test-fast - the suite without the slow (browser, worker, property) tiers"
	@echo "make i18n   - extract strings and update the catalogs"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

catalogs: $(VENV)/.installed
	@$(BIN)/pybabel compile -d translations >/dev/null 2>&1 || $(BIN)/pybabel compile -d translations

run: catalogs
	bash scripts/run.sh

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check app tests config.py celery_worker.py
	$(BIN)/ruff format --check app tests config.py celery_worker.py

format: $(VENV)/.installed-dev
	$(BIN)/ruff format app tests config.py celery_worker.py
	$(BIN)/ruff check --fix app tests config.py celery_worker.py

test: $(VENV)/.installed-dev catalogs lint
	$(BIN)/pytest -q -p no:cacheprovider --timeout=600

test-fast: $(VENV)/.installed-dev catalogs
	$(BIN)/pytest -q -p no:cacheprovider -m "not slow and not browser" --timeout=300

i18n: $(VENV)/.installed
	bash scripts/i18n.sh

clean:
	rm -rf $(VENV) instance .pytest_cache
