"""Max pooling with whole-array NumPy operations instead of loops over windows.

Same signatures, checks and results as
:func:`cs231nbook.layers.max_pool_forward_naive` and
:func:`cs231nbook.layers.max_pool_backward_naive`, including the tie rule (the
whole gradient goes to the first maximum of a window in row-major order) and
NaN handling (a NaN is its window's maximum).

No loop runs over windows. When ``k x k`` windows with stride ``k`` tile the
input (the usual 2x2 pooling), the maximum and its position are found one axis
at a time on reshaped views of the whole batch. Otherwise the passes loop over
the ``pool_height * pool_width`` offsets of a window: for offset ``(p, q)``,
the strided view ``x[:, :, p::stride, q::stride]`` (cut to ``H_out x W_out``)
holds that entry of every window at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import _checks
from ..layers.pool_naive import MaxPoolCache, pool_arguments, pool_geometry
from .im2col import window_entry


class MaxPoolFastCache(NamedTuple):
    """What :func:`max_pool_backward_fast` needs: the input, the output and the window geometry."""

    x: np.ndarray
    out: np.ndarray
    pool_height: int
    pool_width: int
    stride: int


def tiles(H: int, W: int, pool_height: int, pool_width: int, stride: int) -> bool:
    """Whether the windows tile the input: square, at least 2x2, stride equal to the window,
    dividing ``H`` and ``W``. Then every input pixel belongs to exactly one window.
    """
    return pool_height == pool_width == stride >= 2 and H % stride == 0 and W % stride == 0


def _max_tiled(x: np.ndarray, k: int) -> np.ndarray:
    """Max over ``k x k`` tiles (``k >= 2``), one axis at a time, on reshaped views with long inner loops."""
    N, C, H, W = x.shape
    tile_rows = x.reshape(-1, k)  # (N*C*H*W_out, k): the k pixels of each tile row
    row_max = np.maximum(tile_rows[:, 0], tile_rows[:, 1])  # (N*C*H*W_out,)
    for q in range(2, k):
        np.maximum(row_max, tile_rows[:, q], out=row_max)
    rows = row_max.reshape(
        N * C * (H // k), k, W // k
    )  # (N*C*H_out, k, W_out): a tile's row maxima
    out = np.maximum(rows[:, 0], rows[:, 1])  # (N*C*H_out, W_out)
    for p in range(2, k):
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
    (``tiles``: ``k x k`` windows with stride ``k``, ``k`` dividing ``H``
    and ``W``) the maximum is taken first along the width, over ``x`` reshaped
    to ``(-1, k)``, then along the height, so NumPy's inner loops run over long
    arrays. Otherwise a running ``np.maximum`` visits the ``pool_height *
    pool_width`` offset views.
    """
    x, ph, pw, stride, H_out, W_out = pool_arguments(x, pool_param)
    _, _, H, W = x.shape
    if tiles(H, W, ph, pw, stride):
        out = _max_tiled(x, stride)
    else:
        out = window_entry(x, 0, 0, stride, H_out, W_out).copy()  # (N, C, H_out, W_out)
        for p in range(ph):
            for q in range(pw):
                if p or q:
                    np.maximum(out, window_entry(x, p, q, stride, H_out, W_out), out=out)
    return out, MaxPoolFastCache(x, out, ph, pw, stride)


def max_pool_backward_fast(dout: np.ndarray, cache: MaxPoolFastCache) -> np.ndarray:
    r"""Max-pooling backward pass: each ``dout`` value goes to its window's first arg-max.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H_out, W_out)
        Upstream derivative of the loss with respect to ``out``.
    cache : MaxPoolFastCache or MaxPoolCache
        From :func:`max_pool_forward_fast` (or
        :func:`~cs231nbook.layers.max_pool_forward_naive`: the caches are
        interchangeable).

    Returns
    -------
    dx : ndarray of shape (N, C, H, W), dtype of ``x``
        Zero except at the arg-max of each window; where overlapping windows
        share their arg-max, their gradients add up.

    Raises
    ------
    TypeError, ValueError
        If ``dout`` is not an array of real numbers of the forward output's
        shape (an integer ``dout`` is converted to ``x``'s dtype), or ``cache``
        comes from neither max-pooling forward pass.

    Notes
    -----
    Ties go to the first maximum of a window in row-major order, as in
    :func:`~cs231nbook.layers.max_pool_backward_naive` (and ``np.argmax``); a
    NaN is the maximum of its window.

    *Tiling windows* (``tiles``): the arg-max is found one axis at a time.
    Along the width, the first maximum of each row of a tile (a strict ``>``
    keeps the earlier entry on ties); then, along the height, the first row
    whose maximum is the tile's. Top row first, then left to right within it:
    row-major order. The gradient is routed back the same way, as
    ``dout * mask`` on reshaped views with long inner loops.

    *Other windows*: the offsets ``(p, q)`` are visited in row-major order;
    offset ``(p, q)`` claims a window when its entry equals the window's
    maximum and no earlier offset has claimed it. Overlapping windows add
    their gradients.
    """
    x, ph, pw, stride = pool_geometry(cache, "max_pool_backward_fast")
    if isinstance(cache, MaxPoolCache):  # a naive cache: recompute the maxima it does not keep
        out, _ = max_pool_forward_fast(x, {"pool_height": ph, "pool_width": pw, "stride": stride})
    else:
        out = cache.out
    N, C, H, W = x.shape
    dout = _checks.real_array("dout", dout, ndim=4, dtype=x.dtype)
    _checks.same_shape("dout", dout, out.shape, "the shape of the forward output")
    dout = dout.astype(x.dtype, copy=False)
    has_nan = bool(np.isnan(out).any())
    route = _route_product if np.isfinite(dout).all() else _route_select
    if tiles(H, W, ph, pw, stride):
        return _backward_tiled(x, dout, stride, has_nan, route)
    return _backward_general(x, out, dout, ph, pw, stride, has_nan, route)


#: How a backward pass writes ``values where mask else 0`` into ``out``.
_Route = Callable[[np.ndarray, np.ndarray, np.ndarray], None]


def _route_product(values: np.ndarray, mask: np.ndarray, out: np.ndarray) -> None:
    """``out = values where mask else 0``, as a product: branch-free, fast, exact for finite values."""
    np.multiply(values, mask, out=out)


def _route_select(values: np.ndarray, mask: np.ndarray, out: np.ndarray) -> None:
    """``out = values where mask else 0`` for any values (``inf * 0`` would give NaN)."""
    out[...] = np.where(mask, values, 0)


def _first_max(views: list[np.ndarray], has_nan: bool) -> tuple[np.ndarray, np.ndarray]:
    """Element-wise maximum of two or more same-shaped arrays, and the index of the first
    array holding it (uint8 for up to 256 arrays, int32 beyond: a window of any size).
    A NaN counts as larger than any number (the first NaN wins), as for ``np.argmax``."""
    index_type = np.uint8 if len(views) <= 256 else np.int32
    best = views[0]
    index: np.ndarray | None = None
    for k, v in enumerate(views[1:], start=1):
        better = v > best  # strict: on a tie the earlier array keeps it
        if has_nan:
            better |= np.isnan(v) & ~np.isnan(best)
        if index is None:
            # 1 where the second array wins, else 0
            index = better.view(np.uint8) if index_type is np.uint8 else better.astype(index_type)
            best = np.maximum(best, v)  # a new array; propagates NaN, like np.max
        else:
            # Set index to k where better. Every index so far is below k, so a maximum
            # does it, branch-free (a masked assignment is several times slower).
            flags = better.view(np.uint8) if index_type is np.uint8 else better.astype(index_type)
            np.maximum(index, flags * index_type(k), out=index)
            np.maximum(best, v, out=best)
    assert index is not None  # at least two views
    return best, index


def _backward_tiled(
    x: np.ndarray, dout: np.ndarray, k: int, has_nan: bool, route: _Route
) -> np.ndarray:
    N, C, H, W = x.shape
    tile_rows = x.reshape(-1, k)  # (N*C*H*W_out, k): the k pixels of each tile row
    row_max, q_star = _first_max([tile_rows[:, q] for q in range(k)], has_nan)  # (N*C*H*W_out,)
    rows = row_max.reshape(
        N * C * (H // k), k, W // k
    )  # (N*C*H_out, k, W_out): a tile's row maxima
    _, p_star = _first_max([rows[:, p] for p in range(k)], has_nan)  # (N*C*H_out, W_out)
    d = dout.reshape(N * C * (H // k), W // k)  # (N*C*H_out, W_out)
    d_rows = np.empty(rows.shape, dtype=x.dtype)  # gradient of the row maxima
    for p in range(k):
        route(d, p_star == p, d_rows[:, p])
    d_rows = d_rows.reshape(-1)  # (N*C*H*W_out,)
    # C order, whatever x's layout: reshaping an F-ordered or transposed dx would write into a copy
    dx = np.empty(x.shape, dtype=x.dtype)
    dx_rows = dx.reshape(-1, k)  # (N*C*H*W_out, k), a view because dx is C-contiguous
    for q in range(k):
        route(d_rows, q_star == q, dx_rows[:, q])
    return dx


def _backward_general(
    x: np.ndarray,
    out: np.ndarray,
    dout: np.ndarray,
    ph: int,
    pw: int,
    stride: int,
    has_nan: bool,
    route: _Route,
) -> np.ndarray:
    _, _, H_out, W_out = out.shape
    nan_max = np.isnan(out) if has_nan else None
    dx = np.zeros(x.shape, dtype=x.dtype)
    taken = np.zeros(out.shape, dtype=bool)  # windows whose arg-max an earlier offset claimed
    hit = np.empty(out.shape, dtype=bool)
    share = np.empty(out.shape, dtype=x.dtype)
    for p in range(ph):
        for q in range(pw):
            entry = window_entry(x, p, q, stride, H_out, W_out)  # (N, C, H_out, W_out)
            np.equal(entry, out, out=hit)
            if has_nan:
                hit |= np.isnan(entry) & nan_max
            hit &= ~taken
            taken |= hit
            route(dout, hit, share)
            window_entry(dx, p, q, stride, H_out, W_out)[...] += share  # overlapping windows add up
    return dx
