import os
import warnings

import numpy as np
import pytest
from training_data import blobs

from cs231nbook.checkpoint import load_checkpoint
from cs231nbook.classifiers import FullyConnectedNet
from cs231nbook.solver import Solver, TrainingDivergedError


def tiny_model(seed=0, dtype=np.float64):
    return FullyConnectedNet(
        [8], input_dim=4, num_classes=3, weight_scale=0.1, dtype=dtype, seed=seed
    )


def plain_sgd(w, dw, config):
    """A callable update rule, written here so these tests do not depend on cs231nbook.optim."""
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config


def make_solver(model=None, data=None, **kwargs):
    settings = dict(
        update_rule=plain_sgd,
        optim_config={"learning_rate": 0.1},
        batch_size=10,
        num_epochs=3,
        verbose=False,
        seed=0,
    )
    settings.update(kwargs)
    return Solver(model or tiny_model(), data or blobs(), **settings)


# --- training behaviour ---------------------------------------------------------------------


def test_training_learns_and_records_histories():
    solver = make_solver(num_epochs=5)
    solver.train()
    assert len(solver.loss_history) == 5 * (60 // 10)
    assert len(solver.train_acc_history) == len(solver.val_acc_history) == 5 + 1
    assert solver.loss_history[-1] < solver.loss_history[0]
    assert solver.best_val_acc == max(solver.val_acc_history)
    assert solver.best_val_acc > 0.9
    assert solver.epoch == 5 and solver.iteration == 30


def test_same_seed_gives_identical_histories_and_parameters():
    a, b = make_solver(seed=7), make_solver(seed=7)
    a.train()
    b.train()
    assert a.loss_history == b.loss_history
    assert a.train_acc_history == b.train_acc_history
    assert a.val_acc_history == b.val_acc_history
    for name in a.model.params:
        np.testing.assert_array_equal(a.model.params[name], b.model.params[name])


def test_different_seeds_draw_different_minibatches():
    a, b = make_solver(seed=1), make_solver(seed=2)
    a.train()
    b.train()
    assert a.loss_history != b.loss_history


def test_generator_seed_is_accepted_and_reproducible():
    a = make_solver(seed=np.random.default_rng(5))
    b = make_solver(seed=np.random.default_rng(5))
    a.train()
    b.train()
    assert a.loss_history == b.loss_history


def test_global_numpy_random_state_is_untouched():
    before = np.random.get_state()[1].copy()
    make_solver(seed=None).train()
    np.testing.assert_array_equal(np.random.get_state()[1], before)


class RecordingModel:
    """Softmax regression that remembers which training rows it was shown (row i holds the value i)."""

    def __init__(self, num_classes=2):
        self.params = {"W": np.zeros((1, num_classes)), "b": np.zeros(num_classes)}
        self.seen: list[np.ndarray] = []

    def loss(self, X, y=None):
        scores = X.reshape(len(X), -1) @ self.params["W"] + self.params["b"]
        if y is None:
            return scores
        self.seen.append(X[:, 0].astype(int))
        return 0.0, {name: np.zeros_like(p) for name, p in self.params.items()}


def test_each_epoch_samples_without_replacement():
    N, batch = 23, 5
    data = {
        "X_train": np.arange(N, dtype=float)[:, None],
        "y_train": np.zeros(N, dtype=int),
        "X_val": np.zeros((4, 1)),
        "y_val": np.zeros(4, dtype=int),
    }
    model = RecordingModel()
    Solver(
        model, data, update_rule=plain_sgd, batch_size=batch, num_epochs=3, verbose=False, seed=0
    ).train()
    assert len(model.seen) == 3 * (N // batch)
    for epoch in range(3):
        rows = np.concatenate(model.seen[epoch * 4 : (epoch + 1) * 4])
        assert len(rows) == len(set(rows.tolist())) == 20  # no row twice; 3 sit the epoch out


def test_batch_larger_than_training_set_uses_all_of_it():
    model = RecordingModel()
    data = {
        "X_train": np.arange(7, dtype=float)[:, None],
        "y_train": np.zeros(7, dtype=int),
        "X_val": np.zeros((2, 1)),
        "y_val": np.zeros(2, dtype=int),
    }
    Solver(model, data, update_rule=plain_sgd, batch_size=100, num_epochs=2, verbose=False).train()
    assert [sorted(rows.tolist()) for rows in model.seen] == [list(range(7))] * 2


def test_one_optim_config_per_parameter_deep_copied():
    shared = {"learning_rate": 0.05, "nested": {"list": [1]}}

    def rule(w, dw, config):
        config["nested"]["list"].append(0)  # would leak between parameters with a shallow copy
        return w - config["learning_rate"] * dw, config

    solver = make_solver(update_rule=rule, optim_config=shared, num_epochs=1)
    solver.train()
    assert set(solver.optim_configs) == set(solver.model.params)
    steps = solver.iteration
    for config in solver.optim_configs.values():
        assert config["nested"]["list"] == [1] + [0] * steps
    assert shared == {"learning_rate": 0.05, "nested": {"list": [1]}}


def test_learning_rate_decays_once_per_epoch():
    seen = []

    def rule(w, dw, config):
        seen.append(config["learning_rate"])
        return w - config["learning_rate"] * dw, config

    solver = make_solver(
        update_rule=rule, optim_config={"learning_rate": 0.1}, lr_decay=0.5, num_epochs=3
    )
    solver.train()
    per_step = len(solver.model.params)  # the rule is called once per parameter and step
    per_epoch = per_step * (60 // 10)
    for epoch in range(3):
        assert set(seen[epoch * per_epoch : (epoch + 1) * per_epoch]) == {0.1 * 0.5**epoch}
    for config in solver.optim_configs.values():
        assert config["learning_rate"] == pytest.approx(0.1 * 0.5**3, rel=1e-15)


def test_lr_decay_without_a_learning_rate_is_an_error():
    def rule(w, dw, config):
        return w - 0.1 * dw, config

    with pytest.raises(ValueError, match="lr_decay=0.9 needs a 'learning_rate'"):
        make_solver(update_rule=rule, optim_config={}, lr_decay=0.9).train()


def test_best_parameters_are_restored(tmp_path):
    calls = {"n": 0}

    def sabotage_after_two_epochs(w, dw, config):
        calls["n"] += 1
        if calls["n"] > 2 * 6 * 2:  # 2 epochs x 6 steps x 2 parameters, then collapse to zeros
            return np.zeros_like(w), config
        return w - 0.1 * dw, config

    solver = make_solver(
        update_rule=sabotage_after_two_epochs, num_epochs=4, checkpoint_name=tmp_path / "run"
    )
    solver.train()
    best_epoch = int(np.argmax(solver.val_acc_history))
    assert 1 <= best_epoch <= 2 and solver.val_acc_history[-1] < solver.best_val_acc
    best = load_checkpoint(tmp_path / f"run_epoch_{best_epoch}.npz").params
    for name, value in solver.model.params.items():
        np.testing.assert_array_equal(value, best[name])
        np.testing.assert_array_equal(value, solver.best_params[name])
    assert solver.check_accuracy(solver.X_val, solver.y_val) == solver.best_val_acc


def test_train_again_continues_the_run():
    solver = make_solver(num_epochs=2)
    solver.train()
    solver.train()
    assert solver.epoch == 4
    assert len(solver.val_acc_history) == 5 and len(solver.loss_history) == 4 * 6


# --- divergence -----------------------------------------------------------------------------


class NaNAfter:
    """A model whose loss turns NaN at a given step."""

    def __init__(self, step):
        self.params = {"W": np.zeros((4, 3))}
        self.step, self.calls = step, 0

    def loss(self, X, y=None):
        if y is None:
            return X @ self.params["W"]
        self.calls += 1
        return (np.nan if self.calls == self.step else 1.0), {"W": np.ones((4, 3))}


def test_nan_loss_stops_training_with_a_clear_error():
    model = NaNAfter(step=8)
    solver = make_solver(model=model)
    with pytest.raises(TrainingDivergedError, match=r"iteration 8 \(epoch 2\): the loss is nan"):
        solver.train()
    assert issubclass(TrainingDivergedError, FloatingPointError)
    assert solver.iteration == 7 and len(solver.loss_history) == 7


def test_exploding_learning_rate_raises_without_warnings():
    solver = make_solver(optim_config={"learning_rate": 1e30}, num_epochs=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TrainingDivergedError, match="(?i)lower the learning rate"):
            solver.train()


def test_non_finite_gradient_is_caught():
    class BadGrad(NaNAfter):
        def loss(self, X, y=None):
            if y is None:
                return X @ self.params["W"]
            return 1.0, {"W": np.full((4, 3), np.inf)}

    with pytest.raises(TrainingDivergedError, match=r"gradients of \['W'\] are not finite"):
        make_solver(model=BadGrad(1)).train()


# --- checkpoints ----------------------------------------------------------------------------


def test_checkpoint_round_trip(tmp_path):
    def momentum(w, dw, config):
        v = config.get("velocity", np.zeros_like(w))
        config["velocity"] = 0.9 * v - config["learning_rate"] * dw
        return w + config["velocity"], config

    solver = make_solver(
        update_rule=momentum, lr_decay=0.9, num_epochs=2, checkpoint_name=str(tmp_path / "ck")
    )
    solver.train()
    assert sorted(os.listdir(tmp_path)) == [
        "ck_epoch_1.npz",
        "ck_epoch_2.npz",
    ]  # no temporary files left

    with np.load(tmp_path / "ck_epoch_2.npz", allow_pickle=False) as archive:
        assert "meta" in archive.files  # plain arrays only: readable without pickle
    fresh = tiny_model(seed=99)
    ckpt = load_checkpoint(tmp_path / "ck_epoch_2.npz", fresh)
    # the last checkpoint was written before the best parameters were restored
    for name in fresh.params:
        np.testing.assert_array_equal(fresh.params[name], ckpt.params[name])
        np.testing.assert_array_equal(ckpt.best_params[name], solver.best_params[name])
        np.testing.assert_array_equal(
            ckpt.optim_configs[name]["velocity"], solver.optim_configs[name]["velocity"]
        )
        assert (
            ckpt.optim_configs[name]["learning_rate"] == solver.optim_configs[name]["learning_rate"]
        )
        assert fresh.params[name].dtype == solver.model.params[name].dtype
    assert ckpt.loss_history == solver.loss_history
    assert ckpt.train_acc_history == solver.train_acc_history
    assert ckpt.val_acc_history == solver.val_acc_history
    assert (ckpt.epoch, ckpt.iteration, ckpt.best_val_acc) == (
        2,
        solver.iteration,
        solver.best_val_acc,
    )
    assert ckpt.hyperparameters["update_rule"] == "momentum"
    assert ckpt.hyperparameters["lr_decay"] == 0.9 and ckpt.hyperparameters["seed"] == 0
    assert Solver.load_checkpoint is load_checkpoint

    first = load_checkpoint(tmp_path / "ck_epoch_1.npz")
    assert first.epoch == 1 and len(first.val_acc_history) == 2


def test_checkpoint_loads_into_the_same_predictions(tmp_path):
    solver = make_solver()
    solver.train()
    solver.save_checkpoint(tmp_path / "final.npz")
    fresh = tiny_model(seed=42)
    load_checkpoint(tmp_path / "final.npz", fresh)
    X = solver.X_val
    np.testing.assert_array_equal(fresh.loss(X), solver.model.loss(X))


def test_load_checkpoint_refuses_a_mismatched_model(tmp_path):
    solver = make_solver(num_epochs=1)
    solver.train()
    solver.save_checkpoint(tmp_path / "c.npz")
    wider = FullyConnectedNet([9], input_dim=4, num_classes=3, dtype=np.float64, seed=0)
    before = {k: v.copy() for k, v in wider.params.items()}
    with pytest.raises(ValueError, match=r"c\.npz.*hidden_dims.*\[8\].*\[9\]"):
        load_checkpoint(tmp_path / "c.npz", wider)
    for name in before:  # all or nothing
        np.testing.assert_array_equal(wider.params[name], before[name])
    with pytest.raises(ValueError, match=r"hidden_dims.*\[8\].*\[8, 8\]"):
        load_checkpoint(
            tmp_path / "c.npz",
            FullyConnectedNet([8, 8], input_dim=4, num_classes=3, dtype=np.float64, seed=0),
        )
    with pytest.raises(ValueError, match="dtype.*float64.*float32"):
        load_checkpoint(tmp_path / "c.npz", tiny_model(dtype=np.float32))


def test_load_checkpoint_refuses_other_npz_files(tmp_path):
    np.savez(tmp_path / "other.npz", a=np.ones(2))
    with pytest.raises(ValueError, match="not a cs231nbook checkpoint"):
        load_checkpoint(tmp_path / "other.npz")


# --- accuracy and progress display ----------------------------------------------------------


def test_check_accuracy_in_batches_and_on_a_subsample():
    class Oracle:
        params = {"W": np.zeros(1)}

        def loss(self, X, y=None):
            return np.eye(3)[X[:, 0].astype(int)]  # predicts the class written in the first feature

    y = np.array([0, 1, 2, 2, 1, 0, 0, 1, 2, 1])
    X = np.zeros((10, 2))
    X[:, 0] = y
    X[:4, 0] = (y[:4] + 1) % 3  # the first four are predicted wrong
    data = {"X_train": X, "y_train": y, "X_val": X, "y_val": y}
    solver = Solver(Oracle(), data, update_rule=plain_sgd, verbose=False, seed=0)
    assert solver.check_accuracy(X, y, batch_size=3) == pytest.approx(0.6)
    assert solver.check_accuracy(X, y, num_samples=50) == pytest.approx(0.6)


def test_check_accuracy_scores_exactly_num_samples_distinct_examples():
    class Recorder:
        """Predicts class 0 and remembers which rows (column 0 holds the row index) it scored."""

        params = {"W": np.zeros(1)}

        def __init__(self):
            self.rows = []

        def loss(self, X, y=None):
            self.rows.extend(X[:, 0].astype(int).tolist())
            return np.tile([1.0, 0.0], (len(X), 1))

    X = np.zeros((40, 2))
    X[:, 0] = np.arange(40)
    y = (np.arange(40) % 3 == 0).astype(int)  # row i is predicted right iff i % 3 != 0
    data = {"X_train": X, "y_train": y, "X_val": X, "y_val": y}
    model = Recorder()
    solver = Solver(model, data, update_rule=plain_sgd, verbose=False, seed=0)
    for num_samples in (1, 7, 13):
        model.rows = []
        accuracy = solver.check_accuracy(X, y, num_samples=num_samples, batch_size=4)
        assert len(model.rows) == num_samples == len(set(model.rows))  # without replacement
        assert accuracy == np.mean([row % 3 != 0 for row in model.rows])
    model.rows = []
    solver.check_accuracy(X, y)  # None: every example, each once
    assert model.rows == list(range(40))


def test_verbose_prints_one_line_per_epoch(capsys):
    make_solver(verbose=True, print_every=None, num_epochs=3, lr_decay=0.5).train()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("epoch 0/3  loss      -  train acc ")
    assert lines[1].startswith("epoch 1/3  loss ") and lines[1].endswith("lr 1.00e-01")
    assert lines[3].endswith("lr 2.50e-02")


def test_print_every_adds_iteration_lines_and_verbose_false_is_silent(capsys):
    make_solver(verbose=True, print_every=4, num_epochs=2).train()
    out = capsys.readouterr().out
    assert out.count("(Iteration ") == 3 and "(Iteration 12 / 12) loss: " in out
    make_solver(verbose=False, print_every=1).train()
    assert capsys.readouterr().out == ""


# --- validation -----------------------------------------------------------------------------


def test_unknown_update_rule_lists_the_valid_names():
    with pytest.raises(
        ValueError,
        match=r"update_rule.*\['adam', 'nesterov_momentum', 'rmsprop', 'sgd', 'sgd_momentum'\]"
        r".*'sdg'",
    ):
        make_solver(update_rule="sdg")
    with pytest.raises(TypeError, match=r"update_rule.*name.*callable.*3"):
        make_solver(update_rule=3)


@pytest.mark.parametrize("rule", ["sgd", "sgd_momentum", "nesterov_momentum", "rmsprop", "adam"])
def test_update_rules_by_name_train_the_model(rule):
    lr = 1e-2 if rule in ("rmsprop", "adam") else 0.1
    solver = make_solver(update_rule=rule, optim_config={"learning_rate": lr}, num_epochs=4)
    solver.train()
    assert solver.best_val_acc > 0.9
    assert solver.loss_history[-1] < solver.loss_history[0]


@pytest.mark.parametrize(
    "change, error, message",
    [
        (lambda d: d.pop("y_val"), ValueError, r"data.*missing.*'y_val'"),
        (
            lambda d: d.update(y_train=d["y_train"][:-1]),
            ValueError,
            r"data\['y_train'\].*shape \(60,\).*\(59,\)",
        ),
        (
            lambda d: d.update(X_train=d["X_train"].astype(int)),
            TypeError,
            r"data\['X_train'\].*floating.*int64",
        ),
        (
            lambda d: d.update(y_val=d["y_val"].astype(float)),
            TypeError,
            r"data\['y_val'\].*integer.*float64",
        ),
        (
            lambda d: d.update(X_val=d["X_val"][:, :3]),
            ValueError,
            r"data\['X_val'\].*\(4,\).*\(3,\)",
        ),
        (lambda d: d.update(y_train=-d["y_train"] - 1), ValueError, r"class indices >= 0"),
        (
            lambda d: d.update(X_train=d["X_train"][:0], y_train=d["y_train"][:0]),
            ValueError,
            r"at least one example",
        ),
        (
            lambda d: d.update(X_val=list(d["X_val"])),
            TypeError,
            r"data\['X_val'\].*ndarray.*list",
        ),
    ],
)
def test_data_validation(change, error, message):
    data = blobs()
    change(data)
    with pytest.raises(error, match=message):
        make_solver(data=data)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"batch_size": 0}, ValueError, r"batch_size.*positive.*got 0"),
        ({"num_epochs": 2.5}, TypeError, r"num_epochs.*integer.*2\.5"),
        ({"lr_decay": 0}, ValueError, r"lr_decay.*\(0, 1\]; got 0"),
        ({"lr_decay": 1.5}, ValueError, r"lr_decay.*\(0, 1\]; got 1.5"),
        ({"lr_decay": float("nan")}, ValueError, r"lr_decay.*finite.*nan"),
        ({"lr_decay": "0.9"}, TypeError, r"lr_decay.*real number.*'0.9'"),
        ({"batch_size": 2.0}, TypeError, "batch_size.*integer.*2.0"),
        ({"num_epochs": -3}, ValueError, "num_epochs.*positive.*-3"),
        ({"seed": -1}, ValueError, "seed.*>= 0.*-1"),
        (
            {"update_rule": "sgd", "optim_config": {"lr": 0.1}},
            ValueError,
            r"optim_config.*\['lr'\].*sgd",
        ),
        (
            {"update_rule": "adam", "optim_config": {"momentum": 0.9}},
            ValueError,
            r"optim_config.*\['momentum'\].*'adam'.*'beta1'",
        ),
        (
            {"update_rule": "sgd_momentum", "optim_config": {"momentum": 1.5}},
            ValueError,
            r"optim_config.*momentum.*\[0, 1\).*1.5",
        ),
        (
            {"update_rule": "sgd", "optim_config": {"learning_rate": "big"}},
            TypeError,
            "optim_config.*learning_rate",
        ),
        ({"num_train_samples": -1}, ValueError, r"num_train_samples.*positive.*-1"),
        ({"optim_config": [("learning_rate", 1)]}, TypeError, r"optim_config.*dict.*list"),
        ({"verbose": "yes"}, TypeError, r"verbose.*True or False.*'yes'"),
        ({"seed": 1.5}, TypeError, r"seed.*Generator.*1\.5"),
        ({"checkpoint_name": 3}, TypeError, r"checkpoint_name.*str.*3"),
        (
            {"checkpoint_name": "/no/such/dir/run"},
            ValueError,
            "checkpoint_name.*/no/such/dir.*exist",
        ),
        ({"checkpoint_path": "/no/such/dir/run.npz"}, ValueError, "checkpoint_path.*exist"),
        ({"checkpoint_path": "/"}, ValueError, "checkpoint_path.*directory"),
    ],
)
def test_argument_validation(kwargs, error, message):
    with pytest.raises(error, match=message):
        make_solver(**kwargs)


def test_model_must_follow_the_contract():
    with pytest.raises(TypeError, match="model must have a params dict and a loss"):
        Solver(object(), blobs())


def test_data_is_not_modified():
    data = blobs()
    copies = {k: v.copy() for k, v in data.items()}
    make_solver(data=data).train()
    for key in data:
        np.testing.assert_array_equal(data[key], copies[key])


def test_best_running_statistics_are_restored_with_the_best_params(tmp_path):
    # Batch-norm running statistics are model state outside params; restoring only the
    # best params would pair them with statistics gathered by later parameters.
    from cs231nbook.checkpoint import load_checkpoint, model_state
    from cs231nbook.classifiers import FullyConnectedNet

    rng = np.random.default_rng(0)
    data = {
        "X_train": rng.standard_normal((60, 6)),
        "y_train": rng.integers(3, size=60),
        "X_val": rng.standard_normal((20, 6)),
        "y_val": rng.integers(3, size=20),
    }
    model = FullyConnectedNet(
        [8],
        input_dim=6,
        num_classes=3,
        normalization="batchnorm",
        weight_scale=0.5,
        dtype=np.float64,
        seed=0,
    )
    solver = Solver(
        model,
        data,
        update_rule="sgd",
        optim_config={"learning_rate": 0.5},
        batch_size=20,
        num_epochs=6,
        verbose=False,
        seed=0,
        checkpoint_name=tmp_path / "bn",
    )
    solver.train()
    assert solver.best_state  # the model has running statistics to remember
    best_epoch = int(np.argmax(solver.val_acc_history))
    assert best_epoch < solver.epoch, "the test needs a best epoch before the last one"
    restored = model_state(model)
    for key, value in solver.best_state.items():
        np.testing.assert_array_equal(restored[key], value)
    # the checkpoint of the best epoch stored the same statistics, and loading puts them back
    checkpoint = load_checkpoint(tmp_path / f"bn_epoch_{best_epoch}.npz")
    for key, value in solver.best_state.items():
        np.testing.assert_array_equal(checkpoint.state[key], value)
    fresh = FullyConnectedNet(
        [8], input_dim=6, num_classes=3, normalization="batchnorm", dtype=np.float64, seed=1
    )
    fresh.loss(data["X_train"][:4], data["y_train"][:4])  # creates its running statistics
    load_checkpoint(tmp_path / f"bn_epoch_{best_epoch}.npz", fresh)
    for key, value in checkpoint.state.items():
        np.testing.assert_array_equal(model_state(fresh)[key], value)


def test_checkpoint_directory_must_be_writable(tmp_path, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    with pytest.raises(ValueError, match="checkpoint_name.*cannot write.*Permission denied"):
        make_solver(checkpoint_name=tmp_path / "run")


def test_builtin_optim_config_is_checked_before_the_first_step():
    # before: an unknown key surfaced only in train(), from inside the first update
    calls = []
    with pytest.raises(ValueError, match="optim_config"):
        make_solver(update_rule="sgd", optim_config={"learning_rate": 0.1, "momentum": 0.9})
    # a rule of your own is not called at construction (it may count its calls)
    make_solver(update_rule=lambda w, dw, c: calls.append(1) or (w, c))
    assert calls == []


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_labels_must_be_classes_the_model_scores(split):
    data = blobs()
    data["X_test"], data["y_test"] = data["X_val"].copy(), data["y_val"].copy()
    data[f"y_{split}"] = data[f"y_{split}"].copy()
    data[f"y_{split}"][3] = 3  # the tiny model scores 3 classes: 0, 1, 2
    with pytest.raises(ValueError, match=rf"data\['y_{split}'\].*\[0, 3\).*found 3"):
        make_solver(data=data)


def test_test_split_is_checked_when_present():
    data = blobs()
    data["X_test"], data["y_test"] = data["X_val"], data["y_val"].astype(float)
    with pytest.raises(TypeError, match=r"data\['y_test'\].*integer"):
        make_solver(data=data)


def test_model_scores_must_have_shape_n_by_c():
    class Flat:
        params = {"W": np.zeros(4)}

        def loss(self, X, y=None):
            return X @ self.params["W"]  # (N,), not (N, C)

    with pytest.raises(TypeError, match=r"model.loss\(X\).*\(N, C\).*shape \(1,\)"):
        Solver(Flat(), blobs(), verbose=False)


# --- divergence leaves the last finite step -------------------------------------------------


class Recording:
    """Softmax regression that turns its loss NaN at a given step, keeping a copy of each W seen."""

    def __init__(self, nan_at=None, grad_scale=1.0):
        self.params = {"W": np.zeros((4, 3)), "b": np.zeros(3)}
        self.nan_at, self.grad_scale, self.seen = nan_at, grad_scale, []

    def loss(self, X, y=None):
        scores = X @ self.params["W"] + self.params["b"]
        if y is None:
            return scores
        self.seen.append({k: v.copy() for k, v in self.params.items()})
        p = np.exp(scores - scores.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        loss = -np.log(p[np.arange(len(y)), y]).mean()
        p[np.arange(len(y)), y] -= 1
        grads = {"W": X.T @ p / len(y) * self.grad_scale, "b": p.mean(0) * self.grad_scale}
        if len(self.seen) == self.nan_at:
            loss = np.nan
        return loss, grads


def test_a_nan_loss_leaves_the_last_finite_parameters():
    model = Recording(nan_at=9)
    solver = make_solver(model=model, update_rule="sgd_momentum")
    with pytest.raises(TrainingDivergedError, match="iteration 9"):
        solver.train()
    for name, value in model.seen[-1].items():  # the parameters the NaN step started from
        np.testing.assert_array_equal(model.params[name], value)
    assert solver.iteration == 8 and len(solver.loss_history) == 8


def test_an_overflowing_update_leaves_the_last_finite_parameters_and_optimizer_state():
    model = Recording(grad_scale=1e300)  # finite gradients whose update overflows to inf
    solver = make_solver(
        model=model, update_rule="sgd_momentum", optim_config={"learning_rate": 1e10}
    )
    velocities = {name: config.get("velocity") for name, config in solver.optim_configs.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings either
        with pytest.raises(TrainingDivergedError, match=r"update made \['W', 'b'\] non-finite"):
            solver.train()
    for name, value in model.seen[-1].items():
        np.testing.assert_array_equal(model.params[name], value)
        assert np.all(np.isfinite(model.params[name]))
    assert {n: c.get("velocity") for n, c in solver.optim_configs.items()} == velocities
    assert solver.iteration == 0


def test_divergence_puts_the_running_statistics_back():
    model = FullyConnectedNet(
        [8], input_dim=4, num_classes=3, normalization="batchnorm", dtype=np.float64, seed=0
    )
    solver = make_solver(model=model, num_epochs=1)
    solver.train()
    state = model.get_state()
    data = blobs()
    data["X_train"] = data["X_train"].copy()
    data["X_train"][:] = 1e200  # the batch variance overflows in the next forward pass
    again = make_solver(model=model, data=data)
    with pytest.raises(TrainingDivergedError):
        again.train()
    for key, value in state.items():
        np.testing.assert_array_equal(model.get_state()[key], value)


class LegacyBatchNorm:
    """CS231n style, no get_state: the first training forward creates running_mean in bn_params;
    the statistics turn NaN at step ``nan_at``."""

    def __init__(self, nan_at):
        self.params = {"W": np.zeros((4, 3))}
        self.bn_params = [{"mode": "train"}]
        self.nan_at, self.means = nan_at, []

    def loss(self, X, y=None):
        if y is None:
            return X @ self.params["W"]
        self.means.append(X.mean(0) * (np.nan if len(self.means) + 1 == self.nan_at else 1.0))
        self.bn_params[0]["running_mean"] = self.means[-1]
        return 1.0, {"W": np.zeros((4, 3))}


@pytest.mark.parametrize("nan_at", [1, 4])
def test_divergence_rolls_back_running_statistics_of_a_model_without_get_state(nan_at):
    model = LegacyBatchNorm(nan_at)
    solver = make_solver(model=model)
    with pytest.raises(TrainingDivergedError, match=r"state \['bn_params.0.running_mean'\]"):
        solver.train()
    if nan_at == 1:  # the diverging step created them: there are none again
        assert "running_mean" not in model.bn_params[0]
    else:  # those of the last finite step
        np.testing.assert_array_equal(model.bn_params[0]["running_mean"], model.means[-2])


class Softmax:
    """Softmax regression with the required part of the model contract only."""

    def __init__(self, names=("W",)):
        self.params = {name: np.zeros((4, 3)) for name in names}

    def loss(self, X, y=None):
        scores = X @ sum(self.params.values())
        if y is None:
            return scores
        p = np.exp(scores - scores.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        loss = -np.log(p[np.arange(len(y)), y]).mean()
        p[np.arange(len(y)), y] -= 1
        return loss, {name: X.T @ p / len(y) for name in self.params}


def test_state_methods_come_in_pairs_and_are_checked_at_construction():
    # before: a get_state without set_state failed only when train() put the best state back
    class GetOnly(Softmax):
        def get_state(self):
            return {"count": np.zeros(1)}

    class SetOnly(Softmax):
        def set_state(self, state):
            pass

    class GetsAList(GetOnly):
        def set_state(self, state):
            pass

        def get_state(self):
            return [np.zeros(1)]

    with pytest.raises(TypeError, match=r"get_state\(\) but no set_state\(\)"):
        make_solver(model=GetOnly())
    with pytest.raises(TypeError, match=r"set_state\(\) but no get_state\(\)"):
        make_solver(model=SetOnly())
    with pytest.raises(TypeError, match=r"GetsAList.get_state\(\) must return a dict.*list"):
        make_solver(model=GetsAList())


def test_names_a_checkpoint_cannot_store_are_refused_at_construction(tmp_path):
    # before: refused when the first epoch's checkpoint was written, after training it
    with pytest.raises(ValueError, match=r"parameter names.*'/'.*'layer1/W'"):
        make_solver(model=Softmax(("layer1/W",)), checkpoint_name=tmp_path / "run")
    make_solver(model=Softmax(("layer1/W",)))  # without checkpoints any name is fine
    assert os.listdir(tmp_path) == []


def test_divergence_advice_shows_the_learning_rate_only_when_there_is_one():
    with pytest.raises(TrainingDivergedError, match=r"nan\. Lower the learning rate or the weight"):
        make_solver(model=NaNAfter(step=1), update_rule="sgd", optim_config={}).train()
    with pytest.raises(TrainingDivergedError, match=r"Lower the learning rate \(now 0\.1\) or"):
        make_solver(model=NaNAfter(step=1)).train()


def test_the_best_parameters_come_back_but_the_dropout_stream_goes_on(tmp_path):
    # rewinding the stream with the best parameters would replay old masks in a later train()
    rng = np.random.default_rng(0)
    data = {
        "X_train": rng.standard_normal((60, 6)),
        "y_train": rng.integers(3, size=60),
        "X_val": rng.standard_normal((20, 6)),
        "y_val": rng.integers(3, size=20),
    }
    model = FullyConnectedNet(
        [8], input_dim=6, num_classes=3, dropout_keep_ratio=0.5, weight_scale=0.5,
        dtype=np.float64, seed=0,
    )  # fmt: skip
    solver = Solver(
        model, data, update_rule="sgd", optim_config={"learning_rate": 0.5}, batch_size=20,
        num_epochs=4, verbose=False, seed=0, checkpoint_name=tmp_path / "run",
    )  # fmt: skip
    solver.train()
    best_epoch = int(np.argmax(solver.val_acc_history))
    assert best_epoch < solver.epoch, "the test needs a best epoch before the last one"
    for name, value in load_checkpoint(tmp_path / f"run_epoch_{best_epoch}.npz").params.items():
        np.testing.assert_array_equal(model.params[name], value)
    last = load_checkpoint(tmp_path / f"run_epoch_{solver.epoch}.npz").state["rng.dropout"]
    assert str(model.get_state()["rng.dropout"]) == str(last)
    assert str(solver.best_state["rng.dropout"]) != str(last)


def test_check_accuracy_refuses_labels_of_the_wrong_kind_or_shape():
    solver = make_solver()
    X, y = solver.X_val, solver.y_val
    with pytest.raises(TypeError, match=r"y must be .*integer labels; got dtype float64"):
        solver.check_accuracy(X, y.astype(float))
    with pytest.raises(TypeError, match=r"y must be .*integer labels; got list"):
        solver.check_accuracy(X, list(y))
    with pytest.raises(ValueError, match=r"y must have shape \(30,\).*got \(29,\)"):
        solver.check_accuracy(X, y[:-1])


def test_settings_a_checkpoint_cannot_store_are_refused_at_construction(tmp_path):
    def rule(w, dw, config):
        return w - config["schedule"](0) * dw, config

    config = {"schedule": lambda step: 0.1}
    with pytest.raises(TypeError, match=r"optim_config.*'schedule'.*function"):
        make_solver(update_rule=rule, optim_config=config, checkpoint_path=tmp_path / "c.npz")
    solver = make_solver(update_rule=rule, optim_config=config, num_epochs=1)  # fine without
    solver.train()
    with pytest.raises(TypeError, match=r"c\.npz.*'schedule'"):
        solver.save_checkpoint(tmp_path / "c.npz")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "break_grads, fact",
    [
        (lambda g: g.pop("b1"), r"shape \(8,\) for the parameter 'b1'; got None"),
        (lambda g: g.update(b1=g["b1"][None]), r"shape \(8,\) for the parameter 'b1'; got shape"),
    ],
)
def test_a_broken_gradient_is_refused_and_the_step_leaves_nothing_behind(break_grads, fact):
    # the forward pass already moved the running statistics: they are put back
    class Broken(FullyConnectedNet):
        def loss(self, X, y=None):
            out = super().loss(X, y)
            if y is not None:
                break_grads(out[1])
            return out

    model = Broken(
        [8], input_dim=4, num_classes=3, normalization="batchnorm", dtype=np.float64, seed=0
    )
    state = model.get_state()
    params = {k: v.copy() for k, v in model.params.items()}
    solver = make_solver(model=model)
    with pytest.raises(ValueError, match=fact):
        solver.train()
    for key, value in state.items():
        np.testing.assert_array_equal(model.get_state()[key], value)
    for name, value in params.items():
        np.testing.assert_array_equal(model.params[name], value)
    assert solver.iteration == 0 and solver.loss_history == []


def test_a_checkpoint_name_that_is_a_link_is_a_prefix_not_a_file(tmp_path):
    # the files are run_epoch_<k>.npz next to the link; where the link points does not matter
    (tmp_path / "run").symlink_to(tmp_path / "missing" / "dir")
    solver = make_solver(num_epochs=1, checkpoint_name=tmp_path / "run")
    solver.train()
    assert (tmp_path / "run_epoch_1.npz").is_file()
