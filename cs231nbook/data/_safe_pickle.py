"""A pickle reader that can read the official CIFAR-10 batches and nothing that runs code.

Unpickling calls whatever functions the file names, so ``pickle.load`` on a
downloaded file runs the downloader's code. The official CIFAR-10 python
batches (written by Python 2's cPickle) hold only a dict, byte strings, lists
of ints and one NumPy array, and the array is the only thing that names a
function: the stream says ``numpy.core.multiarray._reconstruct(numpy.ndarray,
(0,), b'b')``, then hands the result its state ``(version, shape,
numpy.dtype('u1', 0, 1), is_fortran, raw_bytes)``.

:class:`RestrictedUnpickler` answers exactly those three names, and with
stand-ins of its own, not NumPy's functions: the stand-in for ``_reconstruct``
returns an empty placeholder, the stand-in for ``dtype`` records a plain numeric
type code, and the placeholder's ``__setstate__`` checks the state and builds the
array with ``np.frombuffer`` (object arrays, structured dtypes and sizes that do
not match the bytes are refused). Any other name -- ``os.system``,
``builtins.eval``, ``subprocess.Popen`` -- raises ``pickle.UnpicklingError``
before anything is called (as :class:`RefusedPickle`).
"""

from __future__ import annotations

import io
import math
import pickle
from typing import Any

import numpy as np

# plain numeric type codes only: no object ('O'), strings, datetimes or structured types
_ALLOWED_TYPECODES = set("b1 i1 u1 i2 u2 i4 u4 i8 u8 f2 f4 f8".split())
_RECONSTRUCT = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
}


class RefusedPickle(pickle.UnpicklingError):
    """The stream asked for something a CIFAR-10 batch never contains (and it was not done)."""


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


class _NDArrayName:
    """Stands in for the class ``numpy.ndarray``, which the stream only passes as an argument."""


class _DTypeSpec:
    """Stands in for ``numpy.dtype(code, align, copy)`` followed by its ``__setstate__``."""

    def __init__(self, code: Any, align: Any = 0, copy: Any = 1) -> None:
        code = _text(code)
        if not isinstance(code, str) or code not in _ALLOWED_TYPECODES:
            raise RefusedPickle(f"refusing dtype {code!r}: only plain numeric arrays are allowed")
        self.code = code
        self.byteorder = "|"

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, tuple) or len(state) < 2:
            raise RefusedPickle(f"unexpected dtype state {state!r}")
        byteorder = _text(state[1])
        if byteorder not in ("|", "<", ">", "="):
            raise RefusedPickle(f"unexpected dtype byte order {byteorder!r}")
        if any(part is not None for part in state[2:5]):  # sub-array, field names, fields
            raise RefusedPickle(
                "refusing a structured dtype: only plain numeric arrays are allowed"
            )
        self.byteorder = byteorder

    def to_numpy(self) -> np.dtype:
        prefix = "" if self.byteorder in ("|", "=") else self.byteorder
        return np.dtype(prefix + self.code)


class _ArrayPlaceholder:
    """What ``_reconstruct`` returns; becomes a real array once the stream gives its state."""

    def __init__(self) -> None:
        self.array: np.ndarray | None = None

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            raise RefusedPickle("unexpected ndarray state")
        shape, dtype, is_fortran, raw = state[-4:]
        if not isinstance(dtype, _DTypeSpec):
            raise RefusedPickle("ndarray state without a numeric dtype")
        if not (isinstance(shape, tuple) and all(isinstance(n, int) and n >= 0 for n in shape)):
            raise RefusedPickle(f"unexpected ndarray shape {shape!r}")
        raw = raw.encode("latin-1") if isinstance(raw, str) else raw
        if not isinstance(raw, bytes):
            raise RefusedPickle("ndarray data must be a byte string")
        dtype = dtype.to_numpy()
        if len(raw) != math.prod(shape) * dtype.itemsize:
            raise RefusedPickle(
                f"ndarray of shape {shape} and dtype {dtype} needs {math.prod(shape) * dtype.itemsize} "
                f"bytes; the stream holds {len(raw)}"
            )
        flat = np.frombuffer(raw, dtype=dtype)
        self.array = flat.reshape(shape, order="F" if is_fortran else "C").copy()


def _reconstruct(subtype: Any, shape: Any, code: Any) -> _ArrayPlaceholder:
    if subtype is not _NDArrayName:
        raise RefusedPickle("_reconstruct may only build a plain numpy.ndarray")
    return _ArrayPlaceholder()


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the NumPy array pieces of the CIFAR-10 batches, to safe stand-ins."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _RECONSTRUCT:
            return _reconstruct
        if (module, name) == ("numpy", "ndarray"):
            return _NDArrayName
        if (module, name) == ("numpy", "dtype"):
            return _DTypeSpec
        raise RefusedPickle(
            f"refusing to load the global {module}.{name}: a CIFAR-10 batch holds only dicts, lists, "
            "strings, numbers and NumPy arrays, so this file is not one (it may try to run code)"
        )

    def persistent_load(self, pid: Any) -> Any:
        raise RefusedPickle("refusing a persistent id: not part of a CIFAR-10 batch")


def _materialize(obj: Any) -> Any:
    """Replace every array placeholder by its array, through dicts, lists and tuples."""
    if isinstance(obj, _ArrayPlaceholder):
        if obj.array is None:
            raise RefusedPickle("an ndarray in the stream was never given its data")
        return obj.array
    if isinstance(obj, (_DTypeSpec, _NDArrayName)) or obj is _NDArrayName:
        raise RefusedPickle("a bare dtype or ndarray class is not part of a CIFAR-10 batch")
    if isinstance(obj, dict):
        return {key: _materialize(value) for key, value in obj.items()}
    if isinstance(obj, list):
        return [_materialize(value) for value in obj]
    if isinstance(obj, tuple):
        return tuple(_materialize(value) for value in obj)
    return obj


def safe_loads(payload: bytes) -> Any:
    """Unpickle ``payload`` (Python 2 strings read as bytes) allowing only plain data and numeric arrays.

    Raises
    ------
    RefusedPickle
        (a ``pickle.UnpicklingError``) if the stream names any global other
        than NumPy's array reconstruction, or its array state is not a plain
        numeric array. A truncated or garbled stream raises whatever
        :mod:`pickle` raises for it.
    """
    return _materialize(RestrictedUnpickler(io.BytesIO(payload), encoding="bytes").load())
