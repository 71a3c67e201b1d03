"""``cs231n.layers``: the starter's layer functions, computed by :mod:`cs231nbook.layers`.

Three functions adapt the starter's semantics (see :mod:`cs231nbook.compat`); everything
else is cs231nbook's own function under the same name.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cs231nbook import layers as _layers
from cs231nbook.layers import (  # the starter's import surface
    AffineCache,
    BatchNormCache,
    ConvCache,
    DropoutCache,
    GroupNormCache,
    LayerNormCache,
    MaxPoolCache,
    ReluCache,
    SpatialBatchNormCache,
    affine_backward,
    affine_forward,
    batchnorm_backward,
    batchnorm_backward_alt,
    conv_backward_naive,
    conv_forward_naive,
    dropout_backward,
    layernorm_backward,
    layernorm_forward,
    max_pool_backward_naive,
    max_pool_forward_naive,
    relu_backward,
    relu_forward,
    softmax_loss,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
    spatial_groupnorm_backward,
    svm_loss,
)

__all__ = [
    "AffineCache",
    "BatchNormCache",
    "ConvCache",
    "DropoutCache",
    "GroupNormCache",
    "LayerNormCache",
    "MaxPoolCache",
    "ReluCache",
    "SpatialBatchNormCache",
    "affine_backward",
    "affine_forward",
    "batchnorm_backward",
    "batchnorm_backward_alt",
    "batchnorm_forward",
    "conv_backward_naive",
    "conv_forward_naive",
    "dropout_backward",
    "dropout_forward",
    "layernorm_backward",
    "layernorm_forward",
    "max_pool_backward_naive",
    "max_pool_forward_naive",
    "relu_backward",
    "relu_forward",
    "softmax_loss",
    "spatial_batchnorm_backward",
    "spatial_batchnorm_forward",
    "spatial_groupnorm_backward",
    "spatial_groupnorm_forward",
    "svm_loss",
]


def dropout_forward(x: np.ndarray, dropout_param: dict[str, Any]):
    """Inverted dropout with the starter's random stream.

    The mask comes from NumPy's global generator, seeded with ``dropout_param['seed']``
    first when it is given (so a seeded model's masks repeat call after call), as the
    starter does; ``p`` is the keep probability. The backward pass is cs231nbook's
    :func:`cs231nbook.layers.dropout_backward`.
    """
    if dropout_param.get("mode") != "train":
        # cs231nbook checks the arguments; in test mode dropout is the identity.
        return _layers.dropout_forward(x, dropout_param)
    # cs231nbook checks x and the parameters (test mode draws no mask) ...
    out, _ = _layers.dropout_forward(x, {**dropout_param, "mode": "test"})
    # ... and the mask comes from the global generator, as in the starter.
    if dropout_param.get("seed") is not None:
        np.random.seed(dropout_param["seed"])
    p = dropout_param["p"]
    mask = ((np.random.rand(*out.shape) < p) / p).astype(out.dtype)
    return out * mask, DropoutCache("train", mask)


def batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, bn_param: dict):
    """Batch norm whose missing running statistics start at zeros, as in the starter."""
    if bn_param.get("mode") == "train":
        d = np.shape(x)[-1] if np.ndim(x) == 2 else None
        if d is not None:
            dtype = np.result_type(np.asarray(x).dtype, np.float32)
            bn_param.setdefault("running_mean", np.zeros(d, dtype=dtype))
            bn_param.setdefault("running_var", np.zeros(d, dtype=dtype))
    return _layers.batchnorm_forward(x, gamma, beta, bn_param)


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param: dict):
    """Group norm that ignores keys the notebooks pass but group norm has no use for.

    The official notebook hands group norm a batch-norm parameter dict
    (``{'mode': 'train'}``); only ``'eps'`` means anything here.
    """
    known = {key: value for key, value in gn_param.items() if key == "eps"}
    return _layers.spatial_groupnorm_forward(x, gamma, beta, G, known)
