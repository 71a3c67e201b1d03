r"""The transform matrices of Winograd's minimal filtering F(m, 3), as exact rationals.

A 1-D output tile of ``m`` values of a 3-tap correlation,
:math:`y_i = \sum_{k=0}^{2} g_k d_{i+k}`, reads ``alpha = m + 2`` inputs. Winograd's
algorithm computes it with ``alpha`` multiplications instead of ``3 m``:

.. math:: y = A^\top \left[ (G g) \odot (B^\top d) \right],

with :math:`A^\top` of shape ``(m, alpha)``, :math:`G` ``(alpha, 3)`` and
:math:`B^\top` ``(alpha, alpha)``. The matrices come from polynomial
interpolation (Toom-Cook, the Chinese remainder theorem) at the points
``0, 1, -1`` (F(2, 3)) or ``0, 1, -1, 2, -2`` (F(4, 3)) and the point at
infinity:

- :math:`A^\top` is the transpose of the evaluation matrix of a polynomial of
  degree ``m - 1`` at the points (the row of infinity picks the leading
  coefficient);
- :math:`G` evaluates the filter's polynomial at the points, each row divided
  by the Lagrange denominator :math:`\prod_{j \ne k} (p_k - p_j)` of its point;
- :math:`B^\top` holds, row ``k``, the coefficients of
  :math:`\prod_{j \ne k} (x - p_j)` (and, for infinity, of :math:`\prod_j (x - p_j)`).

The chapter *Winograd convolution* derives them with SymPy, and
``tests/test_winograd.py`` checks the tables below against that derivation,
entry by entry and exactly. The package itself needs no SymPy: the tables are
typed in here as ``fractions.Fraction`` and converted to the working dtype
by :func:`transform_matrices`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

import numpy as np


class WinogradTransform(NamedTuple):
    """The exact matrices of F(m, 3): ``AT`` (m, alpha), ``G`` (alpha, 3), ``BT`` (alpha, alpha)."""

    m: int
    points: tuple[Fraction, ...]  # the finite interpolation points; infinity is the last row
    AT: tuple[tuple[Fraction, ...], ...]
    G: tuple[tuple[Fraction, ...], ...]
    BT: tuple[tuple[Fraction, ...], ...]


def _rows(*rows: tuple) -> tuple[tuple[Fraction, ...], ...]:
    return tuple(tuple(Fraction(v) for v in row) for row in rows)


#: The exact transforms, keyed by the tile size ``m``.
TRANSFORMS: dict[int, WinogradTransform] = {
    2: WinogradTransform(
        m=2,
        points=(Fraction(0), Fraction(1), Fraction(-1)),
        AT=_rows((1, 1, 1, 0), (0, 1, -1, 1)),
        G=_rows((-1, 0, 0), ("1/2", "1/2", "1/2"), ("1/2", "-1/2", "1/2"), (0, 0, 1)),
        BT=_rows((-1, 0, 1, 0), (0, 1, 1, 0), (0, -1, 1, 0), (0, -1, 0, 1)),
    ),
    4: WinogradTransform(
        m=4,
        points=(Fraction(0), Fraction(1), Fraction(-1), Fraction(2), Fraction(-2)),
        AT=_rows(
            (1, 1, 1, 1, 1, 0),
            (0, 1, -1, 2, -2, 0),
            (0, 1, 1, 4, 4, 0),
            (0, 1, -1, 8, -8, 1),
        ),
        G=_rows(
            ("1/4", 0, 0),
            ("-1/6", "-1/6", "-1/6"),
            ("-1/6", "1/6", "-1/6"),
            ("1/24", "1/12", "1/6"),
            ("1/24", "-1/12", "1/6"),
            (0, 0, 1),
        ),
        BT=_rows(
            (4, 0, -5, 0, 1, 0),
            (0, -4, -4, 1, 1, 0),
            (0, 4, -4, -1, 1, 0),
            (0, -2, -1, 2, 1, 0),
            (0, 2, -1, -2, 1, 0),
            (0, 4, 0, -5, 0, 1),
        ),
    ),
}

#: The tile sizes the library supports.
TILE_SIZES: tuple[int, ...] = tuple(sorted(TRANSFORMS))


def transform_matrices(m: int, dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(AT, G, BT)`` of F(m, 3) as arrays of ``dtype``, each entry rounded once from its exact value.

    Parameters
    ----------
    m : int
        Tile size, one of :data:`~cs231nbook.fast_layers.winograd_transforms.TILE_SIZES` (2 or 4).
    dtype : dtype
        float32 or float64.

    Returns
    -------
    AT : ndarray of shape (m, m + 2)
    G : ndarray of shape (m + 2, 3)
    BT : ndarray of shape (m + 2, m + 2)
    """
    if m not in TRANSFORMS:
        raise ValueError(f"tile_size must be one of {list(TILE_SIZES)}; got {m!r}")
    t = TRANSFORMS[m]

    def array(table: tuple[tuple[Fraction, ...], ...]) -> np.ndarray:
        return np.array([[float(v) for v in row] for row in table], dtype=dtype)

    return array(t.AT), array(t.G), array(t.BT)
