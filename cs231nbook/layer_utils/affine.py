"""Fully-connected sandwiches: affine, [batch or layer norm], ReLU.

Each backward runs the pieces' backward passes in reverse order, so a sandwich
is correct exactly when its pieces are.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _checks
from ..layers import (
    AffineCache,
    BatchNormCache,
    LayerNormCache,
    ReluCache,
    affine_backward,
    affine_forward,
    batchnorm_backward_alt,
    batchnorm_forward,
    layernorm_backward,
    layernorm_forward,
    relu_backward,
    relu_forward,
)


class AffineReluCache(NamedTuple):
    """The pieces' caches, in forward order: ``affine`` then ``relu``."""

    affine: AffineCache
    relu: ReluCache


def affine_relu_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, AffineReluCache]:
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


def affine_relu_backward(
    dout: np.ndarray, cache: AffineReluCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of :func:`affine_relu_forward`; returns ``(dx, dw, db)``."""
    cache = _checks.cache(
        "cache", cache, AffineReluCache, "affine_relu_forward", "affine_relu_backward"
    )
    da = relu_backward(dout, cache.relu)
    return affine_backward(da, cache.affine)


class AffineBatchNormReluCache(NamedTuple):
    """The pieces' caches, in forward order: ``affine``, ``norm`` (batch norm), ``relu``."""

    affine: AffineCache
    norm: BatchNormCache
    relu: ReluCache


def affine_bn_relu_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, gamma: np.ndarray, beta: np.ndarray, bn_param: dict
) -> tuple[np.ndarray, AffineBatchNormReluCache]:
    """Affine layer, batch normalization, ReLU.

    Parameters
    ----------
    x : ndarray of shape (N, d_1, ..., d_k)
    w : ndarray of shape (D, M)
    b : ndarray of shape (M,)
    gamma, beta : ndarray of shape (M,)
        Batch norm's scale and shift.
    bn_param : dict
        As for :func:`cs231nbook.layers.batchnorm_forward` (its running
        statistics are updated in place in training mode).

    Returns
    -------
    out : ndarray of shape (N, M)
    cache : AffineBatchNormReluCache
    """
    a, fc_cache = affine_forward(x, w, b)
    a_norm, bn_cache = batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = relu_forward(a_norm)
    return out, AffineBatchNormReluCache(fc_cache, bn_cache, relu_cache)


def affine_bn_relu_backward(
    dout: np.ndarray, cache: AffineBatchNormReluCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of :func:`affine_bn_relu_forward`; returns ``(dx, dw, db, dgamma, dbeta)``."""
    cache = _checks.cache(
        "cache",
        cache,
        AffineBatchNormReluCache,
        "affine_bn_relu_forward",
        "affine_bn_relu_backward",
    )
    da_norm = relu_backward(dout, cache.relu)
    da, dgamma, dbeta = batchnorm_backward_alt(da_norm, cache.norm)
    dx, dw, db = affine_backward(da, cache.affine)
    return dx, dw, db, dgamma, dbeta


class AffineLayerNormReluCache(NamedTuple):
    """The pieces' caches, in forward order: ``affine``, ``norm`` (layer norm), ``relu``."""

    affine: AffineCache
    norm: LayerNormCache
    relu: ReluCache


def affine_ln_relu_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, gamma: np.ndarray, beta: np.ndarray, ln_param: dict
) -> tuple[np.ndarray, AffineLayerNormReluCache]:
    """Affine layer, layer normalization, ReLU.

    Parameters
    ----------
    x : ndarray of shape (N, d_1, ..., d_k)
    w : ndarray of shape (D, M)
    b : ndarray of shape (M,)
    gamma, beta : ndarray of shape (M,)
        Layer norm's scale and shift.
    ln_param : dict
        As for :func:`cs231nbook.layers.layernorm_forward`.

    Returns
    -------
    out : ndarray of shape (N, M)
    cache : AffineLayerNormReluCache
    """
    a, fc_cache = affine_forward(x, w, b)
    a_norm, ln_cache = layernorm_forward(a, gamma, beta, ln_param)
    out, relu_cache = relu_forward(a_norm)
    return out, AffineLayerNormReluCache(fc_cache, ln_cache, relu_cache)


def affine_ln_relu_backward(
    dout: np.ndarray, cache: AffineLayerNormReluCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of :func:`affine_ln_relu_forward`; returns ``(dx, dw, db, dgamma, dbeta)``."""
    cache = _checks.cache(
        "cache",
        cache,
        AffineLayerNormReluCache,
        "affine_ln_relu_forward",
        "affine_ln_relu_backward",
    )
    da_norm = relu_backward(dout, cache.relu)
    da, dgamma, dbeta = layernorm_backward(da_norm, cache.norm)
    dx, dw, db = affine_backward(da, cache.affine)
    return dx, dw, db, dgamma, dbeta
