# Two entry points for a fresh clone: `make test` and `make book`.
# Both first create .venv from pyproject.toml (once; again whenever pyproject.toml changes).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: test unit chapters book bench execute oracle clean

test: unit chapters

unit: $(VENV)/.installed
	$(BIN)/pytest

chapters: $(VENV)/.installed
	$(BIN)/pytest --nbval book/

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

# The PyTorch oracle: install PyTorch 2.13 (CPU build) into .venv, then run every test that
# compares a layer or an update rule with torch (they skip, and -rs lists them, without it).
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
oracle: $(VENV)/.installed
	$(BIN)/pip install --quiet "torch==2.13.0" --index-url $(TORCH_INDEX)
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
