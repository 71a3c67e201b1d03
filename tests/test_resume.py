"""Solver.restore: a run stopped after epoch k and continued ends bitwise identical."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from training_data import blobs as shared_blobs

from cs231nbook.classifiers import DeepConvNet, FullyConnectedNet
from cs231nbook.solver import Solver

ROOT = Path(__file__).resolve().parents[1]
NUM_EPOCHS = 4


def blobs(n_train=80, n_val=40, D=6, C=3, seed=2):
    # a little larger and less separated than the shared default: several epochs matter
    return shared_blobs(n_train, n_val, D, C, seed, spread=2.0)


def images(n_train=40, n_val=20, seed=3):
    rng = np.random.default_rng(seed)
    return {
        "X_train": rng.standard_normal((n_train, 1, 4, 4)),
        "y_train": rng.integers(3, size=n_train),
        "X_val": rng.standard_normal((n_val, 1, 4, 4)),
        "y_val": rng.integers(3, size=n_val),
    }


class SoftmaxRegression:
    """A model of your own: only params and loss, no get_state, no architecture."""

    def __init__(self, D=6, C=3):
        self.params = {"W": np.zeros((D, C)), "b": np.zeros(C)}

    def loss(self, X, y=None):
        scores = X @ self.params["W"] + self.params["b"]
        if y is None:
            return scores
        p = np.exp(scores - scores.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        loss = -np.log(p[np.arange(len(y)), y]).mean()
        p[np.arange(len(y)), y] -= 1
        return loss, {"W": X.T @ p / len(y), "b": p.mean(0)}


# Each setup: (model builder, data builder, Solver arguments). Every one keeps some state the
# resumed run must get back: momentum/Adam state, a decayed learning rate, running statistics,
# a dropout stream, accuracy subsamples.
SETUPS = {
    "fc-momentum": (
        lambda: FullyConnectedNet([10], input_dim=6, num_classes=3, dtype=np.float64, seed=0),
        blobs,
        dict(update_rule="sgd_momentum", optim_config={"learning_rate": 0.05}, lr_decay=0.9),
    ),
    "fc-batchnorm-dropout-adam": (
        lambda: FullyConnectedNet(
            [10, 10],
            input_dim=6,
            num_classes=3,
            normalization="batchnorm",
            dropout_keep_ratio=0.7,
            weight_scale=0.3,
            dtype=np.float64,
            seed=0,
        ),
        blobs,
        dict(
            update_rule="adam",
            optim_config={"learning_rate": 5e-3},
            lr_decay=0.8,
            num_train_samples=30,
            num_val_samples=25,
        ),
    ),
    "fc-dropout-nesterov": (
        lambda: FullyConnectedNet(
            [10], input_dim=6, num_classes=3, dropout_keep_ratio=0.6, dtype=np.float64, seed=0
        ),
        blobs,
        dict(
            update_rule="nesterov_momentum",
            optim_config={"learning_rate": 0.05},
            lr_decay=0.7,
            num_train_samples=20,
        ),
    ),
    "own-model-without-state": (
        lambda: SoftmaxRegression(),
        blobs,
        dict(update_rule="sgd_momentum", optim_config={"learning_rate": 0.1}, lr_decay=0.9),
    ),
    "deepconv-batchnorm-rmsprop": (
        lambda: DeepConvNet(
            (1, 4, 4), num_filters=[3], max_pools=[0], batchnorm=True, num_classes=3, seed=0
        ),
        images,
        dict(update_rule="rmsprop", optim_config={"learning_rate": 1e-3}),
    ),
}


def build(setup, **extra):
    make_model, make_data, kwargs = SETUPS[setup]
    settings = dict(batch_size=16, num_epochs=NUM_EPOCHS, verbose=False, seed=0)
    settings.update(kwargs)
    settings.update(extra)
    return Solver(make_model(), make_data(), **settings)


def assert_bitwise_equal(a, b):
    assert a.loss_history == b.loss_history
    assert a.train_acc_history == b.train_acc_history
    assert a.val_acc_history == b.val_acc_history
    assert a.best_val_acc == b.best_val_acc
    assert (a.epoch, a.iteration) == (b.epoch, b.iteration)
    for name in a.model.params:
        assert np.array_equal(a.model.params[name], b.model.params[name]), name
        assert a.model.params[name].dtype == b.model.params[name].dtype
        assert np.array_equal(a.best_params[name], b.best_params[name]), name
        for key, value in a.optim_configs[name].items():
            assert np.array_equal(value, b.optim_configs[name][key]), (name, key)
    state_a = getattr(a.model, "get_state", dict)()
    state_b = getattr(b.model, "get_state", dict)()
    assert state_a.keys() == state_b.keys()
    for key in state_a:
        assert np.array_equal(state_a[key], state_b[key]), key


@pytest.fixture(scope="module", params=sorted(SETUPS))
def uninterrupted(request, tmp_path_factory):
    directory = tmp_path_factory.mktemp(request.param)
    solver = build(request.param, checkpoint_name=directory / "run")
    solver.train()
    return request.param, solver, directory


@pytest.mark.parametrize("k", range(1, NUM_EPOCHS + 1))
def test_restore_after_epoch_k_ends_bitwise_identical(uninterrupted, k):
    setup, reference, directory = uninterrupted
    resumed = build(setup)
    checkpoint = resumed.restore(directory / f"run_epoch_{k}.npz")
    assert checkpoint.epoch == k and checkpoint.target_epoch == NUM_EPOCHS
    assert resumed.epoch == k
    resumed.train()
    assert_bitwise_equal(reference, resumed)


def test_resumed_progress_lines_are_the_tail_of_the_uninterrupted_ones(tmp_path, capsys):
    reference = build("fc-momentum", verbose=True, print_every=2, checkpoint_path=tmp_path / "c")
    reference.train()
    full = capsys.readouterr().out.splitlines()
    # checkpoint_path holds the last epoch; rebuild the one of epoch 2 with checkpoint_name
    partial = build("fc-momentum", checkpoint_name=tmp_path / "r", num_epochs=NUM_EPOCHS)
    partial.train()
    capsys.readouterr()
    resumed = build("fc-momentum", verbose=True, print_every=2)
    resumed.restore(tmp_path / "r_epoch_2.npz")
    resumed.train()
    tail = capsys.readouterr().out.splitlines()
    assert tail == full[-len(tail) :] and tail[-1].startswith("epoch 4/4")
    assert [line[:9] for line in tail if line.startswith("epoch")] == ["epoch 3/4", "epoch 4/4"]
    assert_bitwise_equal(reference, resumed)


def test_checkpoint_path_keeps_the_last_epoch(tmp_path):
    solver = build("fc-momentum", checkpoint_path=tmp_path / "last.npz")
    solver.train()
    assert os.listdir(tmp_path) == ["last.npz"]
    resumed = build("fc-momentum")
    assert resumed.restore(tmp_path / "last.npz").epoch == NUM_EPOCHS


def test_a_finished_run_continues_like_a_second_train_call(tmp_path):
    # the checkpoint of the last epoch, restored, gives the same state as the end of train();
    # a further train() runs num_epochs more epochs in both cases
    reference = build("fc-batchnorm-dropout-adam", checkpoint_name=tmp_path / "run")
    reference.train()
    resumed = build("fc-batchnorm-dropout-adam")
    resumed.restore(tmp_path / f"run_epoch_{NUM_EPOCHS}.npz")
    resumed.train()
    assert_bitwise_equal(reference, resumed)
    reference.train()
    resumed.train()
    assert resumed.epoch == 2 * NUM_EPOCHS
    assert_bitwise_equal(reference, resumed)


@pytest.mark.parametrize("num_epochs", [2, 3, 6])
def test_another_num_epochs_ends_as_the_uninterrupted_run_with_it(uninterrupted, num_epochs):
    # the checkpoint of epoch 2 of a 4-epoch run, continued to 2, 3 or 6 epochs in all
    setup, _, directory = uninterrupted
    reference = build(setup, num_epochs=num_epochs)
    reference.train()
    resumed = build(setup, num_epochs=num_epochs)
    resumed.restore(directory / "run_epoch_2.npz")
    resumed.train()
    assert resumed.epoch == num_epochs
    assert_bitwise_equal(reference, resumed)


def test_a_num_epochs_the_run_is_already_past_is_refused(uninterrupted):
    setup, _, directory = uninterrupted
    solver = build(setup, num_epochs=2)
    before = solver_fingerprint(solver)
    with pytest.raises(ValueError, match=r"run_epoch_3.npz.*after epoch 3.*num_epochs >= 3"):
        solver.restore(directory / "run_epoch_3.npz")
    assert_same(before, solver_fingerprint(solver))


def momentum_with_a_log(w, dw, config):
    """A rule of your own whose config holds a list besides its arrays (JSON in checkpoints)."""
    config.setdefault("learning_rate", 0.05)
    config["velocity"] = 0.9 * config.get("velocity", np.zeros_like(w)) - 0.05 * dw
    config["log"] = config.get("log", []) + [{"step": len(config.get("log", []))}]
    return w + config["velocity"], config


def test_a_rule_of_your_own_with_list_state_resumes_exactly(tmp_path):
    # before: its list made the first checkpoint fail, after one epoch of training
    reference = build(
        "fc-momentum", update_rule=momentum_with_a_log, checkpoint_name=tmp_path / "r"
    )
    reference.train()
    resumed = build("fc-momentum", update_rule=momentum_with_a_log)
    resumed.restore(tmp_path / "r_epoch_2.npz")
    resumed.train()
    assert_bitwise_equal(reference, resumed)
    assert len(resumed.optim_configs["W1"]["log"]) == resumed.iteration


RESUME_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    sys.path.insert(0, {tests!r})
    from test_resume import build

    solver = build({setup!r})
    solver.restore({checkpoint!r})
    solver.train()
    arrays = {{"p/" + k: v for k, v in solver.model.params.items()}}
    arrays.update({{"s/" + k: v for k, v in solver.model.get_state().items()}})
    np.savez({out!r}, loss=np.array(solver.loss_history), train=np.array(solver.train_acc_history),
             val=np.array(solver.val_acc_history), best=np.array(solver.best_val_acc), **arrays)
    """
)


def test_restore_in_a_new_process(tmp_path):
    setup = "fc-batchnorm-dropout-adam"
    reference = build(setup, checkpoint_name=tmp_path / "run")
    reference.train()
    out = tmp_path / "resumed.npz"
    script = RESUME_SCRIPT.format(
        tests=str(ROOT / "tests"),
        setup=setup,
        checkpoint=str(tmp_path / "run_epoch_2.npz"),
        out=str(out),
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    with np.load(out, allow_pickle=False) as got:
        assert np.array_equal(got["loss"], np.array(reference.loss_history))
        assert np.array_equal(got["train"], np.array(reference.train_acc_history))
        assert np.array_equal(got["val"], np.array(reference.val_acc_history))
        assert got["best"] == reference.best_val_acc
        for name, value in reference.model.params.items():
            assert np.array_equal(got[f"p/{name}"], value), name
        for key, value in reference.model.get_state().items():
            if key.startswith("rng."):
                assert str(got[f"s/{key}"]) == str(value)
            else:
                assert np.array_equal(got[f"s/{key}"], value), key


# --- restore refuses what would not continue exactly, and then changes nothing --------------------


@pytest.fixture(scope="module")
def epoch_two(tmp_path_factory):
    directory = tmp_path_factory.mktemp("two")
    build("fc-batchnorm-dropout-adam", checkpoint_name=directory / "run").train()
    return directory / "run_epoch_2.npz"


def solver_fingerprint(solver):
    return (
        {k: v.copy() for k, v in solver.model.params.items()},
        {
            k: str(v) if k.startswith("rng.") else v.copy()
            for k, v in getattr(solver.model, "get_state", dict)().items()
        },
        list(solver.loss_history),
        solver.epoch,
        solver._batch_rng.bit_generator.state,
    )


def assert_same(a, b):
    for x, y in zip(a[:2], b[:2]):
        assert x.keys() == y.keys()
        for key in x:
            assert (
                np.array_equal(x[key], y[key]) if not isinstance(x[key], str) else x[key] == y[key]
            )
    assert a[2:] == b[2:]


@pytest.mark.parametrize(
    "change, fact",
    [
        (dict(batch_size=8), "batch_size"),
        (dict(optim_config={"learning_rate": 1e-2}), "optim_config"),
        (dict(update_rule="sgd", optim_config={"learning_rate": 5e-3}), "update_rule"),
        (dict(lr_decay=0.5), "lr_decay"),
        (dict(num_val_samples=None), "num_val_samples"),
    ],
)
def test_other_settings_are_refused(epoch_two, change, fact):
    solver = build("fc-batchnorm-dropout-adam", **change)
    before = solver_fingerprint(solver)
    with pytest.raises(ValueError, match=f"run_epoch_2.npz.*{fact}"):
        solver.restore(epoch_two)
    assert_same(before, solver_fingerprint(solver))


def test_other_data_model_or_reg_are_refused(epoch_two):
    _, _, kwargs = SETUPS["fc-batchnorm-dropout-adam"]
    settings = dict(batch_size=16, num_epochs=NUM_EPOCHS, verbose=False, seed=0, **kwargs)
    model = SETUPS["fc-batchnorm-dropout-adam"][0]()
    data = blobs(seed=5)
    with pytest.raises(ValueError, match=r"other data: X_train differs \(its values\)"):
        Solver(model, data, **settings).restore(epoch_two)
    data = dict(blobs(), X_train=blobs()["X_train"].astype(np.float32))
    with pytest.raises(ValueError, match=r"X_train differs \(dtype <f8 vs <f4\)"):
        Solver(model, data, **settings).restore(epoch_two)
    other = FullyConnectedNet([10, 10], input_dim=6, num_classes=3, dtype=np.float64, seed=0)
    with pytest.raises(ValueError, match="dropout_keep_ratio"):
        Solver(other, blobs(), **settings).restore(epoch_two)
    regularized = FullyConnectedNet(
        [10, 10],
        input_dim=6,
        num_classes=3,
        normalization="batchnorm",
        dropout_keep_ratio=0.7,
        reg=0.1,
        dtype=np.float64,
    )
    with pytest.raises(ValueError, match="model_reg"):
        Solver(regularized, blobs(), **settings).restore(epoch_two)


def test_a_mid_epoch_checkpoint_is_refused(tmp_path):
    solver = build("fc-momentum")
    real = solver._step
    calls = {"n": 0}

    def step(batch):
        calls["n"] += 1
        if calls["n"] == 8:
            raise KeyboardInterrupt
        return real(batch)

    solver._step = step
    with pytest.raises(KeyboardInterrupt):
        solver.train()
    solver.save_checkpoint(tmp_path / "mid.npz")
    fresh = build("fc-momentum")
    with pytest.raises(ValueError, match="middle of an epoch"):
        fresh.restore(tmp_path / "mid.npz")


def test_a_damaged_checkpoint_leaves_the_solver_untouched(epoch_two, tmp_path):
    raw = epoch_two.read_bytes()
    solver = build("fc-batchnorm-dropout-adam")
    before = solver_fingerprint(solver)
    for cut in range(0, len(raw), max(1, len(raw) // 40)):
        (tmp_path / "cut.npz").write_bytes(raw[:cut])
        with pytest.raises(ValueError, match="cut.npz"):
            solver.restore(tmp_path / "cut.npz")
    assert_same(before, solver_fingerprint(solver))
