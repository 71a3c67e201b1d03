"""Sandwich layers: common sequences of layers as one forward/backward pair.

``from cs231nbook.layer_utils import affine_relu_forward`` works as in CS231n;
the fully-connected sandwiches live in ``affine.py``, the convolutional ones in
``conv.py`` and the batch-normalized convolutional ones in ``conv_norm.py``.
"""

from .affine import (
    AffineBatchNormReluCache,
    AffineLayerNormReluCache,
    AffineReluCache,
    affine_bn_relu_backward,
    affine_bn_relu_forward,
    affine_ln_relu_backward,
    affine_ln_relu_forward,
    affine_relu_backward,
    affine_relu_forward,
)
from .conv import (
    ConvReluCache,
    ConvReluPoolCache,
    conv_relu_backward,
    conv_relu_forward,
    conv_relu_pool_backward,
    conv_relu_pool_forward,
)
from .conv_norm import (
    ConvBatchNormReluCache,
    ConvBatchNormReluPoolCache,
    conv_bn_relu_backward,
    conv_bn_relu_forward,
    conv_bn_relu_pool_backward,
    conv_bn_relu_pool_forward,
)

__all__ = [
    "AffineReluCache",
    "affine_relu_backward",
    "affine_relu_forward",
    # normalization sandwiches
    "AffineBatchNormReluCache",
    "AffineLayerNormReluCache",
    "affine_bn_relu_backward",
    "affine_bn_relu_forward",
    "affine_ln_relu_backward",
    "affine_ln_relu_forward",
    # convolutional sandwiches
    "ConvReluCache",
    "ConvReluPoolCache",
    "conv_relu_backward",
    "conv_relu_forward",
    "conv_relu_pool_backward",
    "conv_relu_pool_forward",
    # batch-normalized convolutional sandwiches
    "ConvBatchNormReluCache",
    "ConvBatchNormReluPoolCache",
    "conv_bn_relu_backward",
    "conv_bn_relu_forward",
    "conv_bn_relu_pool_backward",
    "conv_bn_relu_pool_forward",
]
