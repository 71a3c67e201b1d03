"""Model state: what a model keeps besides its parameters, and how it is described.

The model contract
------------------
The Solver drives any object with

- ``params``: a dict from names to floating-point arrays (required), and
- ``loss(X, y=None)``: class scores of shape (N, C) when ``y`` is None, else
  ``(loss, grads)`` with ``grads`` keyed like ``params`` (required).

A model that keeps anything else that training changes and later results depend
on (batch norm's running statistics, the random stream of its dropout masks)
describes it with two more methods, so that checkpoints carry it and a resumed
run continues exactly:

- ``get_state() -> dict[str, ndarray]``: copies of the **complete** state. For a
  given architecture the keys, shapes and dtypes are always the same; an entry
  the model has not created yet is reported with the value it would be created
  with (a running mean of zeros, a running variance of ones).
- ``set_state(state)``: replace the state by copies of ``state``,
  **all-or-nothing**: check every entry first (:func:`check_state` does it),
  then assign; raise ``ValueError`` on a missing, unexpected or misshapen entry.

Keys beginning with ``"rng."`` hold a random stream, encoded by
:func:`generator_state` as a 0-d string array. They travel with checkpoints,
but the Solver does not rewind them when it puts the best parameters back at
the end of training (they do not belong to the parameters, as running
statistics do).

A model may also provide ``architecture() -> dict``: the constructor arguments
that fix what it computes (layer sizes, normalization, dropout, dtype; not the
initialization-only ``weight_scale`` and ``seed``, and not ``reg``), as JSON
values. Checkpoints store it with the class name and the names, shapes and
dtypes of the parameters and the state (:func:`describe_model`), and refuse to
load into a model whose description differs, even when the parameter names and
shapes happen to match.

Models without these methods keep working: they have no state (an object with
CS231n's ``bn_params`` list is read the old way, its running statistics only;
setting such a state replaces them all, removing statistics the state does not
hold), and they are described by their class name and parameters alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "check_state",
    "describe_model",
    "describe_difference",
    "generator_state",
    "get_model_state",
    "restore_generator",
    "set_model_state",
]

# The bit generators a stored random stream may name (getattr on np.random is limited to these).
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


# --- random streams as arrays ------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.dtype.str, "data": value.tolist()}
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (str, bool)) or value is None:
        return value
    raise TypeError(f"cannot encode {type(value).__name__} in a random stream's state")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__ndarray__", "data"}:
            dtype = np.dtype(value["__ndarray__"])
            if dtype.kind not in "iu":
                raise ValueError(f"an integer array was expected, got dtype {dtype}")
            return np.array(value["data"], dtype=dtype)
        return {k: _decode(v) for k, v in value.items()}
    return value


def generator_state(rng: np.random.Generator) -> np.ndarray:
    """The state of ``rng`` as a 0-d string array (JSON), storable in an ``.npz`` without pickle."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator; got {type(rng).__name__}")
    return np.array(json.dumps(_encode(rng.bit_generator.state), sort_keys=True))


def generator_state_json(rng: np.random.Generator) -> dict[str, Any]:
    """The state of ``rng`` as JSON-ready values (for a checkpoint's metadata)."""
    return _encode(rng.bit_generator.state)


def restore_generator(encoded: Any, what: str = "the random stream") -> np.random.Generator:
    """A new Generator in the state ``encoded`` (from :func:`generator_state` or its JSON form).

    Raises ``ValueError`` naming ``what`` if ``encoded`` is not a valid state.
    """
    try:
        if isinstance(encoded, np.ndarray):
            if encoded.shape != () or encoded.dtype.kind != "U":
                raise ValueError(
                    f"expected a 0-d string array; got shape {encoded.shape}, dtype {encoded.dtype}"
                )
            encoded = json.loads(str(encoded))
        if not isinstance(encoded, dict):
            raise ValueError(f"expected a dict; got {type(encoded).__name__}")
        state = _decode(encoded)
        name = state.get("bit_generator")
        if name not in _BIT_GENERATORS:
            raise ValueError(f"unknown bit generator {name!r}; expected one of {_BIT_GENERATORS}")
        bit_generator = getattr(np.random, name)()
        bit_generator.state = state
        if _encode(bit_generator.state) != _encode(state):
            raise ValueError("the state did not survive a round trip")
    except (ValueError, TypeError, KeyError, OverflowError) as error:
        raise ValueError(f"{what} is not a valid generator state: {error}") from None
    return np.random.Generator(bit_generator)


# --- reading and writing a model's state -------------------------------------------------------


def _legacy_state(model: Any) -> dict[str, np.ndarray]:
    """CS231n-style models without ``get_state``: the running statistics in ``model.bn_params``."""
    state = {}
    for i, param in enumerate(getattr(model, "bn_params", None) or []):
        for key in ("running_mean", "running_var"):
            if isinstance(param, Mapping) and param.get(key) is not None:
                state[f"bn_params.{i}.{key}"] = np.array(param[key], copy=True)
    return state


def get_model_state(model: Any) -> dict[str, np.ndarray]:
    """Copies of ``model``'s state: ``model.get_state()``, or the legacy reading (see above)."""
    getter = getattr(model, "get_state", None)
    if not callable(getter):
        return _legacy_state(model)
    state = getter()
    if not isinstance(state, Mapping):
        raise TypeError(
            f"{type(model).__name__}.get_state() must return a dict of arrays; "
            f"got {type(state).__name__}"
        )
    out = {}
    for key, value in state.items():
        if not isinstance(key, str) or not isinstance(value, np.ndarray) or value.dtype.hasobject:
            raise TypeError(
                f"{type(model).__name__}.get_state() must map str keys to plain arrays; "
                f"got {key!r}: {type(value).__name__}"
            )
        out[key] = np.array(value, copy=True)
    return out


def _spec(value: np.ndarray) -> tuple[tuple[int, ...], str]:
    """(shape, dtype) of an entry; strings compare by kind only (their length varies)."""
    return tuple(value.shape), ("str" if value.dtype.kind == "U" else value.dtype.str)


def check_state(model: Any, state: Any, what: str = "state") -> dict[str, np.ndarray]:
    """Validated copies of ``state`` for ``model``; nothing is assigned.

    Raises ``TypeError`` if ``state`` is not a dict, ``ValueError`` if an entry
    is missing, unexpected, misshapen, of another dtype or NaN.

    ``state`` must have exactly the keys of ``get_model_state(model)``, each an
    array of the same shape and dtype; ``"rng."`` entries must decode to a
    generator state. Legacy models (no ``get_state``) accept their
    ``bn_params`` entries of the running statistics' shape.
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"{what} must be a dict of arrays; got {type(state).__name__}")
    current = get_model_state(model)
    legacy = not callable(getattr(model, "get_state", None))
    if legacy:
        return _check_legacy_state(model, state, what)
    missing = sorted(set(current) - set(state))
    unexpected = sorted(set(state) - set(current))
    if missing or unexpected:
        raise ValueError(
            f"{what} does not fit this {type(model).__name__}: missing {missing}, "
            f"unexpected {unexpected}"
        )
    checked = {}
    for key, mine in current.items():
        value = state[key]
        if not isinstance(value, np.ndarray) or value.dtype.hasobject:
            raise ValueError(f"{what}[{key!r}] must be a plain array; got {type(value).__name__}")
        if _spec(value) != _spec(mine):
            raise ValueError(
                f"{what}[{key!r}] has shape {value.shape} and dtype {value.dtype}; this "
                f"{type(model).__name__} needs shape {mine.shape} and dtype {mine.dtype}"
            )
        if key.startswith("rng."):
            restore_generator(value, f"{what}[{key!r}]")
        elif value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise ValueError(f"{what}[{key!r}] holds NaN or infinite values")
        checked[key] = np.array(value, copy=True)
    return checked


def _check_legacy_state(model: Any, state: Mapping[str, Any], what: str) -> dict[str, np.ndarray]:
    bn_params = getattr(model, "bn_params", None) or []
    checked = {}
    for key, value in state.items():
        parts = str(key).split(".")
        if (
            len(parts) != 3
            or parts[0] != "bn_params"
            or not parts[1].isdigit()
            or parts[2] not in ("running_mean", "running_var")
        ):
            raise ValueError(f"{what} has an entry {key!r} that this model cannot hold")
        if int(parts[1]) >= len(bn_params):
            raise ValueError(
                f"{what} entry {key!r} names layer {parts[1]}, but the model has "
                f"{len(bn_params)} bn_params"
            )
        if not isinstance(value, np.ndarray) or value.dtype.kind != "f" or value.ndim != 1:
            raise ValueError(f"{what}[{key!r}] must be a 1-d floating-point array")
        mine = bn_params[int(parts[1])].get(parts[2])
        if mine is not None and np.shape(mine) != value.shape:
            raise ValueError(
                f"{what}[{key!r}] has shape {value.shape}; the model's has {np.shape(mine)}"
            )
        checked[str(key)] = np.array(value, copy=True)
    return checked


def set_model_state(model: Any, state: Mapping[str, np.ndarray]) -> None:
    """Check ``state`` against ``model``, then hand it to ``model.set_state`` (all-or-nothing)."""
    checked = check_state(model, state)
    if callable(getattr(model, "get_state", None)):
        setter = getattr(model, "set_state", None)
        if callable(setter):
            setter(checked)
        elif checked:
            raise TypeError(f"{type(model).__name__} has get_state() but no set_state()")
        return
    _assign_legacy_state(getattr(model, "bn_params", None) or [], checked)


def _assign_legacy_state(bn_params: Sequence[dict], state: Mapping[str, np.ndarray]) -> None:
    """Make the running statistics in ``bn_params`` exactly ``state`` (a checked legacy state).

    A statistic absent from ``state`` is removed, as it was before the first
    training forward created it: rolling back a step that created NaN
    statistics, or loading a state saved before they existed, leaves none.
    """
    for i, param in enumerate(bn_params):
        for name in ("running_mean", "running_var"):
            key = f"bn_params.{i}.{name}"
            if key in state:
                param[name] = np.array(state[key], copy=True)
            else:
                param.pop(name, None)


# --- helpers for the package's own models ------------------------------------------------------


def batchnorm_state(
    bn_params: Sequence[Mapping[str, Any]], dims: Sequence[int], dtype: Any
) -> dict[str, np.ndarray]:
    """Running statistics of every batch-norm layer, with the defaults for missing ones.

    ``dims[i]`` is the number of features of layer ``i``; keys are
    ``"bn_params.<i>.running_mean"`` and ``"bn_params.<i>.running_var"``.
    """
    state = {}
    for i, (param, d) in enumerate(zip(bn_params, dims)):
        for key, init in (("running_mean", 0.0), ("running_var", 1.0)):
            value = param.get(key)
            state[f"bn_params.{i}.{key}"] = (
                np.full(d, init, dtype=dtype) if value is None else np.array(value, copy=True)
            )
    return state


def assign_batchnorm_state(bn_params: Sequence[dict], state: Mapping[str, np.ndarray]) -> None:
    """Write the ``bn_params.*`` entries of a checked state into ``bn_params`` (copies)."""
    for key, value in state.items():
        if key.startswith("bn_params."):
            _, index, name = key.split(".", 2)
            bn_params[int(index)][name] = np.array(value, copy=True)


# --- describing a model ------------------------------------------------------------------------


NOT_A_SCALAR = object()


def json_scalar(value: Any) -> Any:
    """``value`` as a plain Python scalar JSON can hold (NumPy scalars converted), or the
    sentinel ``NOT_A_SCALAR``. Shared with :mod:`cs231nbook.checkpoint`."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    return NOT_A_SCALAR


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    scalar = json_scalar(value)
    if scalar is not NOT_A_SCALAR:
        return scalar
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return np.dtype(value).name
    raise TypeError(f"cannot describe {type(value).__name__} {value!r} as JSON")


def describe_model(model: Any, state: Mapping[str, np.ndarray] | None = None) -> dict[str, Any]:
    """What a checkpoint stores to recognise the model it fits.

    Returns a JSON-ready dict: ``class`` (the class's qualified name),
    ``architecture`` (``model.architecture()``, or None), ``params`` and
    ``state`` (name to ``[shape, dtype]``), and ``fingerprint``, a SHA-256 of
    the rest.
    """
    arch = getattr(model, "architecture", None)
    if state is None:
        state = get_model_state(model)
    description = {
        "class": type(model).__qualname__,
        "architecture": _jsonable(arch()) if callable(arch) else None,
        "params": {
            name: [list(value.shape), value.dtype.str] for name, value in model.params.items()
        },
        "state": {key: [list(_spec(v)[0]), _spec(v)[1]] for key, v in state.items()},
    }
    blob = json.dumps(description, sort_keys=True).encode()
    description["fingerprint"] = hashlib.sha256(blob).hexdigest()[:16]
    return description


def describe_difference(stored: Mapping[str, Any], current: Mapping[str, Any]) -> str | None:
    """The first difference between two :func:`describe_model` dicts, in words, or None."""
    for field in ("class", "architecture", "params", "state"):
        a, b = stored.get(field), current.get(field)
        if a == b:
            continue
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            for key in sorted(set(a) | set(b)):
                if a.get(key, "(absent)") != b.get(key, "(absent)"):
                    return (
                        f"{field} {key!r} is {a.get(key, '(absent)')!r} in the checkpoint and "
                        f"{b.get(key, '(absent)')!r} in this model"
                    )
        return f"{field} is {a!r} in the checkpoint and {b!r} in this model"
    return None
