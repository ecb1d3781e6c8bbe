# The two commands: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export BIN

# Tests: PostgreSQL and Redis on localhost by default (override with TEST_DATABASE_URL / TEST_REDIS_URL).
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/bangban_test
TEST_REDIS_URL    ?= redis://127.0.0.1:6379/15
export TEST_DATABASE_URL TEST_REDIS_URL
# The suite runs in two processes (pytest-xdist), each with its own database and Redis database.
TEST_PROCESSES ?= 2

.PHONY: run test test-fast lint format i18n catalogs clean help browser-deps bench screenshots

help:
	@echo "make run    - install, migrate, load demo data, start web + worker + beat"
	@echo "make test   - install dev tools, lint, check catalogs, run the whole suite"
	@echo "make test-fast - the suite without the slow (browser, worker, property) tiers"
	@echo "make i18n   - extract strings and update the catalogs"
	@echo "make screenshots - refresh docs/screenshots/ (README) from the browser journeys"
	@echo "make bench  - the benchmarks (1M cases; figures in bench/results/)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Browser libraries the app serves itself (ECharts for the ledger dashboard), pinned in package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# Debian's chromium for the browser journeys (never a downloaded browser) and a CJK font so
# screenshots are legible. Installed with apt when missing (as root, as on CI).
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else echo "browser tests need: sudo apt-get install chromium fonts-wqy-microhei"; exit 1; fi; \
	fi

catalogs: $(VENV)/.installed
	@$(BIN)/pybabel compile -d translations >/dev/null 2>&1 || $(BIN)/pybabel compile -d translations

run: catalogs node_modules/.installed
	bash scripts/run.sh

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Whole files per process, heaviest first (tests/conftest.py HEAVY_FILES; xdist would otherwise
# order them by test count and leave the one-test giants for the end).
test: $(VENV)/.installed-dev catalogs lint node_modules/.installed browser-deps
	$(BIN)/pytest -q -p no:cacheprovider --timeout=600 -n $(TEST_PROCESSES) --dist loadfile --no-loadscope-reorder

test-fast: $(VENV)/.installed-dev catalogs node_modules/.installed
	$(BIN)/pytest -q -p no:cacheprovider -m "not slow and not browser" --timeout=300 -n $(TEST_PROCESSES) --dist loadfile --no-loadscope-reorder

i18n: $(VENV)/.installed
	bash scripts/i18n.sh

# README's screenshots (case page, one-time notice, dashboard, ledger), made by the browser journeys.
screenshots: $(VENV)/.installed-dev catalogs node_modules/.installed browser-deps
	bash scripts/screenshots.sh

# Benchmarks against separate PostgreSQL databases (results in bench/results/, summary in README).
# ledger.py loads 1M cases; pages.py measures on the same database; reminder_sweep.py loads its own.
# The loaders COPY a million rows in one statement: no web statement timeout for them.
bench: $(VENV)/.installed-dev
	DB_STATEMENT_TIMEOUT_MS=0 $(BIN)/python bench/ledger.py
	DB_STATEMENT_TIMEOUT_MS=0 $(BIN)/python bench/pages.py --reuse
	DB_STATEMENT_TIMEOUT_MS=0 $(BIN)/python bench/reminder_sweep.py
	DB_STATEMENT_TIMEOUT_MS=0 $(BIN)/python bench/scale.py --cases 1000000 --load
	DB_STATEMENT_TIMEOUT_MS=0 $(BIN)/python bench/scale.py --cases 10000000 --load \
		--compare bench/results/scale-1000000.json
	DB_STATEMENT_TIMEOUT_MS=0 $(BIN)/python bench/scale.py --cases 10000000 --paired 1000000

clean:
	rm -rf $(VENV) instance .pytest_cache
