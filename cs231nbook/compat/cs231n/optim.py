"""``cs231n.optim``: the update rules of :mod:`cs231nbook.optim`."""

from cs231nbook.optim import adam, nesterov_momentum, rmsprop, sgd, sgd_momentum

__all__ = ["adam", "nesterov_momentum", "rmsprop", "sgd", "sgd_momentum"]
