"""A clock around chosen methods of a class, shared by the profiling scripts.

``profile_conv.py`` clocks the stacked layout's steps and ``profile_winograd.py`` the Winograd
plan's phases, each inside the library's own forward and backward passes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator


@contextlib.contextmanager
def clocked_methods(cls: type, names: Iterable[str], spent: dict[str, float]) -> Iterator[None]:
    """Within the block, every call of ``cls.<name>`` adds its duration to ``spent[name]``;
    the methods are put back afterwards, also on an error."""
    originals = {name: getattr(cls, name) for name in names}

    def clocked(name, method):
        def run(*args, **kwargs):
            start = time.perf_counter()
            result = method(*args, **kwargs)
            spent[name] += time.perf_counter() - start
            return result

        return run

    for name, method in originals.items():
        setattr(cls, name, clocked(name, method))
    try:
        yield
    finally:
        for name, method in originals.items():
            setattr(cls, name, method)
