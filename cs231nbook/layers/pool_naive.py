"""Max pooling, written as plain loops over output positions.

Each output is the largest value in a window of one channel; the gradient
flows back only to that value. The chapter *Max pooling* derives this, and
shows what happens with ties and with overlapping windows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import _checks


class MaxPoolCache(NamedTuple):
    """What :func:`max_pool_backward_naive` needs: the input and the window geometry."""

    x: np.ndarray
    pool_height: int
    pool_width: int
    stride: int


def pool_arguments(x: Any, pool_param: Any) -> tuple[np.ndarray, int, int, int, int, int]:
    """Validate the arguments of a max-pooling forward pass and return them ready to use.

    Shared by the naive and the fast pooling so both reject the same inputs
    with the same messages. An integer ``x`` is converted to float64;
    ``pool_param`` may hold only ``'pool_height'``, ``'pool_width'`` and ``'stride'``.

    Returns
    -------
    x : ndarray
    pool_height, pool_width, stride, H_out, W_out : int
    """
    x = _checks.real_array("x", x, ndim=4)
    _checks.param_dict(
        "pool_param", pool_param, required=("pool_height", "pool_width", "stride"), optional=()
    )
    ph = _checks.positive_int("pool_param['pool_height']", pool_param["pool_height"])
    pw = _checks.positive_int("pool_param['pool_width']", pool_param["pool_width"])
    stride = _checks.positive_int("pool_param['stride']", pool_param["stride"])
    _, _, H, W = x.shape
    H_out = _checks.output_size(H, ph, stride, 0, "max pooling height (H vs pool_height)")
    W_out = _checks.output_size(W, pw, stride, 0, "max pooling width (W vs pool_width)")
    return x, ph, pw, stride, H_out, W_out


def check_pool_args(x: Any, pool_param: Any) -> tuple[int, int, int, int, int]:
    """Validate the arguments of a max-pooling forward pass (see :func:`pool_arguments`).

    Returns
    -------
    pool_height, pool_width, stride, H_out, W_out : int
    """
    return pool_arguments(x, pool_param)[1:]


def pool_geometry(cache: Any, backward: str) -> tuple[np.ndarray, int, int, int]:
    """``(x, pool_height, pool_width, stride)`` from a naive or a fast max-pooling cache.

    The two caches are interchangeable: either backward pass accepts either.
    Anything else raises ``TypeError`` saying where it came from.
    """
    from ..fast_layers.pool import (
        MaxPoolFastCache,
    )  # imported here: fast_layers imports this module

    _checks.cache(
        "cache",
        cache,
        (MaxPoolCache, MaxPoolFastCache),
        "max_pool_forward_naive or max_pool_forward_fast",
        backward,
    )
    return cache.x, cache.pool_height, cache.pool_width, cache.stride


def max_pool_forward_naive(
    x: np.ndarray, pool_param: Mapping[str, Any]
) -> tuple[np.ndarray, MaxPoolCache]:
    r"""Max-pooling forward pass, one output value at a time.

    A ``pool_height x pool_width`` window slides over every channel of every
    image with the given stride (no padding); each output is the window's
    maximum. Windows may overlap (stride smaller than the window).

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    pool_param : dict
        ``'pool_height'``, ``'pool_width'`` (int >= 1): the window size in pixels.
        ``'stride'`` (int >= 1): the step between neighbouring windows.

    Returns
    -------
    out : ndarray of shape (N, C, H_out, W_out), dtype of ``x``
        ``H_out = 1 + (H - pool_height) / stride`` and
        ``W_out = 1 + (W - pool_width) / stride``.
    cache : MaxPoolCache
        ``(x, pool_height, pool_width, stride)``, for :func:`max_pool_backward_naive`.

    Raises
    ------
    TypeError
        If ``x`` is not an ndarray of real numbers (an integer ``x`` is
        converted to float64; a masked array is refused), ``pool_param`` is not
        a dict, or a size is not an integer.
    ValueError
        If ``x`` is not 4-dimensional; a key of ``pool_param`` is missing or
        unknown; a size
        is < 1; the window is larger than the input; or ``H_out`` or ``W_out`` is
        not an integer (nothing is dropped silently).

    Notes
    -----
    .. math:: \mathrm{out}_{n c i j} = \max_{0 \le p < PH,\; 0 \le q < PW} x_{n,\, c,\, i s + p,\, j s + q}
    """
    x, ph, pw, stride, H_out, W_out = pool_arguments(x, pool_param)
    N, C, _, _ = x.shape
    out = np.empty((N, C, H_out, W_out), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    top, left = i * stride, j * stride
                    out[n, c, i, j] = np.max(x[n, c, top : top + ph, left : left + pw])
    return out, MaxPoolCache(x, ph, pw, stride)


def max_pool_backward_naive(dout: np.ndarray, cache: MaxPoolCache) -> np.ndarray:
    r"""Max-pooling backward pass: each ``dout`` value goes to its window's arg-max.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H_out, W_out)
        Upstream derivative of the loss with respect to ``out``.
    cache : MaxPoolCache or MaxPoolFastCache
        From :func:`max_pool_forward_naive` (or
        :func:`~cs231nbook.fast_layers.max_pool_forward_fast`: the caches are
        interchangeable).

    Returns
    -------
    dx : ndarray of shape (N, C, H, W), dtype of ``x``
        Zero except at the arg-max of each window. Where overlapping windows
        share their arg-max, their gradients add up.

    Raises
    ------
    ValueError
        If ``dout`` does not have the shape of the forward output.

    Notes
    -----
    .. math:: \frac{\partial L}{\partial x_{nchv}} = \sum_{i, j} \mathrm{dout}_{nchv}\,
        \mathbb{1}\big[(h, v) = (i s + p^*_{ij},\, j s + q^*_{ij})\big]

    where :math:`(p^*_{ij}, q^*_{ij})` is the arg-max of window :math:`(i, j)`.

    **Ties.** When several entries of a window share the maximum, the whole
    gradient goes to the *first* of them in row-major order within the window
    (top row first, then left to right), which is what ``np.argmax`` on the
    flattened window returns and what PyTorch's CPU ``max_pool2d`` does. Any
    split that sums to ``dout`` is a valid subgradient; sending all of it to one
    entry keeps ``dx.sum() == dout.sum()``. (The mask ``window == window.max()``,
    a common way to write this layer, instead gives the full ``dout`` to every
    tied entry, so a tie doubles the gradient; that is not a subgradient.)
    A NaN in a window is its maximum, as with ``np.max``/``np.argmax``.
    """
    x, ph, pw, stride = pool_geometry(cache, "max_pool_backward_naive")
    N, C, H, W = x.shape
    H_out = 1 + (H - ph) // stride
    W_out = 1 + (W - pw) // stride
    dout = _checks.real_array("dout", dout, ndim=4, dtype=x.dtype)
    _checks.same_shape("dout", dout, (N, C, H_out, W_out), "the shape of the forward output")

    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    top, left = i * stride, j * stride
                    window = x[n, c, top : top + ph, left : left + pw]  # (pool_height, pool_width)
                    # np.argmax returns the first maximum in row-major order: the tie rule.
                    p, q = np.unravel_index(np.argmax(window), window.shape)
                    # += because overlapping windows can share their arg-max.
                    dx[n, c, top + p, left + q] += dout[n, c, i, j]
    return dx
