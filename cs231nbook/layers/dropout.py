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
        - ``'seed'`` (int >= 0 or Generator, optional): seeds a private ``np.random.Generator`` for
          the mask, so results repeat without touching NumPy's global RNG.
          Without it each call draws a fresh, unpredictable mask.

        Any other key raises ``ValueError`` (a typo such as ``'sead'`` is not ignored).

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
    x = _checks.real_array("x", x)
    _checks.param_dict("dropout_param", dropout_param, required=("p", "mode"), optional=("seed",))
    p = _checks.real(
        "dropout_param['p'] (the keep probability)",
        dropout_param["p"],
        low=0,
        high=1,
        low_open=True,
    )
    mode = _checks.choice("dropout_param['mode']", dropout_param["mode"], ("train", "test"))
    seed = _checks.seed("dropout_param['seed']", dropout_param.get("seed"))
    if mode == "test":
        return x.copy(), DropoutCache(mode, None)
    rng = np.random.default_rng(seed)
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
    mode, mask = _checks.cache("cache", cache, DropoutCache, "dropout_forward", "dropout_backward")
    dout = _checks.real_array("dout", dout, dtype=None if mask is None else mask.dtype)
    if mode == "test":
        return dout.copy()
    assert mask is not None
    _checks.same_shape("dout", dout, mask.shape, "the shape of the forward input")
    return dout * mask
