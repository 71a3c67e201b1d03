"""The convolutional layer, written as plain loops over output positions.

A convolution in deep learning is a *cross-correlation*: the kernel slides over
the (zero-padded) input without being flipped. These loops are slow but read
like the definition; ``cs231nbook.fast_layers`` computes the same numbers with
im2col and one matrix product. The backward pass is derived symbolically in the
chapter *Convolution*.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import _checks


class ConvCache(NamedTuple):
    """What :func:`conv_backward_naive` needs: the unpadded input, the filters and the geometry."""

    x: np.ndarray
    w: np.ndarray
    stride: int
    pad: int


def conv_arguments(
    x: Any, w: Any, b: Any, conv_param: Any, integers: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int, int, int]:
    """Validate the arguments of a convolution forward pass and return them ready to use.

    Integer arrays are converted to the floating dtype of ``x`` (float64 if ``x``
    is an integer array too); with ``integers=False`` they are refused instead.
    ``conv_param`` may hold only ``'stride'`` and ``'pad'``.

    Returns
    -------
    x, w, b : ndarray
    stride, pad, H_out, W_out : int
    """
    x = _checks.float_array("x", x, ndim=4, integers=integers)
    w = _checks.float_array("w", w, ndim=4, dtype=x.dtype, integers=integers)
    b = _checks.float_array("b", b, ndim=1, dtype=np.result_type(x, w), integers=integers)
    _checks.param_dict("conv_param", conv_param, required=("stride", "pad"), optional=())
    stride = _checks.positive_int("conv_param['stride']", conv_param["stride"])
    pad = _checks.nonnegative_int("conv_param['pad']", conv_param["pad"])
    _, C, H, W = x.shape
    F, C_w, HH, WW = w.shape
    if C_w != C:
        raise ValueError(
            f"w must have shape (F, C, HH, WW) with C = {C}, the number of channels of x "
            f"(x has shape {x.shape}); got w of shape {w.shape}"
        )
    _checks.same_shape("b", b, (F,), "one bias per filter of w")
    H_out = _checks.output_size(H, HH, stride, pad, "convolution height (H vs filter height HH)")
    W_out = _checks.output_size(W, WW, stride, pad, "convolution width (W vs filter width WW)")
    return x, w, b, stride, pad, H_out, W_out


def check_conv_args(x: Any, w: Any, b: Any, conv_param: Any) -> tuple[int, int, int, int]:
    """Validate the arguments of a convolution forward pass.

    Shared by the naive and the fast convolution so both reject the same inputs
    with the same messages. Unlike :func:`conv_arguments`, which returns the
    arrays converted to a floating dtype, it refuses integer arrays, because its
    caller goes on with the arrays as passed.

    Returns
    -------
    stride, pad, H_out, W_out : int
    """
    return conv_arguments(x, w, b, conv_param, integers=False)[3:]


def conv_forward_naive(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: Mapping[str, Any]
) -> tuple[np.ndarray, ConvCache]:
    r"""Convolutional layer forward pass, one output value at a time.

    Each of the ``F`` filters spans all ``C`` input channels and an
    ``HH x WW`` window. It slides over the zero-padded input with the given
    stride; at each position the output is the sum of the window times the
    filter, plus the filter's bias.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
        A minibatch of ``N`` images with ``C`` channels.
    w : ndarray of shape (F, C, HH, WW)
        Filters.
    b : ndarray of shape (F,)
        One bias per filter.
    conv_param : dict
        ``'stride'`` (int >= 1): step between neighbouring windows, in pixels, along
        both height and width. ``'pad'`` (int >= 0): zeros added on every side of
        the height and width axes.

    Returns
    -------
    out : ndarray of shape (N, F, H_out, W_out)
        ``H_out = 1 + (H + 2 * pad - HH) / stride`` and
        ``W_out = 1 + (W + 2 * pad - WW) / stride``. Its dtype is
        ``np.result_type(x, w, b)`` (float32 in, float32 out).
    cache : ConvCache
        ``(x, w, stride, pad)``, for :func:`conv_backward_naive`.

    Raises
    ------
    TypeError
        If an array is not an ndarray of real numbers (integer arrays are
        converted to ``x``'s floating dtype; masked arrays are refused),
        ``conv_param`` is not a dict, or stride or pad is not an integer.
    ValueError
        If an array has the wrong number of dimensions; ``w`` has not ``C``
        channels; ``b`` is not of shape ``(F,)``; a key of ``conv_param`` is
        missing or unknown; stride < 1 or pad < 0; a filter is larger than the padded input;
        or ``H_out`` or ``W_out`` is not an integer (the windows must tile the
        padded input exactly: nothing is dropped silently).

    Notes
    -----
    With :math:`\tilde x` the zero-padded input and :math:`s` the stride,

    .. math:: \mathrm{out}_{n f i j} = b_f + \sum_{c=0}^{C-1} \sum_{p=0}^{HH-1} \sum_{q=0}^{WW-1}
        \tilde x_{n,\, c,\, i s + p,\, j s + q}\; w_{f c p q}

    The kernel is not flipped (cross-correlation), as in every deep-learning
    library.
    """
    x, w, b, stride, pad, H_out, W_out = conv_arguments(x, w, b, conv_param)
    N, _, _, _ = x.shape
    F, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))  # (N, C, H + 2*pad, W + 2*pad)
    out = np.empty((N, F, H_out, W_out), dtype=np.result_type(x, w, b))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    top, left = i * stride, j * stride
                    window = x_pad[n, :, top : top + HH, left : left + WW]  # (C, HH, WW)
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, ConvCache(x, w, stride, pad)


def conv_backward_naive(
    dout: np.ndarray, cache: ConvCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Convolutional layer backward pass.

    Every output value ``out[n, f, i, j]`` was a window of the padded input
    times filter ``f``; the backward pass visits the same windows and sends
    ``dout[n, f, i, j]`` back along both factors of that product.

    Parameters
    ----------
    dout : ndarray of shape (N, F, H_out, W_out)
        Upstream derivative of the loss with respect to ``out``.
    cache : ConvCache
        From :func:`conv_forward_naive`.

    Returns
    -------
    dx : ndarray of shape (N, C, H, W), dtype of ``x``
    dw : ndarray of shape (F, C, HH, WW), dtype of ``w``
    db : ndarray of shape (F,), dtype of ``dout``

    Raises
    ------
    ValueError
        If ``dout`` does not have the shape of the forward output.

    Notes
    -----
    .. math::
        \frac{\partial L}{\partial w_{fcpq}} = \sum_{n,i,j} \mathrm{dout}_{nfij}\,
            \tilde x_{n,\, c,\, i s + p,\, j s + q}, \qquad
        \frac{\partial L}{\partial b_f} = \sum_{n,i,j} \mathrm{dout}_{nfij},

    .. math::
        \frac{\partial L}{\partial \tilde x_{n c h v}} = \sum_{f}
            \sum_{\substack{i, p:\; i s + p = h}} \sum_{\substack{j, q:\; j s + q = v}}
            \mathrm{dout}_{nfij}\, w_{fcpq},

    and ``dx`` is the centre of ``d x_pad`` (the pad is cropped away). The
    chapter *Convolution* shows that the filter gradient is the correlation of
    the padded input with ``dout``, and the input gradient the full convolution
    of the stride-dilated ``dout`` with the filter rotated by 180 degrees.
    """
    x, w, stride, pad = _checks.cache(
        "cache", cache, ConvCache, "conv_forward_naive", "conv_backward_naive"
    )
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    dout = _checks.real_array("dout", dout, ndim=4, dtype=x.dtype)
    _checks.same_shape("dout", dout, (N, F, H_out, W_out), "the shape of the forward output")

    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))  # (N, C, H + 2*pad, W + 2*pad)
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    top, left = i * stride, j * stride
                    g = dout[n, f, i, j]
                    dw[f] += g * x_pad[n, :, top : top + HH, left : left + WW]
                    # Overlapping windows (stride < kernel) add into the same input pixels.
                    dx_pad[n, :, top : top + HH, left : left + WW] += g * w[f]
    # The padding zeros are constants, not inputs: their gradients are dropped.
    dx = dx_pad[:, :, pad : pad + H, pad : pad + W].copy()  # (N, C, H, W)
    db = dout.sum(axis=(0, 2, 3))  # (F,)
    return dx, dw, db
