"""Run one check in a fresh process: ``python -m cs231nbook.check.worker PATH KEY``.

Prints one JSON object on the last line of stdout: ``{"status", "detail", "worst"}``. The
student's package is imported from PATH with bytecode writing off (nothing is written into
PATH); whatever the student's code prints is swallowed.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys
import traceback


def _use_given_fast_layers() -> None:
    """Serve ``cs231n.fast_layers`` from cs231nbook.

    The starter gives students its fast layers (a Cython extension they may not have built);
    ``ThreeLayerConvNet`` and the sandwiches import them. Students do not write them, so the
    checker supplies working ones instead of failing a model for a missing build.
    """
    try:
        package = importlib.import_module("cs231n")
    except Exception:
        return  # reported when the checked module is imported
    fast = importlib.import_module("cs231nbook.compat.cs231n.fast_layers")
    sys.modules["cs231n.fast_layers"] = fast
    setattr(package, "fast_layers", fast)  # noqa: B010  (a module attribute mypy cannot see)


def run(path: str, key: str) -> dict:
    sys.dont_write_bytecode = True
    sys.path.insert(0, path)
    from .outcome import Outcome, StudentError
    from .registry import BY_KEY

    check = BY_KEY[key]
    swallowed = io.StringIO()
    with contextlib.redirect_stdout(swallowed), contextlib.redirect_stderr(swallowed):
        try:
            _use_given_fast_layers()
            module = importlib.import_module(check.module)
        except (Exception, SystemExit) as error:  # a student's module may call exit()
            frame = traceback.extract_tb(error.__traceback__)[-1]
            return {
                "status": "error",
                "detail": f"importing {check.module} raised {type(error).__name__}: {error} "
                f"(at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})",
            }
        if not hasattr(module, check.name):
            return {"status": "missing", "detail": f"{check.module} has no {check.name}"}
        outcome = Outcome()
        try:
            check.check(module, outcome)
        except StudentError as error:
            return {"status": "error", "detail": str(error)}
        except RecursionError:
            return {"status": "error", "detail": "recursion too deep"}
        except SystemExit as error:
            return {"status": "error", "detail": f"the code called exit({error.code!r})"}
    return {
        "status": "pass" if outcome.passed else "fail",
        "detail": outcome.detail(),
        "worst": outcome.worst,
    }


if __name__ == "__main__":
    result = run(sys.argv[1], sys.argv[2])
    sys.stdout.write("\n" + json.dumps(result) + "\n")
