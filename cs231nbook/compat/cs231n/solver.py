"""``cs231n.solver``: cs231nbook's :class:`~cs231nbook.solver.Solver` with the starter's call."""

from __future__ import annotations

from typing import Any

import numpy as np

from cs231nbook.solver import Solver as _Solver
from cs231nbook.solver import TrainingDivergedError

__all__ = ["Solver"]

_STARTER_KWARGS = (
    "update_rule",
    "optim_config",
    "lr_decay",
    "batch_size",
    "num_epochs",
    "num_train_samples",
    "num_val_samples",
    "checkpoint_name",
    "print_every",
    "verbose",
)


class Solver(_Solver):
    """``Solver(model, data, **kwargs)`` with the starter's keyword arguments.

    Training is cs231nbook's (epochs of shuffled minibatches; ``.npz`` checkpoints
    instead of pickles). The minibatch stream is seeded from NumPy's global generator,
    so ``np.random.seed(231)`` before building the solver makes a run repeat, as the
    notebooks expect. A ``seed`` keyword, if given, is used instead.

    A run that diverges does not raise, as in the starter (whose loss simply turns NaN,
    so that a learning-rate search can go on past a bad setting): training stops at the
    first non-finite step with a one-line message, and the best parameters seen so far
    are put back, as at the end of any run.
    """

    def __init__(self, model: Any, data: dict, **kwargs: Any) -> None:
        unknown = sorted(set(kwargs) - set(_STARTER_KWARGS) - {"seed"})
        if unknown:
            raise ValueError(
                f"Unrecognized arguments {', '.join(unknown)}; the Solver takes "
                f"{', '.join(_STARTER_KWARGS)}"
            )
        if kwargs.get("seed") is None:
            kwargs["seed"] = int(np.random.randint(2**31 - 1))
        super().__init__(model, data, **kwargs)

    def train(self) -> None:
        """cs231nbook's training loop; a divergence ends it instead of raising."""
        try:
            super().train()
        except TrainingDivergedError as error:
            if self.verbose:
                print(f"(stopped: {error})")
            self._restore_best()
