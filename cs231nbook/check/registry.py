"""Every function the checker knows: where it lives in the starter, how it is checked, and
where the book derives it. Each function is checked once, in the module that defines it
(``fc_net.py``, ``cnn.py`` and ``layer_utils.py`` re-export the layers)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from . import checks_conv, checks_layers, checks_models, checks_optim
from .outcome import Outcome


@dataclass(frozen=True)
class Check:
    key: str  # "<module under cs231n>.<name>", as in the JSON report
    check: Callable[[ModuleType, Outcome], None]
    chapter: str  # "Chapter title: section title" in the book
    # the student's functions it runs on too (a model calls the layers): when one of them
    # fails its own check, the report says so next to this one's failure
    uses: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        return "cs231n." + self.key.rsplit(".", 1)[0]

    @property
    def name(self) -> str:
        return self.key.rsplit(".", 1)[1]


_AFFINE = "Affine, ReLU and the losses: The affine layer"
_RELU = "Affine, ReLU and the losses: ReLU and its subgradient"
_BN = "Batch normalization: The backward pass, node by node"
_CONV = "Convolution: The backward pass, derived"
_POOL = "Max pooling: The derivative of a maximum"
_SPATIAL = "Spatial batch norm and group norm"
_RULES = "Update rules"

_CNN_LAYERS = tuple(
    f"layers.{name}"
    for name in ("affine_forward", "affine_backward", "relu_forward", "relu_backward")
) + ("layers.softmax_loss",)
_FC_LAYERS = _CNN_LAYERS + tuple(
    f"layers.{name}"
    for name in (
        "batchnorm_forward",
        "batchnorm_backward",
        "batchnorm_backward_alt",
        "layernorm_forward",
        "layernorm_backward",
        "dropout_forward",
        "dropout_backward",
    )
)

CHECKS: tuple[Check, ...] = (
    Check("layers.affine_forward", checks_layers.check_affine_forward, _AFFINE),
    Check("layers.affine_backward", checks_layers.check_affine_backward, _AFFINE),
    Check("layers.relu_forward", checks_layers.check_relu_forward, _RELU),
    Check("layers.relu_backward", checks_layers.check_relu_backward, _RELU),
    Check(
        "layers.softmax_loss",
        checks_layers.check_softmax_loss,
        "Affine, ReLU and the losses: Softmax cross-entropy",
    ),
    Check(
        "layers.svm_loss",
        checks_layers.check_svm_loss,
        "Affine, ReLU and the losses: Multiclass SVM (hinge) loss",
    ),
    Check(
        "layers.batchnorm_forward",
        checks_layers.check_batchnorm_forward,
        "Batch normalization: The forward pass as a computation graph",
    ),
    Check("layers.batchnorm_backward", checks_layers.check_batchnorm_backward, _BN),
    Check(
        "layers.batchnorm_backward_alt",
        checks_layers.check_batchnorm_backward_alt,
        "Batch normalization: The closed form, derived",
    ),
    Check(
        "layers.layernorm_forward",
        checks_layers.check_layernorm_forward,
        "Batch normalization: Layer normalization",
    ),
    Check(
        "layers.layernorm_backward",
        checks_layers.check_layernorm_backward,
        "Batch normalization: Layer normalization",
    ),
    Check(
        "layers.dropout_forward", checks_layers.check_dropout_forward, "Dropout: Why scale by 1/p"
    ),
    Check(
        "layers.dropout_backward",
        checks_layers.check_dropout_backward,
        "Dropout: The backward pass",
    ),
    Check(
        "layers.conv_forward_naive",
        checks_conv.check_conv_forward_naive,
        "Convolution: What the layer computes",
    ),
    Check("layers.conv_backward_naive", checks_conv.check_conv_backward_naive, _CONV),
    Check(
        "layers.max_pool_forward_naive",
        checks_conv.check_max_pool_forward_naive,
        "Max pooling: What the layer computes",
    ),
    Check("layers.max_pool_backward_naive", checks_conv.check_max_pool_backward_naive, _POOL),
    Check(
        "layers.spatial_batchnorm_forward",
        checks_conv.check_spatial_batchnorm_forward,
        _SPATIAL + ": Spatial batch norm is a reshape",
    ),
    Check(
        "layers.spatial_batchnorm_backward",
        checks_conv.check_spatial_batchnorm_backward,
        _SPATIAL + ": Why the backward pass is the same reshape",
    ),
    Check(
        "layers.spatial_groupnorm_forward",
        checks_conv.check_spatial_groupnorm_forward,
        _SPATIAL + ": Group norm is a reshape too",
    ),
    Check(
        "layers.spatial_groupnorm_backward",
        checks_conv.check_spatial_groupnorm_backward,
        _SPATIAL + ": Group norm, checked",
    ),
    Check("optim.sgd", checks_optim.check_sgd, _RULES + ": Stochastic gradient descent"),
    Check("optim.sgd_momentum", checks_optim.check_sgd_momentum, _RULES + ": Momentum"),
    Check(
        "optim.rmsprop",
        checks_optim.check_rmsprop,
        _RULES + ": RMSProp: a step size per coordinate",
    ),
    Check("optim.adam", checks_optim.check_adam, _RULES + ": Adam and its bias correction"),
    Check(
        "classifiers.fc_net.FullyConnectedNet",
        checks_models.check_fully_connected_net,
        "Fully-connected nets and the Solver: The models",
        uses=_FC_LAYERS,
    ),
    Check(
        "classifiers.cnn.ThreeLayerConvNet",
        checks_models.check_three_layer_conv_net,
        "Conv nets: The three-layer conv net",
        uses=_CNN_LAYERS,
    ),
)

BY_KEY = {check.key: check for check in CHECKS}
