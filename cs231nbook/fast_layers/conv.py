"""The convolutional layer as im2col plus one batched matrix product.

Same signatures, checks and results as :func:`cs231nbook.layers.conv_forward_naive`
and :func:`cs231nbook.layers.conv_backward_naive`, much faster: the loops over
output positions become a copy (:func:`~cs231nbook.fast_layers.columns.im2col`)
and a matrix product that BLAS runs at close to the machine's peak. The chapter
*Fast layers* explains the layout and measures the speed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import _checks
from ..layers.conv_naive import check_conv_args
from . import columns as _columns


class ConvFastCache(NamedTuple):
    """What :func:`conv_backward_fast` needs.

    ``cols`` is the column matrix of the whole batch, kept when it fitted in
    one chunk (so it is at most :data:`~cs231nbook.fast_layers.columns.COLUMN_BUFFER_CAP_BYTES`);
    otherwise it is ``None`` and the backward pass recomputes the columns chunk
    by chunk, so memory stays bounded for any batch size.
    """

    x: np.ndarray
    w: np.ndarray
    stride: int
    pad: int
    cols: np.ndarray | None


def _padded_chunks(x: np.ndarray, pad: int, dtype: np.dtype, per_chunk: int):
    """Yield ``(slice, x_pad)`` for consecutive chunks of the batch, padded and cast to ``dtype``.

    One zero-filled buffer is reused: only its interior is overwritten, so the
    border stays zero. Without padding and casting the chunk is a view of ``x``.
    """
    N, C, H, W = x.shape
    if pad == 0 and x.dtype == dtype:
        for sl in _columns.chunks(N, per_chunk):
            yield sl, x[sl]
        return
    buffer = np.zeros((min(per_chunk, N), C, H + 2 * pad, W + 2 * pad), dtype=dtype)
    for sl in _columns.chunks(N, per_chunk):
        x_pad = buffer[: sl.stop - sl.start]  # (n, C, H + 2*pad, W + 2*pad)
        x_pad[:, :, pad:pad + H, pad:pad + W] = x[sl]
        yield sl, x_pad


def conv_forward_fast(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: Mapping[str, Any]
) -> tuple[np.ndarray, ConvFastCache]:
    r"""Convolutional layer forward pass via im2col and a batched matrix product.

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
    cache : ConvFastCache
        For :func:`conv_backward_fast`.

    Raises
    ------
    TypeError, ValueError
        Exactly as :func:`~cs231nbook.layers.conv_forward_naive` (the same
        checks run), including when ``H_out`` or ``W_out`` is not an integer.

    Notes
    -----
    With ``cols`` from :func:`~cs231nbook.fast_layers.columns.im2col` (shape
    ``(N, C*HH*WW, H_out*W_out)``) and the filters flattened to rows,

    .. math:: \mathrm{out}_{n} = W_{\mathrm{rows}}\, \mathrm{cols}_n + b\, \mathbf{1}^\top,
        \qquad W_{\mathrm{rows}} = \mathrm{reshape}(w, (F, C \cdot HH \cdot WW)),

    one matrix product per image, run by one ``np.matmul`` call whose result is
    already in NCHW order. The batch is processed in chunks of whole images so
    that the column matrix never exceeds
    :data:`~cs231nbook.fast_layers.columns.COLUMN_BUFFER_CAP_BYTES` (a single
    image larger than the cap is processed alone).
    """
    stride, pad, H_out, W_out = check_conv_args(x, w, b, conv_param)
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    dtype = np.result_type(x, w, b)
    K, P = C * HH * WW, H_out * W_out
    w_rows = w.reshape(F, K).astype(dtype, copy=False)  # (F, C*HH*WW)
    per_chunk = _columns.images_per_chunk(K * P * dtype.itemsize)
    out = np.empty((N, F, P), dtype=dtype)
    cols_buffer = np.empty((min(per_chunk, N), K, P), dtype=dtype)
    for sl, x_pad in _padded_chunks(x, pad, dtype, per_chunk):
        cols = _columns.im2col(x_pad, HH, WW, stride, out=cols_buffer[: sl.stop - sl.start])
        np.matmul(w_rows, cols, out=out[sl])  # (F, K) @ (n, K, P) -> (n, F, P)
    out += b.astype(dtype, copy=False).reshape(F, 1)
    kept = cols_buffer if per_chunk >= N else None
    return out.reshape(N, F, H_out, W_out), ConvFastCache(x, w, stride, pad, kept)


def conv_backward_fast(
    dout: np.ndarray, cache: ConvFastCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Convolutional layer backward pass via im2col and col2im.

    Parameters
    ----------
    dout : ndarray of shape (N, F, H_out, W_out)
        Upstream derivative of the loss with respect to ``out``.
    cache : ConvFastCache
        From :func:`conv_forward_fast`.

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
    With :math:`D_n` = ``dout[n]`` reshaped to ``(F, H_out*W_out)``,

    .. math::
        \frac{\partial L}{\partial W_{\mathrm{rows}}} = \sum_n D_n\, \mathrm{cols}_n^\top, \qquad
        \frac{\partial L}{\partial \mathrm{cols}_n} = W_{\mathrm{rows}}^\top D_n, \qquad
        \frac{\partial L}{\partial b} = \sum_{n} D_n \mathbf{1},

    and ``dx`` is :func:`~cs231nbook.fast_layers.columns.col2im` of the column
    gradient with the padding cropped. Chunked like the forward pass; the
    columns come from the cache when the whole batch fitted in one chunk and are
    recomputed chunk by chunk otherwise. At most two column-sized buffers (the
    columns and their gradient) exist at once.
    """
    x, w, stride, pad, kept_cols = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    _checks.float_array("dout", dout, ndim=4)
    _checks.same_shape("dout", dout, (N, F, H_out, W_out), "the shape of the forward output")
    dtype = np.result_type(x, w, dout)
    K, P = C * HH * WW, H_out * W_out
    w_rows = w.reshape(F, K).astype(dtype, copy=False)  # (F, C*HH*WW)
    dout_rows = dout.reshape(N, F, P).astype(dtype, copy=False)  # (N, F, H_out*W_out)
    per_chunk = _columns.images_per_chunk(K * P * dtype.itemsize)
    use_kept = kept_cols is not None and kept_cols.dtype == dtype and per_chunk >= N

    dx = np.empty(x.shape, dtype=x.dtype)
    dw_rows = np.zeros((F, K), dtype=dtype)
    dw_one = np.empty((F, K), dtype=dtype)
    cols_buffer = None if use_kept else np.empty((min(per_chunk, N), K, P), dtype=dtype)
    for sl, x_pad in _padded_chunks(x, pad, dtype, per_chunk):
        if use_kept:
            cols = kept_cols
        else:
            cols = _columns.im2col(x_pad, HH, WW, stride, out=cols_buffer[: sl.stop - sl.start])
        d = dout_rows[sl]  # (n, F, P)
        # One image at a time, so no (n, F, K) stack of partial sums is ever held.
        for d_n, cols_n in zip(d, cols):
            np.matmul(d_n, cols_n.T, out=dw_one)  # (F, P) @ (P, K) -> (F, K)
            dw_rows += dw_one
        dcols = np.matmul(w_rows.T, d)  # (K, F) @ (n, F, P) -> (n, K, P)
        dx_pad = _columns.col2im(dcols, x_pad.shape, HH, WW, stride)  # (n, C, H + 2*pad, W + 2*pad)
        dx[sl] = dx_pad[:, :, pad:pad + H, pad:pad + W]
    dw = dw_rows.reshape(w.shape).astype(w.dtype, copy=False)  # (F, C, HH, WW)
    db = dout.sum(axis=(0, 2, 3))  # (F,)
    return dx, dw, db
