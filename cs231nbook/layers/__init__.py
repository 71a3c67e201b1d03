"""Layers as pure functions: every ``*_forward`` returns ``(out, cache)`` and
every ``*_backward(dout, cache)`` returns the gradients of the forward's array
arguments, in order.

The modules split by concern; this package re-exports the CS231n names, so
``from cs231nbook.layers import affine_forward`` works as in the course.
"""

from .activations import ReluCache, relu_backward, relu_forward
from .dropout import DropoutCache, dropout_backward, dropout_forward
from .linear import AffineCache, affine_backward, affine_forward
from .losses import softmax_loss, svm_loss

__all__ = [
    "AffineCache",
    "DropoutCache",
    "ReluCache",
    "affine_backward",
    "affine_forward",
    "dropout_backward",
    "dropout_forward",
    "relu_backward",
    "relu_forward",
    "softmax_loss",
    "svm_loss",
]
