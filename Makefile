# Allyance: `make run` serves the app on http://127.0.0.1:8000, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
MANAGE := $(PY) manage.py
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
# The suite runs in parallel (pytest-xdist), one worker per core; TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= auto
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test setup setup-dev frontend messages translations lint bench backup clean

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

# Locked Python dependencies (production set) and the front-end packages.
setup: $(UV) frontend
	$(UV) sync --frozen --no-dev --python 3.12
	@touch $(VENV)/.synced

setup-dev: $(UV) frontend
	$(UV) sync --frozen --python 3.12

frontend: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

messages:
	@if ! ls src/allyance/locale/*/LC_MESSAGES/django.po >/dev/null 2>&1; then echo "no catalogues yet"; \
	elif command -v msgfmt >/dev/null; then $(MANAGE) compilemessages -i .venv -i .tools -i node_modules -v 0; \
	else echo "gettext (msgfmt) not found: using the committed translation files"; fi

# Refresh the zh_Hans and zh_Hant catalogues from the source (then translate what is new).
translations: setup-dev
	cd src/allyance && ../../$(PY) ../../manage.py makemessages -l zh_Hans -l zh_Hant -i 'locale/*' -v 0

run: setup messages
	$(MANAGE) migrate --noinput -v 0
	$(MANAGE) demo_setup
	$(MANAGE) sales_alerts --schedule --no-scan -v 0
	$(MANAGE) expire_quotes > /dev/null
	$(MANAGE) expire_deal_protection > /dev/null
	$(MANAGE) expire_lead_offers > /dev/null
	$(MANAGE) partner_warnings > /dev/null
	@fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || echo "Note: PDFs print Chinese only with the Noto CJK fonts and Pango (Debian: sudo apt-get install fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0)"
	@echo "Allyance is starting on http://127.0.0.1:8000 (Ctrl-C stops the web server and the worker)"
	@trap 'kill 0' INT TERM EXIT; \
	$(MANAGE) db_worker --queue-name default & \
	$(VENV)/bin/gunicorn allyance.wsgi --pythonpath src --bind 127.0.0.1:8000 --workers 2 --threads 4 --access-logfile - & \
	wait

test: setup-dev messages
	$(VENV)/bin/ruff check src tests
	env -u DATABASE_URL $(VENV)/bin/pytest -n $(TEST_WORKERS) --cov --cov-report=term:skip-covered --cov-fail-under=85
	@if [ -n "$$DATABASE_URL" ] || $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; then \
		url="$${DATABASE_URL:-$(PG_TEST_URL)}"; echo "== the same suite on PostgreSQL ($$url)"; \
		DATABASE_URL="$$url" $(VENV)/bin/pytest -n $(TEST_WORKERS) -q; \
	else echo "== PostgreSQL not reachable on 127.0.0.1:5432 and DATABASE_URL unset: PostgreSQL run not done"; fi

lint: setup-dev
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests

# Benchmarks through gunicorn on loopback; not part of `make test` (bench/RESULTS.md).
# BENCH_SCALE=small|medium|large (default small), BENCH_DB=sqlite,postgres, BENCH_REUSE=1.
bench: setup-dev
	$(PY) -m bench.run

backup: setup
	$(MANAGE) backup

clean:
	rm -rf $(VENV) .tools node_modules
