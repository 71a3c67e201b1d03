"""First-order update rules: SGD, momentum, Nesterov momentum, RMSProp and Adam.

Every rule has the CS231n signature ``rule(w, dw, config=None) -> (next_w, config)``:

- ``w`` is a parameter array and ``dw`` the gradient of the loss with respect to it
  (same shape, same floating dtype). Neither is modified; ``next_w`` is a new array
  of ``w``'s dtype.
- ``config`` is a dict holding the rule's hyperparameters *and* its state (the
  velocity of momentum, the moving averages of RMSProp and Adam, Adam's step
  count). Missing hyperparameters are filled with the defaults below via
  ``setdefault``; state arrays are created on the first call with ``w``'s shape
  and dtype. The dict is updated in place and also returned, so a training loop
  keeps one config per parameter and passes it back at the next step. This is the
  one documented exception to "never modify the caller's arguments".
- A key the rule does not know (a typo such as ``'lr'`` for ``'learning_rate'``,
  or ``'momentum'`` given to :func:`adam`) raises ``ValueError`` instead of being
  silently ignored.

============================  ==============================================================
rule                          hyperparameters (defaults) / state
============================  ==============================================================
:func:`sgd`                   ``learning_rate`` (1e-2)
:func:`sgd_momentum`          ``learning_rate`` (1e-2), ``momentum`` (0.9) / ``velocity``
:func:`nesterov_momentum`     ``learning_rate`` (1e-2), ``momentum`` (0.9) / ``velocity``
:func:`rmsprop`               ``learning_rate`` (1e-2), ``decay_rate`` (0.99),
                              ``epsilon`` (1e-8) / ``cache``
:func:`adam`                  ``learning_rate`` (1e-3), ``beta1`` (0.9), ``beta2`` (0.999),
                              ``epsilon`` (1e-8) / ``m``, ``v``, ``t``
============================  ==============================================================

:data:`UPDATE_RULES` maps each name to its function, for code (such as
``cs231nbook.solver.Solver``) that picks a rule by name. The chapter *Update
rules* derives each rule, in particular the change of variables behind the
look-ahead form of Nesterov momentum.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence
from typing import Any, cast

import numpy as np

from . import _checks

__all__ = ["sgd", "sgd_momentum", "nesterov_momentum", "rmsprop", "adam", "UPDATE_RULES"]


# --- validation shared by the rules -----------------------------------------------------------


#: The interval each hyperparameter must lie in, as keyword arguments of ``_checks.real``.
_BOUNDS: dict[str, dict[str, Any]] = {
    "learning_rate": {"low": 0},
    "momentum": {"low": 0, "high": 1, "high_open": True},
    "decay_rate": {"low": 0, "high": 1, "high_open": True},
    "beta1": {"low": 0, "high": 1, "high_open": True},
    "beta2": {"low": 0, "high": 1, "high_open": True},
    "epsilon": {"low": 0, "low_open": True},  # keeps the division finite
}


def _setup(
    rule: str,
    w: Any,
    dw: Any,
    config: Any,
    defaults: dict[str, float],
    arrays: Sequence[str] = (),
    count: str | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any], dict[str, float]]:
    """Check ``rule``'s arguments, fill ``config`` with ``defaults``, return the hyperparameters.

    ``arrays`` are the names of the state arrays the rule keeps in ``config`` and
    ``count`` the name of its step counter, if any. State already in ``config`` is
    checked, so that a config carried over from a parameter of another shape fails
    loudly instead of broadcasting.
    """
    # Integer arrays are refused here (not converted, as layers do): next_w keeps w's dtype.
    w = _checks.float_array("w", w)
    dw = _checks.float_array("dw", dw)
    _checks.same_shape("dw", dw, w.shape, "the gradient of w has w's shape")
    if dw.dtype != w.dtype:
        raise TypeError(
            f"dw must have w's dtype ({w.dtype}), so that next_w keeps it; got {dw.dtype}"
        )
    if config is None:
        config = {}
    if not isinstance(config, MutableMapping):
        raise TypeError(
            f"config must be a dict (or None for the defaults); got {type(config).__name__}"
        )
    known = [*defaults, *arrays, *([count] if count else [])]
    unknown = sorted(str(key) for key in config if key not in known)
    if unknown:
        raise ValueError(
            f"config has key(s) {unknown} that {rule} does not use; it understands {known}"
        )
    for key, default in defaults.items():
        config.setdefault(key, default)

    hyper = {key: _checks.real(f"config['{key}']", config[key], **_BOUNDS[key]) for key in defaults}

    for key in arrays:
        value = config.get(key)
        if value is None and key not in config:
            continue
        if not isinstance(value, np.ndarray) or isinstance(value, np.ma.MaskedArray):
            raise TypeError(
                f"config['{key}'] must be the state array this rule stored there; "
                f"got {_checks.show(value)}"
            )
        if value.shape == w.shape and value.dtype != w.dtype:  # the wrong kind, as for dw
            raise TypeError(
                f"config['{key}'] must have w's dtype ({w.dtype}), so that next_w keeps it "
                f"(keep one config per parameter); got {value.dtype}"
            )
        if value.shape != w.shape:
            raise ValueError(
                f"config['{key}'] must be an array of w's shape {w.shape} and dtype {w.dtype} "
                f"(keep one config per parameter); got shape {value.shape}, dtype {value.dtype}"
            )
    if count is not None and count in config:
        _checks.nonnegative_int(f"config['{count}']", config[count])
    # a dict for the type checker; any mutable mapping the caller passed works the same
    return w, dw, cast(dict[str, Any], config), hyper


def _state(config: MutableMapping[str, Any], key: str, w: np.ndarray) -> np.ndarray:
    """The state array ``config[key]``, or zeros of w's shape and dtype on the first step."""
    value = config.get(key)
    return np.zeros_like(w) if value is None else value


# --- the rules ---------------------------------------------------------------------------------


def sgd(w: np.ndarray, dw: np.ndarray, config: dict | None = None) -> tuple[np.ndarray, dict]:
    r"""Vanilla stochastic gradient descent.

    Parameters
    ----------
    w : ndarray of any shape
        Current parameter (float32 or float64); not modified.
    dw : ndarray of w's shape and dtype
        Gradient of the loss with respect to ``w``.
    config : dict, optional
        ``learning_rate`` (float, default 1e-2). Keeps no state.

    Returns
    -------
    next_w : ndarray of w's shape and dtype
        A new array.
    config : dict
        The same dict, with missing defaults filled in.

    Notes
    -----
    .. math:: w_{t} = w_{t-1} - \alpha \, \nabla L(w_{t-1})

    with learning rate :math:`\alpha`.
    """
    w, dw, config, hp = _setup("sgd", w, dw, config, {"learning_rate": 1e-2})
    next_w = w - hp["learning_rate"] * dw
    return next_w, config


def sgd_momentum(
    w: np.ndarray, dw: np.ndarray, config: dict | None = None
) -> tuple[np.ndarray, dict]:
    r"""Stochastic gradient descent with (heavy-ball) momentum.

    The velocity is a decaying sum of past steps; ``momentum`` is the weight on
    the *previous velocity* (0 gives plain SGD, values near 1 remember longer).

    Parameters
    ----------
    w : ndarray of any shape
        Current parameter (float32 or float64); not modified.
    dw : ndarray of w's shape and dtype
        Gradient of the loss at ``w``.
    config : dict, optional
        ``learning_rate`` (float, default 1e-2), ``momentum`` (float in [0, 1),
        default 0.9); state ``velocity`` (ndarray of w's shape, starts at zero).

    Returns
    -------
    next_w : ndarray of w's shape and dtype
        A new array.
    config : dict
        The same dict, with ``velocity`` replaced by the new velocity.

    Notes
    -----
    .. math::
        v_{t} = \mu v_{t-1} - \alpha \, \nabla L(w_{t-1}), \qquad w_{t} = w_{t-1} + v_{t}

    with learning rate :math:`\alpha`, momentum :math:`\mu` and :math:`v_0 = 0`.
    PyTorch's ``SGD(momentum=mu)`` keeps the buffer :math:`b_t = -v_t / \alpha`
    instead; with a constant learning rate the iterates are the same.
    """
    defaults = {"learning_rate": 1e-2, "momentum": 0.9}
    w, dw, config, hp = _setup("sgd_momentum", w, dw, config, defaults, ["velocity"])
    v = _state(config, "velocity", w)
    v = hp["momentum"] * v - hp["learning_rate"] * dw
    config["velocity"] = v
    next_w = w + v
    return next_w, config


def nesterov_momentum(
    w: np.ndarray, dw: np.ndarray, config: dict | None = None
) -> tuple[np.ndarray, dict]:
    r"""Nesterov's accelerated gradient, in the "look-ahead parameter" form.

    Nesterov momentum evaluates the gradient not at the current point :math:`x`
    but at the point momentum is about to carry it to, :math:`x + \mu v`. Storing
    that look-ahead point :math:`\tilde x = x + \mu v` as the parameter (the
    change of variables derived in the chapter *Update rules*) makes the gradient
    the caller computes at ``w`` exactly the one the method needs, so the rule
    keeps the usual ``(w, dw)`` signature. ``w`` and ``next_w`` are look-ahead
    points.

    Parameters
    ----------
    w : ndarray of any shape
        Current (look-ahead) parameter, float32 or float64; not modified.
    dw : ndarray of w's shape and dtype
        Gradient of the loss at ``w``.
    config : dict, optional
        ``learning_rate`` (float, default 1e-2), ``momentum`` (float in [0, 1),
        default 0.9); state ``velocity`` (ndarray of w's shape, starts at zero).

    Returns
    -------
    next_w : ndarray of w's shape and dtype
        A new array, the next look-ahead point.
    config : dict
        The same dict, with ``velocity`` replaced by the new velocity.

    Notes
    -----
    .. math::
        v_{t} = \mu v_{t-1} - \alpha \, \nabla L(\tilde w_{t-1}), \qquad
        \tilde w_{t} = \tilde w_{t-1} - \mu v_{t-1} + (1 + \mu) v_{t}

    with learning rate :math:`\alpha`, momentum :math:`\mu`, :math:`v_0 = 0`. It
    is the original update :math:`v_t = \mu v_{t-1} - \alpha \nabla L(x_{t-1} +
    \mu v_{t-1})`, :math:`x_t = x_{t-1} + v_t`, rewritten for
    :math:`\tilde w_t = x_t + \mu v_t`. PyTorch's ``SGD(momentum=mu,
    nesterov=True)`` produces the same iterates with a constant learning rate.
    """
    defaults = {"learning_rate": 1e-2, "momentum": 0.9}
    w, dw, config, hp = _setup("nesterov_momentum", w, dw, config, defaults, ["velocity"])
    mu = hp["momentum"]
    v_prev = _state(config, "velocity", w)
    v = mu * v_prev - hp["learning_rate"] * dw
    config["velocity"] = v
    next_w = w - mu * v_prev + (1 + mu) * v
    return next_w, config


def rmsprop(w: np.ndarray, dw: np.ndarray, config: dict | None = None) -> tuple[np.ndarray, dict]:
    r"""RMSProp: divide each step by a running root-mean-square of the gradient.

    Each coordinate gets its own step size, small where gradients have been
    large and large where they have been small.

    Parameters
    ----------
    w : ndarray of any shape
        Current parameter (float32 or float64); not modified.
    dw : ndarray of w's shape and dtype
        Gradient of the loss at ``w``.
    config : dict, optional
        ``learning_rate`` (float, default 1e-2); ``decay_rate`` (float in [0, 1),
        default 0.99), the weight on the *old* average; ``epsilon`` (float > 0,
        default 1e-8), added to the root mean square to keep the division finite;
        state ``cache`` (ndarray of w's shape, starts at zero).

    Returns
    -------
    next_w : ndarray of w's shape and dtype
        A new array.
    config : dict
        The same dict, with ``cache`` replaced by the new average.

    Notes
    -----
    .. math::
        s_{t} = \rho s_{t-1} + (1 - \rho) \, g_t^{2}, \qquad
        w_{t} = w_{t-1} - \alpha \, \frac{g_t}{\sqrt{s_{t}} + \epsilon}

    element-wise, with :math:`g_t = \nabla L(w_{t-1})`, decay rate :math:`\rho`
    and :math:`s_0 = 0`. The average is *not* bias-corrected (as in CS231n and
    PyTorch's ``RMSprop(alpha=rho)``, which it matches).
    """
    defaults = {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}
    w, dw, config, hp = _setup("rmsprop", w, dw, config, defaults, ["cache"])
    rho = hp["decay_rate"]
    cache = _state(config, "cache", w)
    cache = rho * cache + (1 - rho) * (dw * dw)
    config["cache"] = cache
    next_w = w - hp["learning_rate"] * dw / (np.sqrt(cache) + hp["epsilon"])
    return next_w, config


def adam(w: np.ndarray, dw: np.ndarray, config: dict | None = None) -> tuple[np.ndarray, dict]:
    r"""Adam: momentum on the gradient, RMSProp on its square, both bias-corrected.

    Parameters
    ----------
    w : ndarray of any shape
        Current parameter (float32 or float64); not modified.
    dw : ndarray of w's shape and dtype
        Gradient of the loss at ``w``.
    config : dict, optional
        ``learning_rate`` (float, default 1e-3); ``beta1`` (float in [0, 1), default
        0.9) and ``beta2`` (default 0.999), the weights on the old first and second
        moment estimates; ``epsilon`` (float > 0, default 1e-8). State: ``m`` and
        ``v`` (ndarrays of w's shape, start at zero) and ``t`` (int, the number of
        steps taken, starts at 0).

    Returns
    -------
    next_w : ndarray of w's shape and dtype
        A new array.
    config : dict
        The same dict, with new ``m`` and ``v`` and ``t`` increased by one.

    Notes
    -----
    The step count is incremented *before* the bias correction, so the first
    step divides by :math:`1 - \beta_1` and :math:`1 - \beta_2`:

    .. math::
        t \leftarrow t + 1, \quad
        m_{t} = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad
        v_{t} = \beta_2 v_{t-1} + (1 - \beta_2) g_t^{2},

        \hat m_t = \frac{m_t}{1 - \beta_1^{t}}, \quad
        \hat v_t = \frac{v_t}{1 - \beta_2^{t}}, \quad
        w_{t} = w_{t-1} - \alpha \, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    element-wise, with :math:`g_t = \nabla L(w_{t-1})`. For a constant gradient
    :math:`g`, :math:`m_t = (1 - \beta_1^t) g`: the correction removes the bias
    toward the zero start (derived in the chapter *Update rules*). This matches
    PyTorch's ``Adam`` (without ``amsgrad`` or weight decay).
    """
    defaults = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
    w, dw, config, hp = _setup("adam", w, dw, config, defaults, ["m", "v"], count="t")
    beta1, beta2 = hp["beta1"], hp["beta2"]
    m = _state(config, "m", w)
    v = _state(config, "v", w)
    t = int(config.get("t", 0)) + 1  # counted before the bias correction below
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * (dw * dw)
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    config["m"], config["v"], config["t"] = m, v, t
    next_w = w - hp["learning_rate"] * m_hat / (np.sqrt(v_hat) + hp["epsilon"])
    return next_w, config


UPDATE_RULES: dict[str, Callable[..., tuple[np.ndarray, dict]]] = {
    "sgd": sgd,
    "sgd_momentum": sgd_momentum,
    "nesterov_momentum": nesterov_momentum,
    "rmsprop": rmsprop,
    "adam": adam,
}
"""Each update rule by name, e.g. ``UPDATE_RULES["adam"]``."""
