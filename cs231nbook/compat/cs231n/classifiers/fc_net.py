"""``cs231n.classifiers.fc_net``: ``FullyConnectedNet`` with the starter's semantics.

Like the starter's module, it also re-exports every layer and sandwich name, so that the
notebooks' ``from cs231n.classifiers.fc_net import *`` brings them.
"""

from __future__ import annotations

import numpy as np

from cs231nbook.classifiers import FullyConnectedNet as _FullyConnectedNet

from ..._starter_init import redraw_weights
from ..layer_utils import *  # noqa: F403
from ..layers import *  # noqa: F403


class FullyConnectedNet(_FullyConnectedNet):
    """:class:`cs231nbook.classifiers.FullyConnectedNet`, initialised as in the starter.

    - The weights come from NumPy's global generator (``np.random.seed`` reproduces them).
    - With batch norm, the running statistics start at zeros, as the starter's
      ``batchnorm_forward`` starts them (cs231nbook starts the variance at ones).
    - ``seed`` fixes the dropout masks: every call of ``loss`` uses the same masks, so the
      loss is a deterministic function of the parameters (what a numerical gradient check
      needs). Without ``seed`` every training call draws new masks.
    """

    def __init__(
        self,
        hidden_dims,
        input_dim=3 * 32 * 32,
        num_classes=10,
        dropout_keep_ratio=1,
        normalization=None,
        reg=0.0,
        weight_scale=1e-2,
        dtype=np.float32,
        seed=None,
    ):
        super().__init__(
            hidden_dims,
            input_dim=input_dim,
            num_classes=num_classes,
            dropout_keep_ratio=dropout_keep_ratio,
            normalization=normalization,
            reg=reg,
            weight_scale=weight_scale,
            dtype=dtype,
        )
        redraw_weights(self.params, weight_scale, self.dtype)
        if self.normalization == "batchnorm":
            # the starter's batchnorm_forward starts missing running statistics at zeros
            for layer, bn_param in enumerate(self.bn_params, start=1):
                zeros = np.zeros_like(self.params[f"gamma{layer}"])
                bn_param["running_mean"], bn_param["running_var"] = zeros, zeros.copy()
        if seed is not None:
            self.dropout_param["seed"] = seed
