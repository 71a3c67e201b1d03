"""The Solver: minibatch training of any model that follows the CS231n contract.

A model is anything with a ``params`` dict of arrays and a method
``loss(X, y=None)`` that returns class scores of shape (N, C) when ``y`` is
None and ``(loss, grads)`` otherwise, ``grads`` keyed like ``params``. A model
that keeps state besides its parameters (batch norm's running statistics, a
dropout stream) also provides ``get_state()`` and ``set_state(state)``, so that
checkpoints carry it: see ``cs231nbook.model_state``.

A run can be stopped after any epoch and continued exactly: with
``checkpoint_name`` (one file per epoch) or ``checkpoint_path`` (one file,
replaced after every epoch) the Solver writes its whole state, and a Solver
built with the same model and arguments continues from such a file with
:meth:`cs231nbook.solver.Solver.restore` and :meth:`Solver.train`, ending bitwise identical to the
run that was never interrupted.

Example
-------
>>> from cs231nbook.classifiers import FullyConnectedNet
>>> from cs231nbook.data import load_digits
>>> data = load_digits()
>>> model = FullyConnectedNet([100, 100], input_dim=64, seed=0)
>>> solver = Solver(model, data, update_rule="sgd_momentum",
...                 optim_config={"learning_rate": 1e-2}, num_epochs=5, seed=0)
>>> solver.train()                                          # doctest: +SKIP
"""

from __future__ import annotations

import copy
import hashlib
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import _checks
from .checkpoint import (
    Checkpoint,
    as_metadata,
    check_fits_model,
    check_member_name,
    load_checkpoint,
    read_checkpoint,
    save_checkpoint,
)
from .model_state import (
    describe_model,
    generator_state_json,
    get_model_state,
    restore_generator,
    set_model_state,
)

__all__ = ["Solver", "TrainingDivergedError", "load_checkpoint"]

UpdateRule = Callable[[np.ndarray, np.ndarray, dict], tuple[np.ndarray, dict]]


class TrainingDivergedError(FloatingPointError):
    """Raised when the loss or a gradient stops being finite (NaN or infinity) during training."""


def _update_rules() -> dict[str, UpdateRule]:
    from . import optim  # imported late: optim is a sibling module that needs none of this one

    return dict(optim.UPDATE_RULES)


def _resolve_update_rule(update_rule: str | UpdateRule) -> tuple[str, UpdateRule]:
    """(name, function) for a rule given by name or as a callable."""
    if isinstance(update_rule, str):
        rules = _update_rules()
        if update_rule not in rules:
            raise ValueError(
                f"update_rule must be one of {sorted(rules)} or a callable; got {update_rule!r}"
            )
        return update_rule, rules[update_rule]
    if callable(update_rule):
        return getattr(update_rule, "__name__", type(update_rule).__name__), update_rule
    raise TypeError(
        f"update_rule must be a name from cs231nbook.optim or a callable; got {update_rule!r}"
    )


def _check_data(data: Any) -> tuple[Mapping[str, np.ndarray], list[str]]:
    """Check the data dict: images of one example shape in every split, one integer label per image.

    Returns the data and the splits found: ``train``, ``val`` and ``test`` if
    both ``X_test`` and ``y_test`` are present.
    """
    _checks.param_dict("data", data, ("X_train", "y_train", "X_val", "y_val"))
    splits = ["train", "val"] + (["test"] if "X_test" in data and "y_test" in data else [])
    example_shape = None
    for split in splits:
        X = _checks.float_array(f"data['X_{split}']", data[f"X_{split}"], min_ndim=2)
        y = data[f"y_{split}"]
        if not isinstance(y, np.ndarray) or not np.issubdtype(y.dtype, np.integer):
            what = f"dtype {y.dtype}" if isinstance(y, np.ndarray) else type(y).__name__
            raise TypeError(
                f"data['y_{split}'] must be a NumPy array of integer labels; got {what}"
            )
        if X.shape[0] == 0:
            raise ValueError(
                f"data['X_{split}'] must hold at least one example; got shape {X.shape}"
            )
        if y.shape != (X.shape[0],):
            raise ValueError(
                f"data['y_{split}'] must have shape ({X.shape[0]},), one label per row of "
                f"data['X_{split}']; got {y.shape}"
            )
        if y.min() < 0:
            raise ValueError(
                f"data['y_{split}'] must hold class indices >= 0; found {int(y.min())}"
            )
        if example_shape is None:
            example_shape = X.shape[1:]
        elif X.shape[1:] != example_shape:
            raise ValueError(
                f"data['X_{split}'] examples must have the shape of data['X_train'] examples "
                f"{example_shape}; got {X.shape[1:]}"
            )
    return data, splits


def _num_classes(model: Any, X: np.ndarray) -> int:
    """The number of classes the model scores, from its scores for one training example."""
    with np.errstate(all="ignore"):
        scores = model.loss(X[:1])
    if not isinstance(scores, np.ndarray) or scores.ndim != 2 or scores.shape[0] != 1:
        got = f"shape {scores.shape}" if isinstance(scores, np.ndarray) else type(scores).__name__
        raise TypeError(
            "model.loss(X) must return class scores of shape (N, C); for one example of "
            f"data['X_train'] it returned {got}"
        )
    return int(scores.shape[1])


def _check_model_state_methods(model: Any) -> None:
    """The optional state methods come as a pair, and get_state returns a dict of arrays."""
    has_get = callable(getattr(model, "get_state", None))
    has_set = callable(getattr(model, "set_state", None))
    if has_get != has_set:
        present, absent = ("get_state", "set_state") if has_get else ("set_state", "get_state")
        raise TypeError(
            f"model has {present}() but no {absent}(); a model provides both or neither "
            "(see cs231nbook.model_state)"
        )
    get_model_state(model)  # raises TypeError naming get_state if it returns anything else


def _optional_positive_int(name: str, value: Any) -> int | None:
    return None if value is None else _checks.positive_int(name, value)


def _check_lr_decay(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"lr_decay must be a real number in (0, 1]; got {value!r}")
    if not (math.isfinite(value) and 0 < value <= 1):
        raise ValueError(f"lr_decay must be a finite number in (0, 1]; got {value!r}")
    return float(value)


def _check_writable(name: str, path: Any) -> str | None:
    """``path`` as a str, after checking that its directory exists and takes new files."""
    if path is None:
        return None
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str, a path or None; got {path!r}")
    path = os.fspath(path)
    # checkpoint_name is the prefix of the files written, checkpoint_path a file (or a link to one)
    first_file = path + "_epoch_1.npz" if name == "checkpoint_name" else path
    directory = os.path.dirname(os.path.realpath(first_file))
    if not os.path.isdir(directory):
        raise ValueError(f"{name}: the directory {directory!r} does not exist")
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        raise ValueError(
            f"{name}: cannot write in the directory {directory!r} ({error.strerror})"
        ) from None
    return path


def _is_builtin(rule: UpdateRule) -> bool:
    return any(rule is builtin for builtin in _update_rules().values())


def _dry_run(rule: UpdateRule, w: np.ndarray, config: Mapping[str, Any]) -> None:
    """One step of a cs231nbook.optim rule on zeros and a copy of ``config``: validates it."""
    rule(np.zeros_like(w), np.zeros_like(w), copy.deepcopy(dict(config)))


def _check_optim_config(
    rule_name: str, rule: UpdateRule, config: Mapping[str, Any], params: Mapping[str, np.ndarray]
) -> None:
    """Refuse keys and values a cs231nbook.optim rule would refuse at its first step.

    Callables of your own are not called here (they may count their calls).
    """
    if not _is_builtin(rule):
        return
    probe: dict[str, Any] = {}
    rule(np.zeros(1), np.zeros(1), probe)  # one step on a fresh config: every key the rule uses
    unknown = sorted(str(key) for key in config if key not in probe)
    if unknown:
        raise ValueError(
            f"optim_config has key(s) {unknown} that update_rule {rule_name!r} does not use; "
            f"it understands {sorted(probe)}"
        )
    for shape, dtype in {(w.shape, w.dtype) for w in params.values()}:
        try:
            _dry_run(rule, np.zeros(shape, dtype), config)
        except (TypeError, ValueError) as error:
            raise type(error)(f"optim_config is not valid for {rule_name!r}: {error}") from None


class Solver:
    """Train a classification model with minibatch gradient descent.

    Each epoch visits the training set once in a fresh random order: the
    examples are shuffled and cut into ``N // batch_size`` minibatches,
    **sampling without replacement** (the last ``N % batch_size`` examples
    of each shuffle sit that epoch out; with ``batch_size >= N`` every
    minibatch is the whole training set). After each minibatch the update
    rule moves every parameter; after each epoch the learning rate is
    multiplied by ``lr_decay``, the accuracies are measured, a checkpoint is
    written (if asked) and the parameters are remembered if they are the best
    so far on the validation set. When training ends, the best parameters are
    put back into the model.

    Parameters
    ----------
    model : object
        Has ``params`` (dict of str to ndarray) and ``loss(X, y=None)``; optionally
        ``get_state()``/``set_state(state)`` (``cs231nbook.model_state``).
    data : dict
        ``X_train`` of shape (N_train, ...) float, ``y_train`` (N_train,) integer,
        ``X_val`` (N_val, ...), ``y_val`` (N_val,); ``X_test``/``y_test`` are
        checked too if present; other keys are ignored. Every label must be a
        class the model scores (``0 <= y < C``, with ``C`` read from the model's
        scores for one training example). The arrays are read, never modified.
    update_rule : str or callable, default 'sgd'
        A name from ``cs231nbook.optim`` (``'sgd'``, ``'sgd_momentum'``,
        ``'nesterov_momentum'``, ``'rmsprop'``, ``'adam'``), or any function
        ``rule(w, dw, config) -> (next_w, config)``.
    optim_config : dict, optional
        Hyperparameters for the update rule (e.g. ``{'learning_rate': 1e-3}``).
        Every parameter gets its own deep copy, since the rule keeps per-parameter
        state (velocities, moving averages) in it. For the rules of
        ``cs231nbook.optim`` a key the rule does not use, or a value it refuses,
        is an error here already. A rule of your own must not change the arrays
        in its config in place (return new ones), as the rules of ``optim`` do.
    lr_decay : float, default 1.0
        Factor in (0, 1] applied to ``learning_rate`` in every config after each epoch.
    batch_size : int, default 100
    num_epochs : int, default 10
    num_train_samples : int or None, default 1000
        Training examples used to estimate the training accuracy each epoch
        (a random subset, drawn without replacement); None uses all of them.
    num_val_samples : int or None, default None
        Likewise for validation; None (the default) uses the whole set.
    checkpoint_name : str or path-like, optional
        If given, after each epoch the state is saved to
        ``f"{checkpoint_name}_epoch_{epoch}.npz"`` (see ``cs231nbook.checkpoint``).
        Its directory must exist and be writable, and the parameter names,
        state keys and settings must be storable (checked here, before any
        training).
    checkpoint_path : str or path-like, optional
        If given, after each epoch the state is saved to this one file, replacing
        it atomically, so that it always holds the last completed epoch (checked
        likewise).
    print_every : int or None, default 10
        With ``verbose``, also print the minibatch loss every ``print_every``
        iterations (CS231n's progress lines); None prints only the one line per
        epoch.
    verbose : bool, default True
        Print one line per epoch: mean training loss, training and validation
        accuracy and the learning rate used. No timings, so the output of a
        seeded run is reproducible.
    seed : int, Generator or None
        Seeds the minibatch order and the accuracy subsamples. Two solvers with
        the same seed, model and data produce identical histories. NumPy's
        global random state is never used.

    Raises
    ------
    TypeError
        For an argument of the wrong kind (the message names it).
    ValueError
        For a value out of range: a label outside ``[0, C)``, an unknown
        ``optim_config`` key, ``lr_decay`` outside (0, 1], a checkpoint
        directory that does not exist or cannot be written, ...

    Attributes
    ----------
    loss_history : list of float
        The loss of every minibatch.
    train_acc_history : list of float
        Training accuracy before training (epoch 0) and after each epoch:
        ``num_epochs + 1`` entries after one call of :meth:`train`.
    val_acc_history : list of float
        Validation accuracy, likewise.
    best_val_acc : float
    best_params : dict
        Parameter name to a copy of the parameters that reached ``best_val_acc`` (the earliest on a tie).
    best_state : dict
        The model's state at that moment (see ``cs231nbook.model_state``),
        restored with ``best_params`` at the end of training so that test mode
        uses running statistics that match them (random streams, ``"rng."``
        entries, are not rewound).
    optim_configs : dict
        Parameter name to the update rule's config for that parameter.
    epoch : int
        Completed epochs.
    iteration : int
        Completed minibatch steps.

    Notes
    -----
    :meth:`train` raises :class:`TrainingDivergedError` (a ``FloatingPointError``)
    as soon as a minibatch loss, a gradient, the model's state (running
    statistics), an updated parameter or the scores are NaN or infinite, typically because the learning rate or weight scale is
    too large. The model then keeps the parameters and state of the last finite
    step, and the optimizer state is that of the same step.
    """

    def __init__(
        self,
        model: Any,
        data: Mapping[str, np.ndarray],
        update_rule: str | UpdateRule = "sgd",
        optim_config: Mapping[str, Any] | None = None,
        lr_decay: float = 1.0,
        batch_size: int = 100,
        num_epochs: int = 10,
        num_train_samples: int | None = 1000,
        num_val_samples: int | None = None,
        checkpoint_name: str | os.PathLike | None = None,
        print_every: int | None = 10,
        verbose: bool = True,
        seed: int | np.random.Generator | None = None,
        checkpoint_path: str | os.PathLike | None = None,
    ) -> None:
        if not isinstance(getattr(model, "params", None), dict) or not callable(
            getattr(model, "loss", None)
        ):
            raise TypeError(
                f"model must have a params dict and a loss(X, y=None) method; got {type(model).__name__}"
            )
        _check_model_state_methods(model)
        self.model = model
        data, splits = _check_data(data)
        self.X_train, self.y_train = data["X_train"], data["y_train"]
        self.X_val, self.y_val = data["X_val"], data["y_val"]
        num_classes = _num_classes(model, self.X_train)
        for split in splits:
            y = data[f"y_{split}"]
            if y.max() >= num_classes:
                raise ValueError(
                    f"data['y_{split}'] must hold class indices in [0, {num_classes}) (the model "
                    f"scores {num_classes} classes); found {int(y.max())}"
                )

        self.update_rule_name, self.update_rule = _resolve_update_rule(update_rule)
        if optim_config is None:
            optim_config = {}
        _checks.param_dict("optim_config", optim_config)
        _check_optim_config(self.update_rule_name, self.update_rule, optim_config, model.params)
        self.optim_config = dict(optim_config)
        self.lr_decay = _check_lr_decay(lr_decay)
        self.batch_size = _checks.positive_int("batch_size", batch_size)
        self.num_epochs = _checks.positive_int("num_epochs", num_epochs)
        self.num_train_samples = _optional_positive_int("num_train_samples", num_train_samples)
        self.num_val_samples = _optional_positive_int("num_val_samples", num_val_samples)
        self.checkpoint_name = _check_writable("checkpoint_name", checkpoint_name)
        self.checkpoint_path = _check_writable("checkpoint_path", checkpoint_path)
        if self.checkpoint_path is not None and os.path.isdir(self.checkpoint_path):
            raise ValueError(
                f"checkpoint_path must name a file; {self.checkpoint_path!r} is a directory"
            )
        if self.checkpoint_name is not None or self.checkpoint_path is not None:
            for name in model.params:  # now, not when the first epoch's checkpoint is written
                check_member_name(name, "parameter")
            for key in get_model_state(model):
                check_member_name(key, "model state")
        self.print_every = _optional_positive_int("print_every", print_every)
        if not isinstance(verbose, (bool, np.bool_)):
            raise TypeError(f"verbose must be True or False; got {verbose!r}")
        self.verbose = bool(verbose)
        if isinstance(seed, bool) or not (
            seed is None or isinstance(seed, (int, np.integer, np.random.Generator))
        ):
            raise TypeError(f"seed must be an int, a numpy Generator or None; got {seed!r}")
        if isinstance(seed, (int, np.integer)) and seed < 0:
            raise ValueError(f"seed must be an integer >= 0; got {seed}")
        self.seed = seed
        self._reset()
        if self.checkpoint_name is not None or self.checkpoint_path is not None:
            as_metadata(self.hyperparameters(), "hyperparameters")  # TypeError before training

    def _reset(self) -> None:
        """Fresh bookkeeping, per-parameter optimizer configs and random streams (CS231n's name)."""
        self.epoch = 0
        self.iteration = 0
        self.best_val_acc = -math.inf
        self.best_params: dict[str, np.ndarray] = {}
        self.best_state: dict[str, np.ndarray] = {}
        self.loss_history: list[float] = []
        self.train_acc_history: list[float] = []
        self.val_acc_history: list[float] = []
        self.optim_configs = {name: copy.deepcopy(self.optim_config) for name in self.model.params}
        self._target_epoch: int | None = None  # where the train() call in progress stops
        self._data_digest: dict[str, Any] | None = None
        # two independent streams, so that measuring accuracy never changes the minibatch order
        if isinstance(self.seed, np.random.Generator):
            batch_seed, eval_seed = self.seed.integers(2**63, size=2)
        else:
            batch_seed, eval_seed = np.random.SeedSequence(self.seed).spawn(2)
        self._batch_rng = np.random.default_rng(batch_seed)
        self._eval_rng = np.random.default_rng(eval_seed)

    # --- one step ---------------------------------------------------------------------------

    def _step(self, batch: np.ndarray) -> float:
        """One update of every parameter on the minibatch ``batch`` (indices into the training set).

        All or nothing: if the step fails (divergence, a gradient missing or of
        the wrong shape, an interruption), the model's state is put back and
        the parameters, the optimizer configs and the histories are unchanged.
        """
        state_before = get_model_state(self.model)
        try:
            loss, updated, configs = self._compute_step(batch)
        except BaseException:
            set_model_state(self.model, state_before)  # e.g. running statistics of this batch
            raise
        self.model.params.update(updated)
        self.optim_configs.update(configs)
        self.iteration += 1
        self.loss_history.append(loss)
        return loss

    def _compute_step(self, batch: np.ndarray) -> tuple[float, dict, dict]:
        """The loss on ``batch``, and the updated parameters and optimizer configs as new dicts.

        Raises TrainingDivergedError if anything is NaN or infinite.
        """
        X_batch, y_batch = self.X_train[batch], self.y_train[batch]
        # a diverging run would only print overflow warnings before the checks below say it clearly
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            loss, grads = self.model.loss(X_batch, y_batch)
            loss = float(loss)
            problem = self._non_finite(loss, grads)
            if problem:
                raise self._divergence(f"{problem}. {self._lower()} or the weight scale.")
            updated, configs = {}, {}
            for name, w in self.model.params.items():
                config = dict(self.optim_configs[name])
                updated[name], configs[name] = self.update_rule(w, grads[name], config)
        bad = [name for name, w in updated.items() if not np.all(np.isfinite(w))]
        if bad:
            raise self._divergence(f"the update made {bad} non-finite. {self._lower()}.")
        return loss, updated, configs

    def _non_finite(self, loss: float, grads: Mapping[str, np.ndarray]) -> str | None:
        """What is NaN or infinite after a forward and backward pass (loss, gradients, state).

        Raises ValueError if ``grads`` lacks a parameter or has one of another shape.
        """
        for name, w in self.model.params.items():
            g = grads.get(name)
            if not isinstance(g, np.ndarray) or g.shape != w.shape:
                got = f"shape {g.shape}" if isinstance(g, np.ndarray) else repr(g)
                raise ValueError(
                    f"model.loss(X, y) must return a gradient of shape {w.shape} for the "
                    f"parameter {name!r}; got {got}"
                )
        if not math.isfinite(loss):
            return f"the loss is {loss}"
        bad = [name for name in self.model.params if not np.all(np.isfinite(grads[name]))]
        if bad:
            return f"the gradients of {bad} are not finite"
        state = get_model_state(self.model)
        bad = [k for k, v in state.items() if v.dtype.kind == "f" and not np.all(np.isfinite(v))]
        if bad:
            return f"the model's state {bad} is not finite"
        return None

    def _divergence(self, what: str) -> TrainingDivergedError:
        """The error that stops training at the step in progress."""
        return TrainingDivergedError(
            f"training diverged at iteration {self.iteration + 1} (epoch {self.epoch + 1}): {what}"
        )

    def _lower(self) -> str:
        """The advice of a divergence message: lower the learning rate (from its value)."""
        learning_rate = self._learning_rate()
        now = "" if learning_rate is None else f" (now {learning_rate})"
        return f"Lower the learning rate{now}"

    def _learning_rate(self) -> float | None:
        """The learning rate in the configs (they all share one), or None if the rule has none."""
        first = next(iter(self.optim_configs.values()), {})
        value = first.get("learning_rate")
        return None if value is None else float(value)

    # --- accuracy ---------------------------------------------------------------------------

    def check_accuracy(
        self, X: np.ndarray, y: np.ndarray, num_samples: int | None = None, batch_size: int = 100
    ) -> float:
        """Fraction of examples whose highest-scoring class is the label.

        Parameters
        ----------
        X : ndarray of shape (N, ...)
        y : ndarray of shape (N,), integer
        num_samples : int or None
            If given and smaller than N, use a random subset of this many
            examples (drawn without replacement from the solver's own stream).
        batch_size : int, default 100
            Examples scored per call of ``model.loss``, to bound memory.

        Returns
        -------
        accuracy : float
            In [0, 1].

        Raises
        ------
        TypeError
            If ``y`` is not an integer array.
        ValueError
            If ``y`` does not hold one label per example.
        TrainingDivergedError
            If the model's scores are NaN or infinite.
        """
        X = _checks.float_array("X", X, min_ndim=2)
        if not isinstance(y, np.ndarray) or not np.issubdtype(y.dtype, np.integer):
            got = f"dtype {y.dtype}" if isinstance(y, np.ndarray) else type(y).__name__
            raise TypeError(f"y must be a NumPy array of integer labels; got {got}")
        if y.shape != (X.shape[0],):
            raise ValueError(
                f"y must have shape ({X.shape[0]},), one label per row of X; got {y.shape}"
            )
        num_samples = _optional_positive_int("num_samples", num_samples)
        batch_size = _checks.positive_int("batch_size", batch_size)
        N = X.shape[0]
        if num_samples is not None and num_samples < N:
            subset = np.sort(self._eval_rng.choice(N, size=num_samples, replace=False))
            X, y, N = X[subset], y[subset], num_samples
        predictions = np.empty(N, dtype=np.int64)
        for start in range(0, N, batch_size):
            with np.errstate(over="ignore", invalid="ignore"):  # reported below, more clearly
                scores = self.model.loss(X[start : start + batch_size])
            if not np.all(np.isfinite(scores)):
                raise TrainingDivergedError(
                    "the model's scores are not finite (NaN or infinity), so no class can be "
                    "predicted; the parameters are too large (lower the learning rate or weight scale)"
                )
            predictions[start : start + batch_size] = np.argmax(scores, axis=1)
        return float(np.mean(predictions == y))

    def _evaluate(
        self, epoch_loss: float | None, learning_rate: float | None, last_epoch: int
    ) -> None:
        """Record both accuracies, keep the best parameters, checkpoint and report."""
        train_acc = self.check_accuracy(
            self.X_train, self.y_train, num_samples=self.num_train_samples
        )
        val_acc = self.check_accuracy(self.X_val, self.y_val, num_samples=self.num_val_samples)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        if val_acc > self.best_val_acc:
            self.best_val_acc = val_acc
            self.best_params = {name: w.copy() for name, w in self.model.params.items()}
            # batch-norm running statistics belong to the parameters they were gathered with
            self.best_state = get_model_state(self.model)
        if self.checkpoint_name is not None and self.epoch > 0:
            self.save_checkpoint(f"{self.checkpoint_name}_epoch_{self.epoch}.npz")
        if self.checkpoint_path is not None and self.epoch > 0:
            self.save_checkpoint(self.checkpoint_path)
        if self.verbose:
            loss = "     -" if epoch_loss is None else f"{epoch_loss:.4f}"
            lr = "-" if learning_rate is None else f"{learning_rate:.2e}"
            width = len(str(last_epoch))
            print(
                f"epoch {self.epoch:>{width}}/{last_epoch}  loss {loss}  "
                f"train acc {train_acc:.3f}  val acc {val_acc:.3f}  lr {lr}"
            )

    # --- training ---------------------------------------------------------------------------

    def train(self) -> None:
        """Run ``num_epochs`` epochs of minibatch updates, then restore the best parameters.

        Calling it again runs ``num_epochs`` more epochs from where the last
        call stopped (from the restored best parameters, with the histories,
        the optimizer state and the random streams carried on), as in CS231n.
        After :meth:`restore` from a checkpoint written during a call, it
        finishes that call: to ``num_epochs`` epochs after the epoch the call
        started at.

        Raises
        ------
        TrainingDivergedError
            When a loss, a gradient or an updated parameter becomes NaN or
            infinite. The model keeps the parameters and state of the last
            finite step; ``best_params`` holds the best ones seen before.
        """
        num_train = self.X_train.shape[0]
        batch_size = min(self.batch_size, num_train)
        iterations_per_epoch = num_train // batch_size
        if self._target_epoch is None:  # a new call (a restored run continues to its target)
            self._target_epoch = self.epoch + self.num_epochs
        last_epoch = self._target_epoch
        last_iteration = self.iteration + (last_epoch - self.epoch) * iterations_per_epoch
        try:
            if not self.val_acc_history:  # the starting point, "epoch 0"
                self._evaluate(None, self.optim_config.get("learning_rate"), last_epoch)
            while self.epoch < last_epoch:
                order = self._batch_rng.permutation(num_train)
                losses = []
                for b in range(iterations_per_epoch):
                    losses.append(self._step(order[b * batch_size : (b + 1) * batch_size]))
                    if self.verbose and self.print_every and self.iteration % self.print_every == 0:
                        print(
                            f"(Iteration {self.iteration} / {last_iteration}) loss: {losses[-1]:.6f}"
                        )
                learning_rate = self._learning_rate()
                self.epoch += 1
                self._decay_learning_rate()
                self._evaluate(float(np.mean(losses)), learning_rate, last_epoch)
        finally:
            self._target_epoch = None
        self._restore_best()

    def _restore_best(self) -> None:
        """Put the best parameters back, with the state they had (random streams go on)."""
        for name, w in self.best_params.items():
            self.model.params[name] = w.copy()
        state = dict(self.best_state)
        state.update((k, v) for k, v in get_model_state(self.model).items() if k.startswith("rng."))
        set_model_state(self.model, state)

    def _decay_learning_rate(self) -> None:
        if self.lr_decay == 1.0:
            return
        for name, config in self.optim_configs.items():
            if "learning_rate" not in config:
                raise ValueError(
                    f"lr_decay={self.lr_decay} needs a 'learning_rate' in the update rule's config; "
                    f"the config of {name!r} has keys {sorted(config)}"
                )
            config["learning_rate"] *= self.lr_decay

    # --- checkpoints ------------------------------------------------------------------------

    def hyperparameters(self) -> dict[str, Any]:
        """The settings of this run, as stored in checkpoints."""
        reg = getattr(self.model, "reg", None)
        return {
            "update_rule": self.update_rule_name,
            "optim_config": {
                k: v for k, v in self.optim_config.items() if not isinstance(v, np.ndarray)
            },
            "lr_decay": self.lr_decay,
            "batch_size": self.batch_size,
            "num_epochs": self.num_epochs,
            "num_train_samples": self.num_train_samples,
            "num_val_samples": self.num_val_samples,
            "model_reg": float(reg) if isinstance(reg, (int, float, np.number)) else None,
            "seed": (
                int(self.seed)
                if isinstance(self.seed, (int, np.integer))
                else None
                if self.seed is None
                else "Generator"
            ),
        }

    def _data_fingerprint(self) -> dict[str, Any]:
        """Shape, dtype and SHA-256 of the training and validation arrays (computed once)."""
        if self._data_digest is None:
            arrays = {"X_train": self.X_train, "y_train": self.y_train}
            arrays.update(X_val=self.X_val, y_val=self.y_val)
            self._data_digest = {
                key: {
                    "shape": list(a.shape),
                    "dtype": a.dtype.str,
                    "sha256": hashlib.sha256(np.ascontiguousarray(a).data).hexdigest(),
                }
                for key, a in arrays.items()
            }
        return self._data_digest

    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Write the whole state to ``path`` (``.npz``, atomically); see :meth:`restore`."""
        state = get_model_state(self.model)
        save_checkpoint(
            path,
            params=self.model.params,
            best_params=self.best_params,
            optim_configs=self.optim_configs,
            loss_history=self.loss_history,
            train_acc_history=self.train_acc_history,
            val_acc_history=self.val_acc_history,
            epoch=self.epoch,
            iteration=self.iteration,
            best_val_acc=self.best_val_acc,
            hyperparameters=self.hyperparameters(),
            state=state,
            best_state=self.best_state,
            target_epoch=self._target_epoch,
            rng_states={
                "batch": generator_state_json(self._batch_rng),
                "eval": generator_state_json(self._eval_rng),
            },
            model=describe_model(self.model, state),
            data=self._data_fingerprint(),
        )

    def restore(self, path: str | os.PathLike) -> Checkpoint:
        """Continue the run saved in the checkpoint ``path``: all of its state, or nothing.

        Build the Solver as the interrupted run was built (same model class and
        constructor arguments, same data and Solver arguments), call
        ``restore`` with a checkpoint it wrote at the end of an epoch, then
        :meth:`train`: the run continues from the next epoch and ends bitwise
        identical to the run that was never interrupted, parameters, histories
        and best accuracy included. Works across processes: everything is in
        the file.

        ``num_epochs`` may differ from the interrupted run's: the ``train()``
        call that was in progress then ends after ``num_epochs`` epochs counted
        from where it started, exactly as an uninterrupted call with this
        ``num_epochs`` would have ended (nothing else in an epoch depends on
        it). A checkpoint written after that point is refused. A checkpoint
        written when no ``train()`` call was in progress (by
        :meth:`save_checkpoint` after ``train()`` returned) continues like a
        further ``train()`` call: ``num_epochs`` more epochs.

        Parameters
        ----------
        path : str or path-like
            A checkpoint written by :meth:`save_checkpoint` (``checkpoint_name``
            or ``checkpoint_path``).

        Returns
        -------
        checkpoint : Checkpoint
            What was restored (as stored: its ``target_epoch`` is the one of the
            interrupted run).

        Raises
        ------
        ValueError
            Naming the file and the problem, if the file is damaged or foreign,
            or was written for another model, other data or other settings
            (update rule, optimizer config, lr_decay, batch size, accuracy
            samples, reg), in the middle of an epoch, or after the epoch this
            Solver's ``num_epochs`` ends at. The model and the Solver are then
            unchanged.
        OSError
            If the file cannot be opened.
        """
        name = os.fspath(path)
        checkpoint = read_checkpoint(name)
        try:
            target_epoch = self._check_restorable(checkpoint)
        except ValueError as error:
            raise ValueError(f"cannot restore from {name!r}: {error}") from None
        streams = {
            key: restore_generator(value, f"random stream {key!r}")
            for key, value in (checkpoint.rng_states or {}).items()
        }

        # everything checked: from here on nothing can fail half-way
        set_model_state(self.model, checkpoint.state)
        for param, value in checkpoint.params.items():
            self.model.params[param] = value.copy()
        self.best_params = {k: v.copy() for k, v in checkpoint.best_params.items()}
        self.best_state = {k: v.copy() for k, v in checkpoint.best_state.items()}
        self.optim_configs = {
            param: copy.deepcopy(config) for param, config in checkpoint.optim_configs.items()
        }
        self.loss_history = list(checkpoint.loss_history)
        self.train_acc_history = list(checkpoint.train_acc_history)
        self.val_acc_history = list(checkpoint.val_acc_history)
        self.epoch, self.iteration = checkpoint.epoch, checkpoint.iteration
        self.best_val_acc = checkpoint.best_val_acc
        self._target_epoch = target_epoch
        self._batch_rng, self._eval_rng = streams["batch"], streams["eval"]
        return checkpoint

    def _check_restorable(self, checkpoint: Checkpoint) -> int | None:
        """Raise ``ValueError`` unless this Solver can continue ``checkpoint`` exactly.

        Returns the epoch the resumed ``train()`` call ends at (None if the
        checkpoint was written outside a call). Changes nothing.
        """
        if checkpoint.rng_states is None or checkpoint.data is None or checkpoint.model is None:
            raise ValueError(
                "it was not written by a Solver (no random streams, model or data record)"
            )
        try:
            mine = as_metadata(self.hyperparameters(), "hyperparameters")
        except TypeError as error:
            raise ValueError(f"this Solver's settings cannot be stored in one: {error}") from None
        for key in (
            "update_rule",
            "optim_config",
            "lr_decay",
            "batch_size",
            "num_train_samples",
            "num_val_samples",
            "model_reg",
        ):
            stored = checkpoint.hyperparameters.get(key, "(absent)")
            if stored != mine[key]:
                raise ValueError(
                    f"it was written by a run with {key} = {stored!r}; this one has {mine[key]!r}"
                )
        for key, record in self._data_fingerprint().items():
            stored = checkpoint.data.get(key)
            if stored != record:
                stored = stored if isinstance(stored, dict) else {}
                field = next((f for f in ("shape", "dtype") if stored.get(f) != record[f]), None)
                how = (
                    "its values"
                    if field is None
                    else f"{field} {stored.get(field)} vs {record[field]}"
                )
                raise ValueError(
                    f"it was written while training on other data: {key} differs ({how})"
                )
        check_fits_model(checkpoint, self.model)
        batch = min(self.batch_size, self.X_train.shape[0])
        if checkpoint.iteration != checkpoint.epoch * (self.X_train.shape[0] // batch):
            raise ValueError(
                f"it was written in the middle of an epoch (iteration {checkpoint.iteration}, "
                f"epoch {checkpoint.epoch}); restore needs one written at the end of an epoch"
            )
        if set(checkpoint.optim_configs) != set(self.model.params):
            raise ValueError(
                f"it holds optimizer configs for {sorted(checkpoint.optim_configs)}, not for "
                f"the parameters {sorted(self.model.params)}"
            )
        if _is_builtin(self.update_rule):
            for param, config in checkpoint.optim_configs.items():
                try:
                    _dry_run(self.update_rule, self.model.params[param], config)
                except (TypeError, ValueError) as error:
                    raise ValueError(
                        f"its optimizer config for {param!r} does not fit: {error}"
                    ) from None
        return self._resumed_target_epoch(checkpoint)

    def _resumed_target_epoch(self, checkpoint: Checkpoint) -> int | None:
        """Where the ``train()`` call in progress in ``checkpoint`` ends with this ``num_epochs``."""
        if checkpoint.target_epoch is None:
            return None
        stored = checkpoint.hyperparameters.get("num_epochs")
        if isinstance(stored, bool) or not isinstance(stored, int) or not 0 < stored:
            raise ValueError(f"its hyperparameter num_epochs is {stored!r}, not a positive int")
        call_start = checkpoint.target_epoch - stored
        target = call_start + self.num_epochs
        if target < checkpoint.epoch:
            raise ValueError(
                f"it was written after epoch {checkpoint.epoch} of a train() call that started "
                f"at epoch {call_start}; with num_epochs = {self.num_epochs} this run ends at "
                f"epoch {target}, before that (use num_epochs >= {checkpoint.epoch - call_start})"
            )
        return target

    load_checkpoint = staticmethod(load_checkpoint)
