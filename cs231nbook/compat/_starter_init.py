"""Initial weights drawn the way the CS231n starter draws them."""

from __future__ import annotations

import numpy as np


def redraw_weights(params: dict[str, np.ndarray], weight_scale: float | str, dtype) -> None:
    """Replace ``W1, W2, ...`` by ``weight_scale * np.random.randn(...)``, in order.

    The starter's models draw their weights from NumPy's global generator, one layer after
    the other, so ``np.random.seed(231)`` before building a model reproduces the published
    notebooks' numbers; biases, gammas and betas are not drawn. ``weight_scale='kaiming'``
    (a cs231nbook extension the starter does not have) keeps cs231nbook's own draw.
    """
    if isinstance(weight_scale, str):
        return
    scale = float(weight_scale)
    layer = 1
    while f"W{layer}" in params:
        shape = params[f"W{layer}"].shape
        params[f"W{layer}"] = (scale * np.random.randn(*shape)).astype(dtype)
        layer += 1
