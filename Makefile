# newswatch — the documented entry points. Each target sets up what it needs from nothing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DB     ?= data/newswatch.duckdb

.PHONY: install run test lint typecheck pytest demo bench-ingest bench-detect clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev,airflow]'
	touch $(STAMP)

install: $(STAMP)  ## Create .venv with newswatch, Airflow and the dev tools.

run: $(STAMP)  ## One ingestion pass over seeds/feeds.yaml into data/newswatch.duckdb.
	$(BIN)/newswatch run --db $(DB)

test: lint typecheck pytest  ## The whole suite: lint, types, tests (CI runs this).

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

demo: $(STAMP)  ## Serve the sample feeds on 127.0.0.1, ingest them into data/demo.duckdb, show the result.
	$(BIN)/newswatch demo --db data/demo.duckdb

bench-ingest: $(STAMP)
	$(BIN)/python bench/ingest.py

bench-detect: $(STAMP)
	$(BIN)/python bench/detect.py generated:60 ../shared/data/ggt/docs.jsonl seeds/demo/pages --repeat 9

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
