"""Models that follow the CS231n contract (``params`` dict, ``loss(X, y=None)``)."""

from .cnn import DeepConvNet, ThreeLayerConvNet
from .fc_net import FullyConnectedNet, TwoLayerNet
from .kaiming import kaiming_initializer

__all__ = [
    "DeepConvNet",
    "FullyConnectedNet",
    "ThreeLayerConvNet",
    "TwoLayerNet",
    "kaiming_initializer",
]
