"""Batch-normalized convolutional sandwiches: convolution, spatial batch norm, ReLU, [max pool].

These are the blocks of :class:`cs231nbook.classifiers.DeepConvNet` with
``batchnorm=True``. They use the fast layers of :mod:`cs231nbook.fast_layers`
and :func:`cs231nbook.layers.spatial_batchnorm_forward`; each backward runs the
pieces' backward passes in reverse order, so a sandwich is correct exactly when
its pieces are.

The convolution keeps its bias ``b`` although batch norm subtracts each
channel's mean right after it (so ``db`` is zero up to round-off in training
mode): the signatures then match CS231n's, and the bias does act in test mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import _checks
from ..fast_layers import (
    conv_backward_fast,
    conv_forward_fast,
    max_pool_backward_fast,
    max_pool_forward_fast,
)
from ..layers import (
    ReluCache,
    SpatialBatchNormCache,
    relu_backward,
    relu_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)


class ConvBatchNormReluCache(NamedTuple):
    """The pieces' caches, in forward order."""

    conv: Any
    norm: SpatialBatchNormCache
    relu: ReluCache


class ConvBatchNormReluPoolCache(NamedTuple):
    """The pieces' caches, in forward order; ``pool`` is from ``max_pool_forward_fast``."""

    conv: Any
    norm: SpatialBatchNormCache
    relu: ReluCache
    pool: Any


def conv_bn_relu_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    conv_param: Mapping[str, Any],
    bn_param: dict[str, Any],
) -> tuple[np.ndarray, ConvBatchNormReluCache]:
    """Convolution, spatial batch normalization, ReLU.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    w : ndarray of shape (F, C, HH, WW)
    b : ndarray of shape (F,)
    gamma, beta : ndarray of shape (F,)
        Batch norm's per-channel scale and shift.
    conv_param : dict
        ``{'stride', 'pad'}``, as for :func:`cs231nbook.layers.conv_forward_naive`.
    bn_param : dict
        As for :func:`cs231nbook.layers.spatial_batchnorm_forward`; its running
        statistics are updated in place in training mode.

    Returns
    -------
    out : ndarray of shape (N, F, H_out, W_out)
    cache : ConvBatchNormReluCache
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    a_norm, norm_cache = spatial_batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = relu_forward(a_norm)
    return out, ConvBatchNormReluCache(conv_cache, norm_cache, relu_cache)


def conv_bn_relu_backward(
    dout: np.ndarray, cache: ConvBatchNormReluCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of :func:`conv_bn_relu_forward`; returns ``(dx, dw, db, dgamma, dbeta)``."""
    cache = _checks.cache(
        "cache", cache, ConvBatchNormReluCache, "conv_bn_relu_forward", "conv_bn_relu_backward"
    )
    da_norm = relu_backward(dout, cache.relu)
    da, dgamma, dbeta = spatial_batchnorm_backward(da_norm, cache.norm)
    dx, dw, db = conv_backward_fast(da, cache.conv)
    return dx, dw, db, dgamma, dbeta


def conv_bn_relu_pool_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    conv_param: Mapping[str, Any],
    bn_param: dict[str, Any],
    pool_param: Mapping[str, Any],
) -> tuple[np.ndarray, ConvBatchNormReluPoolCache]:
    """Convolution, spatial batch normalization, ReLU, then max pooling.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    w : ndarray of shape (F, C, HH, WW)
    b : ndarray of shape (F,)
    gamma, beta : ndarray of shape (F,)
        Batch norm's per-channel scale and shift.
    conv_param : dict
        ``{'stride', 'pad'}``.
    bn_param : dict
        As for :func:`cs231nbook.layers.spatial_batchnorm_forward` (running
        statistics updated in place in training mode).
    pool_param : dict
        ``{'pool_height', 'pool_width', 'stride'}``, as for
        :func:`cs231nbook.layers.max_pool_forward_naive`.

    Returns
    -------
    out : ndarray of shape (N, F, H_pool, W_pool)
    cache : ConvBatchNormReluPoolCache
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    a_norm, norm_cache = spatial_batchnorm_forward(a, gamma, beta, bn_param)
    s, relu_cache = relu_forward(a_norm)
    out, pool_cache = max_pool_forward_fast(s, pool_param)
    caches = (conv_cache, norm_cache, relu_cache, pool_cache)
    return out, ConvBatchNormReluPoolCache(*caches)


def conv_bn_relu_pool_backward(
    dout: np.ndarray, cache: ConvBatchNormReluPoolCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of :func:`conv_bn_relu_pool_forward`; returns ``(dx, dw, db, dgamma, dbeta)``."""
    cache = _checks.cache(
        "cache",
        cache,
        ConvBatchNormReluPoolCache,
        "conv_bn_relu_pool_forward",
        "conv_bn_relu_pool_backward",
    )
    ds = max_pool_backward_fast(dout, cache.pool)
    da_norm = relu_backward(ds, cache.relu)
    da, dgamma, dbeta = spatial_batchnorm_backward(da_norm, cache.norm)
    dx, dw, db = conv_backward_fast(da, cache.conv)
    return dx, dw, db, dgamma, dbeta
