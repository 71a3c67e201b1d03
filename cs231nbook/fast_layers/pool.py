"""Max pooling with whole-array NumPy operations instead of loops over windows.

Same signatures, checks and results as
:func:`cs231nbook.layers.max_pool_forward_naive` and
:func:`cs231nbook.layers.max_pool_backward_naive`, including the tie rule (the
whole gradient goes to the first maximum of a window in row-major order) and
NaN handling (a NaN is its window's maximum).

Both passes loop over the ``pool_height * pool_width`` offsets of a window,
never over windows: for offset ``(p, q)``, the strided view
``x[:, :, p::stride, q::stride]`` (cut to ``H_out x W_out``) holds that entry of
every window at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import _checks
from ..layers.pool_naive import check_pool_args


class MaxPoolFastCache(NamedTuple):
    """What :func:`max_pool_backward_fast` needs: the input, the output and the window geometry."""

    x: np.ndarray
    out: np.ndarray
    pool_height: int
    pool_width: int
    stride: int


def tiles(H: int, W: int, pool_height: int, pool_width: int, stride: int) -> bool:
    """Whether the windows tile the input: square, stride equal to the window, dividing ``H`` and ``W``.

    Then every input pixel belongs to exactly one window.
    """
    return pool_height == pool_width == stride and H % stride == 0 and W % stride == 0


def _offset_view(a: np.ndarray, p: int, q: int, stride: int, H_out: int, W_out: int) -> np.ndarray:
    """Entry ``(p, q)`` of every window: ``a[:, :, i*stride + p, j*stride + q]`` for all ``(i, j)``."""
    return a[:, :, p:p + stride * (H_out - 1) + 1:stride, q:q + stride * (W_out - 1) + 1:stride]


def _max_tiled(x: np.ndarray, k: int) -> np.ndarray:
    """Max over ``k x k`` tiles, one axis at a time, on reshaped views with long inner loops."""
    N, C, H, W = x.shape
    pairs = x.reshape(-1, k)  # (N*C*H*W_out, k): the k pixels of a tile row, side by side
    row_max = pairs[:, 0].copy()  # (N*C*H*W_out,)
    for q in range(1, k):
        np.maximum(row_max, pairs[:, q], out=row_max)
    rows = row_max.reshape(N * C * (H // k), k, W // k)  # (N*C*H_out, k, W_out): the k rows of a tile
    out = rows[:, 0].copy()  # (N*C*H_out, W_out)
    for p in range(1, k):
        np.maximum(out, rows[:, p], out=out)
    return out.reshape(N, C, H // k, W // k)


def max_pool_forward_fast(
    x: np.ndarray, pool_param: Mapping[str, Any]
) -> tuple[np.ndarray, MaxPoolFastCache]:
    r"""Max-pooling forward pass, vectorized over windows.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    pool_param : dict
        ``'pool_height'``, ``'pool_width'``, ``'stride'`` (int >= 1), as for
        :func:`~cs231nbook.layers.max_pool_forward_naive`.

    Returns
    -------
    out : ndarray of shape (N, C, H_out, W_out), dtype of ``x``
        ``H_out = 1 + (H - pool_height) / stride``, ``W_out`` likewise.
    cache : MaxPoolFastCache
        For :func:`max_pool_backward_fast`.

    Raises
    ------
    TypeError, ValueError
        Exactly as :func:`~cs231nbook.layers.max_pool_forward_naive` (the same
        checks run), including when ``H_out`` or ``W_out`` is not an integer.

    Notes
    -----
    .. math:: \mathrm{out}_{n c i j} = \max_{p, q}\, x_{n,\, c,\, i s + p,\, j s + q}

    Two paths give identical results. When the windows tile the input
    (:func:`tiles`: ``k x k`` windows with stride ``k``, ``k`` dividing ``H``
    and ``W``) the maximum is taken first along the width, over ``x`` reshaped
    to ``(-1, k)``, then along the height, so NumPy's inner loops run over long
    arrays. Otherwise a running ``np.maximum`` visits the ``pool_height *
    pool_width`` offset views.
    """
    ph, pw, stride, H_out, W_out = check_pool_args(x, pool_param)
    _, _, H, W = x.shape
    if tiles(H, W, ph, pw, stride):
        out = _max_tiled(x, stride)
    else:
        out = _offset_view(x, 0, 0, stride, H_out, W_out).copy()  # (N, C, H_out, W_out)
        for p in range(ph):
            for q in range(pw):
                if p or q:
                    np.maximum(out, _offset_view(x, p, q, stride, H_out, W_out), out=out)
    return out, MaxPoolFastCache(x, out, ph, pw, stride)


def max_pool_backward_fast(dout: np.ndarray, cache: MaxPoolFastCache) -> np.ndarray:
    r"""Max-pooling backward pass: each ``dout`` value goes to its window's first arg-max.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H_out, W_out)
        Upstream derivative of the loss with respect to ``out``.
    cache : MaxPoolFastCache
        From :func:`max_pool_forward_fast`.

    Returns
    -------
    dx : ndarray of shape (N, C, H, W), dtype of ``x``
        Zero except at the arg-max of each window; where overlapping windows
        share their arg-max, their gradients add up.

    Raises
    ------
    TypeError, ValueError
        If ``dout`` is not a floating-point array of the forward output's shape.

    Notes
    -----
    The offsets are visited in row-major order. Offset ``(p, q)`` *hits* a
    window when its entry equals the window's maximum and no earlier offset hit
    that window, so each window routes its gradient to exactly one entry, the
    first maximum in row-major order: the tie rule of
    :func:`~cs231nbook.layers.max_pool_backward_naive` (and of ``np.argmax``).
    A NaN counts as equal to a NaN maximum, as ``np.argmax`` treats it.
    When the windows tile the input, each offset view is written once
    (``dout * hit``); otherwise the views overlap and are added to.
    """
    x, out, ph, pw, stride = cache
    N, C, H, W = x.shape
    _, _, H_out, W_out = out.shape
    _checks.float_array("dout", dout, ndim=4)
    _checks.same_shape("dout", dout, out.shape, "the shape of the forward output")
    dout = dout.astype(x.dtype, copy=False)

    nan_max = np.isnan(out)
    has_nan = bool(nan_max.any())
    # dout * hit is the fastest selection, but inf * 0 = nan would leak into
    # the entries that are not the maximum; np.where is exact for any dout.
    finite = bool(np.isfinite(dout).all())
    tiled = tiles(H, W, ph, pw, stride)
    dx = np.empty_like(x) if tiled else np.zeros_like(x)
    taken = np.zeros(out.shape, dtype=bool)  # windows whose arg-max an earlier offset already claimed
    hit = np.empty(out.shape, dtype=bool)
    for p in range(ph):
        for q in range(pw):
            entry = _offset_view(x, p, q, stride, H_out, W_out)  # (N, C, H_out, W_out)
            target = _offset_view(dx, p, q, stride, H_out, W_out)  # (N, C, H_out, W_out)
            np.equal(entry, out, out=hit)
            if has_nan:
                hit |= np.isnan(entry) & nan_max
            hit &= ~taken
            taken |= hit
            if tiled and finite:
                np.multiply(dout, hit, out=target)
            elif tiled:
                target[...] = np.where(hit, dout, 0)
            elif finite:
                target += dout * hit
            else:
                target += np.where(hit, dout, 0)
    return dx
