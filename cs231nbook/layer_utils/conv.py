"""Convolutional sandwiches: convolution, ReLU and (optionally) 2-D max pooling as one layer.

They use the fast layers of :mod:`cs231nbook.fast_layers` (the naive ones give
the same numbers, only slower). Each backward runs the pieces' backward passes
in reverse order, so a sandwich is correct exactly when its pieces are. The
batch-normalized variants (``conv_bn_relu*``) live in their own module.
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
from ..layers import ReluCache, relu_backward, relu_forward


class ConvReluCache(NamedTuple):
    """The pieces' caches: ``conv`` from ``conv_forward_fast``, ``relu`` from ``relu_forward``."""

    conv: Any
    relu: ReluCache


class ConvReluPoolCache(NamedTuple):
    """The pieces' caches, in forward order; ``pool`` is from ``max_pool_forward_fast``."""

    conv: Any
    relu: ReluCache
    pool: Any


def conv_relu_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: Mapping[str, Any]
) -> tuple[np.ndarray, ConvReluCache]:
    """Convolution followed by a ReLU.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    w : ndarray of shape (F, C, HH, WW)
    b : ndarray of shape (F,)
    conv_param : dict
        ``{'stride', 'pad'}``, as for :func:`cs231nbook.layers.conv_forward_naive`.

    Returns
    -------
    out : ndarray of shape (N, F, H_out, W_out)
    cache : ConvReluCache
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    out, relu_cache = relu_forward(a)
    return out, ConvReluCache(conv_cache, relu_cache)


def conv_relu_backward(
    dout: np.ndarray, cache: ConvReluCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of :func:`conv_relu_forward`; returns ``(dx, dw, db)``."""
    cache = _checks.cache("cache", cache, ConvReluCache, "conv_relu_forward", "conv_relu_backward")
    da = relu_backward(dout, cache.relu)
    return conv_backward_fast(da, cache.conv)


def conv_relu_pool_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    conv_param: Mapping[str, Any],
    pool_param: Mapping[str, Any],
) -> tuple[np.ndarray, ConvReluPoolCache]:
    """Convolution, ReLU, then max pooling.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    w : ndarray of shape (F, C, HH, WW)
    b : ndarray of shape (F,)
    conv_param : dict
        ``{'stride', 'pad'}``.
    pool_param : dict
        ``{'pool_height', 'pool_width', 'stride'}``, as for
        :func:`cs231nbook.layers.max_pool_forward_naive`.

    Returns
    -------
    out : ndarray of shape (N, F, H_pool, W_pool)
        The pooled feature maps.
    cache : ConvReluPoolCache
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    s, relu_cache = relu_forward(a)
    out, pool_cache = max_pool_forward_fast(s, pool_param)
    return out, ConvReluPoolCache(conv_cache, relu_cache, pool_cache)


def conv_relu_pool_backward(
    dout: np.ndarray, cache: ConvReluPoolCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of :func:`conv_relu_pool_forward`; returns ``(dx, dw, db)``."""
    cache = _checks.cache(
        "cache", cache, ConvReluPoolCache, "conv_relu_pool_forward", "conv_relu_pool_backward"
    )
    ds = max_pool_backward_fast(dout, cache.pool)
    da = relu_backward(ds, cache.relu)
    return conv_backward_fast(da, cache.conv)
