r"""The 3x3 convolution by Winograd's minimal filtering F(m x m, 3 x 3), in pure NumPy.

An ``m x m`` tile of output reads an ``alpha x alpha`` tile of the padded input
(``alpha = m + 2``). Winograd's algorithm computes it as

.. math:: Y = A^\top \left[ \sum_c (G\, g_c\, G^\top) \odot (B^\top d_c\, B) \right] A,

with the exact matrices of :mod:`cs231nbook.fast_layers.winograd_transforms`:
``alpha**2`` multiplications per tile, filter and channel instead of ``9 m**2``
(16 instead of 36 for F(2, 3), 36 instead of 144 for F(4, 3)). The sum over the
channels runs inside the transform domain, so for each of the ``alpha**2``
positions ``(a, b)`` it is one matrix product: ``M[ab] = V[ab] @ U[ab]``, tiles by
channels times channels by filters. These products are where the arithmetic is.

The layout. A block of ``n`` images is copied into a zero-padded *canvas* of
shape ``(H_canvas, W_canvas, n, C)`` (rows, columns, then images and channels
innermost), large enough for whole tiles. Element ``(i, j)`` of every tile is
then a strided view of the canvas whose innermost ``n * C`` entries are
contiguous, so the tile gather (forward) and the overlap-add of the tiles'
gradients (backward) move long runs. Tiles are ordered ``(ty, tx, image)``;
transforms are two thin matrix products each (one per side of the tile), all on
contiguous arrays with the tile positions outermost. Blocks of a few images
(:data:`BLOCK_BYTES`) keep the working set in the CPU cache; memory stays
bounded for any batch size.

The chapter *Winograd convolution* derives the matrices, the backward pass (the
adjoint of each linear step) and measures accuracy and speed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import _checks
from ..layers.conv_naive import check_conv_args
from . import stacked as _stacked
from .winograd_transforms import TILE_SIZES, transform_matrices

#: Preferred size in bytes of one block's transformed tiles (input and output
#: together), 1 MiB: 4 images of the (64, 32, 16, 16) x (64, 32, 3, 3) layer, 8
#: of the (64, 64, 8, 8) x (128, 64, 3, 3) one. Blocks this small stay in the
#: CPU cache from the gather to the output transform. Measured on those two
#: layers (interleaved runs on a shared machine): blocks twice as large took
#: 1.15 to 1.3 times as long, blocks half as large about the same time.
BLOCK_BYTES: int = 2**20


class WinogradCache(NamedTuple):
    """What :func:`conv_backward_winograd` needs: the input, the filters, the geometry and the
    transformed filters."""

    x: np.ndarray  # (N, C, H, W), the forward input (not a copy)
    w: np.ndarray  # (F, C, 3, 3)
    pad: int
    tile_size: int  # m
    U: np.ndarray  # (alpha*alpha, C, F): G w G^T per filter and channel, working dtype


class WinogradPlan:
    """Geometry, block size and transform matrices of one Winograd convolution.

    Each phase of a pass (gathering tiles, the transforms, the per-position
    products, the overlap-add) is a method, so that ``benchmarks/profile_winograd.py``
    can clock them inside the library's own calls. Not needed to use the layer.
    """

    def __init__(self, x_shape, F: int, pad: int, m: int, dtype: np.dtype):
        N, C, H, W = x_shape
        self.N, self.C, self.H, self.W, self.F, self.pad, self.m = N, C, H, W, F, pad, m
        self.alpha = alpha = m + 2
        self.P = alpha * alpha  # positions in the transform domain
        self.H_out, self.W_out = H + 2 * pad - 2, W + 2 * pad - 2
        self.th, self.tw = -(-self.H_out // m), -(-self.W_out // m)  # tiles per column, row
        # The canvas holds whole tiles: th*m + 2 rows, at least the padded image.
        self.H_canvas, self.W_canvas = self.th * m + 2, self.tw * m + 2
        self.exact = self.th * m == self.H_out and self.tw * m == self.W_out
        self.dtype = dtype
        self.AT, self.G, self.BT = transform_matrices(m, dtype)
        self.A, self.B = np.ascontiguousarray(self.AT.T), np.ascontiguousarray(self.BT.T)
        per_image = self.P * self.th * self.tw * (C + F) * dtype.itemsize
        per_block = max(1, min(N, BLOCK_BYTES // max(1, per_image)))
        # Blocks of nearly equal size (64 images in blocks of at most 9: eight of 8, not seven
        # of 9 and one of 1, whose products would be tiny and whose buffers would be new).
        n_blocks = -(-N // per_block) if N else 1
        self.per_block = max(1, -(-N // n_blocks))
        self._views: dict = {}  # strided views of the block buffers, made once per buffer

    def blocks(self):
        return _stacked.chunks(self.N, self.per_block)

    def filters(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``U[ab] = (G w G^T)[a, b]`` for every filter and channel, in both orders the
        products use: (alpha*alpha, C, F) and (alpha*alpha, F, C), contiguous."""
        alpha, F, C = self.alpha, self.F, self.C
        w_pq = w.astype(self.dtype, copy=False).transpose(2, 3, 0, 1)  # (3, 3, F, C)
        rows = self.G @ w_pq.reshape(3, -1)  # (a, q*F*C)
        Ut = np.matmul(self.G, rows.reshape(alpha, 3, F * C))  # (a, b, F*C)
        Ut = Ut.reshape(self.P, F, C)  # (alpha*alpha, F, C)
        return np.ascontiguousarray(Ut.transpose(0, 2, 1)), Ut  # (.., C, F), (.., F, C)

    def filter_gradient_to_w(self, dU: np.ndarray, dtype) -> np.ndarray:
        """``dw = G^T dU G`` per filter and channel: (alpha*alpha, C, F) -> (F, C, 3, 3)."""
        alpha = self.alpha
        rows = self.G.T @ dU.reshape(alpha, -1)  # (p, b*C*F)
        dw_pq = np.matmul(self.G.T, rows.reshape(3, alpha, -1))  # (p, q, C*F)
        return np.ascontiguousarray(
            dw_pq.reshape(3, 3, self.C, self.F).transpose(3, 2, 0, 1), dtype=dtype
        )  # (F, C, 3, 3)

    def canvas(self, n: int) -> np.ndarray:
        """A zeroed canvas for ``n`` images: (H_canvas, W_canvas, n, C)."""
        return np.zeros((self.H_canvas, self.W_canvas, n, self.C), dtype=self.dtype)

    def tiles_view(self, canvas: np.ndarray, rows: int, cols: int, i0: int = 0, j0: int = 0):
        """Elements ``(i0 + i, j0 + j)``, ``i < rows``, ``j < cols``, of every tile: a view of
        shape (rows, cols, th, tw, n, C) into ``canvas``."""
        key = (id(canvas), rows, cols, i0, j0)
        if key in self._views and self._views[key][0] is canvas:
            return self._views[key][1]  # as_strided costs ~20 us a call: reuse the view
        s0, s1, s2, s3 = canvas.strides
        m = self.m
        view = np.lib.stride_tricks.as_strided(
            canvas[i0:, j0:],
            shape=(rows, cols, self.th, self.tw, canvas.shape[2], self.C),
            strides=(s0, s1, m * s0, m * s1, s2, s3),
            writeable=True,
        )
        self._views[key] = (canvas, view)  # the canvas is kept alive, so its id stays unique
        return view

    # The phases of a pass, one method each (benchmarks/profile_winograd.py clocks them).
    def stack(self, x_block: np.ndarray, canvas: np.ndarray) -> np.ndarray:
        """Copy a block (n, C, H, W) into the inside of ``canvas`` (H_canvas, W_canvas, n, C)."""
        p = self.pad
        _channels_last(x_block, canvas[p : p + self.H, p : p + self.W])  # -> (H, W, n, C)
        return canvas

    def gather(self, canvas: np.ndarray, d: np.ndarray) -> np.ndarray:
        """Every input tile of the canvas into ``d`` of shape (alpha, alpha, th, tw, n, C)."""
        d[...] = self.tiles_view(canvas, self.alpha, self.alpha)
        return d

    def transform_tiles(self, d: np.ndarray) -> np.ndarray:
        """``V = B^T d B`` for every tile and channel: (alpha, alpha, th, tw, n, C) ->
        (alpha*alpha, T, C), ``T = th * tw * n`` tiles."""
        alpha = self.alpha
        rows = self.BT @ d.reshape(alpha, -1)  # (a, j*T*C): B^T on the tile's rows
        V = np.matmul(self.BT, rows.reshape(alpha, alpha, -1))  # (a, b, T*C): and on its columns
        return V.reshape(self.P, -1, self.C)  # (alpha*alpha, T, C)

    def products(self, V: np.ndarray, U: np.ndarray, bias: np.ndarray) -> np.ndarray:
        """``M[ab] = V[ab] @ U[ab]`` per position: (alpha*alpha, T, C) @ (alpha*alpha, C, F);
        plus the bias at the position of the interpolation point 1, ``(a, b) = (1, 1)``.

        Column 1 of ``A^T`` evaluates at the point 1, so it is all ones, and
        ``A^T (e_1 e_1^T b_f) A`` adds ``b_f`` to every entry of the output tile:
        the bias costs one position's worth of additions, not the whole output's."""
        M = np.matmul(V, U)  # (alpha*alpha, T, F)
        M[self.alpha + 1] += bias
        return M

    def transform_output(self, M: np.ndarray) -> np.ndarray:
        """``Y = A^T M A`` per tile and filter: (alpha*alpha, T, F) -> (m, m, th, tw, n, F)."""
        alpha, m = self.alpha, self.m
        rows = self.AT @ M.reshape(alpha, -1)  # (i, b*T*F)
        Y = np.matmul(self.AT, rows.reshape(m, alpha, -1))  # (i, j, T*F)
        return Y.reshape(m, m, self.th, self.tw, -1, self.F)

    def write_output(self, Y: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Write the tiles ``Y`` (m, m, th, tw, n, F) into ``out`` (n, F, H_out, W_out),
        cropping what reaches past the output."""
        tiles = Y.transpose(4, 5, 2, 0, 3, 1)  # (n, F, th, m, tw, m)
        if self.exact:
            self.tiled(out)[...] = tiles
        else:
            n, F, m = out.shape[0], self.F, self.m
            whole = np.empty((n, F, self.th * m, self.tw * m), dtype=out.dtype)
            self.tiled(whole)[...] = tiles
            out[...] = whole[:, :, : self.H_out, : self.W_out]
        return out

    def read_dout(self, dout: np.ndarray, dY: np.ndarray, whole: np.ndarray) -> np.ndarray:
        """``dout`` of a block (n, F, H_out, W_out) as tiles ``dY`` (m, m, th, tw, n, F); the
        cropped part of the last tiles is zero. ``whole`` is a zeroed (th*m, tw*m, n, F)
        buffer, used unless the output is whole tiles of small planes (then one copy does)."""
        m, th, tw = self.m, self.th, self.tw
        if self.exact and self.H_out * self.W_out * dout.itemsize < 4096:
            dY[...] = self.tiled(dout).transpose(3, 5, 2, 4, 0, 1)  # -> (m, m, th, tw, n, F)
        else:
            _channels_last(dout, whole[: self.H_out, : self.W_out])  # the rest stays zero
            dY[...] = whole.reshape(th, m, tw, m, -1, self.F).transpose(1, 3, 0, 2, 4, 5)
        return dY

    def untransform_output(self, dY: np.ndarray) -> np.ndarray:
        """Adjoint of :meth:`transform_output`: ``dM = A dY A^T``, shape (alpha*alpha, T, F)."""
        alpha, m = self.alpha, self.m
        rows = self.A @ dY.reshape(m, -1)  # (a, j*T*F)
        dM = np.matmul(self.A, rows.reshape(alpha, m, -1))  # (a, b, T*F)
        return dM.reshape(self.P, -1, self.F)

    def filter_gradient(self, V: np.ndarray, dM: np.ndarray, dU: np.ndarray) -> np.ndarray:
        """``dU[ab] += V[ab]^T @ dM[ab]``: (alpha*alpha, C, T) @ (alpha*alpha, T, F)."""
        dU += np.matmul(V.transpose(0, 2, 1), dM)  # (alpha*alpha, C, F)
        return dU

    def tile_gradient(self, dM: np.ndarray, Ut: np.ndarray) -> np.ndarray:
        """``dV[ab] = dM[ab] @ U[ab]^T``: (alpha*alpha, T, F) @ (alpha*alpha, F, C)."""
        return np.matmul(dM, Ut)  # (alpha*alpha, T, C)

    def untransform_tiles(self, dV: np.ndarray) -> np.ndarray:
        """Adjoint of :meth:`transform_tiles`: ``dd = B dV B^T``, (alpha, alpha, th, tw, n, C)."""
        alpha = self.alpha
        rows = self.B @ dV.reshape(alpha, -1)  # (i, b*T*C)
        dd = np.matmul(self.B, rows.reshape(alpha, alpha, -1))  # (i, j, T*C)
        return dd.reshape(alpha, alpha, self.th, self.tw, -1, self.C)

    def overlap_add(self, dd: np.ndarray, dcanvas: np.ndarray) -> np.ndarray:
        """Adjoint of :meth:`gather`: add every tile's gradient ``dd`` onto the canvas entries
        it came from. ``dcanvas`` (H_canvas, W_canvas, n, C) is overwritten."""
        m = self.m
        # Elements i < m, j < m of all tiles cover the canvas' first th*m x tw*m entries once:
        # one assignment. The last two rows and columns of each tile overlap the next tile's
        # first ones: three additions, each over elements that do not collide among themselves.
        dcanvas[self.th * m :] = 0
        dcanvas[:, self.tw * m :] = 0
        self.tiles_view(dcanvas, m, m)[...] = dd[:m, :m]
        self.tiles_view(dcanvas, 2, m, m, 0)[...] += dd[m:, :m]
        self.tiles_view(dcanvas, m, 2, 0, m)[...] += dd[:m, m:]
        self.tiles_view(dcanvas, 2, 2, m, m)[...] += dd[m:, m:]
        return dcanvas

    def unstack(self, dcanvas: np.ndarray, dx: np.ndarray) -> np.ndarray:
        """Adjoint of :meth:`stack`: the inside of ``dcanvas`` into ``dx`` (n, C, H, W)."""
        p = self.pad
        dx[...] = dcanvas[p : p + self.H, p : p + self.W].transpose(2, 3, 0, 1)  # -> (n, C, H, W)
        return dx

    def tiled(self, a: np.ndarray) -> np.ndarray:
        """An (n, F, H_out, W_out) block as a view (n, F, th, m, tw, m); ``a`` must be whole tiles."""
        n, F = a.shape[:2]
        return a.reshape(n, F, self.th, self.m, self.tw, self.m)


def _channels_last(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Copy ``a`` (n, C, H, W) into ``out`` (H, W, n, C).

    One transposing copy reads ``a`` at a stride of a whole plane, ``H * W``
    entries; when a plane takes 4 KiB or more, those reads fall into a few
    cache sets and the copy slows down several times (measured 5x for 32x32
    float32 planes). Two copies that each keep a short stride are then faster:
    first to (H, n, C, W), then to (H, W, n, C).
    """
    n, C, H, W = a.shape
    if H * W * a.itemsize < 4096:
        out[...] = a.transpose(2, 3, 0, 1)  # (n, C, H, W) -> (H, W, n, C)
    else:
        rows = np.ascontiguousarray(a.transpose(2, 0, 1, 3))  # (H, n, C, W)
        out[...] = rows.transpose(0, 3, 1, 2)  # -> (H, W, n, C)
    return out


def _check_winograd(w: np.ndarray, stride: int, tile_size: Any) -> int:
    if w.shape[2:] != (3, 3):
        raise ValueError(
            f"w must have 3x3 kernels for the Winograd convolution (shape (F, C, 3, 3)); "
            f"got w of shape {w.shape}"
        )
    if stride != 1:
        raise ValueError(
            f"conv_param['stride'] must be 1 for the Winograd convolution; got {stride}"
        )
    if isinstance(tile_size, bool) or not isinstance(tile_size, (int, np.integer)):
        raise TypeError(
            f"tile_size must be an int, one of {list(TILE_SIZES)}; got {type(tile_size).__name__}"
        )
    if tile_size not in TILE_SIZES:
        raise ValueError(f"tile_size must be one of {list(TILE_SIZES)}; got {tile_size}")
    return int(tile_size)


def conv_forward_winograd(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    conv_param: Mapping[str, Any],
    tile_size: int = 4,
) -> tuple[np.ndarray, WinogradCache]:
    r"""3x3 convolution, stride 1, by Winograd's minimal filtering F(m x m, 3 x 3).

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
        A minibatch of ``N`` images with ``C`` channels.
    w : ndarray of shape (F, C, 3, 3)
        Filters; ``HH = WW = 3``.
    b : ndarray of shape (F,)
        One bias per filter.
    conv_param : dict
        ``'stride'`` (must be 1) and ``'pad'`` (int >= 0), as for
        :func:`~cs231nbook.layers.conv_forward_naive`.
    tile_size : int, default 4
        ``m``, the side of the output tile: 2 for F(2x2, 3x3), 4 for
        F(4x4, 3x3). F(4, 3) does fewer multiplications; in float32 its error is
        larger (the chapter measures it).

    Returns
    -------
    out : ndarray of shape (N, F, H_out, W_out)
        ``H_out = H + 2 * pad - 2``, ``W_out`` likewise; dtype
        ``np.result_type(x, w, b)``.
    cache : WinogradCache
        ``(x, w, pad, tile_size, U)`` for :func:`conv_backward_winograd` (or
        :func:`~cs231nbook.fast_layers.conv_backward_fast`). It holds the input
        itself, not a copy, and the transformed filters.

    Raises
    ------
    TypeError, ValueError
        The checks of :func:`~cs231nbook.layers.conv_forward_naive`; also if
        the kernels are not 3x3, the stride is not 1, or ``tile_size`` is not
        2 or 4.

    Notes
    -----
    The padded input is cut into overlapping ``alpha x alpha`` tiles ``d``
    (``alpha = m + 2``, neighbours share two rows or columns), one per ``m x m``
    output tile (the last ones reach past the output and are cropped). With
    :math:`U_{fc} = G\, w_{fc}\, G^\top` and :math:`V_{tc} = B^\top d_{tc} B`
    (``t`` a tile), for each of the ``alpha**2`` positions ``(a, b)``

    .. math:: M_{ab} = V_{ab} U_{ab} \quad \text{(tiles x channels) times (channels x filters)},

    and the output tile of filter ``f`` is
    :math:`Y_{tf} = A^\top M_{tf} A + b_f`. The matrices are those of
    :func:`~cs231nbook.fast_layers.winograd_transforms.transform_matrices`.
    """
    stride, pad, H_out, W_out = check_conv_args(x, w, b, conv_param)
    m = _check_winograd(w, stride, tile_size)
    dtype = np.result_type(x, w, b)
    plan = WinogradPlan(x.shape, w.shape[0], pad, m, dtype)
    U, _ = plan.filters(w)  # (alpha*alpha, C, F)
    bias = b.astype(dtype, copy=False)  # (F,)
    out = np.empty((x.shape[0], plan.F, H_out, W_out), dtype=dtype)
    n_buffered = 0
    for sl in plan.blocks():
        n = sl.stop - sl.start
        if n != n_buffered:  # the first block, and a shorter last one
            canvas = plan.canvas(n)
            d = np.empty((plan.alpha, plan.alpha, plan.th, plan.tw, n, plan.C), dtype=dtype)
            n_buffered = n
        V = plan.transform_tiles(plan.gather(plan.stack(x[sl], canvas), d))  # (P, T, C)
        M = plan.products(V, U, bias)  # (alpha*alpha, T, F)
        plan.write_output(plan.transform_output(M), out[sl])  # (n, F, H_out, W_out)
    return out, WinogradCache(x, w, pad, m, U)


def conv_backward_winograd(
    dout: np.ndarray, cache: WinogradCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Backward pass of :func:`conv_forward_winograd`: the adjoint of each linear step.

    Parameters
    ----------
    dout : ndarray of shape (N, F, H_out, W_out)
        Upstream derivative of the loss with respect to ``out``.
    cache : WinogradCache
        From :func:`conv_forward_winograd`.

    Returns
    -------
    dx : ndarray of shape (N, C, H, W), dtype of ``x``
    dw : ndarray of shape (F, C, 3, 3), dtype of ``w``
    db : ndarray of shape (F,), dtype of ``dout``

    Raises
    ------
    TypeError, ValueError
        If ``dout`` is not a floating-point array of the forward output's shape.

    Notes
    -----
    Each step of the forward pass is linear, so its gradient is its adjoint
    (transpose), applied in reverse order. Per tile ``t`` and filter ``f``,
    and per position ``(a, b)``:

    .. math::
        dM_{tf} = A\, dY_{tf} A^\top, \qquad
        dV_{ab} = dM_{ab}\, U_{ab}^\top, \qquad
        dU_{ab} = \sum_{\text{tiles}} V_{ab}^\top dM_{ab},

    then :math:`dd_{tc} = B\, dV_{tc} B^\top`, overlap-added back onto the
    padded input (neighbouring tiles share two rows or columns) and cropped,
    :math:`dw_{fc} = G^\top dU_{fc}\, G` and
    :math:`db_f = \sum_{n, i, j} \mathrm{dout}_{n f i j}`. The tiles ``V`` are
    recomputed block by block rather than kept from the forward pass.
    """
    x, w, pad, m, U = _checks.cache(
        "cache", cache, WinogradCache, "conv_forward_winograd", "conv_backward_winograd"
    )
    N, C, H, W = x.shape
    F = w.shape[0]
    H_out, W_out = H + 2 * pad - 2, W + 2 * pad - 2
    _checks.float_array("dout", dout, ndim=4)
    _checks.same_shape("dout", dout, (N, F, H_out, W_out), "the shape of the forward output")
    dtype = np.result_type(x, w, dout)
    plan = WinogradPlan(x.shape, F, pad, m, dtype)
    Ut = np.ascontiguousarray(U.transpose(0, 2, 1), dtype=dtype)  # (alpha*alpha, F, C)
    dx = np.empty(x.shape, dtype=x.dtype)
    dU = np.zeros((plan.P, C, F), dtype=dtype)
    n_buffered = 0
    for sl in plan.blocks():
        n = sl.stop - sl.start
        if n != n_buffered:
            canvas, dcanvas = plan.canvas(n), plan.canvas(n)
            d = np.empty((plan.alpha, plan.alpha, plan.th, plan.tw, n, C), dtype=dtype)
            dY = np.zeros((m, m, plan.th, plan.tw, n, F), dtype=dtype)
            whole = np.zeros((plan.th * m, plan.tw * m, n, F), dtype=dtype)
            n_buffered = n
        dM = plan.untransform_output(plan.read_dout(dout[sl], dY, whole))  # (P, T, F)
        V = plan.transform_tiles(plan.gather(plan.stack(x[sl], canvas), d))  # (P, T, C)
        plan.filter_gradient(V, dM, dU)  # (alpha*alpha, C, F)
        dd = plan.untransform_tiles(plan.tile_gradient(dM, Ut))  # (alpha, alpha, th, tw, n, C)
        plan.unstack(plan.overlap_add(dd, dcanvas), dx[sl])  # (n, C, H, W)
    dw = plan.filter_gradient_to_w(dU, w.dtype)  # (F, C, 3, 3)
    # Sum over the output positions first (contiguous rows), then over the images.
    db = dout.reshape(N, F, H_out * W_out).sum(axis=2, dtype=dtype).sum(axis=0)  # (F,)
    db = db.astype(dout.dtype, copy=False)
    return dx, dw, db
