"""One helper that gradient-checks any forward/backward pair, used by every layer test."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from cs231nbook.gradient_check import eval_numerical_gradient_array, rel_error


def check_backward(
    forward: Callable[..., tuple[np.ndarray, object]],
    backward: Callable[[np.ndarray, object], object],
    inputs: Sequence[np.ndarray],
    threshold: float = 1e-7,
    seed: int = 0,
) -> list[float]:
    """Assert that ``backward`` matches centered differences for every array in ``inputs``.

    ``forward(*inputs)`` must return ``(out, cache)`` and ``backward(dout, cache)``
    the gradients of ``inputs`` in order (a bare array when there is one input).
    Returns the relative errors, so a test can also report them.
    """
    inputs = [np.array(a, dtype=np.float64) for a in inputs]
    originals = [a.copy() for a in inputs]
    out, cache = forward(*inputs)
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    grads = backward(dout, cache)
    if len(inputs) == 1 and isinstance(grads, np.ndarray):
        grads = (grads,)
    assert len(grads) == len(inputs), (
        f"backward returned {len(grads)} gradients for {len(inputs)} inputs"
    )
    errors = []
    for i, analytic in enumerate(grads):

        def f(value, i=i):
            args = list(inputs)
            args[i] = value
            return forward(*args)[0]

        numeric = eval_numerical_gradient_array(f, inputs[i], dout)
        assert analytic.shape == inputs[i].shape, (
            f"gradient {i} has shape {analytic.shape}, input {inputs[i].shape}"
        )
        err = rel_error(numeric, analytic)
        assert err < threshold, f"gradient {i}: relative error {err:.2e} >= {threshold:.0e}"
        errors.append(err)
    for a, o in zip(inputs, originals):
        np.testing.assert_array_equal(a, o, err_msg="forward or backward modified an input")
    return errors


def away_from_kinks(rng: np.random.Generator, shape, margin: float = 1e-3) -> np.ndarray:
    """Standard normal values with every |value| >= margin, so ReLU-style kinks are not crossed by h."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-12) * margin * 2, x)
