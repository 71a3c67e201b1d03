"""Spatial batch normalization and group normalization for NCHW feature maps.

Both are the fully-connected layers of :mod:`cs231nbook.layers.normalization`
applied to a reshaped input, and nothing more: spatial batch norm is batch
norm over rows that are the ``N*H*W`` pixels of each channel; group norm is
layer norm over rows that are the ``N*G`` groups of ``C/G`` channels. The
chapter *Spatial batch norm and group norm* shows the reshapes and checks
both layers against the numerical gradient.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .. import _checks
from .normalization import (
    BatchNormCache,
    LayerNormCache,
    _eps,
    batchnorm_backward_alt,
    batchnorm_forward,
    layernorm_backward,
    layernorm_forward,
)

#: The keys ``gn_param`` may hold; any other raises ``ValueError``.
GN_PARAM_KEYS = ("eps",)


class SpatialBatchNormCache(NamedTuple):
    """The cache of the vanilla batch norm on the reshaped input, and the input's shape."""

    bn: BatchNormCache
    shape: tuple[int, int, int, int]


class GroupNormCache(NamedTuple):
    """The vanilla layer norm's cache on the grouped input, and what the channel scale needs."""

    ln: LayerNormCache
    xhat: np.ndarray  # (N, C, H, W): the normalized input, before gamma and beta
    gamma: np.ndarray  # (1, C, 1, 1)
    G: int


def _channels_last_rows(a: np.ndarray) -> np.ndarray:
    n, c, h, w = a.shape
    channels_last = a.transpose(0, 2, 3, 1)  # (N, C, H, W) -> (N, H, W, C)
    return channels_last.reshape(n * h * w, c)  # -> (N*H*W, C): one row per pixel


def _from_channels_last_rows(rows: np.ndarray, shape: tuple[int, int, int, int]) -> np.ndarray:
    n, c, h, w = shape
    channels_last = rows.reshape(n, h, w, c)  # (N*H*W, C) -> (N, H, W, C)
    return channels_last.transpose(0, 3, 1, 2)  # -> (N, C, H, W)


def spatial_batchnorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, bn_param: dict[str, Any]
) -> tuple[np.ndarray, SpatialBatchNormCache]:
    r"""Spatial batch normalization forward pass: one mean and variance per channel.

    Each channel is normalized with the statistics of all its ``N*H*W``
    values (every pixel of every image in the batch), so that a convolution's
    output, which is the same filter applied at every position, stays
    comparable across positions. Implemented as :func:`batchnorm_forward` on
    the input reshaped to ``(N*H*W, C)``.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    gamma : ndarray of shape (C,)
        Per-channel scale.
    beta : ndarray of shape (C,)
        Per-channel shift.
    bn_param : dict
        As for :func:`batchnorm_forward` (``'mode'``, ``'eps'``,
        ``'momentum'``, running statistics of shape (C,), updated in place in
        training mode).

    Returns
    -------
    out : ndarray of shape (N, C, H, W)
    cache : SpatialBatchNormCache

    Notes
    -----
    .. math::
        \mu_c = \frac{1}{NHW} \sum_{n,h,w} x_{nchw}, \quad
        \sigma_c^2 = \frac{1}{NHW} \sum_{n,h,w} (x_{nchw} - \mu_c)^2, \quad
        \mathrm{out}_{nchw} = \gamma_c \,
        \frac{x_{nchw} - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}} + \beta_c
    """
    x = _checks.real_array("x", x, ndim=4)
    c = x.shape[1]
    gamma = _checks.real_array("gamma", gamma, dtype=x.dtype)
    beta = _checks.real_array("beta", beta, dtype=x.dtype)
    _checks.same_shape("gamma", gamma, (c,), "one scale per channel, C = x.shape[1]")
    _checks.same_shape("beta", beta, (c,), "one shift per channel, C = x.shape[1]")
    if x.size == 0 and isinstance(bn_param, dict) and bn_param.get("mode") == "train":
        raise ValueError(
            "x must hold at least one pixel per channel in training mode (the statistics of an "
            f"empty batch are undefined); got shape {x.shape}"
        )
    out_rows, bn_cache = batchnorm_forward(_channels_last_rows(x), gamma, beta, bn_param)
    out = _from_channels_last_rows(out_rows, x.shape)
    return out, SpatialBatchNormCache(bn_cache, x.shape)


def spatial_batchnorm_backward(
    dout: np.ndarray, cache: SpatialBatchNormCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spatial batch normalization backward pass.

    The same reshape as the forward pass around :func:`batchnorm_backward_alt`.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H, W)
    cache : SpatialBatchNormCache

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    dgamma : ndarray of shape (C,)
    dbeta : ndarray of shape (C,)
    """
    cache = _checks.cache(
        "cache",
        cache,
        SpatialBatchNormCache,
        "spatial_batchnorm_forward",
        "spatial_batchnorm_backward",
    )
    dout = _checks.real_array("dout", dout, dtype=cache.bn.x.dtype)
    _checks.same_shape("dout", dout, cache.shape, "the shape of the forward output")
    dx_rows, dgamma, dbeta = batchnorm_backward_alt(_channels_last_rows(dout), cache.bn)
    return _from_channels_last_rows(dx_rows, cache.shape), dgamma, dbeta


def spatial_groupnorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, G: int, gn_param: dict[str, Any]
) -> tuple[np.ndarray, GroupNormCache]:
    r"""Group normalization forward pass.

    The ``C`` channels are split into ``G`` groups of ``C/G`` consecutive
    channels; each example's group is normalized with the mean and biased
    variance of its ``C/G * H * W`` values, then every channel gets its own
    scale and shift. Nothing depends on the batch, so training and test
    behave alike. ``G = 1`` is layer norm over (C, H, W); ``G = C`` is
    instance norm.

    Implemented as :func:`layernorm_forward` (with unit scale and zero
    shift) on the input reshaped to ``(N*G, C/G*H*W)``, followed by the
    per-channel ``gamma`` and ``beta``.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    gamma : ndarray of shape (1, C, 1, 1)
        Per-channel scale.
    beta : ndarray of shape (1, C, 1, 1)
        Per-channel shift.
    G : int
        Number of groups; must divide ``C``.
    gn_param : dict
        ``'eps'`` (default 1e-5); any other key raises ``ValueError``.

    Returns
    -------
    out : ndarray of shape (N, C, H, W)
    cache : GroupNormCache

    Notes
    -----
    For the group :math:`S_{ng}` of example :math:`n` (channels
    :math:`gC/G, \dots, (g+1)C/G - 1`, all positions):

    .. math::
        \hat x_{nchw} = \frac{x_{nchw} - \mu_{ng}}{\sqrt{\sigma_{ng}^2 + \epsilon}}, \quad
        \mathrm{out}_{nchw} = \gamma_c \hat x_{nchw} + \beta_c
    """
    x = _checks.real_array("x", x, ndim=4)
    n, c, h, w = x.shape
    G = _checks.positive_int("G", G)
    if c % G:
        raise ValueError(f"G must divide the number of channels C = {c} (x.shape[1]); got G = {G}")
    gamma = _checks.real_array("gamma", gamma, dtype=x.dtype)
    beta = _checks.real_array("beta", beta, dtype=x.dtype)
    _checks.same_shape("gamma", gamma, (1, c, 1, 1), "one scale per channel, C = x.shape[1]")
    _checks.same_shape("beta", beta, (1, c, 1, 1), "one shift per channel, C = x.shape[1]")
    gamma, beta = gamma.astype(x.dtype, copy=False), beta.astype(x.dtype, copy=False)
    _checks.param_dict("gn_param", gn_param, optional=GN_PARAM_KEYS)
    eps = _eps(gn_param, "gn_param")  # checked here, so that errors name gn_param
    group_size = c // G * h * w
    rows = x.reshape(n * G, group_size)  # (N, C, H, W) -> (N*G, C/G*H*W): one row per group
    ones, zeros = np.ones(group_size, dtype=x.dtype), np.zeros(group_size, dtype=x.dtype)
    xhat_rows, ln_cache = layernorm_forward(rows, ones, zeros, {"eps": eps})
    xhat = xhat_rows.reshape(n, c, h, w)  # (N*G, C/G*H*W) -> (N, C, H, W)
    return gamma * xhat + beta, GroupNormCache(ln_cache, xhat, gamma, G)


def spatial_groupnorm_backward(
    dout: np.ndarray, cache: GroupNormCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group normalization backward pass.

    The per-channel scale and shift first, then :func:`layernorm_backward`
    on the grouped rows.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H, W)
    cache : GroupNormCache

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    dgamma : ndarray of shape (1, C, 1, 1)
    dbeta : ndarray of shape (1, C, 1, 1)
    """
    cache = _checks.cache(
        "cache", cache, GroupNormCache, "spatial_groupnorm_forward", "spatial_groupnorm_backward"
    )
    dout = _checks.real_array("dout", dout, dtype=cache.xhat.dtype)
    _checks.same_shape("dout", dout, cache.xhat.shape, "the shape of the forward output")
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)  # (1, C, 1, 1)
    dgamma = (dout * cache.xhat).sum(axis=(0, 2, 3), keepdims=True)  # (1, C, 1, 1)
    dxhat = dout * cache.gamma
    dxhat_rows = dxhat.reshape(cache.ln.xhat.shape)  # (N, C, H, W) -> (N*G, C/G*H*W)
    dx_rows, _, _ = layernorm_backward(dxhat_rows, cache.ln)
    return dx_rows.reshape(dout.shape), dgamma, dbeta
