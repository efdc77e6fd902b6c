# Aftersales — two commands: `make run` serves the system with demo data, `make test` tests it.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test test-postgres bench fmt lint messages system-test-packages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.base-installed: requirements/bootstrap.txt requirements/base.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/bootstrap.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes -r requirements/base.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.base-installed requirements/test.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes -r requirements/test.txt
	touch $@

run: $(VENV)/.base-installed
	mkdir -p var
	$(BIN)/aftersales migrate --noinput
	$(BIN)/aftersales collectstatic --noinput --verbosity 0
	$(BIN)/aftersales demo --if-empty
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/aftersales serve --with-worker --port $(PORT)

# System packages the tests need (Debian): gettext for messages, chromium and a CJK font for
# browser tests and PDFs, poppler for checking PDFs, dovecot for a real IMAP server.
system-test-packages:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	command -v pdffonts >/dev/null || missing="$$missing poppler-utils"; \
	{ command -v dovecot || test -x /usr/sbin/dovecot; } >/dev/null || missing="$$missing dovecot-imapd"; \
	fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || missing="$$missing fonts-wqy-microhei"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	    || { echo "could not install$$missing" >&2; exit 1; }; \
	fi

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(VENV)/.test-installed system-test-packages
	$(BIN)/ruff check .
	$(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -q -m "not postgres"

test-postgres: $(VENV)/.test-installed system-test-packages
	bash scripts/ensure-services
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) $(BIN)/python manage.py check --fail-level WARNING
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) $(BIN)/pytest -q -m "postgres or smoke"

bench: $(VENV)/.test-installed
	$(BIN)/python -m benchmarks.run

fmt: $(VENV)/.test-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: $(VENV)/.base-installed
	cd aftersales && ../$(BIN)/python ../manage.py makemessages -l zh_Hans --no-obsolete --ignore 'tests/*'
	cd aftersales && ../$(BIN)/python ../manage.py compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) var
