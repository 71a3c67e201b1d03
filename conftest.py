"""Settings for every pytest run of this repository.

- ``pytest --nbval book/`` applies the project's sanitize rules from any directory.
- BLAS runs single-threaded, in pytest and in the notebook kernels it starts (they
  inherit the environment). A multi-threaded BLAS splits sums differently depending
  on the thread count, which can move a float64 training run by a few examples;
  one thread everywhere makes the stored chapter outputs reproducible on any
  machine. ``make execute`` re-executes chapters with the same setting.
"""

import os
from pathlib import Path

SANITIZE = Path(__file__).with_name("nbval-sanitize.cfg")
SINGLE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

for _name in SINGLE_THREAD:
    os.environ[_name] = "1"


def pytest_configure(config):
    if hasattr(config.option, "nbval_sanitize_with") and not config.option.nbval_sanitize_with:
        config.option.nbval_sanitize_with = str(SANITIZE)
