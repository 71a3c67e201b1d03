"""``cs231n.gradient_check``: the numerical gradients of :mod:`cs231nbook.gradient_check`.

They perturb the array they are given in place and restore it, so the notebooks'
``f = lambda _: model.loss(X, y)[0]`` pattern, which reads ``model.params`` instead of
its argument, works as in the starter.
"""

from cs231nbook.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_check_sparse,
    rel_error,
)

__all__ = [
    "eval_numerical_gradient",
    "eval_numerical_gradient_array",
    "grad_check_sparse",
    "rel_error",
]
