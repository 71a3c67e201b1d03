"""Kaiming (He) initialization, and the ``weight_scale`` convention the conv nets share.

The chapter *Kaiming initialization* derives the rule with SymPy: a ReLU
layer's output keeps the variance of its input when the weights have variance
``2 / fan_in``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from .. import _checks
from ._common import check_dtype, check_seed


def kaiming_initializer(
    Din: int,
    Dout: int,
    K: int | None = None,
    relu: bool = True,
    dtype: DTypeLike = np.float32,
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    r"""Gaussian weights scaled so that a layer preserves the variance of its activations.

    Parameters
    ----------
    Din : int
        Input features (affine layer) or input channels ``C`` (convolution).
    Dout : int
        Output features, or the number of filters ``F``.
    K : int or None, default None
        None for an affine layer; the (square) filter size for a convolution.
    relu : bool, default True
        Whether a ReLU follows the layer: gain 2 if so, else 1.
    dtype : float32 or float64, default float32
    seed : int, Generator or None
        The random stream (a Generator is used as is, so a model can pass its own;
        NumPy's global RNG is never used).

    Returns
    -------
    weight : ndarray of shape (Din, Dout) if ``K`` is None, else (Dout, Din, K, K)
        Normal with mean 0 and standard deviation ``sqrt(gain / fan_in)``, where
        ``fan_in = Din`` for an affine layer and ``Din * K * K`` for a
        convolution (the number of inputs that each output sums over).

    Notes
    -----
    For :math:`y = \sum_{i=1}^{n} w_i x_i` with independent zero-mean weights,
    :math:`\operatorname{Var}(y) = n \operatorname{Var}(w)\, \mathbb{E}[x^2]`;
    after a ReLU of a symmetric pre-activation :math:`\mathbb{E}[x^2]` is half
    the previous layer's variance, so the variance stays constant when

    .. math:: \operatorname{Var}(w) = \frac{\text{gain}}{n_\text{in}}, \quad
        \text{gain} = 2 \text{ (ReLU)}, \; 1 \text{ (linear)}.

    He et al., *Delving deep into rectifiers*, ICCV 2015.
    """
    Din = _checks.positive_int("Din", Din)
    Dout = _checks.positive_int("Dout", Dout)
    relu = _checks.boolean("relu", relu)
    dtype = check_dtype(dtype)
    seed = check_seed(seed)
    if K is None:
        shape: tuple[int, ...] = (Din, Dout)
        fan_in = Din
    else:
        K = _checks.positive_int("K", K)
        shape = (Dout, Din, K, K)
        fan_in = Din * K * K
    gain = 2.0 if relu else 1.0
    rng = np.random.default_rng(seed)
    return (math.sqrt(gain / fan_in) * rng.standard_normal(shape)).astype(dtype)


def check_weight_scale(weight_scale: Any) -> float | str:
    """A positive finite number, or the string ``'kaiming'``.

    Another string (a typo such as ``'kaimin'``) or a number that is not finite
    and positive raises ``ValueError``; anything else (None, a bool, a list)
    raises ``TypeError``.
    """
    expected = "a positive finite number or the string 'kaiming'"
    if isinstance(weight_scale, str):
        if weight_scale != "kaiming":
            raise ValueError(f"weight_scale must be {expected}; got {weight_scale!r}")
        return weight_scale
    if isinstance(weight_scale, (bool, np.bool_)) or not isinstance(
        weight_scale, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"weight_scale must be {expected}; got {_checks.show(weight_scale)}")
    return _checks.real("weight_scale", weight_scale, low=0, low_open=True)


def init_weight(
    weight_scale: float | str,
    Din: int,
    Dout: int,
    K: int | None,
    relu: bool,
    dtype: np.dtype,
    rng: np.random.Generator,
) -> np.ndarray:
    """One layer's weights: Kaiming, or Gaussian with standard deviation ``weight_scale``.

    Shapes as for :func:`kaiming_initializer`.
    """
    if isinstance(weight_scale, str):  # 'kaiming', the only string check_weight_scale lets through
        return kaiming_initializer(Din, Dout, K=K, relu=relu, dtype=dtype, seed=rng)
    shape = (Din, Dout) if K is None else (Dout, Din, K, K)
    return (weight_scale * rng.standard_normal(shape)).astype(dtype)
