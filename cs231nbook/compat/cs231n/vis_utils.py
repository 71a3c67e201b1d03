"""``cs231n.vis_utils``: lay out a stack of small images as one grid image."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["visualize_grid"]


def visualize_grid(Xs: np.ndarray, ubound: float = 255.0, padding: int = 1) -> np.ndarray:
    """Tile images into a square grid, each rescaled to ``[0, ubound]`` on its own.

    Parameters
    ----------
    Xs : ndarray of shape (N, H, W, C)
        The images, channels last (first-layer filters: ``W1.transpose(0, 2, 3, 1)``).
    ubound : float, default 255.0
        Every image is mapped linearly from its own [min, max] onto [0, ubound]
        (a constant image maps to 0).
    padding : int, default 1
        Blank pixels between neighbouring images.

    Returns
    -------
    grid : ndarray of shape (G*H + (G-1)*padding, G*W + (G-1)*padding, C)
        With ``G = ceil(sqrt(N))``; cells past the N-th stay 0.
    """
    Xs = np.asarray(Xs)
    if Xs.ndim != 4:
        raise ValueError(f"Xs must have shape (N, H, W, C); got shape {Xs.shape}")
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
        raise ValueError(f"padding must be a non-negative int; got {padding!r}")
    N, H, W, C = Xs.shape
    side = math.ceil(math.sqrt(N))
    grid = np.zeros((side * H + (side - 1) * padding, side * W + (side - 1) * padding, C))
    for index, image in enumerate(Xs):
        row, col = divmod(index, side)
        low, high = image.min(), image.max()
        scaled = ubound * (image - low) / (high - low) if high > low else np.zeros_like(image)
        top, left = row * (H + padding), col * (W + padding)
        grid[top : top + H, left : left + W] = scaled
    return grid
