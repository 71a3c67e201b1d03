"""``cs231n.classifiers``: the starter's models."""

from .cnn import ThreeLayerConvNet
from .fc_net import FullyConnectedNet

__all__ = ["FullyConnectedNet", "ThreeLayerConvNet"]
