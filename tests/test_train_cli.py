import math
import subprocess
import sys

import numpy as np
import pytest

from cs231nbook.checkpoint import load_checkpoint
from cs231nbook.train import build_model, build_parser, main

TINY_THREELAYER = [
    "--model",
    "threelayer",
    "--num-filters",
    "4",
    "--hidden-dim",
    "16",
    "--epochs",
    "1",
    "--batch-size",
    "50",
    "--lr",
    "1e-2",
]


def test_a_tiny_run_writes_its_checkpoint_and_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    checkpoint, plot = tmp_path / "run.npz", tmp_path / "curves.png"
    status = main(TINY_THREELAYER + ["--checkpoint", str(checkpoint), "--plot", str(plot)])
    assert status == 0
    out = capsys.readouterr().out
    assert "ThreeLayerConvNet with" in out and "on digits: 1197 training images" in out
    assert "epoch 1/1" in out  # the Solver's progress lines
    final = [line for line in out.splitlines() if line.startswith("final accuracy:")]
    assert len(final) == 1
    accuracies = [float(word) for word in final[0].split()[3::2]]
    assert len(accuracies) == 3 and all(0.5 < a <= 1 for a in accuracies)  # 24 steps learn a lot
    saved = load_checkpoint(checkpoint)
    assert saved.epoch == 1 and set(saved.params) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert saved.params["W1"].shape == (4, 1, 3, 3) and saved.params["W1"].dtype == np.float32
    assert saved.hyperparameters["update_rule"] == "adam"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_deep_batchnorm_and_fc_runs(capsys):
    deep = [
        "--model",
        "deep",
        "--num-filters",
        "4",
        "4",
        "--max-pools",
        "0",
        "1",
        "--batchnorm",
        "--epochs",
        "1",
        "--batch-size",
        "100",
        "--quiet",
        "--dtype",
        "float64",
    ]
    assert main(deep) == 0
    assert (
        main(
            [
                "--model",
                "fc",
                "--hidden-dims",
                "20",
                "--epochs",
                "1",
                "--quiet",
                "--update-rule",
                "sgd_momentum",
                "--lr",
                "0.05",
                "--weight-scale",
                "0.01",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "DeepConvNet with" in out and "FullyConnectedNet with" in out
    assert out.count("final accuracy:") == 2 and "epoch 1/1" not in out  # --quiet


def test_the_same_seed_gives_the_same_run(capsys):
    main(TINY_THREELAYER + ["--quiet", "--seed", "3"])
    first = capsys.readouterr().out.splitlines()[-1]
    main(TINY_THREELAYER + ["--quiet", "--seed", "3"])
    assert capsys.readouterr().out.splitlines()[-1] == first


def test_options_reach_the_model():
    args = build_parser().parse_args(
        [
            "--model",
            "deep",
            "--num-filters",
            "6",
            "5",
            "--max-pools",
            "1",
            "--reg",
            "0.1",
            "--dtype",
            "float64",
        ]
    )
    model = build_model(args, (1, 8, 8), 10)
    assert model.params["W2"].shape == (5, 6, 3, 3) and model.params["W3"].shape == (5 * 4 * 4, 10)
    assert model.reg == 0.1 and model.dtype == np.float64 and not model.batchnorm
    # fc with 'kaiming': the weights get std sqrt(2 / fan_in), the last layer sqrt(1 / fan_in)
    args = build_parser().parse_args(["--model", "fc", "--hidden-dims", "400", "300"])
    fc = build_model(args, (1, 8, 8), 10)
    assert fc.params["W2"].std() == pytest.approx(math.sqrt(2 / 400), rel=0.02)
    assert fc.params["W3"].std() == pytest.approx(math.sqrt(1 / 300), rel=0.05)


def write_tiny_cifar10(directory, per_batch=12, seed=0):
    """Six batches in the official binary format: one label byte, then 3072 pixel bytes."""
    directory.mkdir()
    rng = np.random.default_rng(seed)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        labels = rng.integers(0, 10, size=(per_batch, 1), dtype=np.uint8)
        pixels = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
        (directory / f"{name}.bin").write_bytes(np.concatenate([labels, pixels], axis=1).tobytes())


def test_cifar10_from_a_directory(tmp_path, capsys):
    write_tiny_cifar10(tmp_path / "cifar-10-batches-bin")
    status = main(
        [
            "--cifar10",
            str(tmp_path),
            "--num-training",
            "40",
            "--num-validation",
            "10",
            "--num-test",
            "8",
            "--model",
            "deep",
            "--num-filters",
            "2",
            "--max-pools",
            "0",
            "--batchnorm",
            "--epochs",
            "1",
            "--batch-size",
            "20",
            "--quiet",
        ]
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "on CIFAR-10: 40 training images of shape (3, 32, 32)" in out


def test_unreadable_cifar10_is_an_error_not_a_traceback(tmp_path, capsys):
    assert main(["--cifar10", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert "error: cannot read the data: no CIFAR-10 batches found" in err


def test_every_training_option_reaches_the_solver(tmp_path, monkeypatch):
    # an option that main() parsed but did not pass on would fail here
    seen = {}
    import cs231nbook.train as train

    class Spy(train.Solver):
        def __init__(self, model, data, **kwargs):
            seen.update(kwargs)
            super().__init__(model, data, **kwargs)

        def train(self):
            seen["trained"] = True
            super().train()

    monkeypatch.setattr(train, "Solver", Spy)
    argv = ["--model", "fc", "--hidden-dims", "5", "--epochs", "3", "--batch-size", "7"]
    argv += ["--update-rule", "rmsprop", "--lr", "0.25", "--lr-decay", "0.5", "--seed", "4"]
    argv += ["--print-every", "9", "--quiet", "--checkpoint", str(tmp_path / "c.npz")]
    assert main(argv) == 0 and seen.pop("trained")
    assert seen == {
        "update_rule": "rmsprop",
        "optim_config": {"learning_rate": 0.25},
        "lr_decay": 0.5,
        "batch_size": 7,
        "num_epochs": 3,
        "print_every": 9,
        "verbose": False,
        "seed": 4,
        "checkpoint_path": str(tmp_path / "c.npz"),
    }


FC_RUN = ["--model", "fc", "--hidden-dims", "12", "--epochs", "3", "--batch-size", "100"]
FC_RUN += ["--batchnorm", "--lr-decay", "0.9", "--quiet"]


def test_an_interrupted_run_resumes_exactly(tmp_path, monkeypatch, capsys):
    full = tmp_path / "full.npz"
    assert main(FC_RUN + ["--checkpoint", str(full)]) == 0
    expected = capsys.readouterr().out.splitlines()
    import cs231nbook.solver as solver_module

    real = solver_module.Solver.save_checkpoint

    def save_then_interrupt(self, path):
        real(self, path)
        if self.epoch == 1:
            raise KeyboardInterrupt

    part = tmp_path / "part.npz"
    monkeypatch.setattr(solver_module.Solver, "save_checkpoint", save_then_interrupt)
    assert main(FC_RUN + ["--checkpoint", str(part)]) == 130
    err = capsys.readouterr().err
    assert f"interrupted after epoch 1; {part} holds epoch 1: continue with --resume {part}" in err
    monkeypatch.undo()
    assert main(FC_RUN + ["--checkpoint", str(part), "--resume", str(part)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"resumed from {part} after epoch 1" in out
    assert any(line.startswith("trained epochs 2 to 3 in ") for line in out)
    final = [line for line in out if line.startswith("final accuracy")]
    assert final == [line for line in expected if line.startswith("final accuracy")]
    a, b = load_checkpoint(full), load_checkpoint(part)
    assert a.loss_history == b.loss_history and a.epoch == b.epoch == 3
    for name in a.params:
        assert np.array_equal(a.params[name], b.params[name])


def test_resume_with_other_options_or_a_damaged_file_exits_2(tmp_path, capsys):
    path = tmp_path / "run.npz"
    assert main(FC_RUN + ["--checkpoint", str(path)]) == 0
    capsys.readouterr()
    cases = [
        (FC_RUN + ["--lr", "0.01", "--resume", str(path)], "optim_config"),
        (FC_RUN + ["--hidden-dims", "13", "--resume", str(path)], "hidden_dims"),
        (FC_RUN + ["--resume", str(tmp_path / "none.npz")], "no such file"),
        (FC_RUN + ["--resume", str(tmp_path)], "is a directory"),
        (FC_RUN + ["--epochs", "2", "--resume", str(path)], "num_epochs >= 3"),
    ]
    (tmp_path / "cut.npz").write_bytes(path.read_bytes()[:-10])
    cases.append((FC_RUN + ["--resume", str(tmp_path / "cut.npz")], "truncated"))
    for argv, fact in cases:
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        last = err.strip().splitlines()[-1]
        assert "argument --resume:" in last and fact in last and "Traceback" not in err


@pytest.mark.parametrize(
    "option, path, fact",
    [
        ("--checkpoint", "missing/run.npz", "does not exist"),
        ("--checkpoint", ".", "is a directory"),
        ("--plot", "missing/p.png", "does not exist"),
        ("--plot", "curves.xyz", "cannot write .xyz files"),
    ],
)
def test_output_paths_are_checked_before_training(
    tmp_path, monkeypatch, capsys, option, path, fact
):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(TINY_THREELAYER + [option, path])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # not even the model line: nothing was trained
    assert f"argument {option}: " in captured.err and fact in captured.err


def test_unwritable_directory_is_refused_before_training(tmp_path, monkeypatch, capsys):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    with pytest.raises(SystemExit):
        main(TINY_THREELAYER + ["--checkpoint", str(tmp_path / "c.npz")])
    assert "argument --checkpoint: cannot write in the directory" in capsys.readouterr().err


def test_a_checkpoint_write_failing_mid_run_is_one_line(tmp_path, monkeypatch, capsys):
    import cs231nbook.checkpoint as checkpoint_module

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint_module, "write_archive", full_disk)
    status = main(TINY_THREELAYER + ["--quiet", "--checkpoint", str(tmp_path / "c.npz")])
    err = capsys.readouterr().err
    assert status == 1 and len(err.strip().splitlines()) == 1
    assert "argument --checkpoint: cannot write" in err and "No space left" in err


@pytest.mark.parametrize(
    "argv, facts",
    [
        (["--epochs", "-1"], ("argument --epochs:", "positive integer", "-1")),
        (["--epochs", "two"], ("argument --epochs:", "positive integer", "'two'")),
        (["--model", "resnet"], ("argument --model:", "'resnet'")),
        (["--lr", "0"], ("argument --lr:", "positive", "0")),
        (["--lr-decay", "1.5"], ("argument --lr-decay:", "(0, 1]", "1.5")),
        (["--reg", "-0.1"], ("argument --reg:", ">= 0", "-0.1")),
        (["--weight-scale", "xavier"], ("argument --weight-scale:", "'kaiming'", "'xavier'")),
        (["--update-rule", "lbfgs"], ("argument --update-rule:", "'lbfgs'")),
        (["--batchnorm"], ("--batchnorm", "threelayer")),
        (["--max-pools", "0"], ("--max-pools", "deep", "threelayer")),
        (["--model", "fc", "--num-filters", "8"], ("--num-filters", "fc")),
        (["--num-filters", "8", "8"], ("--num-filters", "[8, 8]")),
        (["--filter-size", "4"], ("filter_size", "odd")),
        (["--model", "deep", "--num-filters", "4", "4", "4", "4"], ("input_dims", "(1, 8, 8)")),
        (["--model", "deep", "--max-pools", "0", "0"], ("max_pools", "0")),
        (["--model", "deep", "--max-pools", "3"], ("max_pools", "3")),
        (["--epochs"], ("argument --epochs:", "expected one argument")),
    ],
)
def test_bad_options_exit_2_with_a_message(argv, facts, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m cs231nbook.train") and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("python -m cs231nbook.train: error: ")
    for fact in facts:
        assert fact in last, (fact, last)


def test_plot_without_matplotlib_says_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(SystemExit) as exit_info:
        main(TINY_THREELAYER + ["--plot", str(tmp_path / "p.png")])
    assert exit_info.value.code == 2
    assert "--plot needs matplotlib: pip install matplotlib" in capsys.readouterr().err
    assert not (tmp_path / "p.png").exists()


def test_runs_as_a_module():
    result = subprocess.run(
        [sys.executable, "-m", "cs231nbook.train", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "--cifar10 DIR" in result.stdout


def test_resume_with_more_epochs_extends_the_run_exactly(tmp_path, capsys):
    # before: --epochs was ignored by --resume (the run stopped at the epochs it began with)
    five = FC_RUN + ["--epochs", "5"]
    assert main(five) == 0
    expected = [line for line in capsys.readouterr().out.splitlines() if "accuracy" in line]
    path = tmp_path / "run.npz"
    assert main(FC_RUN + ["--checkpoint", str(path)]) == 0  # 3 epochs
    capsys.readouterr()
    assert main(five + ["--resume", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("trained epochs 4 to 5 in ") for line in out)
    assert main(FC_RUN + ["--checkpoint", str(path), "--resume", str(path)]) == 0  # finished
    assert "nothing left to train (the run had reached epoch 3)" in capsys.readouterr().out
    assert [line for line in out if "accuracy" in line][1:] == expected[1:]  # after the time


def test_the_interruption_hint_names_the_file_that_holds_this_run(tmp_path, monkeypatch, capsys):
    import cs231nbook.solver as solver_module

    old = tmp_path / "old.npz"
    assert main(FC_RUN + ["--checkpoint", str(old)]) == 0
    stale = tmp_path / "stale.npz"  # a checkpoint of another run (another seed)
    assert main(FC_RUN + ["--seed", "1", "--checkpoint", str(stale)]) == 0
    capsys.readouterr()

    def interrupt(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(solver_module.Solver, "train", interrupt)
    # resumed, interrupted before any new epoch: --checkpoint is stale, --resume holds the run
    argv = FC_RUN + ["--epochs", "5", "--checkpoint", str(stale), "--resume", str(old)]
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert f"{old} holds epoch 3: continue with --resume {old}" in err and str(stale) not in err
    assert main(FC_RUN + ["--checkpoint", str(stale)]) == 130  # the stale file is not this run
    assert "use --checkpoint PATH" in capsys.readouterr().err


def test_an_unreadable_resume_file_exits_2_naming_it(tmp_path, monkeypatch, capsys):
    import cs231nbook.checkpoint as checkpoint_module

    path = tmp_path / "run.npz"
    assert main(FC_RUN + ["--checkpoint", str(path)]) == 0
    capsys.readouterr()

    def no_permission(name, mode="r"):
        raise PermissionError(13, "Permission denied", name)

    monkeypatch.setattr(checkpoint_module, "open", no_permission, raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(FC_RUN + ["--resume", str(path)])
    assert exit_info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "argument --resume:" in last and "Permission denied" in last and str(path) in last
