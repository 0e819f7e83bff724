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
# llama.cpp is compiled for AVX2, not -march=native: these VMs advertise AMX and AVX-512
# FP16 that the hypervisor does not allow, and a native build died with SIGILL ("Illegal
# instruction") in its first decode. pip caches the wheel it builds.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF

.PHONY: demo test setup browser postgres eval bench lint ui clean lock

setup: $(STAMP)

# torch first: the CPU wheel on local disk. Unpinned, pip would fetch a 5 GB CUDA build.
# Every install takes its versions from constraints.txt: a new user gets the set CI tested.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[local,dev]'
	touch $(STAMP)

# Re-pin constraints.txt to what is installed now (after adding or upgrading a dependency).
lock: setup
	{ sed -n '1,2p' constraints.txt; $(BIN)/python -m pip freeze --exclude-editable \
	  | sed 's/^torch==\([0-9.]*\)+cpu$$/torch==\1/' | grep -v '^persona-studio'; } > constraints.new
	mv constraints.new constraints.txt

demo: setup
	$(BIN)/persona --home workspace/demo demo

browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

# Database-source tests start a throwaway PostgreSQL server (initdb + pg_ctl in a temp dir).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq postgresql >/dev/null)

test: setup browser postgres
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
