# Quick start: `make demo` (set up + run the main job) and `make test` (set up + run tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BASE := $(VENV)/.installed-base
DEV := $(VENV)/.installed-dev

.PHONY: demo test test-fast bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# the package alone (what `make demo` and `make docs` need)
$(BASE): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $(BASE)

# plus the test tools and Ray (what `make test` and `make bench` need)
$(DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev,ray]'
	touch $(BASE) $(DEV)

demo: $(BASE)
	$(BIN)/gigawatt plan --scenario stargate --out gigawatt-report

test: $(DEV)
	bash scripts/ensure-chromium.sh || true
	$(BIN)/python -m pytest

test-fast: $(DEV)
	$(BIN)/python -m pytest -m "not e2e"

bench: $(DEV)
	set -e; for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f; done

docs: $(BASE)
	$(BIN)/python scripts/gen_docs.py

clean:
	rm -rf $(VENV) gigawatt-report .pytest_cache .benchmarks
