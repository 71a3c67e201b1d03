"""The command line: a table for the student, a JSON file for tools, an exit status for CI."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from .runner import Verdict, run_checks

__all__ = ["main", "render_table"]

_MARK = {
    "pass": "pass",
    "fail": "FAIL",
    "missing": "missing",
    "error": "ERROR",
    "timeout": "TIMEOUT",
}


def render_table(verdicts: list[Verdict], width: int = 100, pass_errors: bool = True) -> str:
    """The report a student reads: one row per function, details under the failing ones.

    ``pass_errors=False`` leaves the tiny round-off errors of passing functions out (their
    last digits vary between processors).
    """
    name_width = max(len(v.key) for v in verdicts)
    lines = [f"{'function':<{name_width}}  {'result':<8} worst rel. error", "-" * width]
    for v in verdicts:
        shown = v.status == "fail" or (v.status == "pass" and pass_errors)
        worst = f"{v.worst:.1e}" if v.worst is not None and shown else ""
        lines.append(f"{v.key:<{name_width}}  {_MARK[v.status]:<8} {worst}")
        if v.status not in ("pass", "missing"):
            body = textwrap.fill(
                v.detail, width - 4, initial_indent="    ", subsequent_indent="    "
            )
            lines.append(body)
            lines.append(f"    derived in the book: {v.chapter}")
    counts = {s: sum(v.status == s for v in verdicts) for s in _MARK}
    lines.append("-" * width)
    lines.append(", ".join(f"{n} {s}" for s, n in counts.items() if n))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Exit 0 when nothing failed, 1 when something failed, errored or timed out, 2 on a
    usage error."""
    parser = argparse.ArgumentParser(
        prog="python -m cs231nbook.check",
        description="Check your own CS231n Assignment 2 code (a cs231n/ package) against "
        "cs231nbook: values, gradients, classic-bug geometries, and where the book derives "
        "each one.",
    )
    parser.add_argument("path", help="the assignment folder that holds your cs231n/ package")
    parser.add_argument("--json", metavar="FILE", help="also write the verdicts as JSON")
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="time allowed per function (default 60)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="checks run at once (default 2)")
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="KEY",
        help="check only these functions, e.g. layers.conv_backward_naive",
    )
    args = parser.parse_args(argv)
    folder = Path(args.path)
    if not folder.is_dir():
        parser.error(f"PATH must be a folder; {folder} is not one")
    if not (folder / "cs231n" / "__init__.py").is_file() and not (folder / "cs231n").is_dir():
        parser.error(f"PATH must hold a cs231n/ package; {folder} has none")
    if not args.timeout > 0:
        parser.error(f"--timeout must be a positive number of seconds; got {args.timeout}")
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1; got {args.jobs}")
    if args.json is not None:
        target = Path(args.json).resolve().parent
        if not target.is_dir():
            parser.error(f"--json: the folder {target} does not exist")

    def progress(done: int, total: int, verdict: Verdict) -> None:
        print(f"[{done:2d}/{total}] {verdict.key}: {verdict.status}", file=sys.stderr)

    if args.only:
        from .registry import BY_KEY

        unknown = [key for key in args.only if key not in BY_KEY]
        if unknown:
            parser.error(
                f"--only: unknown function(s) {', '.join(unknown)}; known: {', '.join(BY_KEY)}"
            )
    verdicts = run_checks(
        folder, timeout=args.timeout, jobs=args.jobs, progress=progress, keys=args.only
    )
    print(render_table(verdicts))
    if args.json is not None:
        report = {
            "functions": {
                v.key: {"status": v.status, "detail": v.detail, "chapter": v.chapter}
                for v in verdicts
            }
        }
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    bad = any(v.status in ("fail", "error", "timeout") for v in verdicts)
    return 1 if bad else 0
