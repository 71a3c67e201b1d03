"""Inverted dropout: a random mask at training time, the identity at test time."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .. import _checks


class DropoutCache(NamedTuple):
    """What :func:`dropout_backward` needs: the mode and the scaled mask (``None`` at test time)."""

    mode: str
    mask: np.ndarray | None


def dropout_forward(
    x: np.ndarray, dropout_param: dict[str, Any]
) -> tuple[np.ndarray, DropoutCache]:
    r"""Inverted dropout forward pass.

    Parameters
    ----------
    x : ndarray of any shape
    dropout_param : dict
        - ``'p'`` (float in (0, 1]): the probability of **keeping** each unit
          (the CS231n convention since 2018; ``p = 1`` disables dropout).
        - ``'mode'`` (``'train'`` or ``'test'``): apply the mask, or pass ``x`` through.
        - ``'seed'`` (int, optional): seeds a private ``np.random.Generator`` for
          the mask, so results repeat without touching NumPy's global RNG.
          Without it each call draws a fresh, unpredictable mask.

    Returns
    -------
    out : ndarray, same shape and dtype as ``x``
    cache : DropoutCache

    Notes
    -----
    In training, :math:`\mathrm{out} = x \odot m / p` with
    :math:`m_i \sim \mathrm{Bernoulli}(p)`. Dividing by :math:`p` at training
    time keeps :math:`\mathbb{E}[\mathrm{out}] = x`, so nothing needs rescaling
    at test time ("inverted" dropout).
    """
    x = _checks.float_array("x", x)
    _checks.param_dict("dropout_param", dropout_param, required=("p", "mode"))
    p = dropout_param["p"]
    if (
        isinstance(p, bool)
        or not isinstance(p, (int, float, np.floating, np.integer))
        or not 0 < p <= 1
    ):
        raise ValueError(
            f"dropout_param['p'] is the keep probability and must be in (0, 1]; got {p!r}"
        )
    mode = _checks.choice("dropout_param['mode']", dropout_param["mode"], ("train", "test"))
    if mode == "test":
        return x.copy(), DropoutCache(mode, None)
    rng = np.random.default_rng(dropout_param.get("seed"))
    mask = (rng.random(x.shape) < p).astype(x.dtype) / x.dtype.type(p)
    return x * mask, DropoutCache(mode, mask)


def dropout_backward(dout: np.ndarray, cache: DropoutCache) -> np.ndarray:
    """Inverted dropout backward pass.

    Parameters
    ----------
    dout : ndarray, same shape as the forward input
    cache : DropoutCache

    Returns
    -------
    dx : ndarray, same shape as ``dout``: ``dout * mask / p`` in training, ``dout`` at test time.
    """
    mode, mask = cache
    dout = _checks.float_array("dout", dout)
    if mode == "test":
        return dout.copy()
    _checks.same_shape("dout", dout, mask.shape, "the shape of the forward input")
    return dout * mask
