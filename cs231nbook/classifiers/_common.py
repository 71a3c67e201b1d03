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
    X: np.ndarray,
    expected: tuple[int, ...],
    dtype: np.dtype,
    flatten: bool = False,
    loss: bool = False,
) -> np.ndarray:
    """Check the examples of ``X`` against the model's input shape; return ``X`` in the model's dtype.

    With ``flatten`` (fully-connected models) any example shape with the right
    number of features is accepted; otherwise it must equal ``expected``. With
    ``loss`` (labels were given) ``X`` must hold at least one example: the mean
    loss of no examples is undefined, and saying so here names the caller's ``X``
    rather than a layer's ``x`` deep inside the model.
    """
    X = _checks.real_array("X", X, min_ndim=2)
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
    if loss and X.shape[0] == 0:
        raise ValueError(
            f"X must hold at least one example to compute a loss (y was given); "
            f"got X of shape {X.shape}"
        )
    return X.astype(dtype, copy=False)


def check_reg(reg: object) -> float:
    """The L2 strength: a finite number >= 0."""
    return _checks.real("reg", reg, low=0)


def check_dtype(dtype: object) -> np.dtype:
    """float32 or float64 (the type, its ``np.dtype`` or its name); a typo raises ``ValueError``."""
    return _checks.dtype("dtype", dtype)


def check_seed(seed: object) -> int | np.random.Generator | None:
    """An int >= 0, a ``np.random.Generator`` (used as is) or None."""
    return _checks.seed("seed", seed)
