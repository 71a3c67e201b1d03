"""Small training sets the Solver, checkpoint and resume tests share."""

from __future__ import annotations

import numpy as np


def blobs(n_train=60, n_val=30, D=4, C=3, seed=2, spread=3.0):
    """Gaussian clusters (centres ``spread`` standard deviations apart on average): a problem a
    tiny net learns in a few epochs. A dict ready for the Solver."""
    rng = np.random.default_rng(seed)
    centers = spread * rng.standard_normal((C, D))

    def sample(n):
        y = rng.integers(C, size=n)
        return centers[y] + rng.standard_normal((n, D)), y

    X_train, y_train = sample(n_train)
    X_val, y_val = sample(n_val)
    return {"X_train": X_train, "y_train": y_train, "X_val": X_val, "y_val": y_val}
