"""The convolutional layer as im2col plus a matrix product, chunk by chunk.

Same signatures, checks, cache and results as
:func:`cs231nbook.layers.conv_forward_naive` and
:func:`cs231nbook.layers.conv_backward_naive`, much faster: the loops over
output positions become a copy (im2col, ``cs231nbook.fast_layers.columns``)
and a matrix product that BLAS runs near the machine's peak. The chapter *Fast
layers* explains the layout and shows the measured speed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import _checks
from ..layers.conv_naive import ConvCache, check_conv_args
from . import columns as _columns


class _Geometry:
    """Sizes shared by the forward and backward passes, and the chunk size."""

    def __init__(self, x_shape, w_shape, stride: int, pad: int, dtype: np.dtype):
        N, C, H, W = x_shape
        F, _, HH, WW = w_shape
        self.N, self.C, self.H, self.W, self.F, self.HH, self.WW = N, C, H, W, F, HH, WW
        self.stride, self.pad = stride, pad
        self.H_pad, self.W_pad = H + 2 * pad, W + 2 * pad
        self.H_out = (self.H_pad - HH) // stride + 1
        self.W_out = (self.W_pad - WW) // stride + 1
        self.W_row = _columns.row_width(self.W_pad, WW, stride)
        self.K = C * HH * WW  # rows of the column matrix
        self.M = self.H_out * self.W_row  # columns per image (wide rows for stride 1)
        self.L = _columns.flat_length(self.H_pad, self.W_pad, WW, stride)
        self.per_chunk = max(1, min(N, _columns.images_per_chunk(self.K * self.M * dtype.itemsize)))
        self.dtype = dtype

    def im2col(self, x_chunk: np.ndarray, flat: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Columns ``(K, n*M)`` of the images ``x_chunk`` (n, C, H, W), using the given buffers."""
        n = x_chunk.shape[0]
        flat = _columns.to_flat(x_chunk, self.pad, flat[:, :n])  # (C, n, L)
        return _columns.flat_im2col(flat, self.H_pad, self.W_pad, self.HH, self.WW, self.stride,
                                    cols[:, : n * self.M])  # (K, n*M)

    def buffers(self):
        """A zeroed flat buffer ``(C, per_chunk, L)`` and a column buffer ``(K, per_chunk*M)``."""
        flat = np.zeros((self.C, self.per_chunk, self.L), dtype=self.dtype)
        cols = np.empty((self.K, self.per_chunk * self.M), dtype=self.dtype)
        return flat, cols


def conv_forward_fast(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: Mapping[str, Any]
) -> tuple[np.ndarray, ConvCache]:
    r"""Convolutional layer forward pass via im2col and a matrix product.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
        A minibatch of ``N`` images with ``C`` channels.
    w : ndarray of shape (F, C, HH, WW)
        Filters.
    b : ndarray of shape (F,)
        One bias per filter.
    conv_param : dict
        ``'stride'`` (int >= 1) and ``'pad'`` (int >= 0), as for
        :func:`~cs231nbook.layers.conv_forward_naive`.

    Returns
    -------
    out : ndarray of shape (N, F, H_out, W_out)
        ``H_out = 1 + (H + 2 * pad - HH) / stride``, ``W_out`` likewise; dtype
        ``np.result_type(x, w, b)`` (float32 in, float32 out).
    cache : ConvCache
        ``(x, w, stride, pad)``, the naive layer's cache: either backward
        accepts it.

    Raises
    ------
    TypeError, ValueError
        Exactly as :func:`~cs231nbook.layers.conv_forward_naive` (the same
        checks run), including when ``H_out`` or ``W_out`` is not an integer.

    Notes
    -----
    With :math:`X_{\mathrm{col}}` the columns of a chunk of images
    (:func:`~cs231nbook.fast_layers.im2col`) and the filters flattened
    to rows, :math:`W_{\mathrm{row}} = \mathrm{reshape}(w, (F, C \cdot HH \cdot WW))`,

    .. math:: \mathrm{out} = W_{\mathrm{row}} X_{\mathrm{col}} + b\, \mathbf{1}^\top,

    one matrix product per chunk, whose ``(F, n, H_out, W_out)`` result is
    transposed into NCHW. A chunk holds whole images whose columns take about
    ``columns.CHUNK_BYTES``, never more than
    ``columns.COLUMN_BUFFER_CAP_BYTES`` (unless a
    single image is larger): memory stays bounded for any batch size.
    """
    stride, pad, _, _ = check_conv_args(x, w, b, conv_param)
    dtype = np.result_type(x, w, b)
    g = _Geometry(x.shape, w.shape, stride, pad, dtype)
    w_rows = w.reshape(g.F, g.K).astype(dtype, copy=False)  # (F, C*HH*WW)
    bias = b.astype(dtype, copy=False).reshape(g.F, 1)  # (F, 1)
    out = np.empty((g.N, g.F, g.H_out, g.W_out), dtype=dtype)
    flat, cols_buffer = g.buffers()
    product = np.empty((g.F, g.per_chunk * g.M), dtype=dtype)
    for sl in _columns.chunks(g.N, g.per_chunk):
        n = sl.stop - sl.start
        cols = g.im2col(x[sl], flat, cols_buffer)  # (K, n*M)
        res = np.matmul(w_rows, cols, out=product[:, : n * g.M])  # (F, K) @ (K, n*M) -> (F, n*M)
        res += bias  # here, on contiguous rows, rather than during the copy below: faster
        res = res.reshape(g.F, n, g.H_out, g.W_row)[..., : g.W_out]  # (F, n, H_out, W_out): junk dropped
        out[sl].transpose(1, 0, 2, 3)[...] = res  # written through an (F, n, ...) view of NCHW
    return out, ConvCache(x, w, stride, pad)


def conv_backward_fast(
    dout: np.ndarray, cache: ConvCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Convolutional layer backward pass via im2col and col2im.

    Parameters
    ----------
    dout : ndarray of shape (N, F, H_out, W_out)
        Upstream derivative of the loss with respect to ``out``.
    cache : ConvCache
        From :func:`conv_forward_fast` (or :func:`~cs231nbook.layers.conv_forward_naive`).

    Returns
    -------
    dx : ndarray of shape (N, C, H, W), dtype of ``x``
    dw : ndarray of shape (F, C, HH, WW), dtype of ``w``
    db : ndarray of shape (F,), dtype of ``dout``

    Raises
    ------
    TypeError, ValueError
        If ``dout`` is not a floating-point array of the forward output's shape.

    Notes
    -----
    With :math:`D` = ``dout`` of a chunk arranged as ``(F, n*H_out*W_out)``,

    .. math::
        \frac{\partial L}{\partial W_{\mathrm{row}}} = \sum_{\text{chunks}} D X_{\mathrm{col}}^\top, \qquad
        \frac{\partial L}{\partial X_{\mathrm{col}}} = W_{\mathrm{row}}^\top D, \qquad
        \frac{\partial L}{\partial b} = \sum_{n, i, j} \mathrm{dout}_{n f i j},

    and ``dx`` is :func:`~cs231nbook.fast_layers.col2im` of the column
    gradient with the padding cropped. The columns are recomputed chunk by
    chunk rather than kept from the forward pass, so at most one chunk of
    columns and one of their gradient exist at a time.
    """
    x, w, stride, pad = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    _checks.float_array("dout", dout, ndim=4)
    _checks.same_shape("dout", dout, (N, F, H_out, W_out), "the shape of the forward output")
    dtype = np.result_type(x, w, dout)
    g = _Geometry(x.shape, w.shape, stride, pad, dtype)
    w_rows = w.reshape(F, g.K).astype(dtype, copy=False)  # (F, C*HH*WW)

    dx = np.empty(x.shape, dtype=x.dtype)
    dw_cols = np.zeros((g.K, F), dtype=dtype)  # the filter gradient, transposed (see below)
    flat, cols_buffer = g.buffers()
    # dout of a chunk, laid out like the forward product (F, n, H_out, W_row). Its
    # junk columns (wide rows, stride 1) are zero and never written, so they send
    # nothing back.
    dout_rows = np.zeros((F, g.per_chunk, H_out, g.W_row), dtype=dtype)
    db_sum = np.zeros(F, dtype=dtype)
    dcols_buffer = np.empty((g.K, g.per_chunk * g.M), dtype=dtype)
    dflat = np.empty((C, g.per_chunk, g.L), dtype=dtype)
    for sl in _columns.chunks(N, g.per_chunk):
        n = sl.stop - sl.start
        cols = g.im2col(x[sl], flat, cols_buffer)  # (K, n*M)
        d = dout_rows[:, :n]  # (F, n, H_out, W_row)
        d[..., :W_out] = dout[sl].transpose(1, 0, 2, 3)  # (n, F, H_out, W_out) -> (F, n, H_out, W_out)
        d = d.reshape(F, n * g.M)  # (F, n*M)
        db_sum += d.sum(axis=1)  # contiguous rows: faster than dout.sum(axis=(0, 2, 3))
        # cols @ d.T rather than d @ cols.T: the same numbers, transposed, and OpenBLAS
        # runs this orientation about 1.3x faster (measured, float32).
        dw_cols += cols @ d.T  # (K, n*M) @ (n*M, F) -> (K, F)
        dcols = np.matmul(w_rows.T, d, out=dcols_buffer[:, : n * g.M])  # (K, F) @ (F, n*M) -> (K, n*M)
        dx_flat = _columns.flat_col2im(dcols, g.H_pad, g.W_pad, HH, WW, stride, dflat[:, :n])  # (C, n, L)
        _columns.from_flat(dx_flat, pad, H, W, dx[sl])
    dw = dw_cols.T.reshape(w.shape).astype(w.dtype, copy=False)  # (K, F) -> (F, K) -> (F, C, HH, WW)
    db = db_sum.astype(dout.dtype, copy=False)  # (F,)
    return dx, dw, db
