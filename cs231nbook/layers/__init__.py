"""Layers as pure functions: every ``*_forward`` returns ``(out, cache)`` and
every ``*_backward(dout, cache)`` returns the gradients of the forward's array
arguments, in order.

The modules split by concern; this package re-exports the CS231n names, so
``from cs231nbook.layers import affine_forward`` works as in the course.

Every function checks its arguments as the whole library does (see
``cs231nbook._checks``): ``TypeError`` for a value of the wrong kind,
``ValueError`` for one out of range, an unknown key in a params dict, or a
shape that does not fit. Integer arrays are converted to the floating dtype of
``x``; masked arrays are refused. Every backward pass checks that its cache
came from its own forward pass (the naive and fast max-pooling caches are
interchangeable) and says where a wrong one came from.
"""

from .activations import ReluCache, relu_backward, relu_forward
from .conv_naive import ConvCache, conv_backward_naive, conv_forward_naive
from .dropout import DropoutCache, dropout_backward, dropout_forward
from .linear import AffineCache, affine_backward, affine_forward
from .losses import softmax_loss, svm_loss
from .normalization import (
    BatchNormCache,
    LayerNormCache,
    batchnorm_backward,
    batchnorm_backward_alt,
    batchnorm_forward,
    layernorm_backward,
    layernorm_forward,
)
from .pool_naive import MaxPoolCache, max_pool_backward_naive, max_pool_forward_naive
from .spatial_normalization import (
    GroupNormCache,
    SpatialBatchNormCache,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
    spatial_groupnorm_backward,
    spatial_groupnorm_forward,
)

__all__ = [
    "AffineCache",
    "ConvCache",
    "DropoutCache",
    "MaxPoolCache",
    "ReluCache",
    "affine_backward",
    "affine_forward",
    "conv_backward_naive",
    "conv_forward_naive",
    "dropout_backward",
    "dropout_forward",
    "max_pool_backward_naive",
    "max_pool_forward_naive",
    "relu_backward",
    "relu_forward",
    "softmax_loss",
    "svm_loss",
    # normalization
    "BatchNormCache",
    "GroupNormCache",
    "LayerNormCache",
    "SpatialBatchNormCache",
    "batchnorm_backward",
    "batchnorm_backward_alt",
    "batchnorm_forward",
    "layernorm_backward",
    "layernorm_forward",
    "spatial_batchnorm_backward",
    "spatial_batchnorm_forward",
    "spatial_groupnorm_backward",
    "spatial_groupnorm_forward",
]
