"""Input validation shared by every layer, loss, model and helper: one vocabulary.

Each helper checks one kind of argument and raises

- ``TypeError`` when the value is of the wrong *kind* (a string where a number
  belongs, a float where an integer belongs, a list where an array belongs, a
  masked array, the cache of another layer), and
- ``ValueError`` when it is of the right kind but *out of range* (a negative
  stride, ``eps = 0``, an unknown key, a shape that does not fit),

with a message that names the argument, says what was expected and shows what
came (its ``repr``, truncated). A student who passes ``w.T`` instead of ``w``
learns that at the call, not from a NumPy broadcasting error three frames
deeper, or worse, from a silently wrong result.

The helpers return the checked value in the form the computation uses (an
``int``, a ``float``, an ``np.dtype``, an ndarray of a floating dtype), so a
caller writes ``stride = _checks.positive_int("conv_param['stride']", ...)``.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "show",
    "float_array",
    "real_array",
    "same_shape",
    "labels",
    "real",
    "positive_int",
    "nonnegative_int",
    "boolean",
    "seed",
    "dtype",
    "choice",
    "param_dict",
    "cache",
    "output_size",
]

T = TypeVar("T")

#: The floating dtypes the library computes in.
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def show(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters; arrays are described by shape and dtype."""
    if isinstance(value, np.ndarray):
        return f"{type(value).__name__} of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kind(value: Any) -> str:
    return f"{show(value)} ({type(value).__name__})"


# --- arrays ------------------------------------------------------------------------------------


def float_array(
    name: str,
    value: Any,
    ndim: int | None = None,
    min_ndim: int | None = None,
    dtype: Any = None,
    integers: bool = False,
) -> np.ndarray:
    """Return ``value`` as an ndarray of a floating dtype, or raise a clear error.

    - A floating array (float16/32/64) is returned as is (not copied, so callers
      must not write into it).
    - With ``integers=True`` (every layer, loss and model passes it; the update
      rules do not, since they return an updated ``w`` of ``w``'s own dtype),
      an integer array (a bias ``np.array([0, 128])``, ``gamma = np.asarray([3, 4, 5])``)
      is converted to ``dtype`` (the computation's floating dtype; float64 if
      ``dtype`` is None); the caller's array is never changed. Without it an
      integer array raises ``TypeError`` (training data, say, where integers
      usually mean pixels that were never preprocessed).
    - ``np.matrix`` is viewed as a plain ndarray (its ``*`` is a matrix product); other
      ndarray subclasses pass through, as NumPy's own functions let them (the chapter
      *Batch normalization* counts a backward pass's operations with one).
    - A masked array raises ``TypeError``: its mask would be silently ignored
      (or half honoured) by the arithmetic.
    - Anything else (lists, scalars, bool, complex or object arrays) raises ``TypeError``.
    """
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(
            f"{name} must be a plain ndarray, not a masked array (its mask would be ignored); "
            f"pass {name}.filled(value) or {name}.data explicitly"
        )
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a NumPy ndarray; got {_kind(value)}")
    if isinstance(value, np.matrix):  # a plain view, same memory: * must stay element-wise
        value = np.asarray(value)
    if integers and np.issubdtype(value.dtype, np.integer):
        target = np.dtype(np.float64 if dtype is None else dtype)
        if not np.issubdtype(target, np.floating):
            target = np.dtype(np.float64)
        value = value.astype(target)  # a new array: the caller's stays as it was
    elif not np.issubdtype(value.dtype, np.floating):
        kinds = "a floating-point or integer dtype" if integers else "a floating-point dtype"
        raise TypeError(f"{name} must have {kinds} (float32 or float64); got {value.dtype}")
    if ndim is not None and value.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional; got shape {value.shape}")
    if min_ndim is not None and value.ndim < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} dimensions; got shape {value.shape}"
        )
    return value


def real_array(
    name: str,
    value: Any,
    ndim: int | None = None,
    min_ndim: int | None = None,
    dtype: Any = None,
) -> np.ndarray:
    """:func:`float_array` with ``integers=True``: an integer array is converted to ``dtype``.

    What every layer, loss and model uses for its array arguments.
    """
    return float_array(name, value, ndim=ndim, min_ndim=min_ndim, dtype=dtype, integers=True)


def same_shape(name: str, value: np.ndarray, expected: tuple[int, ...], what: str) -> None:
    """Raise ``ValueError`` unless ``value.shape == expected``; ``what`` explains why."""
    if tuple(value.shape) != tuple(expected):
        raise ValueError(
            f"{name} must have shape {tuple(expected)} ({what}); got {tuple(value.shape)}"
        )


def labels(name: str, y: Any, num_samples: int, num_classes: int) -> np.ndarray:
    """Validate integer class labels: shape ``(num_samples,)``, values in ``[0, num_classes)``."""
    if isinstance(y, np.ma.MaskedArray):
        raise TypeError(f"{name} must be a plain ndarray of integer labels, not a masked array")
    if not isinstance(y, np.ndarray):
        raise TypeError(f"{name} must be a NumPy ndarray of integer labels; got {_kind(y)}")
    y = np.asarray(y)
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


# --- scalars -----------------------------------------------------------------------------------


def _describe(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    """The interval in words: 'a finite number > 0', 'a number in [0, 1)'."""
    if low is not None and high is not None:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        return f"a number in {left}{low:g}, {high:g}{right}"
    if low is not None:
        return f"a finite number {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"a finite number {'<' if high_open else '<='} {high:g}"
    return "a finite number"


def real(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite Python float in the given interval.

    ``low``/``high`` are the bounds (None: unbounded); ``low_open``/``high_open``
    exclude them. A bool, a string or any non-real raises ``TypeError``; NaN,
    infinity or a value outside the interval raises ``ValueError``. A Python
    float is returned so that a NumPy float64 scalar cannot promote float32 arrays.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"{name} must be a real number; got {_kind(value)}")
    try:
        number = float(value)
    except (
        OverflowError
    ):  # an int beyond float range, such as 10**400: out of range, not a bad kind
        number = math.inf
    below = low is not None and (number <= low if low_open else number < low)
    above = high is not None and (number >= high if high_open else number > high)
    if not math.isfinite(number) or below or above:
        phrase = _describe(low, high, low_open, high_open)
        raise ValueError(f"{name} must be {phrase}; got {show(value)}")
    return number


def _integer(name: str, value: Any) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer; got {_kind(value)}")
    return int(value)


def positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an int, raising unless it is an integer >= 1 (not a bool, not 2.0)."""
    number = _integer(name, value)
    if number < 1:
        raise ValueError(f"{name} must be a positive integer; got {number}")
    return number


def nonnegative_int(name: str, value: Any) -> int:
    """Return ``value`` as an int, raising unless it is an integer >= 0."""
    number = _integer(name, value)
    if number < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {number}")
    return number


def boolean(name: str, value: Any) -> bool:
    """Return ``value`` as a bool, raising ``TypeError`` unless it is True or False (1 is not)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {_kind(value)}")
    return bool(value)


def seed(name: str, value: Any) -> int | np.random.Generator | None:
    """A seed for ``np.random.default_rng``: an int >= 0, a ``Generator`` (used as is) or None."""
    if value is None or isinstance(value, np.random.Generator):
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"{name} must be an int >= 0, a np.random.Generator or None; got {_kind(value)}"
        )
    if value < 0:
        raise ValueError(f"{name} must be an int >= 0, a np.random.Generator or None; got {value}")
    return int(value)


def dtype(name: str, value: Any) -> np.dtype:
    """``np.float32`` or ``np.float64`` (the type, its ``np.dtype`` or its name) as an ``np.dtype``.

    A string that names no dtype (a typo such as ``'flot32'``) or another dtype
    raises ``ValueError``; None or a non-dtype raises ``TypeError``.
    """
    allowed = "np.float32 or np.float64 (or the names 'float32', 'float64')"
    if value is None or not isinstance(value, (str, type, np.dtype)):
        raise TypeError(f"{name} must be {allowed}; got {_kind(value)}")
    try:
        resolved = np.dtype(value)
    except TypeError:
        raise ValueError(
            f"{name} must be {allowed}; got {show(value)}, which names no dtype"
        ) from None
    if resolved not in FLOAT_DTYPES:
        raise ValueError(f"{name} must be {allowed}; got {resolved}")
    return resolved


def choice(name: str, value: Any, allowed: Sequence[T]) -> T:
    """Return ``value`` if it is one of ``allowed``.

    When the choices are strings (and perhaps None), a value of another kind
    (a number, a list) raises ``TypeError``; a value of the right kind that is not a
    choice raises ``ValueError``.
    """
    try:
        found = value in allowed
    except (TypeError, ValueError):  # an array compared with strings, say
        found = False
    if found:
        for option in allowed:
            # isinstance: np.str_('train') is 'train'; 1 == True must not pick True
            if option is value or (isinstance(value, type(option)) and option == value):
                return option
    strings = all(a is None or isinstance(a, str) for a in allowed)
    none_ok = any(a is None for a in allowed)
    if strings and not (isinstance(value, str) or (value is None and none_ok)):
        raise TypeError(f"{name} must be one of {list(allowed)}; got {_kind(value)}")
    raise ValueError(f"{name} must be one of {list(allowed)}; got {show(value)}")


def param_dict(
    name: str, value: Any, required: Collection[str] = (), optional: Collection[str] | None = None
) -> Mapping[str, Any]:
    """Check a parameter dict: a mapping with every ``required`` key and no unknown one.

    ``optional`` lists the other keys the function understands; a key in neither
    list (a typo such as ``'padding'`` or ``'epsilon'``) raises ``ValueError``
    naming the known keys, instead of being silently ignored. With ``optional``
    None, unknown keys are not checked.
    """
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict; got {_kind(value)}")
    known = [*required, *(optional or ())]
    if optional is not None:
        unknown = [key for key in value if key not in known]
        if unknown:
            hints = []
            for key in unknown:
                close = difflib.get_close_matches(str(key), known, n=1)
                if close:
                    hints.append(f"{key!r} -> {close[0]!r}?")
            hint = f" (did you mean {', '.join(hints)})" if hints else ""
            raise ValueError(
                f"{name} has unknown key(s) {[k for k in unknown]}{hint}; "
                f"the known keys are {sorted(known)}"
            )
    missing = [key for key in required if key not in value]
    if missing:
        raise ValueError(
            f"{name} is missing the key(s) {missing}; got keys {sorted(map(str, value))}"
        )
    return value


# --- caches ------------------------------------------------------------------------------------

#: Which forward pass returns each cache type (by class name), for the error messages.
CACHE_ORIGINS: dict[str, str] = {
    "AffineCache": "affine_forward",
    "ReluCache": "relu_forward",
    "DropoutCache": "dropout_forward",
    "ConvCache": "conv_forward_naive (or conv_forward_fast)",
    "WinogradCache": "conv_forward_winograd (or conv_forward_fast)",
    "MaxPoolCache": "max_pool_forward_naive",
    "MaxPoolFastCache": "max_pool_forward_fast",
    "BatchNormCache": "batchnorm_forward",
    "LayerNormCache": "layernorm_forward",
    "SpatialBatchNormCache": "spatial_batchnorm_forward",
    "GroupNormCache": "spatial_groupnorm_forward",
    "AffineReluCache": "affine_relu_forward",
    "AffineBatchNormReluCache": "affine_bn_relu_forward",
    "AffineLayerNormReluCache": "affine_ln_relu_forward",
    "ConvReluCache": "conv_relu_forward",
    "ConvReluPoolCache": "conv_relu_pool_forward",
    "ConvBatchNormReluCache": "conv_bn_relu_forward",
    "ConvBatchNormReluPoolCache": "conv_bn_relu_pool_forward",
}


def _origin(value: Any) -> str:
    kind = type(value).__name__
    if kind in CACHE_ORIGINS:
        return f"{CACHE_ORIGINS[kind]} (a {kind})"
    if type(value) is tuple:  # a named tuple of another library is described by its type below
        return f"no forward pass of cs231nbook (a plain tuple of {len(value)} items)"
    return f"no forward pass of cs231nbook (a {kind}: {show(value)})"


def cache(
    name: str, value: Any, expected: type[T] | tuple[type, ...], forward: str, backward: str
) -> T:
    """Check that ``value`` is the cache ``forward`` returns, before ``backward`` unpacks it.

    Raises ``TypeError`` saying where the cache came from instead, e.g. "this
    cache came from conv_forward_naive (a ConvCache), not from max_pool_forward_naive".
    """
    if isinstance(value, expected):
        return value  # type: ignore[return-value]
    raise TypeError(
        f"{name} of {backward} must be what {forward} returns; "
        f"this cache came from {_origin(value)}, not from {forward}"
    )


# --- geometry ----------------------------------------------------------------------------------


def output_size(size: int, window: int, stride: int, pad: int, what: str) -> int:
    """Size of a sliding-window output, ``1 + (size + 2*pad - window) / stride``.

    Raises ``ValueError`` when the window is empty (a filter with a zero-size
    axis), the stride is not positive, the window does not fit or the windows do not
    tile the padded input exactly: silently flooring would drop input rows and
    columns from both the output and the gradient.
    """
    if window < 1:
        raise ValueError(f"{what}: the window must be at least 1 wide; got {window}")
    if stride < 1:
        raise ValueError(f"{what}: the stride must be a positive integer; got {stride}")
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
