# Persona Studio. Two commands do everything on a fresh machine:
#   make demo   set up .venv, then run the whole flow on the bundled sample data
#   make test   set up .venv (and Chromium for browser tests), then run the test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: demo test setup browser eval bench lint ui clean

setup: $(STAMP)

# torch first: the CPU wheel on local disk. Unpinned, pip would fetch a 5 GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[local,dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/persona --home workspace/demo demo

browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

test: setup browser
	$(BIN)/python -m pytest -q || [ $$? -eq 5 ]

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

eval: setup
	$(BIN)/python -m eval

bench: setup
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

ui: setup
	$(BIN)/persona ui

clean:
	rm -rf workspace .pytest_cache .mypy_cache .ruff_cache
