"""The convolutional layer as im2col plus a matrix product, chunk by chunk, or by Winograd.

Same signatures, checks, cache and results as
:func:`cs231nbook.layers.conv_forward_naive` and
:func:`cs231nbook.layers.conv_backward_naive`, much faster: the loops over
output positions become a copy (im2col, in the layout of
``cs231nbook.fast_layers.stacked``)
and a matrix product that BLAS runs near the machine's peak. The chapter *Fast
layers* explains the layout and shows the measured speed.

:func:`conv_forward_fast` chooses, layer by layer, between that and Winograd's
minimal filtering (:mod:`cs231nbook.fast_layers.winograd`), which does fewer
multiplications for 3x3 kernels with stride 1; see
:func:`choose_conv_algorithm`. The cache says which one ran, and
:func:`conv_backward_fast` follows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import _checks
from ..layers.conv_naive import ConvCache, conv_arguments
from . import stacked as _stacked
from .winograd import WinogradCache, conv_backward_winograd, conv_forward_winograd

#: The algorithms :func:`conv_forward_fast` accepts for ``algorithm=``.
ALGORITHMS: tuple[str, ...] = ("auto", "im2col", "winograd")

#: ``algorithm="auto"`` uses Winograd for 3x3 kernels with stride 1 from this
#: many input channels on (``benchmarks/bench_layers.py``; the chapter
#: *Winograd convolution* shows the measurements).
WINOGRAD_MIN_CHANNELS: int = 16


def choose_conv_algorithm(C: int, HH: int, WW: int, stride: int) -> str:
    """The algorithm ``conv_forward_fast(..., algorithm="auto")`` runs for a layer.

    Parameters
    ----------
    C : int
        Input channels.
    HH, WW : int
        Kernel height and width.
    stride : int
        As in ``conv_param``.

    Returns
    -------
    str
        ``"winograd"`` (F(4x4, 3x3)) if the kernel is 3x3, the stride 1 and
        ``C >= WINOGRAD_MIN_CHANNELS`` (16); ``"im2col"`` otherwise.

    Notes
    -----
    Winograd's F(4x4, 3x3) does 4 times fewer multiplications than im2col
    (36 instead of 144 per 4x4 output tile, filter and channel) but moves
    more data: the input tiles overlap, and every transform is a pass over
    the tiles. The products shrink with ``C`` times ``F``, the data movement
    grows only with ``C + F``, so Winograd wins once there are enough
    channels. On a 3-channel first layer the products are a small part of
    the pass, and im2col is faster. Measured (forward + backward, float32, one
    thread, batches of 64, images of 3 to 32 pixels square, 8 to 128 filters;
    interleaved runs on a busy 2-core machine, so a rough guide): with 3 or 4
    channels Winograd took 1.1 to 1.4 times im2col's time, with 8 channels 0.9
    to 1.0 times, with 16 to 64 channels 0.15 to 0.93 times.
    """
    if HH == WW == 3 and stride == 1 and C >= WINOGRAD_MIN_CHANNELS:
        return "winograd"
    return "im2col"


def _column_cap(column_cap_bytes: Any) -> int:
    """The cap on one chunk's column matrix: the default, or a positive number of bytes."""
    if column_cap_bytes is None:
        return _stacked.DEFAULT_COLUMN_CAP_BYTES
    return _checks.positive_int("column_cap_bytes", column_cap_bytes)


def conv_forward_fast(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    conv_param: Mapping[str, Any],
    algorithm: str = "auto",
    *,
    column_cap_bytes: int | None = None,
) -> tuple[np.ndarray, ConvCache | WinogradCache]:
    r"""Convolutional layer forward pass via im2col and a matrix product, or Winograd.

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
    algorithm : {"auto", "im2col", "winograd"}, default "auto"
        ``"auto"`` runs what :func:`choose_conv_algorithm` says for this layer
        (Winograd for 3x3 kernels, stride 1 and at least 16 input channels;
        im2col otherwise). ``"im2col"`` and ``"winograd"`` force one;
        Winograd (F(4x4, 3x3), :func:`~cs231nbook.fast_layers.conv_forward_winograd`)
        needs 3x3 kernels and stride 1.
    column_cap_bytes : int, optional
        Upper bound in bytes on the column matrix the im2col path holds at once
        (default ``cs231nbook.fast_layers.stacked.DEFAULT_COLUMN_CAP_BYTES``,
        256 MiB); the batch is processed in chunks of whole images under it
        (one image at a time if a single image exceeds it). Winograd bounds its
        memory by its own blocks of images.

    Returns
    -------
    out : ndarray of shape (N, F, H_out, W_out)
        ``H_out = 1 + (H + 2 * pad - HH) / stride``, ``W_out`` likewise; dtype
        ``np.result_type(x, w, b)`` (float32 in, float32 out).
    cache : ConvCache or WinogradCache
        im2col: ``(x, w, stride, pad)``, the naive layer's cache (either
        backward accepts it). Winograd: a
        :class:`~cs231nbook.fast_layers.WinogradCache`, for
        :func:`conv_backward_fast`. The type tells the backward pass which
        algorithm ran.

    Raises
    ------
    TypeError, ValueError
        Exactly as :func:`~cs231nbook.layers.conv_forward_naive` (the same
        checks run), including when ``H_out`` or ``W_out`` is not an integer;
        ``ValueError`` if ``algorithm`` is not one of the three, or is
        ``"winograd"`` for a kernel that is not 3x3 or a stride other than 1.

    Notes
    -----
    With :math:`X_{\mathrm{col}}` the columns of a chunk of images
    (as :func:`~cs231nbook.fast_layers.im2col`, in the faster layout of
    :class:`~cs231nbook.fast_layers.stacked.StackedColumns`, whose rows are
    ordered ``(p, q, c)``) and the filters flattened to rows in the same
    order, :math:`W_{\mathrm{row}} = \mathrm{reshape}(w^{(0, 2, 3, 1)}, (F, HH \cdot WW \cdot C))`,

    .. math:: \mathrm{out} = W_{\mathrm{row}} X_{\mathrm{col}} + b\, \mathbf{1}^\top,

    one matrix product per chunk, whose ``(F, n, H_out, W_out)`` result is
    transposed into NCHW. A chunk holds whole images whose columns take about
    ``stacked.CHUNK_BYTES``, never more than ``column_cap_bytes`` (unless a
    single image is larger): memory stays bounded for any batch size.
    In float32, Winograd's F(4x4, 3x3) rounds somewhat more than im2col (the
    chapter *Winograd convolution* measures by how much); in float64 both
    agree with the naive layer to about 1e-12.
    """
    # integer arrays (a bias np.array([0, 128])) become the computation's floating dtype
    x, w, b, stride, pad, _, _ = conv_arguments(x, w, b, conv_param)
    _checks.choice("algorithm", algorithm, ALGORITHMS)
    cap = _column_cap(column_cap_bytes)
    if algorithm == "auto":
        algorithm = choose_conv_algorithm(x.shape[1], w.shape[2], w.shape[3], stride)
    if algorithm == "winograd":
        return conv_forward_winograd(x, w, b, conv_param)
    dtype = np.result_type(x, w, b)
    chunks = _stacked.ChunkPlan(x.shape, w.shape, stride, pad, dtype, cap)
    layout, F = chunks.layout, chunks.F
    w_rows = chunks.filter_rows(w)  # (F, HH*WW*C)
    bias = b.astype(dtype, copy=False).reshape(F, 1)  # (F, 1)
    out = np.empty((x.shape[0], F, layout.H_out, layout.W_out), dtype=dtype)
    n_buffered = 0
    for sl in chunks:
        n = sl.stop - sl.start
        if (
            n != n_buffered
        ):  # the first chunk, and a shorter last one: buffers laid out for n images
            stacked, cols, product = (
                chunks.buffer(n),
                chunks.matrix(layout.K, n),
                chunks.matrix(F, n),
            )
            n_buffered = n
        layout.im2col(layout.stack(x[sl], stacked), n, cols)  # (K, n*M)
        np.matmul(w_rows, cols, out=product)  # (F, K) @ (K, n*M) -> (F, n*M)
        product += bias  # here, on contiguous rows, rather than during the copy below: faster
        out[sl].transpose(1, 0, 2, 3)[...] = layout.crop(
            product, n
        )  # (F, n, H_out, W_out) into NCHW
    return out, ConvCache(x, w, stride, pad)


def conv_backward_fast(
    dout: np.ndarray, cache: ConvCache | WinogradCache, *, column_cap_bytes: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Convolutional layer backward pass via im2col and col2im, or Winograd.

    Parameters
    ----------
    dout : ndarray of shape (N, F, H_out, W_out)
        Upstream derivative of the loss with respect to ``out``.
    cache : ConvCache or WinogradCache
        From :func:`conv_forward_fast` (or :func:`~cs231nbook.layers.conv_forward_naive`).
        A :class:`~cs231nbook.fast_layers.WinogradCache` runs
        :func:`~cs231nbook.fast_layers.conv_backward_winograd`; a ``ConvCache``
        the im2col backward pass below.
    column_cap_bytes : int, optional
        As for :func:`conv_forward_fast`: the bound on the column matrix (and on
        its gradient) this pass holds at once. It need not match the forward's.

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
    if isinstance(cache, WinogradCache):
        return conv_backward_winograd(dout, cache)
    x, w, stride, pad = _checks.cache(
        "cache", cache, ConvCache, "conv_forward_fast", "conv_backward_fast"
    )
    cap = _column_cap(column_cap_bytes)
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    _checks.float_array("dout", dout, ndim=4)
    _checks.same_shape("dout", dout, (N, F, H_out, W_out), "the shape of the forward output")
    dtype = np.result_type(x, w, dout)
    chunks = _stacked.ChunkPlan(x.shape, w.shape, stride, pad, dtype, cap)
    layout = chunks.layout
    w_rows = chunks.filter_rows(w)  # (F, HH*WW*C)

    dx = np.empty(x.shape, dtype=x.dtype)
    dw_cols = np.zeros((layout.K, F), dtype=dtype)  # the filter gradient, transposed (see below)
    db_sum = np.zeros(F, dtype=dtype)
    n_buffered = 0
    for sl in chunks:
        n = sl.stop - sl.start
        if (
            n != n_buffered
        ):  # the first chunk, and a shorter last one: buffers laid out for n images
            stacked, cols, dcols = (
                chunks.buffer(n),
                chunks.matrix(layout.K, n),
                chunks.matrix(layout.K, n),
            )
            dstacked = chunks.buffer(n)
            # dout of a chunk, laid out like the forward product. Its junk positions are
            # zero and never written, so they send nothing back.
            d = np.zeros((F, n * layout.M), dtype=dtype)  # (F, n*M)
            n_buffered = n
        layout.im2col(layout.stack(x[sl], stacked), n, cols)  # (K, n*M)
        layout.crop(d, n)[...] = dout[sl].transpose(
            1, 0, 2, 3
        )  # (n, F, H_out, W_out) -> (F, n, H_out, W_out)
        db_sum += d.sum(axis=1)  # contiguous rows: faster than dout.sum(axis=(0, 2, 3))
        # cols @ d.T rather than d @ cols.T: the same numbers, transposed, and OpenBLAS
        # runs this orientation about 1.3x faster (measured, float32).
        dw_cols += cols @ d.T  # (K, n*M) @ (n*M, F) -> (K, F)
        np.matmul(w_rows.T, d, out=dcols)  # (K, F) @ (F, n*M) -> (K, n*M)
        layout.unstack(layout.col2im(dcols, n, dstacked), dx[sl])  # (n, C, H, W)
    # Rows (p, q, c) back to the filters' (c, p, q): (K, F) -> (F, HH, WW, C) -> (F, C, HH, WW).
    dw = np.ascontiguousarray(dw_cols.T.reshape(F, HH, WW, C).transpose(0, 3, 1, 2), dtype=w.dtype)
    db = db_sum.astype(dout.dtype, copy=False)  # (F,)
    return dx, dw, db
