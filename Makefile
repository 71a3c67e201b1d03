# Two entry points for a fresh clone: `make test` and `make book`.
# Both first create .venv from pyproject.toml (once; again whenever pyproject.toml changes).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: test unit chapters book bench clean

test: unit chapters

unit: $(VENV)/.installed
	$(BIN)/pytest

chapters: $(VENV)/.installed
	$(BIN)/pytest --nbval book/

book: $(VENV)/.installed
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book is in _build/html/index.html"

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_layers.py

$(VENV)/.installed: pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

clean:
	rm -rf _build .pytest_cache
