"""Export the 8x8 handwritten digits into ``cs231nbook/data/digits.npz``.

Provenance
----------
Data set
    "Optical Recognition of Handwritten Digits" by E. Alpaydin and C. Kaynak
    (1998), UCI Machine Learning Repository,
    https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits,
    licensed under Creative Commons Attribution 4.0 (CC BY 4.0).
Which part
    The 1,797 images of the repository's test set (``optdigits.tes``), written
    by 13 people: 32x32 bitmaps cut into 4x4 blocks, each pixel counting the
    set bits of its block, so every value is an integer in 0..16. This is the
    copy scikit-learn ships as ``sklearn.datasets.load_digits``, which this
    script reads (scikit-learn is needed only here, at export time, never by
    the package: install it in a throw-away virtual environment).
How exported (the ``digits.npz`` members, all uint8)
    ``images`` (1797, 8, 8) the raw pixel counts 0..16, in the source's order;
    ``labels`` (1797,) the digit 0..9;
    ``split`` (1797,) 0 = train, 1 = validation, 2 = test. The split is
    stratified: within each class, a permutation drawn from
    ``np.random.default_rng(SPLIT_SEED)`` sends the first ``PER_CLASS_TEST``
    images to the test set, the next ``PER_CLASS_VAL`` to validation and the
    rest to training (300 test, 300 validation, 1,197 training images). The
    split is stored rather than recomputed at load time so that it can never
    change with a NumPy release.
    The archive is written member by member with a fixed timestamp, so the
    same input gives the same bytes, and the SHA-256 printed at the end is
    the one ``cs231nbook.data.digits.DIGITS_SHA256`` and the tests check.

Usage::

    python3 -m venv /tmp/export-venv
    /tmp/export-venv/bin/pip install numpy scikit-learn
    /tmp/export-venv/bin/python scripts/export_digits.py

Recorded result of the last export (scikit-learn 1.9.1, NumPy 2.4.6):
SHA-256 49e8c9e60909d90f2cfc6df7589b32bf1181e878faa9a2fde1951ee28be046ef (see DIGITS_SHA256).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np

SPLIT_SEED = 231
PER_CLASS_TEST = 30
PER_CLASS_VAL = 30
OUTPUT = Path(__file__).resolve().parents[1] / "cs231nbook" / "data" / "digits.npz"
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip header can hold


def stratified_split(labels: np.ndarray) -> np.ndarray:
    """0/1/2 (train/val/test) for every image, the same count of each class in val and test."""
    rng = np.random.default_rng(SPLIT_SEED)
    split = np.zeros(labels.shape, dtype=np.uint8)
    for digit in range(10):
        members = rng.permutation(np.flatnonzero(labels == digit))
        split[members[:PER_CLASS_TEST]] = 2
        split[members[PER_CLASS_TEST : PER_CLASS_TEST + PER_CLASS_VAL]] = 1
    return split


def write_reproducible_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Like ``np.savez_compressed`` but byte-for-byte reproducible (no current-time stamps)."""
    tmp = path.with_suffix(".npz.tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue(), compresslevel=9)
    tmp.replace(path)


def main() -> None:
    from sklearn.datasets import load_digits  # export-time only

    bunch = load_digits()
    pixels = bunch.images
    if pixels.shape != (1797, 8, 8) or not np.array_equal(pixels, np.round(pixels)):
        raise SystemExit(f"unexpected source images: shape {pixels.shape}")
    if pixels.min() < 0 or pixels.max() > 16:
        raise SystemExit(f"pixel values outside 0..16: [{pixels.min()}, {pixels.max()}]")
    images = pixels.astype(np.uint8)
    labels = bunch.target.astype(np.uint8)
    split = stratified_split(labels)

    write_reproducible_npz(OUTPUT, {"images": images, "labels": labels, "split": split})
    digest = hashlib.sha256(OUTPUT.read_bytes()).hexdigest()
    sizes = {name: int(np.sum(split == code)) for code, name in enumerate(("train", "val", "test"))}
    print(f"wrote {OUTPUT.name}: {OUTPUT.stat().st_size} bytes, split sizes {sizes}")
    print(f"SHA-256 {digest}")


if __name__ == "__main__":
    main()
