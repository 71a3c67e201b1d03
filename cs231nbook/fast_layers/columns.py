"""im2col and col2im: convolution as a matrix product, in pure NumPy.

``im2col`` copies every receptive field of a padded batch into one column of a
matrix, so that all ``F`` filters meet all windows in one matrix product.
``col2im`` is its adjoint: it adds every column back onto the pixels it came
from, summing where windows overlap. The chapter *Fast layers* pictures both on
a tiny example.

Layout. Images are first copied, channel-major and zero-padded, into a flat
buffer of shape ``(C, N, H_pad * W_pad + slack)``. In that buffer the entry
``(p, q)`` of every window is one strided view, so the column matrix, of shape
``(C*HH*WW, N*H_out*W_row)`` with rows ``(c, p, q)`` and columns ``(n, i, j)``,
is one copy. With stride 1 each output row is computed ``W_row = W_pad`` wide
instead of ``W_out``: the extra ``WW - 1`` columns per row are junk that the
callers drop (or, going backward, multiply by zero), and in exchange every
window offset becomes one *contiguous* run of ``H_out * W_pad`` numbers, which
NumPy copies and adds far faster than ``H_out`` short rows of ``W_out``.

Memory. The column matrix of one image is about ``HH * WW / stride**2`` times
the image. The fast convolution processes the batch in chunks of whole images
whose columns take about :data:`CHUNK_BYTES` (small enough to stay in the CPU
cache between the copy and the matrix product, which is faster than one big
chunk) and never more than :data:`COLUMN_BUFFER_CAP_BYTES`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.lib.stride_tricks import as_strided

#: Hard upper bound, in bytes, on the column matrix (and on its gradient) that
#: the fast convolution holds at once: 256 MiB, however large the batch. A
#: single image whose columns alone exceed it is still processed (alone).
#: Read at every call: change it on this module
#: (``cs231nbook.fast_layers.columns.COLUMN_BUFFER_CAP_BYTES = ...``).
COLUMN_BUFFER_CAP_BYTES: int = 256 * 2**20

#: Preferred size, in bytes, of one chunk's column matrix: 2 MiB. Chunks this
#: small stay in the CPU cache from the copy to the matrix product to col2im;
#: measured faster than whole-batch chunks (``benchmarks/bench_layers.py``).
#: The chunk is the smaller of this and :data:`COLUMN_BUFFER_CAP_BYTES`.
CHUNK_BYTES: int = 2 * 2**20


def images_per_chunk(bytes_per_image: int) -> int:
    """Images per chunk: as many as fit in ``min(CHUNK_BYTES, COLUMN_BUFFER_CAP_BYTES)``, at least 1."""
    budget = min(CHUNK_BYTES, COLUMN_BUFFER_CAP_BYTES)
    return max(1, budget // max(1, bytes_per_image))


def chunks(n: int, size: int) -> Iterator[slice]:
    """Slices ``[0:size], [size:2*size], ...`` covering ``range(n)``."""
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def row_width(W_pad: int, WW: int, stride: int) -> int:
    """Width of an output row as computed: ``W_pad`` for stride 1 (wide rows), else ``W_out``."""
    return W_pad if stride == 1 else (W_pad - WW) // stride + 1


def flat_length(H_pad: int, W_pad: int, WW: int, stride: int) -> int:
    """Length of one image channel in the flat buffer: the padded image plus slack, so that
    every offset view of :func:`offset_view` is a plain slice (the junk columns of the last
    wide row read up to ``WW - 1`` entries past the image, and with stride ``s`` the last
    window row's slice spans ``s - 1`` rows past it)."""
    return (H_pad + stride - 1) * W_pad + WW - 1


def to_flat(x: np.ndarray, pad: int, out: np.ndarray) -> np.ndarray:
    """Copy ``x`` into ``out``, channel-major and zero-padded; return ``out``.

    ``x`` has shape ``(n, C, H, W)``; ``out`` has shape ``(C, n, L)`` with
    ``L >= (H + 2*pad) * (W + 2*pad)`` and holds zeros outside the image: its
    border and slack are never written, so a buffer reused across chunks stays
    valid.
    """
    n, C, H, W = x.shape
    H_pad, W_pad = H + 2 * pad, W + 2 * pad
    images = out[:, :, : H_pad * W_pad].reshape(C, n, H_pad, W_pad)  # (C, n, H_pad, W_pad)
    images[:, :, pad:pad + H, pad:pad + W] = x.transpose(1, 0, 2, 3)  # (n, C, H, W) -> (C, n, H, W)
    return out


def from_flat(flat: np.ndarray, pad: int, H: int, W: int, out: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_flat`: write the unpadded images of ``flat`` into ``out`` of shape ``(n, C, H, W)``."""
    C, n, _ = flat.shape
    H_pad, W_pad = H + 2 * pad, W + 2 * pad
    images = flat[:, :, : H_pad * W_pad].reshape(C, n, H_pad, W_pad)  # (C, n, H_pad, W_pad)
    out[...] = images[:, :, pad:pad + H, pad:pad + W].transpose(1, 0, 2, 3)  # -> (n, C, H, W)
    return out


def offset_view(flat: np.ndarray, W_pad: int, stride: int, H_out: int, W_row: int,
                p: int, q: int) -> np.ndarray:
    """Entry ``(p, q)`` of every window: ``flat[c, n, (i*stride + p) * W_pad + j*stride + q]``
    for all ``(i, j)``, as a view of shape ``(C, n, H_out * W_row)`` for stride 1 (one
    contiguous run per image and channel) or ``(C, n, H_out, W_row)`` otherwise.
    No two ``(i, j)`` share an entry (``j * stride < W_pad``), so the view may be added to."""
    C, n, _ = flat.shape
    start = p * W_pad + q
    if stride == 1:
        return flat[:, :, start:start + H_out * W_pad]  # (C, n, H_out*W_pad)
    rows = flat[:, :, start:start + stride * H_out * W_pad].reshape(C, n, H_out, stride * W_pad)
    return rows[..., : stride * W_row:stride]  # (C, n, H_out, W_row)


def flat_im2col(flat: np.ndarray, H_pad: int, W_pad: int, HH: int, WW: int, stride: int,
                out: np.ndarray) -> np.ndarray:
    """Columns of a flat buffer: ``out`` of shape ``(C*HH*WW, n*H_out*W_row)``.

    Row ``(c, p, q)``, column ``(n, i, j)`` holds the padded pixel
    ``(n, c, i*stride + p, j*stride + q)``; see :func:`row_width` for ``W_row``.
    """
    C, n, _ = flat.shape
    H_out = (H_pad - HH) // stride + 1
    W_row = row_width(W_pad, WW, stride)
    s_c, s_n, e = flat.strides
    # A read-only view of all windows, (c, p, q, n, i, j); with stride 1 the last
    # two axes are one contiguous run per (c, p, q, n), so the copy has long inner loops.
    if stride == 1:  # merge (i, j): the copy then runs over long contiguous stretches
        windows = as_strided(flat, (C, HH, WW, n, H_out * W_row), (s_c, W_pad * e, e, s_n, e), writeable=False)
        np.copyto(out.reshape(C, HH, WW, n, H_out * W_row), windows)
    else:
        windows = as_strided(flat, (C, HH, WW, n, H_out, W_row),
                             (s_c, W_pad * e, e, s_n, stride * W_pad * e, stride * e), writeable=False)
        np.copyto(out.reshape(C, HH, WW, n, H_out, W_row), windows)
    return out


def flat_col2im(cols: np.ndarray, H_pad: int, W_pad: int, HH: int, WW: int, stride: int,
                out: np.ndarray) -> np.ndarray:
    r"""Adjoint of :func:`flat_im2col`: add every column onto the pixels it came from.

    ``out`` is a flat buffer of shape ``(C, n, L)``, overwritten. The sum runs as
    ``HH * WW`` strided additions, one per kernel offset ``(p, q)``: within one
    offset the windows never collide (each ``(i, j)`` lands on its own pixel),
    so a vectorized ``+=`` is exact, and overlapping windows are summed across
    offsets. This is several times faster than scattering with ``np.add.at``.
    """
    C, n, _ = out.shape
    H_out = (H_pad - HH) // stride + 1
    W_row = row_width(W_pad, WW, stride)
    blocks = cols.reshape(C, HH, WW, n, H_out, W_row)  # (C, HH, WW, n, H_out, W_row)
    if stride == 1:
        blocks = blocks.reshape(C, HH, WW, n, H_out * W_row)  # (C, HH, WW, n, H_out*W_row)
        # Offset (0, 0) covers the start of every image: copy it instead of adding it to zeros.
        out[:, :, : H_out * W_row] = blocks[:, 0, 0]
        out[:, :, H_out * W_row:] = 0
    else:
        out.fill(0)
    for p in range(HH):
        for q in range(WW):
            if stride == 1 and p == q == 0:
                continue
            target = offset_view(out, W_pad, stride, H_out, W_row, p, q)
            target += blocks[:, p, q]
    return out


def im2col(x_pad: np.ndarray, HH: int, WW: int, stride: int) -> np.ndarray:
    r"""Copy every ``HH x WW`` window of a padded batch into a column of a matrix.

    The textbook form, for reading and for small examples; the fast
    convolution runs the same code chunk by chunk on a flat buffer.

    Parameters
    ----------
    x_pad : ndarray of shape (N, C, H_pad, W_pad)
        Already zero-padded input.
    HH, WW : int
        Window height and width.
    stride : int
        Step between neighbouring windows; the windows must tile ``x_pad``
        exactly (``(H_pad - HH) % stride == 0``, likewise for the width).

    Returns
    -------
    cols : ndarray of shape (C * HH * WW, N * H_out * W_out)
        Row ``(c, p, q)``, column ``(n, i, j)`` (both in row-major order) holds
        ``x_pad[n, c, i * stride + p, j * stride + q]``.

    Notes
    -----
    A convolution is then one matrix product,
    ``w.reshape(F, -1) @ cols``, of shape ``(F, N * H_out * W_out)``.
    """
    N, C, H_pad, W_pad = x_pad.shape
    H_out, W_out = (H_pad - HH) // stride + 1, (W_pad - WW) // stride + 1
    flat = np.zeros((C, N, flat_length(H_pad, W_pad, WW, stride)), dtype=x_pad.dtype)
    to_flat(x_pad, 0, flat)
    W_row = row_width(W_pad, WW, stride)
    cols = np.empty((C * HH * WW, N * H_out * W_row), dtype=x_pad.dtype)
    flat_im2col(flat, H_pad, W_pad, HH, WW, stride, cols)
    # Drop the junk columns of wide rows (stride 1): (K, N, H_out, W_row) -> (K, N*H_out*W_out).
    return np.ascontiguousarray(cols.reshape(-1, N, H_out, W_row)[..., :W_out]).reshape(C * HH * WW, -1)


def col2im(cols: np.ndarray, x_pad_shape: tuple[int, int, int, int], HH: int, WW: int,
           stride: int) -> np.ndarray:
    r"""Add every column back onto the window it came from: the adjoint of :func:`im2col`.

    Parameters
    ----------
    cols : ndarray of shape (C * HH * WW, N * H_out * W_out)
        Typically the gradient of the loss with respect to the columns.
    x_pad_shape : tuple (N, C, H_pad, W_pad)
        Shape of the padded input that :func:`im2col` read.
    HH, WW, stride : int
        As in :func:`im2col`.

    Returns
    -------
    x_pad : ndarray of shape (N, C, H_pad, W_pad), dtype of ``cols``
        Each pixel holds the sum of the entries of ``cols`` that :func:`im2col`
        copied from it.

    Notes
    -----
    .. math:: \tilde x_{n c h v} = \sum_{p, q, i, j\,:\; i s + p = h,\; j s + q = v}
        \mathrm{cols}_{(c, p, q), (n, i, j)}
    """
    N, C, H_pad, W_pad = x_pad_shape
    H_out, W_out = (H_pad - HH) // stride + 1, (W_pad - WW) // stride + 1
    W_row = row_width(W_pad, WW, stride)
    wide = np.zeros((C * HH * WW, N, H_out, W_row), dtype=cols.dtype)
    wide[..., :W_out] = cols.reshape(C * HH * WW, N, H_out, W_out)  # junk columns add zero
    flat = np.empty((C, N, flat_length(H_pad, W_pad, WW, stride)), dtype=cols.dtype)
    flat_col2im(wide, H_pad, W_pad, HH, WW, stride, flat)
    x_pad = np.empty(x_pad_shape, dtype=cols.dtype)
    return from_flat(flat, 0, H_pad, W_pad, x_pad)
