"""Execute an official CS231n notebook with ``import cs231n`` resolved to cs231nbook.

Used as ``python -m cs231nbook.compat run NOTEBOOK.ipynb``. The notebook is not modified:
the executed copy is written next to it as ``NOTEBOOK.cs231nbook.ipynb``. A hidden first
cell installs the alias (:func:`cs231nbook.compat.install`) in the kernel and is removed
from the copy. Cells that fail (Colab's Drive mount, the Cython build, a missing data set)
keep their error in the copy, the run goes on, and the summary names them.

Needs ``nbclient``, ``nbformat`` and ``ipykernel`` (the ``compat`` extra:
``pip install "cs231nbook[compat]"``); the kernel is the current interpreter.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CellFailure", "RunReport", "main", "run_notebook"]

_INSTALL_CELL = "import cs231nbook.compat\ncs231nbook.compat.install()"


@dataclass
class CellFailure:
    """One code cell that raised: its position among the code cells and the error."""

    index: int
    error: str
    first_line: str


@dataclass
class RunReport:
    """What :func:`run_notebook` did."""

    output: Path
    code_cells: int
    failures: list[CellFailure] = field(default_factory=list)

    @property
    def succeeded(self) -> int:
        return self.code_cells - len(self.failures)

    def summary(self) -> str:
        lines = [
            f"{self.succeeded} of {self.code_cells} code cells ran without error; "
            f"executed copy: {self.output}"
        ]
        for failure in self.failures:
            lines.append(
                f"  code cell {failure.index + 1} ({failure.first_line!r}): {failure.error}"
            )
        return "\n".join(lines)


def _require_nbclient():
    try:
        import nbclient
        import nbformat
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise SystemExit(
            "python -m cs231nbook.compat run needs nbclient, nbformat and ipykernel: "
            'pip install "cs231nbook[compat]"'
        ) from error
    return nbclient, nbformat


def run_notebook(
    path: str | Path, output: str | Path | None = None, timeout: int = 600
) -> RunReport:
    """Execute the notebook at ``path`` with the alias installed and write the executed copy.

    Parameters
    ----------
    path : str or Path
        An ``.ipynb`` file; its folder is the working directory of the kernel (so
        ``cs231n/datasets/`` is found as the starter expects).
    output : str or Path, optional
        Where to write the executed copy; default ``<name>.cs231nbook.ipynb`` beside it.
    timeout : int, default 600
        Seconds allowed per cell.

    Returns
    -------
    RunReport
    """
    nbclient, nbformat = _require_nbclient()
    path = Path(path)
    if path.suffix != ".ipynb" or not path.is_file():
        raise FileNotFoundError(f"NOTEBOOK must be an existing .ipynb file; got {path}")
    output = Path(output) if output is not None else path.with_suffix(".cs231nbook.ipynb")
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(_INSTALL_CELL))
    client = nbclient.NotebookClient(
        notebook,
        timeout=timeout,
        allow_errors=True,
        interrupt_on_timeout=True,  # a cell past its time fails; the next ones still run
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    client.execute()
    install_cell = notebook.cells.pop(0)
    for out in install_cell.get("outputs", []):
        if out.get("output_type") == "error":
            raise RuntimeError(f"installing the cs231n alias failed: {out.get('evalue')}")
    failures = []
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for index, cell in enumerate(code_cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                first = next((line for line in cell.source.splitlines() if line.strip()), "")
                error = f"{out['ename']}: {out['evalue']}"
                if out["ename"] == "KeyboardInterrupt":
                    error = f"stopped after the time limit of {timeout} s per cell"
                failures.append(CellFailure(index, error, first[:60]))
                break
    nbformat.write(notebook, output)
    return RunReport(output, len(code_cells), failures)


def main(argv: list[str] | None = None) -> int:
    """``python -m cs231nbook.compat run NOTEBOOK.ipynb [--output PATH] [--timeout S]``.

    Exit status 0 when every code cell ran, 1 when some cell raised, 2 on a usage error.
    """
    parser = argparse.ArgumentParser(
        prog="python -m cs231nbook.compat",
        description="Run an official CS231n notebook with `import cs231n` served by cs231nbook.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="execute a notebook and write the executed copy")
    run.add_argument("notebook", help="path to the .ipynb file (left unchanged)")
    run.add_argument("--output", help="where to write the executed copy")
    run.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    args = parser.parse_args(argv)
    notebook = Path(args.notebook)
    if notebook.suffix != ".ipynb" or not notebook.is_file():
        parser.error(f"NOTEBOOK must be an existing .ipynb file; got {notebook}")
    if args.timeout <= 0:
        parser.error(f"--timeout must be a positive number of seconds; got {args.timeout}")
    report = run_notebook(notebook, args.output, args.timeout)
    print(report.summary())
    return 0 if not report.failures else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
