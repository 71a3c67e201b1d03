"""Fully-connected sandwiches: affine followed by a nonlinearity (and, later, a normalization).

Each backward runs the pieces' backward passes in reverse order, so a sandwich
is correct exactly when its pieces are.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..layers import AffineCache, ReluCache, affine_backward, affine_forward, relu_backward, relu_forward


class AffineReluCache(NamedTuple):
    affine: AffineCache
    relu: ReluCache


def affine_relu_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, AffineReluCache]:
    """Affine layer followed by a ReLU.

    Parameters
    ----------
    x : ndarray of shape (N, d_1, ..., d_k)
    w : ndarray of shape (D, M)
    b : ndarray of shape (M,)

    Returns
    -------
    out : ndarray of shape (N, M)
    cache : AffineReluCache
    """
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, AffineReluCache(fc_cache, relu_cache)


def affine_relu_backward(dout: np.ndarray, cache: AffineReluCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of :func:`affine_relu_forward`; returns ``(dx, dw, db)``."""
    da = relu_backward(dout, cache.relu)
    return affine_backward(da, cache.affine)
