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


def test_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in [
        "--model",
        "--hidden-dims",
        "--num-filters",
        "--filter-size",
        "--hidden-dim",
        "--max-pools",
        "--batchnorm",
        "--weight-scale",
        "--reg",
        "--dtype",
        "--epochs",
        "--batch-size",
        "--update-rule",
        "--lr",
        "--lr-decay",
        "--seed",
        "--print-every",
        "--quiet",
        "--cifar10",
        "--num-training",
        "--checkpoint",
        "--plot",
    ]:
        assert option in text, option
    assert "kaiming" in text and "(default: threelayer)" in text


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--epochs", "-1"], "argument --epochs: expected a positive integer; got -1"),
        (["--epochs", "two"], "argument --epochs: expected a positive integer; got 'two'"),
        (["--model", "resnet"], "argument --model: invalid choice: 'resnet'"),
        (["--lr", "0"], "argument --lr: expected a positive number; got 0"),
        (["--reg", "-0.1"], "argument --reg: expected a number >= 0; got -0.1"),
        (
            ["--weight-scale", "xavier"],
            "argument --weight-scale: expected a positive number or 'kaiming'; got 'xavier'",
        ),
        (["--update-rule", "lbfgs"], "argument --update-rule: invalid choice: 'lbfgs'"),
        (["--batchnorm"], "--batchnorm applies to --model fc or deep, not threelayer"),
        (["--max-pools", "0"], "--max-pools applies to --model deep, not threelayer"),
        (
            ["--model", "fc", "--num-filters", "8"],
            "--num-filters applies to --model threelayer or deep",
        ),
        (
            ["--num-filters", "8", "8"],
            "--model threelayer takes one --num-filters value; got [8, 8]",
        ),
        (["--filter-size", "4"], "filter_size must be odd"),
        (
            ["--model", "deep", "--num-filters", "4", "4", "4", "4"],
            "input_dims = (1, 8, 8) is too small for max pools after the conv layers [0, 1, 2, 3]",
        ),
        (
            ["--model", "deep", "--max-pools", "0", "0"],
            "max_pools must not repeat a layer index; 0 appears twice",
        ),
        (["--model", "deep", "--max-pools", "3"], "max_pools[0] = 3 is not a conv layer index"),
        (["--epochs"], "argument --epochs: expected one argument"),
    ],
)
def test_bad_options_exit_2_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("usage: python -m cs231nbook.train")


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
