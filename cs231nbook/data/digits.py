"""The 8x8 handwritten digits, bundled with the package so every chapter runs offline.

1,797 grey-scale images of the digits 0-9 from the UCI "Optical Recognition of
Handwritten Digits" data set (E. Alpaydin and C. Kaynak, 1998; CC BY 4.0).
Each pixel counts the set bits of a 4x4 block of a 32x32 bitmap, so it is an
integer in 0..16. ``scripts/export_digits.py`` wrote ``digits.npz`` and
documents where it came from; the file's SHA-256 is ``DIGITS_SHA256``.
"""

from __future__ import annotations

import hashlib
import io
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import DTypeLike

from .. import _checks

if TYPE_CHECKING:  # importlib.abc.Traversable: Python 3.10 has it only there
    from importlib.abc import Traversable

DIGITS_SHA256 = "49e8c9e60909d90f2cfc6df7589b32bf1181e878faa9a2fde1951ee28be046ef"
"""SHA-256 of the bundled ``digits.npz`` (checked on every load)."""

DIGITS_SPLIT_SIZES = {"train": 1197, "val": 300, "test": 300}
"""Images in each part of the fixed split (30 per class in validation and in test)."""

MAX_PIXEL = 16  # the largest possible count of set bits in a 4x4 block


def digits_path() -> Traversable:
    """A ``Traversable`` for the bundled ``digits.npz`` (a real file in any normal install)."""
    return resources.files(__package__).joinpath("digits.npz")


def load_raw_digits() -> dict[str, np.ndarray]:
    """The bundled file as stored: ``images`` (1797, 8, 8), ``labels`` and ``split``, all uint8.

    Raises
    ------
    OSError
        If the file is missing or its SHA-256 is not ``DIGITS_SHA256``
        (a damaged or replaced install).
    """
    raw = digits_path().read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != DIGITS_SHA256:
        raise OSError(
            f"the bundled digits.npz is damaged: SHA-256 {digest}, expected {DIGITS_SHA256}; "
            "reinstall cs231nbook"
        )
    with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
        return {name: archive[name] for name in ("images", "labels", "split")}


def load_digits(dtype: DTypeLike = np.float64, subtract_mean: bool = True) -> dict[str, np.ndarray]:
    r"""The digits, split, scaled and centred, in the dict ``Solver`` takes.

    The split is fixed (stored in the file, so it never changes): stratified
    by class, 1,197 training, 300 validation and 300 test images, with 30
    images of every digit in validation and 30 in test. Within each part the
    images keep the source order.

    Parameters
    ----------
    dtype : float32 or float64, default float64
        Of the images. float64 suits gradient checks and makes results
        reproducible across CPUs; float32 halves the memory (models cast the
        input to their own dtype anyway).
    subtract_mean : bool, default True
        Subtract the mean *training* image from every image (validation and
        test included, so no information leaks from them).

    Returns
    -------
    data : dict
        ``X_train`` (1197, 1, 8, 8), ``y_train`` (1197,), ``X_val`` (300, 1, 8, 8),
        ``y_val`` (300,), ``X_test`` (300, 1, 8, 8), ``y_test`` (300,): images
        of shape (N, C=1, H=8, W=8) in ``dtype``, labels int64 in 0..9.
        ``mean_image`` (1, 8, 8): what was subtracted (zeros when
        ``subtract_mean`` is False), so ``X + mean_image`` is the scaled image.

    Raises
    ------
    ValueError, TypeError
        For a ``dtype`` other than float32/float64 or a non-bool ``subtract_mean``.

    Notes
    -----
    With :math:`p \in \{0, \dots, 16\}` the stored pixel count and
    :math:`\mu` the mean of the scaled training images,

    .. math:: x = \frac{p}{16} - \mu,

    so the scaled pixels lie in :math:`[0, 1]` before centring.
    """
    dtype = _checks.dtype("dtype", dtype)
    subtract_mean = _checks.boolean("subtract_mean", subtract_mean)

    raw = load_raw_digits()
    images = (raw["images"].astype(np.float64) / MAX_PIXEL)[
        :, None, :, :
    ]  # (1797, 8, 8) -> (1797, 1, 8, 8)
    labels = raw["labels"].astype(np.int64)
    parts = {"train": raw["split"] == 0, "val": raw["split"] == 1, "test": raw["split"] == 2}

    # the mean is taken in float64 and only then cast, so both dtypes centre alike
    mean_image = images[parts["train"]].mean(axis=0) if subtract_mean else np.zeros((1, 8, 8))
    data: dict[str, np.ndarray] = {}
    for name, mask in parts.items():
        data[f"X_{name}"] = (images[mask] - mean_image).astype(dtype)
        data[f"y_{name}"] = labels[mask]
    data["mean_image"] = mean_image.astype(dtype)
    return data
