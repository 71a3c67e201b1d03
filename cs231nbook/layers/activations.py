"""The rectified linear unit, ``max(0, x)``."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _checks


class ReluCache(NamedTuple):
    """What :func:`relu_backward` needs: the layer's input."""

    x: np.ndarray


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, ReluCache]:
    r"""ReLU forward pass, element-wise :math:`\max(0, x)`.

    Parameters
    ----------
    x : ndarray of any shape

    Returns
    -------
    out : ndarray, same shape and dtype as ``x``
    cache : ReluCache
    """
    x = _checks.real_array("x", x)
    return np.maximum(x, 0), ReluCache(x)


def relu_backward(dout: np.ndarray, cache: ReluCache) -> np.ndarray:
    r"""ReLU backward pass.

    Parameters
    ----------
    dout : ndarray, same shape as the forward input
    cache : ReluCache

    Returns
    -------
    dx : ndarray, same shape as ``dout``

    Notes
    -----
    The derivative is the step function :math:`\mathbb{1}[x > 0]`. At the kink
    :math:`x = 0` any value in :math:`[0, 1]` is a valid subgradient; this
    implementation uses 0, as PyTorch does.
    """
    (x,) = _checks.cache("cache", cache, ReluCache, "relu_forward", "relu_backward")
    dout = _checks.real_array("dout", dout, dtype=x.dtype)
    _checks.same_shape("dout", dout, x.shape, "the shape of the forward input")
    return dout * (x > 0)
