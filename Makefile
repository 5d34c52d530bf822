# The two commands: `make run` (embedded, no services) and `make test` (real services, every test).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run run-full test test-unit lint services-up services-down services-status constraints clean help

help:
	@echo "make run        the system in embedded mode (SQLite, no services) on http://127.0.0.1:8000"
	@echo "make test       start PostgreSQL, Redis, Kafka and FerretDB (built once with Go), then run every test"
	@echo "make run-full   the system on the real services (gunicorn, Celery worker+beat, consumers)"

# The virtualenv is rebuilt only when a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

venv: $(STAMP)

run: $(STAMP)
	VENV=$(VENV) scripts/run-embedded

run-full: $(STAMP)
	VENV=$(VENV) scripts/run-full

test: $(STAMP)
	scripts/services up
	scripts/browsers
	VENV=$(VENV) scripts/run-tests $(PYTEST_ARGS)

test-unit: $(STAMP)
	VENV=$(VENV) scripts/run-tests -m unit $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

services-up:
	scripts/services up
services-down:
	scripts/services down
services-status:
	scripts/services status

# Re-pin every transitive dependency after changing requirements*.txt.
constraints: $(STAMP)
	{ echo '# Full pins of every installed package (pip install -c constraints.txt); regenerate with `make constraints`.'; \
	  $(PY) -m pip freeze --exclude-editable; } > constraints.txt

clean:
	rm -rf $(VENV) .data .pytest_cache

# Benchmarks (bench/, docs/benchmarks.md): installs bench/requirements.txt into the venv, then runs all.
.PHONY: bench
bench: $(STAMP)
	$(PY) -m pip install -q --disable-pip-version-check -r bench/requirements.txt -c constraints.txt
	VENV=$(VENV) bench/run-all
