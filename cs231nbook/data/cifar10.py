"""CIFAR-10 from the official files, checked, and never executing code from them.

CIFAR-10 (A. Krizhevsky, 2009) cannot be shipped with the package; if you have
downloaded it, point :func:`load_cifar10` or :func:`get_cifar10_data` at it.
Both official versions are read:

* the **binary version** (``cifar-10-batches-bin``: ``data_batch_1.bin`` ...
  ``data_batch_5.bin``, ``test_batch.bin``), rows of one label byte and 3,072
  pixel bytes. It involves no pickle at all, so it is preferred when present.
* the **python version** (``cifar-10-batches-py``: ``data_batch_1`` ...
  ``data_batch_5``, ``test_batch``), Python 2 pickles of dicts with
  ``b'data'`` (uint8, 10000 x 3072) and ``b'labels'`` (list of ints). They are
  read with :class:`~cs231nbook.data._safe_pickle.RestrictedUnpickler`, which
  refuses any file that names a function other than NumPy's array
  reconstruction, and even that it answers with its own checked stand-ins.

Every batch is validated, and an error names the batch: a missing file, a
size that is not whole images, a data array of the wrong shape or type, a
label outside 0..9, or a batch holding a different number of images than the
others (the official batches hold 10,000 each; smaller files in the same
format, as the tests write, load too).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from numpy.typing import DTypeLike

from .. import _checks
from ._safe_pickle import RefusedPickle, safe_loads

CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
"""Class names in label order (the official ``batches.meta``)."""

IMAGE_SHAPE = (3, 32, 32)
PIXELS = 3 * 32 * 32  # one row: 1024 red, then 1024 green, then 1024 blue values, each row-major
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
_LAYOUTS = ("binary", "python")


def _find_batches(root: Path, layout: str) -> tuple[Path, str]:
    """The directory holding the batches, and which version they are."""
    candidates = [root / "cifar-10-batches-bin", root / "cifar-10-batches-py", root]
    for directory in candidates:
        for kind, first in (("binary", "data_batch_1.bin"), ("python", "data_batch_1")):
            if layout in ("auto", kind) and (directory / first).is_file():
                return directory, kind
    wanted = {
        "auto": "data_batch_1.bin or data_batch_1",
        "binary": "data_batch_1.bin",
        "python": "data_batch_1",
    }
    raise FileNotFoundError(
        f"no CIFAR-10 batches found under {str(root)!r}: looked for {wanted[layout]} in "
        f"{', '.join(repr(str(c)) for c in candidates)}. Download and unpack the official "
        "CIFAR-10 binary or python version there."
    )


def _read_binary_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    raw = np.fromfile(path, dtype=np.uint8)
    row = 1 + PIXELS
    if raw.size == 0 or raw.size % row:
        raise ValueError(
            f"CIFAR-10 batch {path.name} is corrupt: {raw.size} bytes is not a whole number of "
            f"{row}-byte records (one label byte and {PIXELS} pixel bytes each)"
        )
    records = raw.reshape(-1, row)  # (n, 1 + 3072)
    return records[:, 1:], records[:, 0].astype(np.int64)


def _read_python_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        batch = safe_loads(path.read_bytes())
    except RefusedPickle as error:
        raise RefusedPickle(f"CIFAR-10 batch {path.name} refused: {error}") from None
    except Exception as error:  # truncated or garbled streams fail in many ways
        raise ValueError(
            f"CIFAR-10 batch {path.name} is corrupt: not a readable pickle ({error})"
        ) from None
    if not isinstance(batch, dict):
        raise ValueError(f"CIFAR-10 batch {path.name} must hold a dict; got {type(batch).__name__}")
    batch = {
        key.decode("latin-1") if isinstance(key, bytes) else key: value
        for key, value in batch.items()
    }
    missing = [key for key in ("data", "labels") if key not in batch]
    if missing:
        raise ValueError(
            f"CIFAR-10 batch {path.name} lacks the key(s) {missing}; got {sorted(map(str, batch))}"
        )
    data, labels = batch["data"], batch["labels"]
    if (
        not isinstance(data, np.ndarray)
        or data.dtype != np.uint8
        or data.ndim != 2
        or data.shape[1] != PIXELS
    ):
        got = (
            f"{data.dtype} array of shape {data.shape}"
            if isinstance(data, np.ndarray)
            else type(data).__name__
        )
        raise ValueError(
            f"CIFAR-10 batch {path.name}: 'data' must be a uint8 array of shape (N, {PIXELS}); got {got}"
        )
    if not isinstance(labels, (list, np.ndarray)) or not all(
        isinstance(label, (int, np.integer)) and not isinstance(label, bool) for label in labels
    ):
        raise ValueError(f"CIFAR-10 batch {path.name}: 'labels' must be a list of integers")
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if labels.shape != (data.shape[0],):
        raise ValueError(
            f"CIFAR-10 batch {path.name} has {data.shape[0]} images but {labels.shape[0]} labels"
        )
    return data, labels


def _read_batch(directory: Path, name: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
    path = directory / (name + ".bin" if kind == "binary" else name)
    if not path.is_file():
        raise FileNotFoundError(f"CIFAR-10 batch {path.name} is missing from {str(directory)!r}")
    data, labels = (_read_binary_batch if kind == "binary" else _read_python_batch)(path)
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        bad = labels[(labels < 0) | (labels > 9)][0]
        raise ValueError(
            f"CIFAR-10 batch {path.name} holds the label {int(bad)}; labels must be in 0..9"
        )
    images = data.reshape(-1, *IMAGE_SHAPE)  # (n, 3072) -> (n, 3, 32, 32): rows are channel-major
    return images, labels


def load_cifar10(
    root: str | os.PathLike, layout: str = "auto"
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read the official CIFAR-10 batches, validating every file.

    Parameters
    ----------
    root : str or path-like
        The directory that holds ``cifar-10-batches-bin`` or
        ``cifar-10-batches-py``, or one of those directories itself.
    layout : {'auto', 'binary', 'python'}, default 'auto'
        Which official version to read; ``'auto'`` prefers the binary
        version (no pickle involved) when both are present.

    Returns
    -------
    X_train : ndarray of shape (50000, 3, 32, 32), uint8
    y_train : ndarray of shape (50000,), int64
    X_test : ndarray of shape (10000, 3, 32, 32), uint8
    y_test : ndarray of shape (10000,), int64
        Raw pixel values 0..255 and labels 0..9 (names in
        ``CIFAR10_CLASSES``), in the files' order. Unlike CS231n's
        ``load_CIFAR10`` (float, (N, 32, 32, 3)), images are already NCHW and
        still uint8, a quarter of the memory; :func:`get_cifar10_data` does the
        conversion.

    Raises
    ------
    FileNotFoundError
        If no batches are found, or one batch is missing (named in the message).
    ValueError
        If a batch is corrupt: not whole images, wrong array shape or dtype,
        labels outside 0..9, or a different number of images than the others.
    RefusedPickle
        (a ``pickle.UnpicklingError``) if a python-version batch names anything
        but NumPy's array reconstruction; nothing from the file is run.
    """
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a path to the CIFAR-10 files; got {type(root).__name__}")
    _checks.choice("layout", layout, ("auto",) + _LAYOUTS)
    directory, kind = _find_batches(Path(root), layout)
    batches = {name: _read_batch(directory, name, kind) for name in TRAIN_BATCHES + (TEST_BATCH,)}
    counts = {name: len(labels) for name, (_, labels) in batches.items()}
    if len(set(counts.values())) != 1:
        usual = max(set(counts.values()), key=list(counts.values()).count)
        odd = [f"{name} ({n} images)" for name, n in counts.items() if n != usual]
        raise ValueError(
            f"CIFAR-10 batches must all hold the same number of images ({usual} in most here); "
            f"truncated or corrupt: {', '.join(odd)}"
        )
    X_train = np.concatenate([batches[name][0] for name in TRAIN_BATCHES])
    y_train = np.concatenate([batches[name][1] for name in TRAIN_BATCHES])
    X_test, y_test = batches[TEST_BATCH]
    return X_train, y_train, X_test, y_test


def get_cifar10_data(
    root: str | os.PathLike,
    num_training: int = 49000,
    num_validation: int = 1000,
    num_test: int = 1000,
    subtract_mean: bool = True,
    dtype: DTypeLike = np.float64,
    layout: str = "auto",
) -> dict[str, np.ndarray]:
    """CIFAR-10 split and preprocessed as in CS231n, in the dict the Solver takes.

    The first ``num_training`` training images train, the next
    ``num_validation`` validate, and the first ``num_test`` test images test.
    Pixels stay on the 0..255 scale (as in CS231n, so its learning rates
    carry over); with ``subtract_mean`` the mean training image is
    subtracted from all three sets.

    Parameters
    ----------
    root : str or path-like
        As for :func:`load_cifar10`.
    num_training, num_validation, num_test : int
        Sizes of the three sets; ``num_training + num_validation`` must not
        exceed the training images available, nor ``num_test`` the test images.
    subtract_mean : bool, default True
    dtype : float32 or float64, default float64
        Of the images (CS231n uses float64; float32 halves the 1.2 GB).
    layout : {'auto', 'binary', 'python'}, default 'auto'

    Returns
    -------
    data : dict
        ``X_train`` (num_training, 3, 32, 32), ``y_train`` (num_training,),
        ``X_val``, ``y_val``, ``X_test``, ``y_test`` likewise (labels int64),
        and ``mean_image`` (3, 32, 32), what was subtracted (zeros without
        ``subtract_mean``).
    """
    num_training = _checks.positive_int("num_training", num_training)
    num_validation = _checks.positive_int("num_validation", num_validation)
    num_test = _checks.positive_int("num_test", num_test)
    subtract_mean = _checks.boolean("subtract_mean", subtract_mean)
    dtype = _checks.dtype("dtype", dtype)

    X_train, y_train, X_test, y_test = load_cifar10(root, layout=layout)
    if num_training + num_validation > len(X_train):
        raise ValueError(
            f"num_training + num_validation = {num_training} + {num_validation} exceeds the "
            f"{len(X_train)} training images"
        )
    if num_test > len(X_test):
        raise ValueError(f"num_test = {num_test} exceeds the {len(X_test)} test images")

    parts = {
        "train": (X_train[:num_training], y_train[:num_training]),
        "val": (
            X_train[num_training : num_training + num_validation],
            y_train[num_training : num_training + num_validation],
        ),
        "test": (X_test[:num_test], y_test[:num_test]),
    }
    # the mean is accumulated in float64 whatever the output dtype
    mean_image = (
        parts["train"][0].mean(axis=0, dtype=np.float64) if subtract_mean else np.zeros(IMAGE_SHAPE)
    )
    data: dict[str, np.ndarray] = {}
    for name, (X, y) in parts.items():
        centred = X.astype(dtype)
        centred -= mean_image.astype(dtype)
        data[f"X_{name}"], data[f"y_{name}"] = centred, y.copy()
    data["mean_image"] = mean_image.astype(dtype)
    return data
