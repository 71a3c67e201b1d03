"""What one check found: per output and per case, and the verdict a student reads.

A check runs a student's function on a list of *cases* (named geometries or settings, such
as ``"stride 2, pad 0"``), compares each *output* (``out``, ``dx``, ``dw`` ...) with
cs231nbook and with the numerical gradient, and records every mismatch. The verdict names
the worst relative error, the first failing case with its shapes and parameters, and a hint
that says which outputs are wrong in which cases (``"dw wrong for stride 2 only"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Mismatch", "Outcome", "StudentError", "norm_rel_error", "rel_error"]


class StudentError(Exception):
    """The student's code raised, returned the wrong kind of thing, or is a stub."""


def rel_error(x: Any, y: Any) -> float:
    """CS231n's relative error, made total: shapes that differ or NaNs count as 1.0 (fail)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        return 1.0
    if x.size == 0:
        return 0.0
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        return 1.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def norm_rel_error(x: Any, y: Any) -> float:
    """``|x - y| / (|x| + |y|)`` in the 2-norm: for comparing with a numerical gradient,
    whose round-off would dominate the element-wise error of an element near 0 by chance.
    Shapes that differ or NaNs count as 1.0 (fail)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        return 1.0
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        return 1.0
    scale = float(np.linalg.norm(x) + np.linalg.norm(y))
    return float(np.linalg.norm(x - y) / scale) if scale > 0 else 0.0


@dataclass
class Mismatch:
    """One output that disagreed in one case."""

    case: str
    output: str
    error: float
    against: str  # "cs231nbook" or "numerical gradient" or a property
    setup: str  # shapes and parameters of the case


@dataclass
class Outcome:
    """The result of checking one function."""

    cases: list[str] = field(default_factory=list)
    # what sets each case apart, e.g. {"stride": "stride 2", "pad": "pad 1"}, for the hint
    params: dict[str, dict[str, str]] = field(default_factory=dict)
    mismatches: list[Mismatch] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # specific diagnoses, e.g. "p is the keep ..."
    worst: float = 0.0

    def case(self, name: str, **params: str) -> None:
        """Register a case (in order); ``params`` describe it, e.g. ``stride="stride 2"``."""
        if name not in self.cases:
            self.cases.append(name)
        if params:
            self.params[name] = params

    def compare(
        self,
        case: str,
        output: str,
        got: Any,
        expected: Any,
        *,
        tol: float,
        against: str = "cs231nbook",
        setup: str = "",
    ) -> bool:
        """Record ``got`` against ``expected``; True when within ``tol``."""
        self.case(case)
        if got is None:
            raise StudentError(f"{output} is None (not implemented yet?)")
        error = rel_error(got, expected)
        if np.shape(got) != np.shape(expected) and not any(
            n.startswith(f"{output} has shape") for n in self.notes
        ):
            self.notes.append(
                f"{output} has shape {np.shape(got)}, expected {np.shape(expected)} (case '{case}')"
            )
        return self.record(case, output, error, tol=tol, against=against, setup=setup)

    def record(
        self, case: str, output: str, error: float, *, tol: float, against: str, setup: str = ""
    ) -> bool:
        """Record an error measured elsewhere; True when within ``tol``."""
        self.case(case)
        self.worst = max(self.worst, error)
        if error > tol:
            self.mismatches.append(Mismatch(case, output, error, against, setup))
            return False
        return True

    def require(self, case: str, output: str, ok: bool, what: str, setup: str = "") -> None:
        """Record a property that must hold (e.g. 'x is not modified')."""
        self.case(case)
        if not ok:
            self.mismatches.append(Mismatch(case, output, 1.0, what, setup))
            self.worst = max(self.worst, 1.0)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    @property
    def passed(self) -> bool:
        return not self.mismatches

    def hint(self) -> str:
        """Which outputs are wrong in which cases, plus any specific diagnosis."""
        parts = list(self.notes)
        outputs: dict[str, set[str]] = {}
        for m in self.mismatches:
            outputs.setdefault(m.output, set()).add(m.case)
        for output, failing in outputs.items():
            ordered = [f"'{c}'" for c in self.cases if c in failing]
            if len(ordered) < len(self.cases):
                listed = (
                    ", ".join(ordered[:-1]) + " and " + ordered[-1]
                    if len(ordered) > 1
                    else ordered[0]
                )
                parts.append(f"{output} wrong for {listed} only{self._shared(failing)}")
            elif len(self.cases) > 1:
                parts.append(f"{output} wrong in every case")
            else:
                parts.append(f"{output} wrong")
        return "; ".join(parts)

    def _shared(self, failing: set[str]) -> str:
        """What the failing cases have in common and no passing case has, e.g.
        ``" (the cases with stride 2)"``; empty when nothing sets them apart (or for a
        single case, which its name describes)."""
        passing = [c for c in self.cases if c not in failing]
        described = [self.params.get(c, {}) for c in self.cases if c in failing]
        if len(described) < 2 or not all(described):
            return ""
        common = {k: v for k, v in described[0].items() if all(d.get(k) == v for d in described)}
        apart = [
            v for k, v in common.items() if all(self.params.get(c, {}).get(k) != v for c in passing)
        ]
        return f" (the cases with {' and '.join(apart)})" if apart else ""

    def detail(self) -> str:
        """One paragraph: the verdict's evidence."""
        if self.passed:
            return f"{len(self.cases)} cases, worst relative error {self.worst:.1e}"
        first = self.mismatches[0]
        where = f" [{first.setup}]" if first.setup else ""
        return (
            f"first failing case: {first.case}{where}: {first.output} off by relative error "
            f"{first.error:.1e} against {first.against}. Hint: {self.hint()}"
        )
