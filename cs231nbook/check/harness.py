"""Calling a student's function safely: copies in, mutation detected, failures explained."""

from __future__ import annotations

import copy
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from cs231nbook.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array

from .outcome import Outcome, StudentError

__all__ = ["call", "numerical_gradient", "numerical_gradient_scalar", "rng_for", "unpack"]


def rng_for(name: str) -> np.random.Generator:
    """A generator seeded by a case's name, so every run of the checker sees the same inputs."""
    return np.random.default_rng(_seed(name))


def _seed(name: str) -> int:
    # Python's str hash is salted per process; a checksum of the bytes is not.
    return sum((i + 1) * b for i, b in enumerate(name.encode())) % (2**32)


def _where(error: BaseException) -> str:
    """The last frame of a traceback: the student's file and line, usually."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f" (at {last.filename.rsplit('/', 1)[-1]}:{last.lineno})"


def call(
    outcome: Outcome,
    case: str,
    function: Callable[..., Any],
    *args: Any,
    check_mutation: bool = True,
    mutable: tuple[int, ...] = (),
) -> Any:
    """Call ``function(*args)`` on copies of array arguments' originals, and check that the
    student's function did not modify its array inputs (argument positions in ``mutable``
    may change, e.g. ``bn_param``)."""
    before = [copy.deepcopy(a) for a in args]
    try:
        result = function(*args)
    except Exception as error:
        raise StudentError(
            f"{function.__name__} raised {type(error).__name__}: {error}{_where(error)} ({case})"
        ) from None
    if check_mutation:
        for position, (old, new) in enumerate(zip(before, args)):
            if position in mutable or not isinstance(old, np.ndarray):
                continue
            if not np.array_equal(old, new, equal_nan=True):
                outcome.require(
                    case, f"argument {position + 1}", False, "unchanged input (it was modified)"
                )
                outcome.note(
                    f"{function.__name__} modifies its argument {position + 1} in place; "
                    "work on a copy"
                )
    return result


def unpack(result: Any, count: int, what: str) -> tuple:
    """``result`` as a tuple of ``count`` items, or a StudentError that says what came."""
    if count == 1:
        return (result,)
    if result is None:
        raise StudentError(f"{what} returned None (not implemented yet?)")
    if not isinstance(result, (tuple, list)) or len(result) != count:
        kind = type(result).__name__
        size = f" of {len(result)}" if isinstance(result, (tuple, list)) else ""
        raise StudentError(f"{what} must return {count} values; returned a {kind}{size}")
    return tuple(result)


def numerical_gradient(f: Callable[[np.ndarray], Any], x: np.ndarray, dout: np.ndarray):
    """Numerical gradient of ``sum(f(x) * dout)``; a StudentError if ``f`` raises."""
    try:
        return eval_numerical_gradient_array(lambda v: np.asarray(f(v), dtype=np.float64), x, dout)
    except StudentError:
        raise
    except Exception as error:
        raise StudentError(
            f"the forward pass raised {type(error).__name__} while differencing: {error}"
        ) from None


def numerical_gradient_scalar(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5):
    """Numerical gradient of a scalar function (perturbs ``x`` in place, as CS231n's does)."""
    try:
        return eval_numerical_gradient(lambda v: float(f(v)), x, verbose=False, h=h)
    except Exception as error:
        raise StudentError(
            f"the loss raised {type(error).__name__} while differencing: {error}"
        ) from None
