"""Training checkpoints as plain ``.npz`` archives: no pickle, written atomically.

A checkpoint written by ``cs231nbook.solver.Solver`` holds

=================================  ==========================================================
member                             content
=================================  ==========================================================
``params/<name>``                  the model's parameters at the end of the epoch
``best_params/<name>``             the parameters with the best validation accuracy so far
``optim/<name>/<key>``             array state of the update rule (velocity, m, v, cache)
``state/<key>``                    the model's non-trained state (see :func:`model_state`):
                                   batch-norm running statistics, at the end of the epoch
``best_state/<key>``               the same state as it was with the best parameters
``loss_history``                   float64, one minibatch loss per iteration
``train_acc_history``              float64, one accuracy per evaluation (epoch 0 included)
``val_acc_history``                float64, likewise
``meta``                           a JSON string: format name and version, epoch, iteration,
                                   best validation accuracy, the Solver's hyperparameters and
                                   the scalar part of every optimizer config
=================================  ==========================================================

Every member is an ordinary array, so ``np.load(path, allow_pickle=False)``
opens a checkpoint and nothing in it can run code. The file is first written
to a temporary file in the same directory and then moved over the target with
``os.replace``, so a crash mid-write never leaves a truncated checkpoint.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FORMAT = "cs231nbook-checkpoint"
VERSION = 1


@dataclass
class Checkpoint:
    """What :func:`load_checkpoint` returns.

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
    hyperparameters : dict
        The Solver's settings (``update_rule``, ``optim_config``, ``lr_decay``,
        ``batch_size``, ``num_epochs``, ...), as JSON allows.
    optim_configs : dict
        Parameter name to its update-rule config, state included, so that a run
        could continue exactly where it stopped.
    state, best_state : dict
        The model's non-trained state (:func:`model_state`) at the end of the
        epoch and with the best parameters; empty for models without any.
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


def model_state(model: Any) -> dict[str, np.ndarray]:
    """Copies of what a model keeps besides ``params``: its batch-norm running statistics.

    Models with normalization layers (``FullyConnectedNet``, ``DeepConvNet``)
    hold one ``bn_param`` dict per layer in ``model.bn_params``; the running
    mean and variance in them are learned during training but are not
    parameters, so the Solver and checkpoints must carry them along with the
    parameters they belong to. Keys are ``"bn_params.<layer>.<name>"``.
    """
    state = {}
    for i, param in enumerate(getattr(model, "bn_params", None) or []):
        for key in ("running_mean", "running_var"):
            if isinstance(param, Mapping) and key in param:
                state[f"bn_params.{i}.{key}"] = np.array(param[key], copy=True)
    return state


def load_state_into(model: Any, state: Mapping[str, np.ndarray]) -> None:
    """Write copies of a :func:`model_state` dict back into ``model.bn_params``."""
    bn_params = getattr(model, "bn_params", None) or []
    for key, value in state.items():
        _, index, name = key.split(".", 2)
        index = int(index)
        if index >= len(bn_params):
            raise ValueError(
                f"the state entry {key!r} names layer {index}, but the model has "
                f"{len(bn_params)} bn_params"
            )
        bn_params[index][name] = np.array(value, copy=True)


def _json_scalar(value: Any) -> Any:
    """``value`` as a JSON-friendly Python scalar, or raise ``TypeError``."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(
        f"cannot store {type(value).__name__} {value!r} in a checkpoint's JSON metadata"
    )


def _check_name(name: str, what: str) -> str:
    if not isinstance(name, str) or not name or "/" in name:
        raise ValueError(f"{what} names must be non-empty strings without '/'; got {name!r}")
    return name


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
) -> None:
    """Write a checkpoint to ``path`` atomically (see the module docstring for the layout).

    Raises
    ------
    TypeError
        If a hyperparameter or an optimizer config value is neither an array
        nor a JSON scalar (it could not be stored without pickle).
    """
    arrays: dict[str, np.ndarray] = {}
    for name, value in params.items():
        arrays[f"params/{_check_name(name, 'parameter')}"] = np.asarray(value)
    for name, value in best_params.items():
        arrays[f"best_params/{_check_name(name, 'parameter')}"] = np.asarray(value)
    for prefix, entries in (("state", state), ("best_state", best_state)):
        for key, value in (entries or {}).items():
            arrays[f"{prefix}/{_check_name(key, 'state')}"] = np.asarray(value)
    optim_scalars: dict[str, dict[str, Any]] = {}
    for name, config in optim_configs.items():
        optim_scalars[name] = {}
        for key, value in config.items():
            if isinstance(value, np.ndarray):
                arrays[
                    f"optim/{_check_name(name, 'parameter')}/{_check_name(key, 'config key')}"
                ] = value
            else:
                optim_scalars[name][key] = _json_scalar(value)
    arrays["loss_history"] = np.asarray(loss_history, dtype=np.float64)
    arrays["train_acc_history"] = np.asarray(train_acc_history, dtype=np.float64)
    arrays["val_acc_history"] = np.asarray(val_acc_history, dtype=np.float64)
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "epoch": int(epoch),
        "iteration": int(iteration),
        "best_val_acc": float(best_val_acc),
        "hyperparameters": _jsonable(hyperparameters),
        "optim_scalars": optim_scalars,
    }
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))

    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".checkpoint-", suffix=".npz.tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return _json_scalar(value)


def load_checkpoint(path: str | os.PathLike, model: Any = None) -> Checkpoint:
    """Read a checkpoint written by the Solver, and optionally load it into ``model``.

    Parameters
    ----------
    path : str or path-like
        A ``.npz`` file written by ``cs231nbook.solver.Solver`` (its
        ``checkpoint_name`` option). Read with ``allow_pickle=False``.
    model : object with a ``params`` dict, optional
        If given, every entry of ``model.params`` is replaced by a copy of the
        checkpoint's parameter of the same name, after checking that the names,
        shapes and dtypes all match (nothing is changed if any does not), and
        the batch-norm running statistics are restored too. To load the best
        parameters instead, use ``load_params_into(model, checkpoint.best_params)``
        and ``load_state_into(model, checkpoint.best_state)``.

    Returns
    -------
    checkpoint : Checkpoint
        Parameters, histories, epoch, hyperparameters and optimizer state.

    Raises
    ------
    ValueError
        If the file is not a cs231nbook checkpoint, or does not fit ``model``.

    Examples
    --------
    >>> ckpt = load_checkpoint("run_epoch_5.npz", model)      # doctest: +SKIP
    >>> ckpt.epoch, ckpt.val_acc_history[-1]                  # doctest: +SKIP
    """
    with np.load(os.fspath(path), allow_pickle=False) as archive:
        if "meta" not in archive.files:
            raise ValueError(
                f"{os.fspath(path)!r} is not a cs231nbook checkpoint (no 'meta' member)"
            )
        meta = json.loads(str(archive["meta"]))
        if meta.get("format") != FORMAT or meta.get("version") != VERSION:
            raise ValueError(
                f"{os.fspath(path)!r} is not a version-{VERSION} cs231nbook checkpoint; "
                f"its metadata says format={meta.get('format')!r}, version={meta.get('version')!r}"
            )
        members = {name: archive[name] for name in archive.files}

    params = {
        name[len("params/") :]: value
        for name, value in members.items()
        if name.startswith("params/")
    }
    best = {
        name[len("best_params/") :]: value
        for name, value in members.items()
        if name.startswith("best_params/")
    }
    optim_configs: dict[str, dict[str, Any]] = {
        name: dict(s) for name, s in meta["optim_scalars"].items()
    }
    for name, value in members.items():
        if name.startswith("optim/"):
            _, param, key = name.split("/", 2)
            optim_configs.setdefault(param, {})[key] = value

    def with_prefix(prefix: str) -> dict[str, np.ndarray]:
        return {
            name[len(prefix) + 1 :]: value
            for name, value in members.items()
            if name.startswith(prefix + "/")
        }

    checkpoint = Checkpoint(
        params=params,
        best_params=best,
        loss_history=members["loss_history"].tolist(),
        train_acc_history=members["train_acc_history"].tolist(),
        val_acc_history=members["val_acc_history"].tolist(),
        epoch=int(meta["epoch"]),
        iteration=int(meta["iteration"]),
        best_val_acc=float(meta["best_val_acc"]),
        hyperparameters=meta["hyperparameters"],
        optim_configs=optim_configs,
        state=with_prefix("state"),
        best_state=with_prefix("best_state"),
    )
    if model is not None:
        load_params_into(model, params)
        load_state_into(model, checkpoint.state)
    return checkpoint


def load_params_into(model: Any, params: Mapping[str, np.ndarray]) -> None:
    """Replace ``model.params`` entries by copies of ``params``; all-or-nothing, after checking."""
    current = getattr(model, "params", None)
    if not isinstance(current, dict):
        raise TypeError(f"model must have a params dict; got {type(model).__name__}")
    if set(current) != set(params):
        raise ValueError(
            f"the checkpoint's parameters {sorted(params)} do not match the model's {sorted(current)}"
        )
    for name, value in params.items():
        mine = current[name]
        if value.shape != mine.shape or value.dtype != mine.dtype:
            raise ValueError(
                f"checkpoint parameter {name!r} has shape {value.shape} and dtype {value.dtype}; "
                f"the model's has shape {mine.shape} and dtype {mine.dtype}"
            )
    for name, value in params.items():
        current[name] = value.copy()
