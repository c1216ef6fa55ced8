# make run   set everything up on a fresh machine and start Model Gallery (SQLite, local workers)
# make test  set everything up and run every test (SQLite and the MongoDB wire-protocol server)

SHELL := /bin/bash
PYTHON ?= python3.11
PYTHON313 ?= $(firstword $(wildcard /root/.pyenv/versions/3.13*/bin/python3.13) $(shell command -v python3.13 2>/dev/null))
VENV := .venv
MONGO_VENV := .venv-mongoeco
PIP_FLAGS := --disable-pip-version-check -qq
CONSTRAINTS := backend/constraints.txt
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

APT_PACKAGES := nginx-light openssl chromium redis-server redis-sentinel

FRONTEND := frontend

.PHONY: run test check soak setup setup-test system-packages frontend-test openapi lint clean

# Without internet, fetch-models says in one line which models stay unavailable and the
# command that fixes it; the server then starts with the rest.
run: setup $(FRONTEND)/dist/index.html
	@$(VENV)/bin/modelgallery fetch-models || true
	$(VENV)/bin/modelgallery serve --host $(HOST) --port $(PORT)

test: setup-test frontend-test check
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# The chaos and soak run's long form (`make test` runs it for 3 minutes): twice the measured
# capacity for SOAK_MINUTES, workers SIGKILLed at random, the API restarted once.
SOAK_MINUTES ?= 30
soak: setup-test
	$(VENV)/bin/python -m tests.chaos.soak --minutes $(SOAK_MINUTES)

# Static checks: lint, import layers (backend/pyproject.toml), types (mypy --strict).
check: setup-test
	$(VENV)/bin/ruff check backend tests benchmarks
	$(VENV)/bin/ruff format --check backend tests benchmarks
	cd backend && ../$(VENV)/bin/lint-imports --no-cache
	cd backend && ../$(VENV)/bin/mypy

setup: $(VENV)/.installed

setup-test: system-packages $(VENV)/.installed-test $(MONGO_VENV)/.installed

# Debian packages the tests start for real (nginx in front of the backend).
system-packages:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: backend/pyproject.toml $(CONSTRAINTS)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_FLAGS) -c $(CONSTRAINTS) -e "backend[vision]"
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(VENV)/bin/pip install $(PIP_FLAGS) -c $(CONSTRAINTS) -e "backend[vision,test,deploy]"
	touch $@

# mongoeco serves the MongoDB wire protocol for the MongoDB code path; it needs Python 3.13.
$(MONGO_VENV)/.installed: $(CONSTRAINTS)
	@test -n "$(PYTHON313)" || { echo "Python 3.13 is needed for the MongoDB test server"; exit 1; }
	test -x $(MONGO_VENV)/bin/python || $(PYTHON313) -m venv $(MONGO_VENV)
	$(MONGO_VENV)/bin/python -m pip install $(PIP_FLAGS) -c $(CONSTRAINTS) "mongoeco[wire]==4.11.0"
	touch $@

# The web UI: installed from package-lock.json, built into frontend/dist (served at /).
$(FRONTEND)/node_modules/.installed: $(FRONTEND)/package-lock.json
	# npm ci refuses this registry mirror's lock (it omits rollup's optional platform packages);
	# package.json pins exact versions and the lock is honoured.
	cd $(FRONTEND) && npm install --no-audit --no-fund --loglevel=error
	touch $@

$(FRONTEND)/dist/index.html: $(FRONTEND)/node_modules/.installed $(shell find $(FRONTEND)/src $(FRONTEND)/index.html $(FRONTEND)/public -type f 2>/dev/null)
	cd $(FRONTEND) && npm run build --silent

frontend-test: $(FRONTEND)/node_modules/.installed $(FRONTEND)/dist/index.html
	cd $(FRONTEND) && npm run lint --silent && npm test --silent

# After an API change: the UI's copy of the schema and its generated types.
openapi: setup $(FRONTEND)/node_modules/.installed
	$(VENV)/bin/python -c "import json; from modelgallery.app import create_app; print(json.dumps(create_app().openapi(), indent=2))" > $(FRONTEND)/openapi.json
	cd $(FRONTEND) && npm run gen:api --silent

lint: check

clean:
	rm -rf $(VENV) $(MONGO_VENV) data
