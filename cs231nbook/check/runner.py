"""Run every check in its own process, under a time limit, and collect the verdicts."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cs231nbook

from .registry import CHECKS, Check

__all__ = ["Verdict", "run_checks"]


@dataclass
class Verdict:
    key: str
    status: str  # pass | fail | missing | error | timeout
    detail: str
    chapter: str
    worst: float | None = None


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no __pycache__ inside the student's folder
    # the worker must import this very cs231nbook, installed or not
    package_root = str(Path(cs231nbook.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(
        [package_root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    return env


class _Workers:
    """The worker processes alive now, so that an interrupted run can end them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: set[subprocess.Popen] = set()
        self.stopping = False

    def start(self, command: list[str], workdir: str) -> subprocess.Popen | None:
        with self._lock:
            if self.stopping:
                return None
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                cwd=workdir,  # never the student's folder: nothing is written there
                env=_environment(),
                text=True,
                start_new_session=True,  # its own process group, so a kill ends it all
            )
            self._live.add(process)
            return process

    def end(self, process: subprocess.Popen) -> None:
        """Kill the process's group (whatever the student's code left running in it)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with self._lock:
            self._live.discard(process)

    def end_all(self) -> None:
        with self._lock:
            self.stopping = True
            live = list(self._live)
        for process in live:
            self.end(process)


def _run_one(path: Path, check: Check, timeout: float, workdir: str, workers: _Workers) -> Verdict:
    command = [sys.executable, "-m", "cs231nbook.check.worker", str(path), check.key]
    process = workers.start(command, workdir)
    if process is None:
        return Verdict(check.key, "error", "the run was interrupted", check.chapter)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        workers.end(process)
        process.communicate()
        return Verdict(check.key, "timeout", f"no result within {timeout:g} s", check.chapter)
    finally:
        workers.end(process)
    lines = [line for line in stdout.splitlines() if line.strip()]
    try:
        result = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        last = (stderr.strip().splitlines() or ["no output"])[-1]
        return Verdict(check.key, "error", f"the check crashed: {last}", check.chapter)
    return Verdict(
        check.key, result["status"], result["detail"], check.chapter, result.get("worst")
    )


def run_checks(
    path: str | os.PathLike,
    timeout: float = 60.0,
    jobs: int = 2,
    progress: Callable[[int, int, Verdict], None] | None = None,
    keys: list[str] | None = None,
) -> list[Verdict]:
    """Check the ``cs231n`` package in ``path``; one worker process per function.

    Returns the verdicts in the registry's order. ``progress(done, total, verdict)`` is
    called as each finishes. ``keys`` restricts the run to some functions (e.g.
    ``["layers.conv_backward_naive"]``); unknown keys are a ValueError.
    """
    path = Path(path).resolve()
    checks = CHECKS
    if keys is not None:
        unknown = sorted(set(keys) - {c.key for c in CHECKS})
        if unknown:
            raise ValueError(f"keys: unknown function(s) {', '.join(unknown)}")
        checks = tuple(c for c in CHECKS if c.key in set(keys))
    verdicts: dict[str, Verdict] = {}
    workers = _Workers()
    with tempfile.TemporaryDirectory(prefix="cs231nbook-check-") as workdir:
        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        try:
            futures = [pool.submit(_run_one, path, c, timeout, workdir, workers) for c in checks]
            for future in futures:
                verdict = future.result()
                verdicts[verdict.key] = verdict
                if progress is not None:
                    progress(len(verdicts), len(checks), verdict)
        except BaseException:
            # Ctrl-C (or any error here): no new worker starts, the running ones are killed
            workers.end_all()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
    for check in checks:
        verdict = verdicts[check.key]
        if verdict.status != "fail":
            continue
        broken = [
            key
            for key in check.uses
            if key in verdicts and verdicts[key].status in ("fail", "error", "timeout")
        ]
        if broken:
            names = " and ".join(", ".join(broken).rsplit(", ", 1))
            fail = (
                "fails its own check: fix it"
                if len(broken) == 1
                else ("fail their own checks: fix them")
            )
            verdict.detail += f". It probably calls your {names}, which {fail} first."
    return [verdicts[c.key] for c in checks]
