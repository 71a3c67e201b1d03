"""im2col and col2im in textbook form: convolution as one matrix product.

``im2col`` copies every receptive field of a padded batch into one column of a
matrix, so that all ``F`` filters meet all windows in one matrix product.
``col2im`` is its adjoint: it adds every column back onto the pixels it came
from, summing where windows overlap. The chapter *Fast layers* pictures both on
a tiny example. These are for reading and for small examples; the fast
convolution runs the same idea on a faster layout
(:class:`~cs231nbook.fast_layers.stacked.StackedColumns`). Max pooling shares
:func:`window_entry`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _checks

__all__ = ["col2im", "im2col", "window_entry"]


def _entries(name: str, value: Any, ndim: int) -> np.ndarray:
    """A real array as every layer checks it, or an object array of SymPy symbols: the
    textbook forms also serve derivations (the chapter *Fast layers* differentiates through
    them), so symbols may go in."""
    if isinstance(value, np.ndarray) and value.dtype == object:
        if value.ndim != ndim:
            raise ValueError(f"{name} must be {ndim}-dimensional; got shape {value.shape}")
        return value
    return _checks.real_array(name, value, ndim=ndim)


def _geometry(
    H_pad: int, W_pad: int, HH: Any, WW: Any, stride: Any
) -> tuple[int, int, int, int, int]:
    """Checked window sizes and stride, and the output size (windows must tile exactly)."""
    HH = _checks.positive_int("HH", HH)
    WW = _checks.positive_int("WW", WW)
    stride = _checks.positive_int("stride", stride)
    H_out = _checks.output_size(H_pad, HH, stride, 0, "im2col height")
    W_out = _checks.output_size(W_pad, WW, stride, 0, "im2col width")
    return HH, WW, stride, H_out, W_out


def window_entry(a: np.ndarray, p: int, q: int, stride: int, H_out: int, W_out: int) -> np.ndarray:
    """Entry ``(p, q)`` of every window of an NCHW batch: the view ``a[:, :, i*stride + p, j*stride + q]``
    over all ``(i, j)``, of shape (N, C, H_out, W_out). No two windows share an entry, so the
    view may be added to."""
    return a[
        :, :, p : p + stride * (H_out - 1) + 1 : stride, q : q + stride * (W_out - 1) + 1 : stride
    ]


def im2col(x_pad: np.ndarray, HH: int, WW: int, stride: int) -> np.ndarray:
    r"""Copy every ``HH x WW`` window of a padded batch into a column of a matrix.

    The textbook form, for reading and for small examples; the fast
    convolution runs a faster layout of the same idea
    (:class:`~cs231nbook.fast_layers.stacked.StackedColumns`).

    Parameters
    ----------
    x_pad : ndarray of shape (N, C, H_pad, W_pad)
        Already zero-padded input: floating point (integers are converted), or an object
        array of SymPy symbols for a derivation.
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
    x_pad = _entries("x_pad", x_pad, 4)
    N, C, H_pad, W_pad = x_pad.shape
    HH, WW, stride, H_out, W_out = _geometry(H_pad, W_pad, HH, WW, stride)
    cols = np.empty((C, HH, WW, N, H_out, W_out), dtype=x_pad.dtype)
    for p in range(HH):
        for q in range(WW):
            entry = window_entry(x_pad, p, q, stride, H_out, W_out)  # (N, C, H_out, W_out)
            cols[:, p, q] = entry.transpose(1, 0, 2, 3)  # -> (C, N, H_out, W_out)
    return cols.reshape(C * HH * WW, N * H_out * W_out)


def col2im(
    cols: np.ndarray, x_pad_shape: tuple[int, int, int, int], HH: int, WW: int, stride: int
) -> np.ndarray:
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

    Within one offset ``(p, q)`` the windows never share a pixel, so each
    offset is one vectorized ``+=``; overlapping windows add up across offsets.
    """
    if len(x_pad_shape) != 4:
        raise ValueError(f"x_pad_shape must be (N, C, H_pad, W_pad); got {x_pad_shape!r}")
    N, C, H_pad, W_pad = (_checks.nonnegative_int("x_pad_shape", s) for s in x_pad_shape)
    HH, WW, stride, H_out, W_out = _geometry(H_pad, W_pad, HH, WW, stride)
    cols = _entries("cols", cols, 2)
    _checks.same_shape("cols", cols, (C * HH * WW, N * H_out * W_out), "(C*HH*WW, N*H_out*W_out)")
    blocks = cols.reshape(C, HH, WW, N, H_out, W_out)  # (C, HH, WW, N, H_out, W_out)
    x_pad = np.zeros(x_pad_shape, dtype=cols.dtype)
    for p in range(HH):
        for q in range(WW):
            entry = window_entry(x_pad, p, q, stride, H_out, W_out)  # (N, C, H_out, W_out)
            entry += blocks[:, p, q].transpose(1, 0, 2, 3)  # (C, N, H_out, W_out) -> (N, C, ...)
    return x_pad
