"""Numerical gradients by centered differences, and the relative error used to compare them.

The chapter *Gradient checking* explains the choice of centered differences,
the step ``h`` and float64.

The functions perturb the caller's array in place, one entry at a time, and
restore every entry before moving on (also when ``f`` raises), so ``x`` holds its
original values when they return. So ``x`` must be a writable floating-point
ndarray (a read-only one raises ``ValueError``, an integer one ``TypeError``),
and the step ``h`` a finite number > 0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import _checks


def _perturbed(
    f: Callable[[np.ndarray], object], x: np.ndarray, ix: tuple[int, ...], h: float
) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate ``f`` at ``x + h e_ix`` and ``x - h e_ix``, restoring ``x[ix]`` afterwards."""
    old = x[ix]
    try:
        x[ix] = old + h
        plus = np.array(f(x), dtype=np.float64, copy=True)
        x[ix] = old - h
        minus = np.array(f(x), dtype=np.float64, copy=True)
    finally:
        x[ix] = old
    return plus, minus


def eval_numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, verbose: bool = True, h: float = 1e-5
) -> np.ndarray:
    r"""Centered-difference gradient of a scalar function.

    Parameters
    ----------
    f : callable
        Takes an array shaped like ``x`` and returns a scalar.
    x : ndarray of any shape, floating point
        The point at which to evaluate the gradient (use float64).
    verbose : bool, default True
        Print each index and its numerical derivative.
    h : float, default 1e-5
        The step, a finite number > 0.

    Returns
    -------
    grad : ndarray, same shape as ``x``, float64

    Notes
    -----
    .. math:: \frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}

    The truncation error is :math:`O(h^2)`, against :math:`O(h)` for a one-sided difference.
    """
    _require_float(x)
    _require_callable(f)
    verbose = _checks.boolean("verbose", verbose)
    h = _step(h)
    grad = np.zeros(x.shape, dtype=np.float64)
    for ix in np.ndindex(x.shape):
        plus, minus = _perturbed(f, x, ix, h)
        grad[ix] = (plus - minus) / (2 * h)
        if verbose:
            print(ix, grad[ix])
    return grad


def eval_numerical_gradient_array(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, df: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    r"""Numerical gradient of ``sum(f(x) * df)`` for an array-valued ``f``.

    This is how a layer's backward pass is checked: ``df`` plays the upstream
    gradient ``dout`` and the result is the numerical ``dx``.

    Parameters
    ----------
    f : callable
        Takes an array shaped like ``x`` and returns an array shaped like ``df``.
    x : ndarray of any shape, floating point
    df : ndarray
        Upstream gradient, same shape as ``f(x)``.
    h : float, default 1e-5

    Returns
    -------
    grad : ndarray, same shape as ``x``, float64

    Notes
    -----
    .. math:: \frac{\partial}{\partial x_i} \sum_j f_j(x)\, df_j
        \approx \sum_j \frac{f_j(x + h e_i) - f_j(x - h e_i)}{2h}\, df_j
    """
    _require_float(x)
    _require_callable(f)
    h = _step(h)
    grad = np.zeros(x.shape, dtype=np.float64)
    for ix in np.ndindex(x.shape):
        plus, minus = _perturbed(f, x, ix, h)
        if plus.shape != np.shape(df):
            raise ValueError(f"df must have the shape of f(x), {plus.shape}; got {np.shape(df)}")
        grad[ix] = np.sum((plus - minus) * df) / (2 * h)
    return grad


def grad_check_sparse(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    analytic_grad: np.ndarray,
    num_checks: int = 10,
    h: float = 1e-5,
    seed: int | np.random.Generator | None = 0,
    verbose: bool = True,
) -> np.ndarray:
    """Compare ``analytic_grad`` with centered differences at a few random entries.

    Cheap for large ``x``, where the full numerical gradient would need two
    evaluations of ``f`` per entry.

    Parameters
    ----------
    f : callable
        Scalar function of ``x``.
    x : ndarray, floating point
    analytic_grad : ndarray, same shape as ``x``
    num_checks : int, default 10
        Entries to check, drawn uniformly with replacement.
    h : float, default 1e-5
    seed : int, Generator or None, default 0
        Chooses the entries (a private generator; the global RNG is untouched).
    verbose : bool, default True
        Print one line per entry.

    Returns
    -------
    errors : ndarray of shape (num_checks,)
        The relative error at each checked entry.
    """
    _require_float(x)
    _require_callable(f)
    h = _step(h)
    num_checks = _checks.positive_int("num_checks", num_checks)
    seed = _checks.seed("seed", seed)
    verbose = _checks.boolean("verbose", verbose)
    if np.shape(analytic_grad) != x.shape:
        raise ValueError(
            f"analytic_grad must have the shape of x, {x.shape}; got {np.shape(analytic_grad)}"
        )
    rng = np.random.default_rng(seed)
    errors = np.empty(num_checks)
    for k in range(num_checks):
        ix = tuple(int(rng.integers(n)) for n in x.shape)
        plus, minus = _perturbed(f, x, ix, h)
        numeric = float((plus - minus) / (2 * h))
        analytic = float(analytic_grad[ix])
        errors[k] = abs(numeric - analytic) / max(1e-8, abs(numeric) + abs(analytic))
        if verbose:
            print(f"numerical: {numeric:f} analytic: {analytic:f}, relative error: {errors[k]:e}")
    return errors


def rel_error(x: np.ndarray, y: np.ndarray) -> float:
    r"""Largest element-wise relative error between two arrays.

    .. math:: \max_i \frac{|x_i - y_i|}{\max(10^{-8},\, |x_i| + |y_i|)}

    The floor of :math:`10^{-8}` keeps entries where both values are (nearly)
    zero from dividing by zero; such entries count by their absolute error.
    """
    x = _real_array("x", x)
    y = _real_array("y", y)
    if x.shape != y.shape:
        raise ValueError(
            f"x and y must have the same shape (rel_error does not broadcast); "
            f"got shapes {x.shape} and {y.shape}"
        )
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def _require_float(x: Any) -> None:
    """``x`` is perturbed in place: it must be a writable, plain, floating-point ndarray."""
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError("x must be a plain ndarray, not a masked array (its mask would be ignored)")
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        got = f"dtype {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"x must be a floating-point ndarray (perturbed in place); got {got}")
    if not x.flags.writeable:
        raise ValueError(
            "x is read-only, but the numerical gradient perturbs it in place (and restores it); "
            "pass a writable array, e.g. x.copy() if f does not read x through a closure"
        )


def _require_callable(f: Any) -> None:
    if not callable(f):
        raise TypeError(f"f must be a function of x; got {_checks.show(f)}")


def _step(h: Any) -> float:
    """The finite-difference step: a finite number > 0 (h = 0 would divide by zero)."""
    return _checks.real("h", h, low=0, low_open=True)


def _real_array(name: str, value: Any) -> np.ndarray:
    """``value`` (an array or a number) as a float64 array, refusing masked and non-numeric input."""
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(f"{name} must be a plain ndarray, not a masked array")
    array = np.asarray(value)
    if array.dtype == bool or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise TypeError(f"{name} must be an array of real numbers; got {_checks.show(value)}")
    return array.astype(np.float64, copy=False)
