# Two entry points: `make run` (set up, then the nightly job on the bundled sample) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: install run test benchmarks reliability

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,s3]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/causa run --config causa.toml

test: $(STAMP)
	$(BIN)/python -m pytest

# The fault scenarios (crash, concurrency, late/repeated data over twenty nights, schema evolution, hostile input and
# files, PII, a full disk) and their report.
reliability: $(STAMP)
	$(BIN)/python -m pytest -m reliability tests/reliability -q -W ignore::hypothesis.errors.HypothesisWarning

benchmarks: $(STAMP)
	$(BIN)/python benchmarks/accuracy.py
	$(BIN)/python benchmarks/throughput.py
