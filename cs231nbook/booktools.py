"""Helpers the book's chapters share: showing library code as the reader should see it.

The chapters print the implementation they discuss straight from the package, so a listing
can never drift from the code that runs. The docstring is left out because the text around
the listing explains it.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

__all__ = ["show_source", "source_without_docstring"]


def source_without_docstring(obj: Any) -> str:
    """Return the source of a function, method or class with its docstrings removed.

    Parameters
    ----------
    obj : function, method or class
        Anything :func:`inspect.getsource` accepts.

    Returns
    -------
    str
        The dedented source, with the docstring of ``obj`` (and, for a class, of each
        method) taken out and no blank line left where it stood.
    """
    source = textwrap.dedent(inspect.getsource(obj))
    tree = ast.parse(source)
    lines = source.splitlines()
    drop: set[int] = set()  # 0-based line numbers of docstring lines
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                first, last = body[0].lineno, body[0].end_lineno or body[0].lineno
                drop.update(range(first - 1, last))
    kept = [line for number, line in enumerate(lines) if number not in drop]
    return "\n".join(kept).strip("\n")


def show_source(obj: Any) -> None:
    """Print :func:`source_without_docstring` of ``obj``."""
    print(source_without_docstring(obj))
