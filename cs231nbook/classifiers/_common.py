"""Pieces every model shares: seeded initialization, input checks and L2 regularization."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .. import _checks


def add_l2(
    loss: float, grads: dict[str, np.ndarray], params: Mapping[str, np.ndarray], reg: float
) -> float:
    r"""Add :math:`\tfrac12 \lambda \sum W^2` over the weights to ``loss`` and ``grads``.

    Only entries whose name starts with ``'W'`` are weights; biases, gammas and
    betas are not regularized (shrinking a bias or a normalization scale toward
    0 does not make the model simpler). The factor 1/2 makes the gradient
    exactly :math:`\lambda W`. ``grads`` is updated in place; the new loss is returned.
    """
    if reg == 0:
        return loss
    for name, w in params.items():
        if name.startswith("W"):
            loss += 0.5 * reg * float(np.sum(w * w))
            grads[name] = grads[name] + reg * w
    return loss


def check_model_input(
    X: np.ndarray, expected: tuple[int, ...], dtype: np.dtype, flatten: bool = False
) -> np.ndarray:
    """Check the examples of ``X`` against the model's input shape; return ``X`` in the model's dtype.

    With ``flatten`` (fully-connected models) any example shape with the right
    number of features is accepted; otherwise it must equal ``expected``.
    """
    X = _checks.float_array("X", X, min_ndim=2)
    fits = (
        int(np.prod(X.shape[1:])) == int(np.prod(expected))
        if flatten
        else X.shape[1:] == tuple(expected)
    )
    if not fits:
        what = f"{int(np.prod(expected))} features" if flatten else f"shape {tuple(expected)}"
        raise ValueError(
            f"X must hold examples of {what}, X.shape = (N, ...); got X of shape {X.shape}"
        )
    return X.astype(dtype, copy=False)


def check_reg(reg: float) -> float:
    if isinstance(reg, bool) or not isinstance(reg, (int, float, np.floating)) or not reg >= 0:
        raise ValueError(f"reg must be a non-negative number; got {reg!r}")
    return float(reg)


def check_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    return dtype
