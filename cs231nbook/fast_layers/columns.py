"""im2col and col2im: convolution as a matrix product, in pure NumPy.

``im2col`` copies every receptive field of a padded image into one column of a
matrix, so that all ``F`` filters are applied to all windows by one matrix
product. ``col2im`` is its adjoint: it adds every column back onto the pixels it
came from, summing where windows overlap. The chapter *Fast layers* pictures
both on a tiny example.

The column matrix of one image has ``C * HH * WW`` rows and ``H_out * W_out``
columns, about ``HH * WW / stride**2`` times the size of the image, so a large
batch is processed in chunks whose column matrix stays below
:data:`COLUMN_BUFFER_CAP_BYTES`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: Upper bound, in bytes, on the column matrix that the fast convolution holds
#: at once (256 MiB). The batch is split into chunks of whole images whose
#: columns fit; a single image whose columns alone exceed the cap is processed
#: on its own. Read at every call, so it can be changed at run time
#: (``cs231nbook.fast_layers.columns.COLUMN_BUFFER_CAP_BYTES = ...``).
COLUMN_BUFFER_CAP_BYTES: int = 256 * 2**20


def images_per_chunk(bytes_per_image: int, cap_bytes: int | None = None) -> int:
    """How many images fit in one chunk whose column matrix is at most ``cap_bytes``.

    At least 1: an image is never split.
    """
    cap = COLUMN_BUFFER_CAP_BYTES if cap_bytes is None else cap_bytes
    return max(1, cap // max(1, bytes_per_image))


def chunks(n: int, size: int) -> Iterator[slice]:
    """Slices ``[0:size], [size:2*size], ...`` covering ``range(n)``."""
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def im2col(
    x_pad: np.ndarray, HH: int, WW: int, stride: int, out: np.ndarray | None = None
) -> np.ndarray:
    r"""Copy every ``HH x WW`` window of a padded batch into the columns of a matrix.

    Parameters
    ----------
    x_pad : ndarray of shape (N, C, H_pad, W_pad)
        Already zero-padded input.
    HH, WW : int
        Window height and width.
    stride : int
        Step between neighbouring windows; the windows must tile ``x_pad``
        exactly (checked by the callers).
    out : ndarray of shape (N, C * HH * WW, H_out * W_out), optional
        A C-contiguous buffer to write into, reused across chunks.

    Returns
    -------
    cols : ndarray of shape (N, C * HH * WW, H_out * W_out)
        Row ``(c, p, q)`` (in that row-major order) of column ``(i, j)`` of
        image ``n`` holds ``x_pad[n, c, i * stride + p, j * stride + q]``.

    Notes
    -----
    Laid out per image like this, the product with the filters
    ``w.reshape(F, C * HH * WW) @ cols`` has shape ``(N, F, H_out * W_out)``:
    the output is already in NCHW order and needs no transpose.
    """
    N, C, H_pad, W_pad = x_pad.shape
    H_out = (H_pad - HH) // stride + 1
    W_out = (W_pad - WW) // stride + 1
    # A view, no copy: windows[n, c, i, j, p, q] = x_pad[n, c, i*stride + p, j*stride + q].
    windows = sliding_window_view(x_pad, (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride]
    if out is None:
        out = np.empty((N, C * HH * WW, H_out * W_out), dtype=x_pad.dtype)
    # The only copy: reorder to (n, c, p, q, i, j) and write into the column buffer.
    np.copyto(out.reshape(N, C, HH, WW, H_out, W_out), windows.transpose(0, 1, 4, 5, 2, 3))
    return out


def col2im(
    cols: np.ndarray, x_pad_shape: tuple[int, int, int, int], HH: int, WW: int, stride: int
) -> np.ndarray:
    r"""Add every column back onto the window it came from: the adjoint of :func:`im2col`.

    Parameters
    ----------
    cols : ndarray of shape (N, C * HH * WW, H_out * W_out)
        Typically the gradient with respect to the columns.
    x_pad_shape : tuple (N, C, H_pad, W_pad)
        Shape of the padded input that :func:`im2col` read.
    HH, WW, stride : int
        As in :func:`im2col`.

    Returns
    -------
    x_pad : ndarray of shape (N, C, H_pad, W_pad), dtype of ``cols``
        ``x_pad[n, c, h, v]`` is the sum of every entry of ``cols`` that
        :func:`im2col` copied from position ``(h, v)``.

    Notes
    -----
    .. math:: \tilde x_{n c h v} = \sum_{p, q, i, j\,:\; i s + p = h,\; j s + q = v}
        \mathrm{cols}_{n, (c, p, q), (i, j)}

    The sum runs as ``HH * WW`` strided additions, one per kernel offset
    ``(p, q)``: within one offset the windows never collide (each ``(i, j)``
    lands on a different pixel), so a plain vectorized ``+=`` is safe, and
    overlapping windows are summed across offsets. This is several times faster
    than scattering every entry with ``np.add.at``.
    """
    N, C, H_pad, W_pad = x_pad_shape
    H_out = (H_pad - HH) // stride + 1
    W_out = (W_pad - WW) // stride + 1
    blocks = cols.reshape(N, C, HH, WW, H_out, W_out)  # (N, C, HH, WW, H_out, W_out)
    x_pad = np.zeros(x_pad_shape, dtype=cols.dtype)
    for p in range(HH):
        for q in range(WW):
            # The pixels that kernel offset (p, q) touched, one per output position.
            x_pad[:, :, p:p + stride * H_out:stride, q:q + stride * W_out:stride] += blocks[:, :, p, q]
    return x_pad
