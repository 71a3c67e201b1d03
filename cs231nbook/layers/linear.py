"""The affine (fully-connected) layer, ``out = x @ w + b``.

Derived symbolically in the chapter *Affine, ReLU and the losses*.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _checks


class AffineCache(NamedTuple):
    """What :func:`affine_backward` needs: the layer's inputs."""

    x: np.ndarray
    w: np.ndarray


def affine_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, AffineCache]:
    r"""Affine layer forward pass.

    Each example ``x[i]`` (of any shape ``(d_1, ..., d_k)``) is flattened to a
    row of ``D = d_1 * ... * d_k`` numbers, then mapped to ``M`` outputs.

    Parameters
    ----------
    x : ndarray of shape (N, d_1, ..., d_k)
        A minibatch of ``N`` examples.
    w : ndarray of shape (D, M)
        Weights.
    b : ndarray of shape (M,)
        Biases.

    Returns
    -------
    out : ndarray of shape (N, M)
    cache : AffineCache
        ``(x, w)``, for :func:`affine_backward`.

    Raises
    ------
    ValueError
        If ``w`` has not ``D`` rows, or ``b`` is not of shape ``(M,)``.

    Notes
    -----
    .. math:: \mathrm{out} = X W + \mathbf{1} b^\top, \qquad X = \mathrm{reshape}(x, (N, D))
    """
    x = _checks.real_array("x", x, min_ndim=1)
    w = _checks.real_array("w", w, ndim=2, dtype=x.dtype)
    b = _checks.real_array("b", b, ndim=1, dtype=x.dtype)
    n = x.shape[0]
    d = int(np.prod(x.shape[1:]))
    if w.shape[0] != d:
        raise ValueError(
            f"w must have shape ({d}, M): one row per input feature of x, whose examples have shape "
            f"{x.shape[1:]} = {d} features; got w of shape {w.shape}"
        )
    _checks.same_shape("b", b, (w.shape[1],), "one bias per column of w")
    out = x.reshape(n, d) @ w + b  # (N, D) @ (D, M) + (M,) -> (N, M)
    return out, AffineCache(x, w)


def affine_backward(
    dout: np.ndarray, cache: AffineCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Affine layer backward pass.

    Parameters
    ----------
    dout : ndarray of shape (N, M)
        Upstream derivative of the loss with respect to ``out``.
    cache : AffineCache
        From :func:`affine_forward`.

    Returns
    -------
    dx : ndarray of shape (N, d_1, ..., d_k)
    dw : ndarray of shape (D, M)
    db : ndarray of shape (M,)

    Notes
    -----
    .. math::
        \frac{\partial L}{\partial X} = \frac{\partial L}{\partial \mathrm{out}} W^\top, \quad
        \frac{\partial L}{\partial W} = X^\top \frac{\partial L}{\partial \mathrm{out}}, \quad
        \frac{\partial L}{\partial b} = \mathbf{1}^\top \frac{\partial L}{\partial \mathrm{out}}
    """
    x, w = _checks.cache("cache", cache, AffineCache, "affine_forward", "affine_backward")
    n = x.shape[0]
    dout = _checks.real_array("dout", dout, ndim=2, dtype=x.dtype)
    _checks.same_shape("dout", dout, (n, w.shape[1]), "the shape of the forward output")
    x_rows = x.reshape(n, -1)  # (N, D)
    dx = (dout @ w.T).reshape(x.shape)  # (N, M) @ (M, D) -> (N, D) -> x's shape
    dw = x_rows.T @ dout  # (D, N) @ (N, M) -> (D, M)
    db = dout.sum(axis=0)  # (M,)
    return dx, dw, db
