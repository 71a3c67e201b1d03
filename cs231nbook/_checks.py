"""Input validation shared by every layer, loss and model.

Each helper raises ``TypeError`` or ``ValueError`` with a message that names the
argument, says what was expected and shows what came, so that a student who
passes ``w.T`` instead of ``w`` learns that at the call, not from a NumPy
broadcasting error three frames deeper (or, worse, from a silently wrong
result).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def float_array(
    name: str, value: Any, ndim: int | None = None, min_ndim: int | None = None
) -> np.ndarray:
    """Return ``value`` as a floating-point ndarray, or raise a clear error.

    The array is not copied, so callers must not write into it.
    """
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a NumPy ndarray; got {type(value).__name__}")
    if not np.issubdtype(value.dtype, np.floating):
        raise TypeError(
            f"{name} must have a floating-point dtype (float32 or float64); got {value.dtype}"
        )
    if ndim is not None and value.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional; got shape {value.shape}")
    if min_ndim is not None and value.ndim < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} dimensions; got shape {value.shape}"
        )
    return value


def same_shape(name: str, value: np.ndarray, expected: tuple[int, ...], what: str) -> None:
    """Raise ``ValueError`` unless ``value.shape == expected``; ``what`` explains why."""
    if tuple(value.shape) != tuple(expected):
        raise ValueError(
            f"{name} must have shape {tuple(expected)} ({what}); got {tuple(value.shape)}"
        )


def labels(name: str, y: Any, num_samples: int, num_classes: int) -> np.ndarray:
    """Validate integer class labels: shape ``(num_samples,)``, values in ``[0, num_classes)``."""
    if not isinstance(y, np.ndarray):
        raise TypeError(f"{name} must be a NumPy ndarray of integer labels; got {type(y).__name__}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{name} must have an integer dtype (class indices); got {y.dtype}")
    if y.shape != (num_samples,):
        raise ValueError(
            f"{name} must have shape ({num_samples},), one label per row of the scores; got {y.shape}"
        )
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        bad = y[(y < 0) | (y >= num_classes)][0]
        raise ValueError(f"{name} must hold class indices in [0, {num_classes}); found {int(bad)}")
    return y


def choice(name: str, value: Any, allowed: Sequence[Any]) -> Any:
    """Raise ``ValueError`` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}; got {value!r}")
    return value


def param_dict(name: str, value: Any, required: Sequence[str] = ()) -> Mapping[str, Any]:
    """Check that ``value`` is a mapping holding every key in ``required``."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict; got {type(value).__name__}")
    missing = [key for key in required if key not in value]
    if missing:
        raise ValueError(f"{name} is missing the key(s) {missing}; got keys {sorted(value)}")
    return value


def positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an int, raising unless it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer; got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value}")
    return int(value)


def nonnegative_int(name: str, value: Any) -> int:
    """Return ``value`` as an int, raising unless it is an integer >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer; got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {value}")
    return int(value)


def output_size(size: int, window: int, stride: int, pad: int, what: str) -> int:
    """Size of a sliding-window output, ``1 + (size + 2*pad - window) / stride``.

    Raises ``ValueError`` when the window does not fit or the windows do not
    tile the padded input exactly: silently flooring would drop input rows and
    columns from both the output and the gradient.
    """
    padded = size + 2 * pad
    if window > padded:
        raise ValueError(
            f"{what}: the window ({window}) is larger than the padded input ({size} + 2*{pad} = {padded})"
        )
    if (padded - window) % stride:
        raise ValueError(
            f"{what}: output size 1 + ({size} + 2*{pad} - {window}) / {stride} = "
            f"{1 + (padded - window) / stride:g} is not an integer; choose a stride and pad "
            f"so that the windows tile the input exactly"
        )
    return 1 + (padded - window) // stride
