# Two entry points for a fresh clone: `make test` and `make book`.
# Both first create .venv from pyproject.toml (once; again whenever pyproject.toml changes).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: test unit chapters lint book bench execute oracle clean

test: unit chapters

unit: $(VENV)/.installed
	$(BIN)/pytest

chapters: $(VENV)/.installed
	$(BIN)/pytest --nbval book/

# ruff (lint + format, line length 100) and mypy on the package; .ci/run runs this too.
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

book: $(VENV)/.installed
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book is in _build/html/index.html"

# Re-execute chapters in place after a change to the package (all of them, or NB=book/NN_x.ipynb),
# with BLAS single-threaded as conftest.py sets it for nbval, so stored outputs match the check.
NB ?= $(sort $(wildcard book/*.ipynb))
execute: $(VENV)/.installed
	for nb in $(NB); do \
		(cd $$(dirname $$nb) && OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
			$(CURDIR)/$(BIN)/jupyter execute --inplace $$(basename $$nb)) || exit 1; \
	done

# The PyTorch oracle: install PyTorch 2.13 into .venv, then run every test that compares a
# layer or an update rule with torch (they skip, and -rs lists them, without it). Where pip
# would otherwise pick a multi-GB CUDA build, point it at PyTorch's CPU wheels, e.g.
# make oracle TORCH_PIP_ARGS="--index-url <PyTorch's CPU wheel index>".
TORCH_PIP_ARGS ?=
oracle: $(VENV)/.installed
	$(BIN)/pip install --quiet "torch==2.13.0" $(TORCH_PIP_ARGS)
	$(BIN)/pip install --quiet -e ".[oracle]"
	$(BIN)/pytest tests -k torch

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
