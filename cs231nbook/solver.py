"""The Solver: minibatch training of any model that follows the CS231n contract.

A model is anything with a ``params`` dict of arrays and a method
``loss(X, y=None)`` that returns class scores of shape (N, C) when ``y`` is
None and ``(loss, grads)`` otherwise, ``grads`` keyed like ``params``.

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
import math
import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import _checks
from .checkpoint import load_checkpoint, load_state_into, model_state, save_checkpoint

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


def _check_data(data: Any) -> Mapping[str, np.ndarray]:
    """Check the data dict: images of one example shape in both splits, one integer label per image."""
    _checks.param_dict("data", data, ("X_train", "y_train", "X_val", "y_val"))
    example_shape = None
    for split in ("train", "val"):
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
                f"data['X_val'] examples must have the shape of data['X_train'] examples {example_shape}; "
                f"got {X.shape[1:]}"
            )
    return data


def _optional_positive_int(name: str, value: Any) -> int | None:
    return None if value is None else _checks.positive_int(name, value)


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
        Has ``params`` (dict of str to ndarray) and ``loss(X, y=None)``.
    data : dict
        ``X_train`` of shape (N_train, ...) float, ``y_train`` (N_train,) integer,
        ``X_val`` (N_val, ...), ``y_val`` (N_val,); other keys are ignored. The
        arrays are read, never modified.
    update_rule : str or callable, default 'sgd'
        A name from ``cs231nbook.optim`` (``'sgd'``, ``'sgd_momentum'``,
        ``'nesterov_momentum'``, ``'rmsprop'``, ``'adam'``), or any function
        ``rule(w, dw, config) -> (next_w, config)``.
    optim_config : dict, optional
        Hyperparameters for the update rule (e.g. ``{'learning_rate': 1e-3}``).
        Every parameter gets its own deep copy, since the rule keeps per-parameter
        state (velocities, moving averages) in it.
    lr_decay : float, default 1.0
        Factor applied to ``learning_rate`` in every config after each epoch.
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
        The model's batch-norm running statistics at that moment (see
        :func:`cs231nbook.checkpoint.model_state`), restored with ``best_params``
        at the end of training so that test mode uses statistics that match them.
    optim_configs : dict
        Parameter name to the update rule's config for that parameter.
    epoch : int
        Completed epochs.
    iteration : int
        Completed minibatch steps.

    Raises
    ------
    TrainingDivergedError
        (a ``FloatingPointError``) from :meth:`train` as soon as a minibatch
        loss, a gradient, a parameter or the scores are NaN or infinite,
        typically because the learning rate or weight scale is too large.
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
    ) -> None:
        if not isinstance(getattr(model, "params", None), dict) or not callable(
            getattr(model, "loss", None)
        ):
            raise TypeError(
                f"model must have a params dict and a loss(X, y=None) method; got {type(model).__name__}"
            )
        self.model = model
        data = _check_data(data)
        self.X_train, self.y_train = data["X_train"], data["y_train"]
        self.X_val, self.y_val = data["X_val"], data["y_val"]

        self.update_rule_name, self.update_rule = _resolve_update_rule(update_rule)
        if optim_config is None:
            optim_config = {}
        _checks.param_dict("optim_config", optim_config)
        self.optim_config = dict(optim_config)
        if (
            isinstance(lr_decay, bool)
            or not isinstance(lr_decay, (int, float, np.floating))
            or not lr_decay > 0
        ):
            raise ValueError(f"lr_decay must be a positive number; got {lr_decay!r}")
        self.lr_decay = float(lr_decay)
        self.batch_size = _checks.positive_int("batch_size", batch_size)
        self.num_epochs = _checks.positive_int("num_epochs", num_epochs)
        self.num_train_samples = _optional_positive_int("num_train_samples", num_train_samples)
        self.num_val_samples = _optional_positive_int("num_val_samples", num_val_samples)
        if checkpoint_name is not None and not isinstance(checkpoint_name, (str, os.PathLike)):
            raise TypeError(
                f"checkpoint_name must be a str, a path or None; got {checkpoint_name!r}"
            )
        self.checkpoint_name = None if checkpoint_name is None else os.fspath(checkpoint_name)
        self.print_every = _optional_positive_int("print_every", print_every)
        if not isinstance(verbose, (bool, np.bool_)):
            raise TypeError(f"verbose must be True or False; got {verbose!r}")
        self.verbose = bool(verbose)
        if isinstance(seed, bool) or not (
            seed is None or isinstance(seed, (int, np.integer, np.random.Generator))
        ):
            raise TypeError(f"seed must be an int, a numpy Generator or None; got {seed!r}")
        self.seed = seed
        self._reset()

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
        # two independent streams, so that measuring accuracy never changes the minibatch order
        if isinstance(self.seed, np.random.Generator):
            batch_seed, eval_seed = self.seed.integers(2**63, size=2)
        else:
            batch_seed, eval_seed = np.random.SeedSequence(self.seed).spawn(2)
        self._batch_rng = np.random.default_rng(batch_seed)
        self._eval_rng = np.random.default_rng(eval_seed)

    # --- one step ---------------------------------------------------------------------------

    def _step(self, batch: np.ndarray) -> float:
        """One update of every parameter on the minibatch ``batch`` (indices into the training set)."""
        X_batch, y_batch = self.X_train[batch], self.y_train[batch]
        # a diverging run would only print overflow warnings before the check below says it clearly
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            loss, grads = self.model.loss(X_batch, y_batch)
        loss = float(loss)
        bad = [name for name, g in grads.items() if not np.all(np.isfinite(g))]
        if not math.isfinite(loss) or bad:
            what = (
                f"the loss is {loss}"
                if not math.isfinite(loss)
                else f"the gradients of {bad} are not finite"
            )
            raise TrainingDivergedError(
                f"training diverged at iteration {self.iteration + 1} (epoch {self.epoch + 1}): {what}. "
                f"Lower the learning rate (now {self._learning_rate()}) or the weight scale."
            )
        for name, w in self.model.params.items():
            next_w, config = self.update_rule(w, grads[name], self.optim_configs[name])
            self.model.params[name] = next_w
            self.optim_configs[name] = config
        bad = [name for name, w in self.model.params.items() if not np.all(np.isfinite(w))]
        if bad:
            raise TrainingDivergedError(
                f"training diverged at iteration {self.iteration + 1} (epoch {self.epoch + 1}): the update "
                f"made {bad} non-finite. Lower the learning rate (now {self._learning_rate()})."
            )
        self.iteration += 1
        self.loss_history.append(loss)
        return loss

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
        TrainingDivergedError
            If the model's scores are NaN or infinite.
        """
        X = _checks.float_array("X", X, min_ndim=2)
        if (
            not isinstance(y, np.ndarray)
            or not np.issubdtype(y.dtype, np.integer)
            or y.shape != (X.shape[0],)
        ):
            got = (
                f"shape {y.shape}, dtype {y.dtype}"
                if isinstance(y, np.ndarray)
                else type(y).__name__
            )
            raise ValueError(f"y must be an integer array of shape ({X.shape[0]},); got {got}")
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
            self.best_state = model_state(self.model)
        if self.checkpoint_name is not None and self.epoch > 0:
            self.save_checkpoint(f"{self.checkpoint_name}_epoch_{self.epoch}.npz")
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

        Raises
        ------
        TrainingDivergedError
            When a loss or gradient becomes NaN or infinite. The model keeps
            the parameters of the last finite step; ``best_params`` holds the
            best ones seen before.
        """
        num_train = self.X_train.shape[0]
        batch_size = min(self.batch_size, num_train)
        iterations_per_epoch = num_train // batch_size
        last_epoch = self.epoch + self.num_epochs
        last_iteration = self.iteration + self.num_epochs * iterations_per_epoch

        if not self.val_acc_history:  # the starting point, "epoch 0"
            self._evaluate(None, self.optim_config.get("learning_rate"), last_epoch)
        while self.epoch < last_epoch:
            order = self._batch_rng.permutation(num_train)
            losses = []
            for b in range(iterations_per_epoch):
                losses.append(self._step(order[b * batch_size : (b + 1) * batch_size]))
                if self.verbose and self.print_every and self.iteration % self.print_every == 0:
                    print(f"(Iteration {self.iteration} / {last_iteration}) loss: {losses[-1]:.6f}")
            learning_rate = self._learning_rate()
            self.epoch += 1
            self._decay_learning_rate()
            self._evaluate(float(np.mean(losses)), learning_rate, last_epoch)

        for name, w in self.best_params.items():
            self.model.params[name] = w.copy()
        load_state_into(self.model, self.best_state)

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
            "seed": (
                self.seed
                if self.seed is None or isinstance(self.seed, (int, np.integer))
                else "Generator"
            ),
        }

    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Write the current state to ``path`` (``.npz``, atomically); read it back with ``load_checkpoint``."""
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
            state=model_state(self.model),
            best_state=self.best_state,
        )

    load_checkpoint = staticmethod(load_checkpoint)
