"""``cs231n.data_utils``: CIFAR-10 as the starter loads it, read by :mod:`cs231nbook.data`.

Where the files are
-------------------
``get_CIFAR10_data`` and ``load_CIFAR10`` look for the official CIFAR-10 files (the python
version ``cifar-10-batches-py`` or the binary version ``cifar-10-batches-bin``), in order:

1. the ``cifar10_dir`` argument, if given;
2. the directory named by the environment variable ``CS231N_CIFAR10_DIR``;
3. ``cs231n/datasets/`` under the current directory, where the starter's download script
   (``cs231n/datasets/get_datasets.sh``) puts them: a notebook run from the assignment
   folder finds them there.

When none holds the files, the error lists every place looked at. Nothing is downloaded.
Pickled batches are read with cs231nbook's restricted unpickler, so a tampered file cannot
run code.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from cs231nbook.data import get_cifar10_data, load_cifar10

__all__ = ["ENV_VAR", "get_CIFAR10_data", "load_CIFAR10", "locate_cifar10"]

ENV_VAR = "CS231N_CIFAR10_DIR"
_FOLDERS = ("cifar-10-batches-py", "cifar-10-batches-bin")


def _holds_cifar10(directory: Path) -> bool:
    return directory.is_dir() and (
        directory.name in _FOLDERS or any((directory / name).is_dir() for name in _FOLDERS)
    )


def locate_cifar10(cifar10_dir: str | os.PathLike | None = None) -> Path:
    """The directory that holds the CIFAR-10 files, looked for as the module docstring says.

    Raises
    ------
    FileNotFoundError
        Naming every place looked at, and how to point at the files.
    """
    candidates: list[tuple[str, Path]] = []
    if cifar10_dir is not None:
        candidates.append(("the cifar10_dir argument", Path(cifar10_dir)))
    if os.environ.get(ENV_VAR):
        candidates.append((f"${ENV_VAR}", Path(os.environ[ENV_VAR])))
    candidates.append(("the starter's folder", Path.cwd() / "cs231n" / "datasets"))
    for _, directory in candidates:
        if _holds_cifar10(directory):
            return directory
    looked = "; ".join(f"{how}: {path}" for how, path in candidates)
    raise FileNotFoundError(
        "CIFAR-10 not found (looked for cifar-10-batches-py or cifar-10-batches-bin in "
        f"{looked}). Download it with the starter's cs231n/datasets/get_datasets.sh, or set "
        f"{ENV_VAR} to the folder that holds it."
    )


def load_CIFAR10(ROOT: str | os.PathLike | None = None):  # noqa: N802, N803  (starter's names)
    """``Xtr, Ytr, Xte, Yte`` as the starter returns them: float64 images of shape
    (N, 32, 32, 3) with pixel values 0..255, and integer labels."""
    X_train, y_train, X_test, y_test = load_cifar10(locate_cifar10(ROOT))
    # (N, 3, 32, 32) uint8 -> (N, 32, 32, 3) float64, the starter's layout
    return (
        X_train.transpose(0, 2, 3, 1).astype(np.float64),
        y_train,
        X_test.transpose(0, 2, 3, 1).astype(np.float64),
        y_test,
    )


def get_CIFAR10_data(  # noqa: N802  (starter's name)
    num_training: int = 49000,
    num_validation: int = 1000,
    num_test: int = 1000,
    subtract_mean: bool = True,
    cifar10_dir: str | os.PathLike | None = None,
) -> dict[str, np.ndarray]:
    """The starter's split and preprocessing: ``X_train`` (num_training, 3, 32, 32), ``y_train``,
    ``X_val``, ``y_val``, ``X_test``, ``y_test``; float64 pixels on the 0..255 scale, minus the
    mean training image when ``subtract_mean``."""
    data = get_cifar10_data(
        locate_cifar10(cifar10_dir),
        num_training=num_training,
        num_validation=num_validation,
        num_test=num_test,
        subtract_mean=subtract_mean,
    )
    data.pop("mean_image")  # the starter's dict has the six arrays only
    return data
