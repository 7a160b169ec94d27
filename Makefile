# CRM satellite portals — the menu. `make run` starts everything; `make test` checks everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.13 (the Lambda runtime). pyenv's, unless one is on PATH or PYTHON313 is given.
PYTHON313 ?= $(shell for p in $$HOME/.pyenv/versions/3.13*/bin/python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13; do \
  [ -x "$$p" ] && "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null && { echo "$$p"; break; }; done)
UV_VERSION := 0.13.9
UV := .local/uv/bin/uv
VENV := .venv
TOOLS := .venv-tools
PY := $(VENV)/bin/python
TOOLS_PY := $(TOOLS)/bin/python
CHROMIUM ?= $(shell command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null)
export UV_PYTHON_DOWNLOADS := never
export APP_PYTHON := $(CURDIR)/$(PY)
export UV := $(CURDIR)/$(UV)
export PYTHON313

docs: install ## regenerate docs/events/*.schema.json from the CRM contract models
	PYTHONPATH=layers/common $(PY) -m portal_common.crm_contracts docs/events

.PHONY: docs help install run test test-unit test-integration test-e2e test-browser test-template lint fmt build deploy bench stress clean lock chromium

help: ## this menu
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(UV):
	@test -n "$(PYTHON313)" || { echo "Python 3.13 is needed (pyenv install 3.13, or PYTHON313=/path/to/python3.13)"; exit 1; }
	$(PYTHON313) -m venv .local/uv
	.local/uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet --python $(PYTHON313)
	@touch $@

$(TOOLS)/.synced: local/requirements-tools.txt | $(UV)
	test -x $(TOOLS_PY) || $(UV) venv --quiet --python $(PYTHON313) $(TOOLS)
	$(UV) pip sync --quiet --python $(TOOLS_PY) --require-hashes local/requirements-tools.txt
	@touch $@

install: $(VENV)/.synced $(TOOLS)/.synced ## create the virtual environments (app + SAM CLI tools) and the local Lambda runtime
	@$(TOOLS_PY) -c 'from local.__main__ import prepare_runtime; from local.template import Stack; prepare_runtime(Stack.from_file())'

run: install ## start everything: embedded AWS, every route and function URL on :3000, seed data
	$(TOOLS_PY) -m local

chromium: ## install the system Chromium for browser tests (apt) when missing
	@if [ -z "$(CHROMIUM)" ]; then \
	  echo "installing chromium with apt"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || { echo "could not install chromium (run as root, or install it yourself)"; exit 1; }; \
	fi

test: install chromium ## every test tier: unit, integration, template, end-to-end, browser
	$(PY) -m pytest -q -n 2 --dist loadgroup -m "not stress" tests

test-unit: install ## models and domain rules, no AWS
	$(PY) -m pytest -q tests/unit

test-integration: install ## handlers invoked with events/ samples against moto
	$(PY) -m pytest -q tests/integration

test-template: install ## cfn-lint, SAM transform, handlers importable, env vars declared, no wildcards
	$(PY) -m pytest -q tests/template

test-e2e: install ## the local stack over real HTTP
	$(PY) -m pytest -q tests/e2e

test-browser: install chromium ## Playwright driving headless Chromium through the real pages
	$(PY) -m pytest -q tests/browser

lint: install ## ruff, mypy, cfn-lint, the SAM transform
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/common/portal_common
	@# each portal folder is a Lambda code root of its own (its packages are top-level there);
	@# mypy's cache stays out of it, or `sam build` would ship the cache inside the function
	for portal in functions/*/; do (cd $$portal && MYPYPATH=$(CURDIR)/layers/common $(CURDIR)/$(VENV)/bin/mypy --config-file $(CURDIR)/pyproject.toml --cache-dir $(CURDIR)/.mypy_cache/$$(basename $$portal) .) || exit 1; done
	$(TOOLS)/bin/cfn-lint template.yaml
	@# cfn-lint no longer runs the SAM transform: run SAM's translator, as CloudFormation does on deploy
	$(TOOLS)/bin/python -m local.sam_transform template.yaml

fmt: install ## format the code
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

lock: | $(UV) ## re-lock dependencies after editing pyproject.toml / local/requirements-tools.in
	$(UV) lock --python $(PYTHON313)
	$(UV) pip compile --quiet --python-version 3.13 --generate-hashes local/requirements-tools.in -o local/requirements-tools.txt

build: install ## sam build (Python 3.13 on PATH), then templates compiled ahead, botocore's data slimmed, hash-based .pyc
	PATH="$(dir $(PYTHON313)):$$PATH" $(TOOLS)/bin/sam build --template-file template.yaml
	$(PYTHON313) -m local.artifact .aws-sam/build

deploy: build ## sam deploy --guided (needs AWS credentials); CONFIG_ENV=prod for production
	$(TOOLS)/bin/sam deploy --guided --config-env $${CONFIG_ENV:-dev}

bench: install ## benchmarks: writes bench/results.md, bench/results.json and the chart
	PYTHONPATH=layers/common $(PY) -m bench $(BENCH_ARGS)

stress: install ## longer hardening runs (races, fuzzing)
	$(PY) -m pytest -q -n 2 --dist loadgroup -m stress tests

clean: ## remove build output and local state (keeps the virtual environments)
	rm -rf .aws-sam .local/layers .local/runtime .local/*.log .local/*.json* .pytest_cache
