"""Data sets: the bundled 8x8 digits (offline) and readers for the official CIFAR-10 files.

* :func:`load_digits` -- 1,797 handwritten digits shipped inside the package,
  already split, scaled and centred, ready for ``Solver``.
* :func:`load_cifar10`, :func:`get_cifar10_data` -- read CIFAR-10 from the
  official files, if you have them, without ever executing code from them.
"""

from ._safe_pickle import RefusedPickle
from .cifar10 import CIFAR10_CLASSES, get_cifar10_data, load_cifar10
from .digits import DIGITS_SHA256, DIGITS_SPLIT_SIZES, load_digits

__all__ = [
    "CIFAR10_CLASSES",
    "DIGITS_SHA256",
    "DIGITS_SPLIT_SIZES",
    "RefusedPickle",
    "get_cifar10_data",
    "load_cifar10",
    "load_digits",
]
