# The two commands of the README: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# Python 3.12 preferred. On pyenv machines the `python3.12` shim exists but fails unless a
# version is selected, so each candidate is *run*, not just looked up.
PYTHON ?= $(shell \
	for c in python3.12 "$$(pyenv root 2>/dev/null)/versions/3.12.1/bin/python3.12" \
	         $$(ls -d $$(pyenv root 2>/dev/null)/versions/3.12*/bin/python3.12 2>/dev/null) \
	         python3.13 python3; do \
	  if "$$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' >/dev/null 2>&1; then \
	    echo "$$c"; break; fi; \
	done)

.PHONY: help run test test-fast lint typecheck format audit migrate seed clean

help:
	@echo "make run    start the product on its embedded defaults, with demo data (http://$(HOST):$(PORT))"
	@echo "make test   install the dev requirements and run the whole test suite"
	@echo "make test-fast   the suite without the tests marked slow (browser, fuzz, whole campaigns)"
	@echo "make lint   ruff check + format check + import layers + mypy;  make format  apply ruff's formatting"
	@echo "make audit  known vulnerabilities in the pinned requirements, from the advisory sources that answer"

$(VENV)/.installed: requirements.txt
	@test -n "$(PYTHON)" || { echo "No Python >= 3.10 found (3.12 preferred)."; exit 1; }
	@echo "Using $(PYTHON) ($$($(PYTHON) -c 'import sys; print(sys.version.split()[0])'))"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

run: $(VENV)/.installed
	@DEBUG=$${DEBUG:-true} HOST=$(HOST) PORT=$(PORT) PYTHON_BIN=$(PY) scripts/run

test: $(VENV)/.installed-dev
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-fast: $(VENV)/.installed-dev
	$(VENV)/bin/pytest -m "not slow" $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev typecheck
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# mypy with django-stubs over the product code; what it reads is set in mypy.ini.
typecheck: $(VENV)/.installed-dev
	$(VENV)/bin/mypy

# Standard library only: no install needed. Says what it could not check; never a clean result
# that checked nothing (see the README's development section).
audit:
	@test -n "$(PYTHON)" || { echo "No Python >= 3.10 found."; exit 1; }
	$(PYTHON) scripts/dependency_audit.py requirements.txt requirements-dev.txt

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles var .pytest_cache .mypy_cache
