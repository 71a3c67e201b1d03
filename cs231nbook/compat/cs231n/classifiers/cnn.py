"""``cs231n.classifiers.cnn``: ``ThreeLayerConvNet`` with the starter's initialisation.

Like the starter's module, it re-exports every layer, fast-layer and sandwich name.
"""

from __future__ import annotations

import numpy as np

from cs231nbook.classifiers import ThreeLayerConvNet as _ThreeLayerConvNet

from ..._starter_init import redraw_weights
from ..fast_layers import *  # noqa: F403
from ..layer_utils import *  # noqa: F403
from ..layers import *  # noqa: F403


class ThreeLayerConvNet(_ThreeLayerConvNet):
    """:class:`cs231nbook.classifiers.ThreeLayerConvNet` with weights from NumPy's global
    generator, drawn in the starter's order (``W1``, ``W2``, ``W3``)."""

    def __init__(
        self,
        input_dim=(3, 32, 32),
        num_filters=32,
        filter_size=7,
        hidden_dim=100,
        num_classes=10,
        weight_scale=1e-3,
        reg=0.0,
        dtype=np.float32,
    ):
        super().__init__(
            input_dim=input_dim,
            num_filters=num_filters,
            filter_size=filter_size,
            hidden_dim=hidden_dim,
            num_classes=num_classes,
            weight_scale=weight_scale,
            reg=reg,
            dtype=dtype,
        )
        redraw_weights(self.params, weight_scale, self.dtype)
