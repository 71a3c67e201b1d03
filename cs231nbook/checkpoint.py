"""Training checkpoints: the one description of a run's state, as a plain ``.npz`` archive.

A checkpoint written by :class:`cs231nbook.solver.Solver` holds everything a
run needs to continue **exactly** (:meth:`cs231nbook.solver.Solver.restore`):

=================================  ==========================================================
member                             content
=================================  ==========================================================
``params/<name>``                  the model's parameters at the end of the epoch
``best_params/<name>``             the parameters with the best validation accuracy so far
``optim/<name>/<key>``             array state of the update rule (velocity, m, v, cache)
``state/<key>``                    the model's state besides its parameters (batch-norm
                                   running statistics, a dropout stream; see
                                   ``cs231nbook.model_state``), at the end of the epoch
``best_state/<key>``               the same state as it was with the best parameters
``loss_history``                   float64, one minibatch loss per iteration
``train_acc_history``              float64, one accuracy per evaluation (epoch 0 included)
``val_acc_history``                float64, likewise
``meta``                           a JSON string: format and version, epoch, iteration, the
                                   epoch the interrupted ``train()`` call was heading for,
                                   best validation accuracy, the Solver's hyperparameters,
                                   the non-array part of every optimizer config (``t``,
                                   the decayed ``learning_rate``; numbers, strings, lists
                                   and dicts of them), the Solver's two random
                                   streams (minibatch order, accuracy subsamples), the
                                   model's description (class, architecture, names, shapes
                                   and dtypes of parameters and state) and a fingerprint of
                                   the training data, and the list of all other members
=================================  ==========================================================

Every member is an ordinary array, so ``np.load(path, allow_pickle=False)``
opens a checkpoint and nothing in it can run code.

**Written atomically.** :func:`save_checkpoint` writes a temporary file in the
target's directory, flushes and fsyncs it, and moves it over the target with
``os.replace``; whatever interrupts it, the target is either the old file or
the new one, and the temporary file is removed.

**Read all-or-nothing.** The archive's comment (the last bytes of the file)
holds a SHA-256 of everything before it, so a truncated file or a flipped byte
is recognised before anything is parsed. ``read_checkpoint`` then checks
every member and metadata entry (names, types, dtypes, shapes, consistency of
the histories, no object arrays) and raises ``ValueError`` naming the file and
the problem. Loading into a model checks the model's description as well, and
assigns nothing unless everything fits.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import secrets
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .model_state import (
    NOT_A_SCALAR,
    check_state,
    describe_difference,
    describe_model,
    get_model_state,
    json_scalar,
    restore_generator,
    set_model_state,
)

__all__ = [
    "Checkpoint",
    "as_metadata",
    "check_fits_model",
    "check_member_name",
    "load_checkpoint",
    "load_params_into",
    "load_state_into",
    "model_state",
    "read_checkpoint",
    "save_checkpoint",
]

FORMAT = "cs231nbook-checkpoint"
VERSION = 2
_SEAL = b"cs231nbook-sha256:"
_SEAL_LENGTH = len(_SEAL) + 64


@dataclass
class Checkpoint:
    """What ``read_checkpoint`` and :func:`load_checkpoint` return.

    Attributes
    ----------
    params : dict
        Parameter name to array: the model's parameters at the end of the epoch.
    best_params : dict
        Likewise, the parameters with the best validation accuracy so far.
    loss_history : list of float
        One minibatch loss per iteration.
    train_acc_history : list of float
        Training accuracy at epoch 0 and after each epoch.
    val_acc_history : list of float
        Validation accuracy, likewise.
    epoch : int
        Epochs completed when the checkpoint was written.
    iteration : int
        Minibatch steps completed.
    best_val_acc : float
        ``-inf`` before the first evaluation.
    hyperparameters : dict
        The Solver's settings (``update_rule``, ``optim_config``, ``lr_decay``,
        ``batch_size``, ``num_epochs``, ...), as JSON allows.
    optim_configs : dict
        Parameter name to its update-rule config, state included.
    state, best_state : dict
        The model's state besides its parameters (``cs231nbook.model_state``)
        at the end of the epoch and with the best parameters; empty for models
        without any.
    target_epoch : int or None
        The epoch the ``train()`` call in progress was heading for (None if no
        call was in progress). :meth:`cs231nbook.solver.Solver.restore`
        continues that call, which started at ``target_epoch -
        hyperparameters['num_epochs']``, for the restoring Solver's ``num_epochs``.
    rng_states : dict or None
        The Solver's random streams (``'batch'``, ``'eval'``), as JSON.
    model : dict or None
        The model's description (``cs231nbook.model_state.describe_model``).
    data : dict or None
        Shape, dtype and SHA-256 of each training and validation array.
    """

    params: dict[str, np.ndarray]
    best_params: dict[str, np.ndarray]
    loss_history: list[float]
    train_acc_history: list[float]
    val_acc_history: list[float]
    epoch: int
    iteration: int
    best_val_acc: float
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    optim_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    state: dict[str, np.ndarray] = field(default_factory=dict)
    best_state: dict[str, np.ndarray] = field(default_factory=dict)
    target_epoch: int | None = None
    rng_states: dict[str, Any] | None = None
    model: dict[str, Any] | None = None
    data: dict[str, Any] | None = None


# --- the legacy helpers (kept: the book and user code call them) --------------------------------


def model_state(model: Any) -> dict[str, np.ndarray]:
    """Copies of ``model``'s state besides ``params`` (see ``cs231nbook.model_state``).

    For the package's models: batch norm's running statistics (keys
    ``"bn_params.<layer>.<name>"``) and dropout's random stream (``"rng.dropout"``).
    """
    return get_model_state(model)


def load_state_into(model: Any, state: Mapping[str, np.ndarray]) -> None:
    """Replace ``model``'s state by copies of ``state``, after checking all of it."""
    set_model_state(model, state)


def load_params_into(model: Any, params: Mapping[str, np.ndarray]) -> None:
    """Replace ``model.params`` entries by copies of ``params``; all-or-nothing, after checking."""
    _check_params_fit(model, params, "the parameters")
    current = model.params
    for name, value in params.items():
        current[name] = np.array(value, copy=True)


def _check_params_fit(model: Any, params: Mapping[str, np.ndarray], what: str) -> None:
    current = getattr(model, "params", None)
    if not isinstance(current, dict):
        raise TypeError(f"model must have a params dict; got {type(model).__name__}")
    if set(current) != set(params):
        raise ValueError(
            f"{what} {sorted(params)} do not match the model's parameters {sorted(current)}"
        )
    for name, value in params.items():
        mine = current[name]
        if not isinstance(value, np.ndarray):
            raise ValueError(f"{what}: {name!r} is a {type(value).__name__}, not an array")
        if value.shape != mine.shape or value.dtype != mine.dtype:
            raise ValueError(
                f"{what}: {name!r} has shape {value.shape} and dtype {value.dtype}; "
                f"the model's has shape {mine.shape} and dtype {mine.dtype}"
            )


# --- writing ------------------------------------------------------------------------------------


def _json_scalar(value: Any, what: str) -> Any:
    """``value`` as a JSON-friendly Python scalar, or raise ``TypeError``."""
    scalar = json_scalar(value)
    if scalar is not NOT_A_SCALAR:
        return scalar
    raise TypeError(
        f"cannot store {what} = {value!r} ({type(value).__name__}) in a checkpoint's JSON "
        "metadata: only arrays, numbers, strings, booleans and None can be stored without pickle"
    )


def _jsonable(value: Any, what: str) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item, f"{what}[{key!r}]") for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item, f"{what}[{i}]") for i, item in enumerate(value)]
    return _json_scalar(value, what)


def as_metadata(value: Any, what: str) -> Any:
    """``value`` as a checkpoint's JSON metadata stores it and reads it back (tuples become
    lists, NumPy scalars Python numbers); ``TypeError`` naming ``what`` if it cannot be stored."""
    return json.loads(json.dumps(_jsonable(value, what)))


def check_member_name(name: Any, what: str) -> str:
    """``name`` if a checkpoint can store an entry under it, else ``ValueError``.

    Parameter names, state keys and optimizer-config keys become archive members
    (``params/<name>``): non-empty strings without ``'/'`` that do not end in ``.npy``.
    """
    if not isinstance(name, str) or not name or "/" in name or name.endswith(".npy"):
        raise ValueError(
            f"{what} names must be non-empty strings without '/' and not ending in '.npy' "
            f"to be stored in a checkpoint; got {name!r}"
        )
    return name


def _plain_array(value: Any, what: str) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.hasobject:
        raise TypeError(f"{what} is an object array, which cannot be stored without pickle")
    return array


def save_checkpoint(
    path: str | os.PathLike,
    *,
    params: Mapping[str, np.ndarray],
    best_params: Mapping[str, np.ndarray],
    optim_configs: Mapping[str, Mapping[str, Any]],
    loss_history: list[float],
    train_acc_history: list[float],
    val_acc_history: list[float],
    epoch: int,
    iteration: int,
    best_val_acc: float,
    hyperparameters: Mapping[str, Any],
    state: Mapping[str, np.ndarray] | None = None,
    best_state: Mapping[str, np.ndarray] | None = None,
    target_epoch: int | None = None,
    rng_states: Mapping[str, Any] | None = None,
    model: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
) -> None:
    """Write a checkpoint to ``path`` atomically (see the module docstring for the layout).

    The Solver calls this with its whole state (:meth:`cs231nbook.solver.Solver.save_checkpoint`).

    Everything is checked as :func:`read_checkpoint` checks it before anything
    is written, so a file this function writes can always be read back.

    Raises
    ------
    TypeError
        If a hyperparameter or an optimizer config value is neither an array
        nor a JSON value (it could not be stored without pickle), or an array
        holds Python objects.
    ValueError
        ``"cannot save checkpoint '<path>': <what is wrong>"`` for anything
        :func:`read_checkpoint` would refuse (a NaN or integer parameter,
        histories that do not fit ``epoch`` and ``iteration``, ...); nothing
        is written then.
    OSError
        If the file cannot be written; the target is then unchanged and no
        temporary file is left.
    """
    where = f"cannot save checkpoint {os.fspath(path)!r}"
    try:
        arrays, optim_scalars = _arrays_of_the_run(
            params, best_params, state or {}, best_state or {}, optim_configs
        )
        arrays["loss_history"] = np.asarray(loss_history, dtype=np.float64)
        arrays["train_acc_history"] = np.asarray(train_acc_history, dtype=np.float64)
        arrays["val_acc_history"] = np.asarray(val_acc_history, dtype=np.float64)
        best = float(best_val_acc)
        meta = {
            "format": FORMAT,
            "version": VERSION,
            "epoch": int(epoch),
            "iteration": int(iteration),
            "target_epoch": None if target_epoch is None else int(target_epoch),
            "best_val_acc": best if math.isfinite(best) else None,
            "hyperparameters": _jsonable(hyperparameters, "hyperparameters"),
            "optim_scalars": optim_scalars,
            "rng_states": None if rng_states is None else _jsonable(rng_states, "rng_states"),
            "model": None if model is None else _jsonable(model, "model"),
            "data": None if data is None else _jsonable(data, "data"),
            "members": sorted(arrays),
        }
    except (TypeError, ValueError) as error:
        raise type(error)(f"{where}: {error}") from None
    try:
        arrays["meta"] = np.array(json.dumps(meta, sort_keys=True, allow_nan=False))
    except ValueError:
        raise ValueError(f"{where}: its metadata holds NaN or infinity") from None
    try:  # never write a file that read_checkpoint would refuse
        _parse(arrays, _check_meta(arrays))
    except _Refusal as problem:
        raise ValueError(f"{where}: {problem}") from None
    write_archive(path, arrays)


def _arrays_of_the_run(
    params: Mapping[str, np.ndarray],
    best_params: Mapping[str, np.ndarray],
    state: Mapping[str, np.ndarray],
    best_state: Mapping[str, np.ndarray],
    optim_configs: Mapping[str, Mapping[str, Any]],
) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
    """The archive members (``params/W1``, ``optim/W1/velocity``, ...) and the JSON part of
    the optimizer configs."""
    arrays: dict[str, np.ndarray] = {}
    groups = {
        "params": params,
        "best_params": best_params,
        "state": state,
        "best_state": best_state,
    }
    for prefix, entries in groups.items():
        what = "parameter" if prefix.endswith("params") else "state"
        for name, value in entries.items():
            key = f"{prefix}/{check_member_name(name, what)}"
            arrays[key] = _plain_array(value, key)
    optim_scalars: dict[str, dict[str, Any]] = {}
    for name, config in optim_configs.items():
        optim_scalars[check_member_name(name, "parameter")] = {}
        for key, value in config.items():
            if isinstance(value, np.ndarray):
                member = f"optim/{name}/{check_member_name(key, 'config key')}"
                arrays[member] = _plain_array(value, member)
            else:
                optim_scalars[name][key] = _jsonable(value, f"optim_configs[{name!r}][{key!r}]")
    return arrays, optim_scalars


def _new_temporary_file(directory: str) -> tuple[int, str]:
    """A new file in ``directory``, opened for reading and writing: (descriptor, path).

    Created with mode 0o666 less the umask, as any new file (``tempfile.mkstemp``
    would make the checkpoint readable by its owner only).
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        path = os.path.join(directory, f".checkpoint-{secrets.token_hex(8)}.npz.tmp")
        try:
            return os.open(path, flags, 0o666), path
        except FileExistsError:  # another writer drew the same name: draw again
            continue


def write_archive(path: str | os.PathLike, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` as a sealed ``.npz`` (members ``<name>.npy``, stored, no pickle).

    The archive's comment is ``cs231nbook-sha256:`` and the hex SHA-256 of
    every byte before it. Written to a temporary file in the same directory,
    fsynced, then moved over ``path`` with ``os.replace``; the temporary file
    is removed whatever happens. If ``path`` is a symbolic link, the file it
    points to is replaced (the link stays a link).
    """
    target = os.path.realpath(os.fspath(path))
    directory = os.path.dirname(os.path.abspath(target))
    fd, tmp = _new_temporary_file(directory)
    try:
        with os.fdopen(fd, "w+b") as handle:
            with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
                for name, value in arrays.items():
                    with archive.open(name + ".npy", "w", force_zip64=True) as member:
                        np.lib.format.write_array(member, np.asarray(value), allow_pickle=False)
                archive.comment = _SEAL + b"0" * 64
            handle.flush()
            size = handle.tell()
            handle.seek(0)
            body = handle.read(size - 64)
            handle.seek(size - 64)
            handle.write(hashlib.sha256(body).hexdigest().encode())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# --- reading ------------------------------------------------------------------------------------


class _Refusal(ValueError):
    """A problem found while reading; becomes ``ValueError("cannot load checkpoint ...: ...")``."""


def _read_members(data: bytes) -> dict[str, np.ndarray]:
    """Every member of a verified archive, parsed strictly (no pickle, no trailing bytes)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, IndexError) as error:
        raise _Refusal(f"it is not a readable .npz (zip) archive: {error}") from None
    members: dict[str, np.ndarray] = {}
    for info in infos:
        name = info.filename
        if not name.endswith(".npy") or info.is_dir():
            raise _Refusal(f"it has a member {name!r} that is not an .npy array")
        if info.compress_type != zipfile.ZIP_STORED:
            raise _Refusal(f"its member {name!r} is compressed; checkpoints store arrays as is")
        key = name[: -len(".npy")]
        if key in members:
            raise _Refusal(f"it has two members named {name!r}")
        try:
            raw = archive.read(info)
            stream = io.BytesIO(raw)
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
            else:
                raise ValueError(f"unsupported .npy version {version}")
            if dtype.hasobject:
                raise _Refusal(
                    f"its member {name!r} holds Python objects (dtype {dtype}); checkpoints hold "
                    "plain arrays only, and objects would need pickle"
                )
            expected = stream.tell() + math.prod(shape) * dtype.itemsize
            if expected != len(raw):
                raise ValueError(
                    f"the header promises {expected} bytes (shape {shape}, dtype {dtype}), "
                    f"the member has {len(raw)}"
                )
            stream.seek(0)
            members[key] = np.lib.format.read_array(stream, allow_pickle=False)
        except _Refusal:
            raise
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, TypeError) as error:
            raise _Refusal(f"its member {name!r} is not a valid .npy array: {error}") from None
    return members


_META_KEYS: dict[str, type | tuple[type, ...]] = {
    "format": str,
    "version": int,
    "epoch": int,
    "iteration": int,
    "target_epoch": (int, type(None)),
    "best_val_acc": (float, int, type(None)),
    "hyperparameters": dict,
    "optim_scalars": dict,
    "rng_states": (dict, type(None)),
    "model": (dict, type(None)),
    "data": (dict, type(None)),
    "members": list,
}


def _check_meta(members: Mapping[str, np.ndarray]) -> dict[str, Any]:
    if "meta" not in members:
        raise _Refusal("it is not a cs231nbook checkpoint (no 'meta' member)")
    raw = members["meta"]
    if raw.shape != () or raw.dtype.kind != "U":
        raise _Refusal(f"its 'meta' member must be a 0-d string; got {raw.dtype}, {raw.shape}")
    try:
        meta = json.loads(str(raw))
    except ValueError as error:
        raise _Refusal(f"its metadata is not valid JSON: {error}") from None
    if not isinstance(meta, dict):
        raise _Refusal(f"its metadata must be a JSON object; got {type(meta).__name__}")
    if meta.get("format") != FORMAT:
        raise _Refusal(
            f"it is not a cs231nbook checkpoint (its metadata 'format' is "
            f"{meta.get('format', '(absent)')!r}, not {FORMAT!r})"
        )
    if meta.get("version") != VERSION or isinstance(meta.get("version"), bool):
        raise _Refusal(
            f"its metadata 'version' is {meta.get('version', '(absent)')!r}: a version-"
            f"{meta.get('version')!r} checkpoint; this cs231nbook reads version {VERSION}"
        )
    missing = sorted(set(_META_KEYS) - set(meta))
    unexpected = sorted(set(meta) - set(_META_KEYS))
    if missing or unexpected:
        raise _Refusal(f"its metadata lacks the key(s) {missing} / has unknown key(s) {unexpected}")
    for key, kind in _META_KEYS.items():
        value = meta[key]
        if isinstance(value, bool) or not isinstance(value, kind):
            raise _Refusal(
                f"its metadata entry {key!r} is a {type(value).__name__} ({value!r}), "
                f"not {_kind_name(kind)}"
            )
    for key in ("epoch", "iteration"):
        if meta[key] < 0:
            raise _Refusal(f"its metadata entry {key!r} is negative ({meta[key]})")
    if meta["target_epoch"] is not None and meta["target_epoch"] < meta["epoch"]:
        raise _Refusal(
            f"its target_epoch {meta['target_epoch']} is before its epoch {meta['epoch']}"
        )
    return meta


def _kind_name(kind: Any) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join("null" if k is type(None) else k.__name__ for k in kinds)


def _history(members: Mapping[str, np.ndarray], key: str) -> list[float]:
    if key not in members:
        raise _Refusal(f"it has no {key!r} member")
    value = members[key]
    if value.dtype != np.float64 or value.ndim != 1:
        raise _Refusal(f"its {key!r} must be 1-d float64; got {value.dtype}, shape {value.shape}")
    if not np.all(np.isfinite(value)):
        raise _Refusal(f"its {key!r} holds NaN or infinite values")
    return [float(v) for v in value]


def _group(members: Mapping[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {
        name[len(prefix) + 1 :]: value
        for name, value in members.items()
        if name.startswith(prefix + "/")
    }


def _parse(members: dict[str, np.ndarray], meta: dict[str, Any]) -> Checkpoint:
    """Check every member against the metadata and each other; build the Checkpoint."""
    _check_member_list(members, meta["members"])
    losses, train_acc, val_acc, best_val_acc = _histories(members, meta)
    params, best_params = _float_group(members, "params"), _float_group(members, "best_params")
    if best_params and _specs(best_params) != _specs(params):
        raise _Refusal("its best_params do not have the names, shapes and dtypes of its params")
    state, best_state = _float_group(members, "state"), _float_group(members, "best_state")
    optim_configs = _optim_configs(members, meta, params)
    if meta["model"] is not None:
        _check_model_record(meta["model"], params, state)
    if meta["rng_states"] is not None:
        _check_rng_states(meta["rng_states"])
    return Checkpoint(
        params=params,
        best_params=best_params,
        loss_history=losses,
        train_acc_history=train_acc,
        val_acc_history=val_acc,
        epoch=meta["epoch"],
        iteration=meta["iteration"],
        best_val_acc=best_val_acc,
        hyperparameters=meta["hyperparameters"],
        optim_configs=optim_configs,
        state=state,
        best_state=best_state,
        target_epoch=meta["target_epoch"],
        rng_states=meta["rng_states"],
        model=meta["model"],
        data=meta["data"],
    )


def _check_member_list(members: Mapping[str, np.ndarray], listed: list[Any]) -> None:
    """The members are exactly those the metadata lists, each of a known kind."""
    actual = sorted(name for name in members if name != "meta")
    if listed != actual:
        missing = sorted(set(map(str, listed)) - set(actual))
        unexpected = sorted(set(actual) - set(map(str, listed)))
        raise _Refusal(
            f"its members do not match its list of members: missing {missing}, "
            f"unexpected {unexpected}"
        )
    known = ("params/", "best_params/", "optim/", "state/", "best_state/")
    plain = ("meta", "loss_history", "train_acc_history", "val_acc_history")
    for name in members:
        if name not in plain and not name.startswith(known):
            raise _Refusal(f"it has an unexpected member {name!r}")


def _histories(
    members: Mapping[str, np.ndarray], meta: Mapping[str, Any]
) -> tuple[list[float], list[float], list[float], float]:
    """The three histories and the best validation accuracy, consistent with epoch and iteration."""
    epoch, iteration = meta["epoch"], meta["iteration"]
    losses = _history(members, "loss_history")
    train_acc = _history(members, "train_acc_history")
    val_acc = _history(members, "val_acc_history")
    if len(losses) != iteration:
        raise _Refusal(f"it records {len(losses)} losses for {iteration} iterations")
    if len(train_acc) != len(val_acc) or len(val_acc) not in (0, epoch + 1):
        raise _Refusal(
            f"its accuracy histories have {len(train_acc)} and {len(val_acc)} entries; "
            f"after epoch {epoch} both must have {epoch + 1} (or none)"
        )
    if any(not 0 <= a <= 1 for a in train_acc + val_acc):
        raise _Refusal("its accuracy histories hold values outside [0, 1]")
    best = meta["best_val_acc"]  # None (JSON has no -inf) before the first evaluation
    if (best is None) != (not val_acc) or (val_acc and best != max(val_acc)):
        raise _Refusal(f"its best_val_acc {best!r} is not the best of its validation history")
    return losses, train_acc, val_acc, -math.inf if best is None else float(best)


def _float_group(members: Mapping[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The members under ``prefix/``; parameters must be floating-point, and no float is NaN."""
    entries = _group(members, prefix)
    for name, value in entries.items():
        if prefix.endswith("params") and value.dtype.kind != "f":
            raise _Refusal(f"its {prefix}/{name} has dtype {value.dtype}, not floating-point")
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise _Refusal(f"its {prefix}/{name} holds NaN or infinite values")
    return entries


def _specs(arrays: Mapping[str, np.ndarray]) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    return {name: (value.shape, value.dtype) for name, value in arrays.items()}


def _optim_configs(
    members: Mapping[str, np.ndarray], meta: Mapping[str, Any], params: Mapping[str, np.ndarray]
) -> dict[str, dict[str, Any]]:
    """Each parameter's optimizer config: its JSON part from the metadata, its arrays as members."""
    configs: dict[str, dict[str, Any]] = {}
    for name, scalars in meta["optim_scalars"].items():
        if name not in params or not isinstance(scalars, dict):
            raise _Refusal(f"its optimizer config {name!r} does not belong to a parameter")
        configs[name] = dict(scalars)
    for member, value in _group(members, "optim").items():
        name, _, key = member.partition("/")
        if name not in configs or not key or "/" in key:
            raise _Refusal(f"its member 'optim/{member}' does not belong to an optimizer config")
        if key in configs[name]:
            raise _Refusal(f"its optimizer config {name}[{key!r}] is stored twice")
        configs[name][key] = value
    rule = meta["hyperparameters"].get("update_rule")
    if isinstance(rule, str) and rule in _builtin_rules():
        for name, config in configs.items():  # their state has the parameter's shape and dtype
            mine = params[name]
            for key, value in config.items():
                if not isinstance(value, np.ndarray):
                    continue
                if value.shape != mine.shape or value.dtype != mine.dtype:
                    raise _Refusal(
                        f"its optimizer state optim/{name}/{key} has shape {value.shape} and "
                        f"dtype {value.dtype}; {rule} keeps the shape {mine.shape} and "
                        f"dtype {mine.dtype} of the parameter"
                    )
    return configs


def _check_model_record(
    model: Mapping[str, Any], params: Mapping[str, np.ndarray], state: Mapping[str, np.ndarray]
) -> None:
    """The stored model description agrees with the stored parameters and state."""
    for key in ("class", "architecture", "params", "state", "fingerprint"):
        if key not in model:
            raise _Refusal(f"its model description lacks {key!r}")
    spec = {n: [list(v.shape), v.dtype.str] for n, v in params.items()}
    if model["params"] != spec:
        raise _Refusal("its params do not match the model description stored with them")
    if model["state"] != describe_model(_Bare(dict(params)), state)["state"]:
        raise _Refusal("its state does not match the model description stored with it")


def _check_rng_states(rng_states: Mapping[str, Any]) -> None:
    """The Solver's two random streams, each a valid generator state."""
    if set(rng_states) != {"batch", "eval"}:
        raise _Refusal(f"its random streams are {sorted(rng_states)}, not batch and eval")
    for key, value in rng_states.items():
        try:
            restore_generator(value, f"random stream {key!r}")
        except ValueError as error:
            raise _Refusal(f"its {error}") from None


def _builtin_rules() -> set[str]:
    from .optim import UPDATE_RULES  # imported late: optim does not need this module

    return set(UPDATE_RULES)


class _Bare:
    """Just enough of a model for :func:`describe_model` to describe stored arrays."""

    def __init__(self, params: dict[str, np.ndarray]) -> None:
        self.params = params


def _verify_seal(data: bytes) -> None:
    if not data:
        raise _Refusal("the file is empty")
    if data.startswith(b"\x93NUMPY"):
        raise _Refusal("it is a single .npy array, not a checkpoint (.npz archive)")
    if not data.startswith(b"PK"):
        raise _Refusal("it is not an .npz (zip) archive")
    if len(data) < _SEAL_LENGTH + 22 or data[-_SEAL_LENGTH:-64] != _SEAL:
        raise _Refusal(
            "it is not a cs231nbook checkpoint, or it is truncated: it does not end with "
            "cs231nbook's checksum record"
        )
    if hashlib.sha256(data[:-64]).hexdigest().encode() != data[-64:]:
        raise _Refusal("its checksum does not match: the file was damaged or changed after writing")


def read_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read and validate the checkpoint at ``path``, changing nothing else.

    Raises
    ------
    ValueError
        ``"cannot load checkpoint '<path>': <what is wrong>"`` for any damaged,
        truncated, changed or foreign file.
    OSError
        If the file cannot be opened (missing, a directory, no permission).
    """
    name = os.fspath(path)
    with open(name, "rb") as handle:
        data = handle.read()
    try:
        _verify_seal(data)
        members = _read_members(data)
        return _parse(members, _check_meta(members))
    except _Refusal as problem:
        raise ValueError(f"cannot load checkpoint {name!r}: {problem}") from None


def check_fits_model(checkpoint: Checkpoint, model: Any, path: str = "") -> None:
    """Raise ``ValueError`` unless ``checkpoint`` was written for a model like ``model``.

    Compares the stored description (class, architecture, parameter and state
    names, shapes and dtypes) and checks the parameters and both states against
    the model; changes nothing.

    Raises ``TypeError`` if ``model`` has no ``params`` dict (it is not a model).
    """
    if not isinstance(getattr(model, "params", None), dict):
        raise TypeError(f"model must have a params dict; got {type(model).__name__}")
    where = f"cannot load checkpoint {path!r}: " if path else ""
    try:
        if checkpoint.model is not None:
            current = describe_model(model)
            if not callable(getattr(model, "get_state", None)):
                # CS231n-style bn_params grow their statistics lazily: checked entry by entry below
                current["state"] = checkpoint.model["state"]
            difference = describe_difference(checkpoint.model, current)
            if difference is not None:
                raise ValueError(f"it was written for a different model: {difference}")
        _check_params_fit(model, checkpoint.params, "its parameters")
        if checkpoint.best_params:
            _check_params_fit(model, checkpoint.best_params, "its best parameters")
        check_state(model, checkpoint.state, "its state")
        if checkpoint.best_params:
            check_state(model, checkpoint.best_state, "its best state")
    except (ValueError, TypeError) as error:
        raise ValueError(f"{where}{error}") from None


def load_checkpoint(path: str | os.PathLike, model: Any = None) -> Checkpoint:
    """Read a checkpoint written by the Solver, and optionally load it into ``model``.

    Parameters
    ----------
    path : str or path-like
        A ``.npz`` file written by :func:`save_checkpoint` (the Solver's
        ``checkpoint_name`` and ``checkpoint_path`` options). Read without pickle.
    model : object with a ``params`` dict, optional
        If given, the checkpoint must have been written for a model of the
        same class and architecture, with the same parameter and state names,
        shapes and dtypes; then every entry of ``model.params`` is replaced by
        a copy of the checkpoint's, and the model's state (running statistics,
        dropout stream) too. Nothing is changed unless everything fits. To load
        the best parameters instead, use ``load_params_into(model,
        checkpoint.best_params)`` and ``load_state_into(model, checkpoint.best_state)``.

    Returns
    -------
    checkpoint : Checkpoint
        Parameters, histories, epoch, hyperparameters, optimizer and model state.

    Raises
    ------
    ValueError
        If the file is damaged, truncated, changed, foreign, or does not fit
        ``model``; the message names the file and the problem.
    TypeError
        If ``model`` is not a model (no ``params`` dict).
    OSError
        If the file cannot be opened.

    Examples
    --------
    >>> ckpt = load_checkpoint("run_epoch_5.npz", model)      # doctest: +SKIP
    >>> ckpt.epoch, ckpt.val_acc_history[-1]                  # doctest: +SKIP
    """
    checkpoint = read_checkpoint(path)
    if model is not None:
        check_fits_model(checkpoint, model, os.fspath(path))
        set_model_state(model, checkpoint.state)  # checked above: cannot fail half-way
        for name, value in checkpoint.params.items():
            model.params[name] = value.copy()
    return checkpoint
