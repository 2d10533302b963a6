# Quick start: `make demo` (set up + run the main job) and `make test` (set up + run tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast bench docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,ray]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gigawatt plan --scenario stargate --out gigawatt-report

test: $(STAMP)
	bash scripts/ensure-chromium.sh || true
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not e2e"

bench: $(STAMP)
	set -e; for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f; done

docs: $(STAMP)
	$(BIN)/python scripts/gen_docs.py

clean:
	rm -rf $(VENV) gigawatt-report .pytest_cache .benchmarks
