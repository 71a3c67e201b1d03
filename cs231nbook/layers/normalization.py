"""Batch normalization and layer normalization for fully-connected layers.

Batch norm normalizes each feature over the minibatch (axis 0); layer norm
normalizes each example over its features (axis 1). Both then scale by
``gamma`` and shift by ``beta``. The chapter *Batch normalization* draws the
computation graph, derives :func:`batchnorm_backward` node by node and
:func:`batchnorm_backward_alt` in closed form, and proves the two equal.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, NamedTuple

import numpy as np

from .. import _checks


class BatchNormCache(NamedTuple):
    """Every node of the forward computation graph, for the backward passes.

    ``mode`` is ``'train'`` (statistics of the batch, which depend on ``x``)
    or ``'test'`` (running statistics, constants). In test mode ``mean`` and
    ``var`` hold the running statistics that were used.
    """

    mode: str
    x: np.ndarray  # (N, D)
    mean: np.ndarray  # (D,)
    xc: np.ndarray  # (N, D): x - mean
    var: np.ndarray  # (D,)
    std: np.ndarray  # (D,): sqrt(var + eps)
    inv_std: np.ndarray  # (D,): 1 / std
    xhat: np.ndarray  # (N, D): xc * inv_std
    gamma: np.ndarray  # (D,)


class LayerNormCache(NamedTuple):
    """What :func:`layernorm_backward` needs: the normalized input and the scale."""

    xhat: np.ndarray  # (N, D)
    inv_std: np.ndarray  # (N, 1)
    gamma: np.ndarray  # (D,)


def _eps(param: dict[str, Any], name: str) -> float:
    """``param['eps']`` (default 1e-5): a finite number > 0."""
    return _checks.real(f"{name}['eps']", param.get("eps", 1e-5), low=0, low_open=True)


def _momentum(bn_param: dict[str, Any]) -> float:
    """``bn_param['momentum']`` (default 0.9): a number in [0, 1]."""
    return _checks.real("bn_param['momentum']", bn_param.get("momentum", 0.9), low=0, high=1)


#: The keys each parameter dict may hold; any other raises ``ValueError``.
BN_PARAM_KEYS = ("mode", "eps", "momentum", "running_mean", "running_var")
LN_PARAM_KEYS = ("eps", "mode")


def _scale_shift(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Check ``gamma`` and ``beta``: one entry per feature of the (N, D) input."""
    gamma = _checks.real_array("gamma", gamma, ndim=1, dtype=x.dtype)
    beta = _checks.real_array("beta", beta, ndim=1, dtype=x.dtype)
    d = x.shape[1]
    _checks.same_shape("gamma", gamma, (d,), "one scale per feature of x, D = x.shape[1]")
    _checks.same_shape("beta", beta, (d,), "one shift per feature of x, D = x.shape[1]")
    return gamma.astype(x.dtype, copy=False), beta.astype(x.dtype, copy=False)


def _running(
    bn_param: dict[str, Any], key: str, d: int, dtype: np.dtype, init: float
) -> np.ndarray:
    """The running statistic ``bn_param[key]``, created as ``init`` of shape (D,) if missing.

    It must be finite, and a running variance non-negative: a NaN or a negative
    variance would turn every test-time output into NaN.
    """
    name = f"bn_param['{key}']"
    if bn_param.get(key) is None:
        return np.full(d, init, dtype=dtype)
    value = _checks.real_array(name, bn_param[key], ndim=1, dtype=dtype)
    _checks.same_shape(name, value, (d,), "one statistic per feature of x")
    if not np.isfinite(value).all():
        raise ValueError(f"{name} must be finite; got {value[~np.isfinite(value)][0]}")
    if key == "running_var" and (value < 0).any():
        raise ValueError(f"{name} must be non-negative (a variance); got {value[value < 0][0]}")
    return value.astype(dtype, copy=False)


def batchnorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, bn_param: dict[str, Any]
) -> tuple[np.ndarray, BatchNormCache]:
    r"""Batch normalization forward pass.

    In training mode each feature is normalized with the mean and the
    *biased* variance of the minibatch, and exponential running averages of
    both are kept in ``bn_param``; in test mode the running averages are used
    instead, so the output for one example does not depend on the others.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    gamma : ndarray of shape (D,)
        Scale.
    beta : ndarray of shape (D,)
        Shift.
    bn_param : dict
        - ``'mode'``: ``'train'`` or ``'test'`` (required).
        - ``'eps'`` (default 1e-5): added to the variance before the square root.
        - ``'momentum'`` (default 0.9): weight of the *old* running value,
          ``running = momentum * running + (1 - momentum) * batch``.
        - ``'running_mean'``, ``'running_var'``: arrays of shape (D,);
          created as zeros and ones (of ``x``'s dtype) when missing.

        Any other key raises ``ValueError`` (a typo such as ``'epsilon'`` is not ignored).

        In training mode the updated running statistics (new arrays, in
        ``x``'s dtype) are written back into ``bn_param``: this is the one
        argument the layer changes, so that a model can keep its ``bn_param``
        between calls. In test mode only missing statistics are added.

    Returns
    -------
    out : ndarray of shape (N, D), dtype of ``x``
    cache : BatchNormCache
        Every intermediate value of the computation graph.

    Raises
    ------
    TypeError
        If an array is not an ndarray of real numbers (integer ``gamma``, ``beta``
        are converted to ``x``'s dtype), ``bn_param`` is not a dict, or ``eps`` or
        ``momentum`` is not a number.
    ValueError
        On an unknown mode or key; ``eps`` not finite and positive; ``momentum``
        outside [0, 1]; ``gamma``, ``beta`` or the running statistics not of
        shape (D,); a running statistic not finite or a negative running
        variance; an empty batch in training mode. Nothing is written into
        ``bn_param`` before every check has passed.

    Notes
    -----
    .. math::
        \mu = \frac1N \sum_i x_i, \quad
        \sigma^2 = \frac1N \sum_i (x_i - \mu)^2, \quad
        \hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}, \quad
        \mathrm{out}_i = \gamma \odot \hat x_i + \beta
    """
    x = _checks.real_array("x", x, ndim=2)
    _checks.param_dict("bn_param", bn_param, required=("mode",), optional=BN_PARAM_KEYS[1:])
    if not isinstance(bn_param, MutableMapping):
        raise TypeError(
            "bn_param must be a dict the running statistics can be written back to; "
            f"got a read-only {type(bn_param).__name__}"
        )
    mode = _checks.choice("bn_param['mode']", bn_param["mode"], ("train", "test"))
    if mode == "train" and x.shape[0] == 0:
        raise ValueError(
            "x must hold at least one example in training mode (the batch statistics of an "
            f"empty batch are undefined); got shape {x.shape}"
        )
    gamma, beta = _scale_shift(x, gamma, beta)
    eps = _eps(bn_param, "bn_param")
    momentum = _momentum(bn_param)
    d = x.shape[1]
    running_mean = _running(bn_param, "running_mean", d, x.dtype, 0.0)
    running_var = _running(bn_param, "running_var", d, x.dtype, 1.0)

    if mode == "train":
        mean = x.mean(axis=0)  # (D,)
        xc = x - mean  # (N, D)
        var = (xc**2).mean(axis=0)  # (D,), biased: divided by N
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    else:
        mean, var = running_mean, running_var
        xc = x - mean
        # Record statistics created just now, so the caller sees what was used.
        for key, value in (("running_mean", running_mean), ("running_var", running_var)):
            if bn_param.get(key) is None:
                bn_param[key] = value
    std = np.sqrt(var + eps)
    inv_std = 1 / std
    xhat = xc * inv_std
    out = gamma * xhat + beta
    return out, BatchNormCache(mode, x, mean, xc, var, std, inv_std, xhat, gamma)


def _check_dout(dout: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    dout = _checks.real_array("dout", dout, dtype=dtype)
    _checks.same_shape("dout", dout, shape, "the shape of the forward output")
    return dout


def batchnorm_backward(
    dout: np.ndarray, cache: BatchNormCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Batch normalization backward pass, node by node through the computation graph.

    Each line below takes the gradient of one node of the forward pass
    (shift, scale, normalized x, inverse, sqrt, variance, centered input,
    mean) and multiplies it by that node's local derivative. A node used
    twice (``xc`` feeds both the variance and ``xhat``; ``x`` feeds both the
    mean and ``xc``) adds up the gradients from its two uses.
    See :func:`batchnorm_backward_alt` for the same result in closed form.

    Parameters
    ----------
    dout : ndarray of shape (N, D)
    cache : BatchNormCache
        From :func:`batchnorm_forward`.

    Returns
    -------
    dx : ndarray of shape (N, D)
    dgamma : ndarray of shape (D,)
    dbeta : ndarray of shape (D,)
    """
    c = _checks.cache("cache", cache, BatchNormCache, "batchnorm_forward", "batchnorm_backward")
    n = c.x.shape[0]
    dout = _check_dout(dout, c.x.shape, c.x.dtype)
    dbeta = dout.sum(axis=0)  # shift: out = scaled + beta
    dgamma = (dout * c.xhat).sum(axis=0)  # scale: scaled = gamma * xhat
    dxhat = dout * c.gamma
    dxc = dxhat * c.inv_std  # xhat = xc * inv_std, the path through xc
    if c.mode == "test":
        return dxc, dgamma, dbeta  # mean and var are constants: x -> xc is the identity
    dinv_std = (dxhat * c.xc).sum(axis=0)  # xhat = xc * inv_std, the path through inv_std
    dstd = -dinv_std / c.std**2  # inv_std = 1 / std
    dvar = dstd * 0.5 / c.std  # std = sqrt(var + eps)
    dxc = dxc + 2 * c.xc * dvar / n  # var = mean(xc**2): xc's second use
    dmean = -dxc.sum(axis=0)  # xc = x - mean
    dx = dxc + dmean / n  # mean = mean(x): x's second use
    return dx, dgamma, dbeta


def batchnorm_backward_alt(
    dout: np.ndarray, cache: BatchNormCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Batch normalization backward pass in closed form (same cache, same result).

    Parameters
    ----------
    dout : ndarray of shape (N, D)
    cache : BatchNormCache
        From :func:`batchnorm_forward`.

    Returns
    -------
    dx : ndarray of shape (N, D)
    dgamma : ndarray of shape (D,)
    dbeta : ndarray of shape (D,)

    Notes
    -----
    With :math:`\sigma = \sqrt{\sigma^2 + \epsilon}` and sums over the batch,

    .. math::
        \frac{\partial L}{\partial x_i} = \frac{\gamma}{N \sigma}
        \Big( N\, \mathrm{dout}_i - \sum_j \mathrm{dout}_j
        - \hat x_i \sum_j \mathrm{dout}_j\, \hat x_j \Big)

    derived and proven equal to :func:`batchnorm_backward` with SymPy in the
    chapter *Batch normalization*.
    """
    c = _checks.cache("cache", cache, BatchNormCache, "batchnorm_forward", "batchnorm_backward_alt")
    n = c.x.shape[0]
    dout = _check_dout(dout, c.x.shape, c.x.dtype)
    dbeta = dout.sum(axis=0)
    dgamma = (dout * c.xhat).sum(axis=0)
    if c.mode == "test":
        return dout * (c.gamma * c.inv_std), dgamma, dbeta
    dx = (c.gamma * c.inv_std / n) * (n * dout - dbeta - c.xhat * dgamma)
    return dx, dgamma, dbeta


def layernorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, ln_param: dict[str, Any]
) -> tuple[np.ndarray, LayerNormCache]:
    r"""Layer normalization forward pass.

    Each example (row of ``x``) is normalized with the mean and biased
    variance of its own ``D`` features, so the result does not depend on the
    rest of the batch and training and test behave alike.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    gamma : ndarray of shape (D,)
        Per-feature scale.
    beta : ndarray of shape (D,)
        Per-feature shift.
    ln_param : dict
        ``'eps'`` (default 1e-5), and optionally ``'mode'`` (``'train'`` or
        ``'test'``, which models set and layer norm ignores). Any other key
        raises ``ValueError``.

    Returns
    -------
    out : ndarray of shape (N, D), dtype of ``x``
    cache : LayerNormCache

    Notes
    -----
    .. math::
        \mu_i = \frac1D \sum_k x_{ik}, \quad
        \sigma_i^2 = \frac1D \sum_k (x_{ik} - \mu_i)^2, \quad
        \mathrm{out}_{ik} = \gamma_k \,
        \frac{x_{ik} - \mu_i}{\sqrt{\sigma_i^2 + \epsilon}} + \beta_k
    """
    x = _checks.real_array("x", x, ndim=2)
    _checks.param_dict("ln_param", ln_param, optional=LN_PARAM_KEYS)
    if "mode" in ln_param:
        _checks.choice("ln_param['mode']", ln_param["mode"], ("train", "test"))
    if x.shape[1] == 0:
        raise ValueError(f"x must have at least one feature to normalize; got shape {x.shape}")
    gamma, beta = _scale_shift(x, gamma, beta)
    eps = _eps(ln_param, "ln_param")
    mean = x.mean(axis=1, keepdims=True)  # (N, 1)
    xc = x - mean  # (N, D)
    inv_std = 1 / np.sqrt((xc**2).mean(axis=1, keepdims=True) + eps)  # (N, 1)
    xhat = xc * inv_std
    return gamma * xhat + beta, LayerNormCache(xhat, inv_std, gamma)


def layernorm_backward(
    dout: np.ndarray, cache: LayerNormCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Layer normalization backward pass.

    Parameters
    ----------
    dout : ndarray of shape (N, D)
    cache : LayerNormCache
        From :func:`layernorm_forward`.

    Returns
    -------
    dx : ndarray of shape (N, D)
    dgamma : ndarray of shape (D,)
    dbeta : ndarray of shape (D,)

    Notes
    -----
    Batch norm's closed form with the roles of the axes swapped: the sums run
    over the ``D`` features of one example, and the upstream gradient of
    :math:`\hat x` is :math:`\gamma \odot \mathrm{dout}` (``gamma`` now varies
    along the summed axis, so it cannot be pulled out of the sums):

    .. math::
        \frac{\partial L}{\partial x_{ik}} = \frac{1}{D \sigma_i}
        \Big( D\, g_{ik} - \sum_l g_{il} - \hat x_{ik} \sum_l g_{il} \hat x_{il} \Big),
        \qquad g = \gamma \odot \mathrm{dout}
    """
    xhat, inv_std, gamma = _checks.cache(
        "cache", cache, LayerNormCache, "layernorm_forward", "layernorm_backward"
    )
    d = xhat.shape[1]
    dout = _check_dout(dout, xhat.shape, xhat.dtype)
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    g = dout * gamma  # (N, D): gradient with respect to xhat
    dx = (inv_std / d) * (
        d * g - g.sum(axis=1, keepdims=True) - xhat * (g * xhat).sum(axis=1, keepdims=True)
    )
    return dx, dgamma, dbeta
