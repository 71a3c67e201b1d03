"""Models that follow the CS231n contract (``params`` dict, ``loss(X, y=None)``)."""

from .fc_net import FullyConnectedNet, TwoLayerNet

__all__ = ["FullyConnectedNet", "TwoLayerNet"]
