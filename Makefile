# The two commands: `make run` (embedded, no services) and `make test` (real services, every test).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run run-full test test-unit lint services-up services-down services-status constraints clean help till schema api-examples

help:
	@echo "make run        the system in embedded mode (SQLite, no services) on http://127.0.0.1:8000"
	@echo "make test       start PostgreSQL, Redis, Kafka and FerretDB (built once with Go), then run every test"
	@echo "make run-full   the system on the real services (gunicorn, Celery worker+beat, consumers)"
	@echo "make till       build the browser till (frontend/till/, npm ci + esbuild; run and test do it)"
	@echo "make schema     refresh docs/api/openapi-v1.json, the committed API schema (after an API change)"
	@echo "make api-examples  re-record docs/api/examples.json, a real request and answer per write operation"

# The virtualenv is updated only when a requirements file changes: `make run` installs the
# runtime dependencies alone; the test and lint tools come with the first target that needs them.
$(STAMP): requirements.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt -c constraints.txt
	touch $@

$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

venv: $(DEV_STAMP)

# The browser till (frontend/till/, served at /till/): `npm ci` from its lockfile when the lockfile
# changes; then the API schema -> TypeScript types (openapi-typescript), a type check (a schema
# change that breaks the till's API client fails here) and the esbuild bundle into dist/.
TILL := frontend/till
TILL_NPM := $(TILL)/node_modules/.installed
TILL_STAMP := $(TILL)/dist/.built
TILL_SCHEMA := $(TILL)/build/schema.json
$(TILL_NPM): $(TILL)/package-lock.json
	cd $(TILL) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(TILL_STAMP): $(STAMP) $(TILL_NPM) $(TILL)/build.mjs $(TILL)/tsconfig.json $(filter-out %api-schema.d.ts,$(wildcard $(TILL)/src/*)) \
		$(wildcard contexts/*/api/*.py infrastructure/http/*.py)
	mkdir -p $(dir $(TILL_SCHEMA))
	POS_MODE=embedded POS_DATA_DIR=$(TILL)/build $(PY) manage.py spectacular --format openapi-json --file $(TILL_SCHEMA)
	cd $(TILL) && npx openapi-typescript build/schema.json -o src/api-schema.d.ts --silent
	cd $(TILL) && npx tsc --noEmit -p .
	cd $(TILL) && node build.mjs
	touch $@

till: $(TILL_STAMP)

run: $(STAMP) $(TILL_STAMP)
	VENV=$(VENV) scripts/run-embedded

run-full: $(STAMP) $(TILL_STAMP)
	VENV=$(VENV) scripts/run-full

test: $(DEV_STAMP) $(TILL_STAMP)
	scripts/services up
	scripts/browsers
	VENV=$(VENV) scripts/run-tests $(PYTEST_ARGS)

test-unit: $(DEV_STAMP)
	VENV=$(VENV) scripts/run-tests -m unit $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .

services-up:
	scripts/services up
services-down:
	scripts/services down
services-status:
	scripts/services status

# The API's committed documents (docs/api/, docs/building-a-till.md "What may change"). Both run in
# embedded mode whatever the shell's service variables say, so they need no service.
EMBEDDED := env -u DATABASE_URL -u CELERY_BROKER_URL -u KAFKA_BOOTSTRAP_SERVERS POS_MODE=embedded
schema: $(STAMP)
	$(EMBEDDED) $(PY) manage.py api_schema
api-examples: $(STAMP)
	$(EMBEDDED) $(PY) scripts/api_examples.py

# Re-pin every transitive dependency after changing requirements*.txt.
constraints: $(DEV_STAMP)
	{ echo '# Full pins of every installed package (pip install -c constraints.txt); regenerate with `make constraints`.'; \
	  $(PY) -m pip freeze --exclude-editable; } > constraints.txt

clean:
	rm -rf $(VENV) .data .pytest_cache $(TILL)/node_modules $(TILL)/dist $(TILL)/build

# Benchmarks (bench/, docs/benchmarks.md): installs bench/requirements.txt into the venv, then runs all.
.PHONY: bench
bench: $(DEV_STAMP)
	$(PY) -m pip install -q --disable-pip-version-check -r bench/requirements.txt -c constraints.txt
	VENV=$(VENV) bench/run-all
