"""python -m cs231nbook.check: a correct student package passes, each classic bug is caught
with the right function and a useful hint, and nothing else is flagged."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from student_bugs import BUGS, CORRECT_VARIANTS, CRASH, HANG

from cs231nbook.check import run_checks
from cs231nbook.check.cli import main
from cs231nbook.check.registry import CHECKS

# A correct package in the starter's layout: every module serves the reference behaviour
# (cs231nbook's compat tree, which has the starter's semantics); a bug is appended to one
# module and replaces one function there.
BASELINE = {
    "__init__": "",
    "layers": "import numpy as np\nfrom cs231nbook.compat.cs231n.layers import *\n",
    "optim": "import numpy as np\nfrom cs231nbook.compat.cs231n.optim import *\n",
    "classifiers/__init__": "",
    "classifiers/fc_net": (
        "import numpy as np\nfrom cs231nbook.compat.cs231n.classifiers.fc_net import *\n"
    ),
    "classifiers/cnn": (
        "import numpy as np\nfrom cs231nbook.compat.cs231n.classifiers.cnn import *\n"
    ),
}

# Functions that use a broken function's output (e.g. a backward pass given the cache of a
# broken forward pass) may fail too; every other function must pass.
DEPENDENTS = {
    "layers.dropout_forward": {"layers.dropout_backward"},
    "layers.layernorm_forward": {"layers.layernorm_backward"},
    "layers.spatial_batchnorm_forward": {"layers.spatial_batchnorm_backward"},
}


def write_student(root: Path, extra: dict[str, str] | None = None) -> Path:
    package = root / "cs231n"
    for module, source in BASELINE.items():
        path = package / f"{module}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source + (extra or {}).get(module, ""))
    return root


def statuses(verdicts):
    return {v.key: v.status for v in verdicts}


def test_a_correct_implementation_passes_everything(tmp_path):
    # cs231nbook's own functions, and correct code that differs from them (the starter's
    # running statistics starting at zeros, losses summed in another order)
    extra: dict[str, str] = {}
    for module, code in CORRECT_VARIANTS.values():
        extra[module] = extra.get(module, "") + code
    verdicts = run_checks(write_student(tmp_path, extra), timeout=120)
    assert statuses(verdicts) == {c.key: "pass" for c in CHECKS}, [
        (v.key, v.detail) for v in verdicts if v.status != "pass"
    ]
    assert not list(tmp_path.rglob("__pycache__")), "the checker wrote into PATH"


def _defines(bug: tuple) -> set[str]:
    """The checker key of a bug and the names its code (re)defines in its module."""
    _, module, code, _ = bug
    return {bug[0]} | {f"{module}.{n}" for n in re.findall(r"^(?:def|class) (\w+)", code, re.M)}


def _bugs_in_distinct_functions():
    """Groups of bugs that can share one package: no two in one group break the same
    function or redefine the same name (a second wrapper would wrap the first)."""
    groups: list[dict[str, tuple]] = []
    for name, bug in BUGS.items():
        for group in groups:
            if all(not (_defines(other) & _defines(bug)) for other in group.values()):
                group[name] = bug
                break
        else:
            groups.append({name: bug})
    return groups


@pytest.mark.parametrize("group", _bugs_in_distinct_functions(), ids=lambda g: ", ".join(g))
def test_each_classic_bug_is_caught_with_its_hint_and_no_false_alarms(tmp_path, group):
    extra: dict[str, str] = {}
    for _key, module, code, _ in group.values():
        extra[module] = extra.get(module, "") + code
    verdicts = {v.key: v for v in run_checks(write_student(tmp_path, extra), timeout=120)}
    broken = {bug[0] for bug in group.values()}
    allowed = set().union(*(DEPENDENTS.get(key, set()) for key in broken))
    for name, (key, _, _, hint) in group.items():
        verdict = verdicts[key]
        assert verdict.status == "fail", (name, verdict.status, verdict.detail)
        assert hint in verdict.detail, (name, verdict.detail)
        assert verdict.chapter
    for key, verdict in verdicts.items():
        if key not in broken | allowed:
            assert verdict.status == "pass", (key, verdict.detail)


def test_a_crash_and_a_hang_are_reported_and_the_rest_still_run(tmp_path):
    extra = {CRASH[1]: CRASH[2]}
    extra[HANG[1]] = extra.get(HANG[1], "") + HANG[2]
    student = write_student(tmp_path, extra)
    keys = [CRASH[0], HANG[0], "layers.conv_forward_naive", "optim.adam", "layers.relu_backward"]
    verdicts = {v.key: v for v in run_checks(student, timeout=10, keys=keys)}
    assert verdicts[CRASH[0]].status == "error"
    assert "IndexError" in verdicts[CRASH[0]].detail
    assert verdicts[HANG[0]].status == "timeout"
    assert verdicts["layers.conv_forward_naive"].status == "pass"
    assert verdicts["optim.adam"].status == "pass"
    assert verdicts["layers.relu_backward"].status in ("error", "pass")  # uses the forward


def test_missing_functions_are_reported_and_do_not_fail_the_run(tmp_path, capsys):
    root = write_student(tmp_path)
    # a starter in progress: optim.py has no adam yet, layers.py no svm_loss
    (root / "cs231n" / "optim.py").write_text(
        "from cs231nbook.compat.cs231n.optim import sgd, sgd_momentum, rmsprop\n"
    )
    (root / "cs231n" / "layers.py").write_text(
        "from cs231nbook.compat.cs231n.layers import *\ndel svm_loss\n"
    )
    report = tmp_path / "report.json"
    keys = ["optim.adam", "optim.sgd", "layers.svm_loss", "layers.conv_forward_naive"]
    code = main([str(root), "--json", str(report), "--timeout", "120", "--only", *keys])
    assert code == 0
    functions = json.loads(report.read_text())["functions"]
    assert functions["optim.adam"]["status"] == "missing"
    assert functions["layers.svm_loss"]["status"] == "missing"
    assert functions["layers.conv_forward_naive"]["status"] == "pass"
    assert functions["optim.sgd"]["status"] == "pass"
    assert set(functions) == set(keys)
    assert all(set(v) == {"status", "detail", "chapter"} for v in functions.values())
    out = capsys.readouterr().out
    assert "optim.adam" in out and "missing" in out


def test_a_module_that_does_not_import_is_an_error_for_its_functions(tmp_path):
    root = write_student(tmp_path)
    (root / "cs231n" / "optim.py").write_text("def sgd(w, dw, config=None)\n    pass\n")
    keys = ["optim.sgd", "layers.affine_forward"]
    verdicts = {v.key: v for v in run_checks(root, timeout=120, keys=keys)}
    assert verdicts["optim.sgd"].status == "error"
    assert "SyntaxError" in verdicts["optim.sgd"].detail
    assert verdicts["layers.affine_forward"].status == "pass"


def test_exit_status_1_when_something_fails(tmp_path):
    key, module, code, _ = BUGS["adam counts late"]
    root = write_student(tmp_path, {module: code})
    assert main([str(root), "--timeout", "120", "--only", "optim.adam", "optim.sgd"]) == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["/no/such/folder"], "must be a folder"),
        (["{tmp}"], "cs231n/ package"),
        (["{student}", "--timeout", "0"], "--timeout"),
        (["{student}", "--json", "/no/such/dir/report.json"], "--json"),
        (["{student}", "--only", "layers.nope"], "--only"),
    ],
)
def test_usage_errors_exit_2(tmp_path, capsys, args, message):
    (tmp_path / "empty").mkdir()
    student = write_student(tmp_path / "student")
    argv = [a.format(tmp=tmp_path / "empty", student=student) for a in args]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_command_line_entry_point(tmp_path):
    root = write_student(tmp_path)
    (root / "cs231n" / "optim.py").write_text(
        "from cs231nbook.compat.cs231n.optim import *\n"
        + BUGS["adam counts late"][2].replace("def adam", "import numpy as np\n\ndef adam")
    )
    result = subprocess.run(
        [sys.executable, "-m", "cs231nbook.check", str(root), "--only", "optim.adam"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "optim.adam" in result.stdout and "FAIL" in result.stdout
    assert "Update rules" in result.stdout


def _book_headings() -> dict[str, set[str]]:
    """Each chapter's title and its section titles, as the report prints them."""
    import nbformat

    book = Path(__file__).resolve().parent.parent / "book"
    chapters: dict[str, set[str]] = {}
    for path in sorted(book.glob("[0-9][0-9]_*.ipynb")):
        title, sections = "", set()
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    title = line[2:].strip()
                elif line.startswith("## "):
                    sections.add(line[3:].strip().replace("$", ""))
        chapters[title] = sections
    return chapters


def test_every_chapter_named_in_a_verdict_is_a_heading_of_the_book():
    chapters = _book_headings()
    for check in CHECKS:
        parts = check.chapter.split(": ")
        # "Chapter: Section", where a section may itself hold a colon ("RMSProp: a ...")
        title, section = parts[0], ": ".join(parts[1:])
        assert title in chapters, (check.key, title)
        assert section in chapters[title], (check.key, section, sorted(chapters[title]))


def _workers_running(root: Path) -> list[int]:
    """Worker processes of the checker that were started on ``root``."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"cs231nbook.check.worker" in command and str(root).encode() in command:
            found.append(int(proc.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_an_interrupted_run_leaves_no_worker_behind(tmp_path):
    root = write_student(
        tmp_path, {"optim": "def adam(w, dw, config=None):\n    while True:\n        pass\n"}
    )

    def interrupt(done, total, verdict):
        raise KeyboardInterrupt  # as Ctrl-C during the run

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_checks(
            root.resolve(),
            timeout=60,
            keys=["layers.relu_forward", "optim.adam"],
            progress=interrupt,
        )
    assert time.monotonic() - started < 30  # the hanging worker did not run to its timeout
    assert _workers_running(root.resolve()) == []
