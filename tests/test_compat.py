"""cs231nbook.compat: the official notebooks' calls, replayed on the cs231n alias.

These tests make the calls the CS231n Assignment 2 notebooks make (imports, seeds, argument
forms), in our own words; the expected values come from cs231nbook itself, from the
numerical gradient, or from restating the starter's documented semantics.
"""

from __future__ import annotations

import importlib
import sys
import types

import numpy as np
import pytest

import cs231nbook.compat as compat
from cs231nbook import layers as core_layers
from cs231nbook.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    rel_error,
)


@pytest.fixture
def cs231n():
    compat.install()
    yield importlib.import_module("cs231n")
    compat.uninstall()


@pytest.fixture
def global_state():
    """Leave NumPy's global generator as we found it: the alias uses it on purpose."""
    state = np.random.get_state()
    yield
    np.random.set_state(state)


def notebook_batch():
    """The FullyConnectedNets notebook's gradient-check batch: np.random.seed(231), then two
    examples of 15 features and their labels, drawn from the global generator."""
    np.random.seed(231)
    X = np.random.randn(2, 15)
    y = np.random.randint(10, size=(2,))
    return X, y


def assert_gradients_check(model, X, y, grads, tol, h=1e-5):
    """Every parameter's gradient against the numerical one, computed as the notebooks do: the
    lambda ignores its argument, and the check perturbs model.params in place."""
    for name in sorted(grads):
        numeric = eval_numerical_gradient(
            lambda _: model.loss(X, y)[0], model.params[name], verbose=False, h=h
        )
        assert rel_error(numeric, grads[name]) < tol, name


# --- the alias itself -----------------------------------------------------------------------


def test_every_starter_module_resolves_to_the_compat_tree(cs231n):
    for alias, target in compat.MODULES.items():
        assert importlib.import_module(alias) is importlib.import_module(target)
    assert compat.installed()


def test_install_is_idempotent_and_uninstall_restores_a_students_package():
    student = types.ModuleType("cs231n")
    student_layers = types.ModuleType("cs231n.layers")
    student_extra = types.ModuleType("cs231n.rnn_layers")  # a module the tree does not have
    sys.modules.update(
        {"cs231n": student, "cs231n.layers": student_layers, "cs231n.rnn_layers": student_extra}
    )
    try:
        compat.install()
        compat.install()
        assert sys.modules["cs231n"] is importlib.import_module("cs231nbook.compat.cs231n")
        assert "cs231n.rnn_layers" not in sys.modules
        compat.uninstall()
        assert sys.modules["cs231n"] is student
        assert sys.modules["cs231n.layers"] is student_layers
        assert sys.modules["cs231n.rnn_layers"] is student_extra
        assert not compat.installed()
    finally:
        for name in ("cs231n", "cs231n.layers", "cs231n.rnn_layers"):
            sys.modules.pop(name, None)


def test_uninstall_without_install_leaves_no_alias():
    compat.uninstall()
    assert "cs231n" not in sys.modules


def test_fc_net_star_import_brings_the_layers_and_sandwiches(cs231n):
    namespace: dict = {}
    exec("from cs231n.classifiers.fc_net import *", namespace)
    for name in (
        "FullyConnectedNet",
        "affine_forward",
        "batchnorm_forward",
        "batchnorm_backward_alt",
        "layernorm_forward",
        "dropout_forward",
        "affine_relu_forward",
        "softmax_loss",
    ):
        assert name in namespace, name
    exec("from cs231n.classifiers.cnn import *", namespace)
    for name in (
        "ThreeLayerConvNet",
        "conv_forward_naive",
        "conv_forward_fast",
        "max_pool_forward_fast",
        "spatial_groupnorm_forward",
        "conv_relu_pool_forward",
    ):
        assert name in namespace, name


def test_starter_fast_layer_names_are_the_fast_layers(cs231n):
    from cs231n import fast_layers

    from cs231nbook import fast_layers as core_fast

    assert fast_layers.conv_forward_strides is core_fast.conv_forward_fast
    assert fast_layers.conv_backward_im2col is core_fast.conv_backward_fast
    assert fast_layers.max_pool_forward_reshape is core_fast.max_pool_forward_fast


# --- models: global-generator initialisation and fixed dropout masks --------------------------


def test_fc_net_weights_come_from_the_global_generator_in_order(cs231n, global_state):
    from cs231n.classifiers.fc_net import FullyConnectedNet

    np.random.seed(231)
    model = FullyConnectedNet(
        [20, 30], input_dim=15, num_classes=10, weight_scale=5e-2, dtype=np.float64
    )
    np.random.seed(231)
    expected = [5e-2 * np.random.randn(*shape) for shape in ((15, 20), (20, 30), (30, 10))]
    for i, W in enumerate(expected, start=1):
        np.testing.assert_array_equal(model.params[f"W{i}"], W)
        np.testing.assert_array_equal(model.params[f"b{i}"], 0)


def test_three_layer_conv_net_weights_come_from_the_global_generator(cs231n, global_state):
    from cs231n.classifiers.cnn import ThreeLayerConvNet

    np.random.seed(0)
    model = ThreeLayerConvNet(
        input_dim=(3, 16, 16), num_filters=3, filter_size=3, hidden_dim=7, dtype=np.float64
    )
    np.random.seed(0)
    shapes = ((3, 3, 3, 3), (3 * 8 * 8, 7), (7, 10))
    for i, shape in enumerate(shapes, start=1):
        np.testing.assert_array_equal(model.params[f"W{i}"], 1e-3 * np.random.randn(*shape))


@pytest.mark.parametrize("reg", [0.0, 3.14])
def test_fc_net_gradient_check_as_the_notebook_runs_it(cs231n, global_state, reg):
    from cs231n.classifiers.fc_net import FullyConnectedNet

    X, y = notebook_batch()
    model = FullyConnectedNet(
        [20, 30], input_dim=15, num_classes=10, reg=reg, weight_scale=5e-2, dtype=np.float64
    )
    loss, grads = model.loss(X, y)
    assert_gradients_check(model, X, y, grads, tol=1e-4)


@pytest.mark.parametrize("keep", [1, 0.25, 0.5])
def test_seeded_dropout_net_is_deterministic_and_gradient_checks(cs231n, global_state, keep):
    from cs231n.classifiers.fc_net import FullyConnectedNet

    X, y = notebook_batch()
    model = FullyConnectedNet(
        [20, 30],
        input_dim=15,
        num_classes=10,
        weight_scale=5e-2,
        dtype=np.float64,
        dropout_keep_ratio=keep,
        seed=123,
    )
    loss, grads = model.loss(X, y)
    assert model.loss(X, y)[0] == loss
    assert_gradients_check(model, X, y, grads, tol=1e-4)


def test_unseeded_dropout_net_draws_new_masks(cs231n, global_state):
    from cs231n.classifiers.fc_net import FullyConnectedNet

    np.random.seed(1)
    X = np.random.randn(4, 15)
    y = np.arange(4)
    model = FullyConnectedNet(
        [50], input_dim=15, num_classes=10, dropout_keep_ratio=0.5, dtype=np.float64
    )
    assert model.loss(X, y)[0] != model.loss(X, y)[0]


@pytest.mark.parametrize("normalization", ["batchnorm", "layernorm"])
def test_normalized_fc_net_gradient_check(cs231n, global_state, normalization):
    from cs231n.classifiers.fc_net import FullyConnectedNet

    X, y = notebook_batch()
    model = FullyConnectedNet(
        [20, 30],
        input_dim=15,
        num_classes=10,
        weight_scale=5e-2,
        dtype=np.float64,
        normalization=normalization,
    )
    _, grads = model.loss(X, y)
    assert_gradients_check(model, X, y, grads, tol=1e-3)


def test_three_layer_conv_net_initial_loss_and_gradients(cs231n, global_state):
    from cs231n.classifiers.cnn import ThreeLayerConvNet

    np.random.seed(231)
    X = np.random.randn(2, 3, 16, 16)
    y = np.random.randint(10, size=2)
    model = ThreeLayerConvNet(
        num_filters=3, filter_size=3, input_dim=(3, 16, 16), hidden_dim=7, dtype=np.float64
    )
    loss, grads = model.loss(X, y)
    assert abs(loss - np.log(10)) < 0.05  # tiny weights: uniform scores
    # The notebook allows errors "up to the order of e-2": with weights of 1e-3 the centred
    # difference of a loss near log(10) keeps only a few significant digits.
    assert_gradients_check(model, X, y, grads, tol=5e-2, h=1e-6)
    # The analytic gradients are cs231nbook's own, exactly.
    from cs231nbook.classifiers import ThreeLayerConvNet as Core

    core = Core(num_filters=3, filter_size=3, input_dim=(3, 16, 16), hidden_dim=7, dtype=np.float64)
    core.params = {k: v.copy() for k, v in model.params.items()}
    core_loss, core_grads = core.loss(X, y)
    assert core_loss == loss
    for name in grads:
        np.testing.assert_array_equal(core_grads[name], grads[name])
    model.reg = 0.5
    assert model.loss(X, y)[0] > loss


# --- layers with the starter's semantics -------------------------------------------------------


def test_dropout_mask_comes_from_the_seeded_global_generator(cs231n, global_state):
    from cs231n.layers import dropout_backward, dropout_forward

    x = np.random.randn(500, 500) + 10
    for p in (0.25, 0.4, 0.7):
        out, cache = dropout_forward(x, {"mode": "train", "p": p, "seed": 123})
        np.random.seed(123)
        mask = (np.random.rand(*x.shape) < p) / p
        np.testing.assert_array_equal(out, x * mask)
        assert abs(out.mean() - x.mean()) / x.mean() < 0.01  # inverted: same expectation
        out_test, _ = dropout_forward(x, {"mode": "test", "p": p, "seed": 123})
        np.testing.assert_array_equal(out_test, x)
        dx = dropout_backward(np.ones_like(x), cache)
        np.testing.assert_array_equal(dx, mask)


def test_dropout_backward_matches_the_numerical_gradient(cs231n, global_state):
    from cs231n.layers import dropout_backward, dropout_forward

    np.random.seed(231)
    x = np.random.randn(10, 10) + 10
    dout = np.random.randn(*x.shape)
    param = {"mode": "train", "p": 0.2, "seed": 123}
    _, cache = dropout_forward(x, param)
    numeric = eval_numerical_gradient_array(lambda x: dropout_forward(x, param)[0], x, dout)
    assert rel_error(dropout_backward(dout, cache), numeric) < 1e-10


def test_batchnorm_running_statistics_start_at_zeros(cs231n):
    from cs231n.layers import batchnorm_forward

    x = np.random.default_rng(0).normal(5, 2, size=(20, 3))
    bn_param = {"mode": "train"}
    batchnorm_forward(x, np.ones(3), np.zeros(3), bn_param)
    momentum = 0.9
    np.testing.assert_allclose(bn_param["running_mean"], (1 - momentum) * x.mean(axis=0))
    np.testing.assert_allclose(bn_param["running_var"], (1 - momentum) * x.var(axis=0))


def test_batchnorm_net_running_statistics_start_at_zeros_too(cs231n, global_state):
    # after one training call, test mode normalizes with 0.1 * the batch's statistics,
    # as the starter's net does (cs231nbook's own starts the variance at ones)
    from cs231n.classifiers.fc_net import FullyConnectedNet

    np.random.seed(231)
    model = FullyConnectedNet(
        [6], input_dim=5, num_classes=3, normalization="batchnorm", dtype=np.float64
    )
    X = np.random.default_rng(1).normal(size=(8, 5))
    model.loss(X, np.zeros(8, dtype=int))
    h = X @ model.params["W1"] + model.params["b1"]
    np.testing.assert_allclose(model.bn_params[0]["running_mean"], 0.1 * h.mean(axis=0))
    np.testing.assert_allclose(model.bn_params[0]["running_var"], 0.1 * h.var(axis=0))


def test_batchnorm_backward_and_alt_agree_through_the_alias(cs231n):
    from cs231n.layers import batchnorm_backward, batchnorm_backward_alt, batchnorm_forward

    rng = np.random.default_rng(1)
    x, dout = rng.normal(size=(100, 500)), rng.normal(size=(100, 500))
    _, cache = batchnorm_forward(x, np.ones(500), np.zeros(500), {"mode": "train"})
    for a, b in zip(batchnorm_backward(dout, cache), batchnorm_backward_alt(dout, cache)):
        assert rel_error(a, b) < 1e-10


def test_layernorm_with_an_empty_param_dict(cs231n):
    from cs231n.layers import layernorm_forward

    x = np.random.default_rng(2).normal(3, 4, size=(4, 5))
    out, _ = layernorm_forward(x, np.ones(5), np.zeros(5), {})
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-12)


def test_groupnorm_ignores_the_batchnorm_mode_the_notebook_passes(cs231n):
    from cs231n.layers import spatial_groupnorm_backward, spatial_groupnorm_forward

    rng = np.random.default_rng(3)
    x = rng.normal(12, 5, size=(2, 6, 4, 5))
    gamma, beta = rng.normal(size=(1, 6, 1, 1)), rng.normal(size=(1, 6, 1, 1))
    out, cache = spatial_groupnorm_forward(x, gamma, beta, 2, {"mode": "train"})
    expected, _ = core_layers.spatial_groupnorm_forward(x, gamma, beta, 2, {})
    np.testing.assert_array_equal(out, expected)
    dout = rng.normal(size=x.shape)
    numeric = eval_numerical_gradient_array(
        lambda x: spatial_groupnorm_forward(x, gamma, beta, 2, {"mode": "train"})[0], x, dout
    )
    assert rel_error(spatial_groupnorm_backward(dout, cache)[0], numeric) < 1e-6


def test_conv_and_pool_calls_of_the_notebook(cs231n):
    from cs231n.fast_layers import conv_backward_fast, conv_forward_fast
    from cs231n.layers import conv_backward_naive, conv_forward_naive

    rng = np.random.default_rng(4)
    x, w, b = rng.normal(size=(4, 3, 5, 5)), rng.normal(size=(2, 3, 3, 3)), rng.normal(size=2)
    param = {"stride": 1, "pad": 1}
    out, cache = conv_forward_naive(x, w, b, param)
    out_fast, cache_fast = conv_forward_fast(x, w, b, param)
    assert rel_error(out, out_fast) < 1e-10
    dout = rng.normal(size=out.shape)
    for a, c in zip(conv_backward_naive(dout, cache), conv_backward_fast(dout, cache_fast)):
        assert rel_error(a, c) < 1e-10


def test_pool_naive_and_fast_agree_as_the_notebook_compares_them(cs231n):
    from cs231n.fast_layers import max_pool_backward_fast, max_pool_forward_fast
    from cs231n.layers import max_pool_backward_naive, max_pool_forward_naive

    x = np.random.default_rng(8).normal(size=(3, 2, 8, 8))
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    out, cache = max_pool_forward_naive(x, pool_param)
    out_fast, cache_fast = max_pool_forward_fast(x, pool_param)
    assert rel_error(out, out_fast) == 0.0
    dout = np.random.default_rng(9).normal(size=out.shape)
    dx = max_pool_backward_naive(dout, cache)
    assert rel_error(dx, max_pool_backward_fast(dout, cache_fast)) < 1e-12


@pytest.mark.parametrize("pooled", [False, True], ids=["conv_relu", "conv_relu_pool"])
def test_conv_sandwiches_of_the_notebook_gradient_check(cs231n, pooled):
    # ConvolutionalNetworks.ipynb imports the sandwiches from cs231n.layer_utils and checks
    # each gradient with eval_numerical_gradient_array on a lambda of one argument
    from cs231n.layer_utils import (
        conv_relu_backward,
        conv_relu_forward,
        conv_relu_pool_backward,
        conv_relu_pool_forward,
    )

    rng = np.random.default_rng(5)
    x, w, b = rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(3, 3, 3, 3)), rng.normal(size=3)
    conv_param = {"stride": 1, "pad": 1}
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}

    def forward(x, w, b):
        if pooled:
            return conv_relu_pool_forward(x, w, b, conv_param, pool_param)
        return conv_relu_forward(x, w, b, conv_param)

    out, cache = forward(x, w, b)
    dout = rng.normal(size=out.shape)
    grads = (conv_relu_pool_backward if pooled else conv_relu_backward)(dout, cache)
    numeric = (
        eval_numerical_gradient_array(lambda x: forward(x, w, b)[0], x, dout),
        eval_numerical_gradient_array(lambda w: forward(x, w, b)[0], w, dout),
        eval_numerical_gradient_array(lambda b: forward(x, w, b)[0], b, dout),
    )
    for analytic, expected in zip(grads, numeric):
        assert rel_error(analytic, expected) < 1e-6


def test_solver_check_accuracy_and_histories_as_the_notebooks_read_them(cs231n, global_state):
    from cs231n.classifiers.cnn import ThreeLayerConvNet
    from cs231n.solver import Solver

    np.random.seed(231)
    model = ThreeLayerConvNet(
        input_dim=(3, 8, 8), num_filters=3, filter_size=3, hidden_dim=7, dtype=np.float64
    )
    rng = np.random.default_rng(6)
    data = {
        "X_train": rng.normal(size=(20, 3, 8, 8)),
        "y_train": rng.integers(0, 10, size=20),
        "X_val": rng.normal(size=(10, 3, 8, 8)),
        "y_val": rng.integers(0, 10, size=10),
    }
    solver = Solver(model, data, num_epochs=2, batch_size=10, update_rule="adam", verbose=False)
    solver.train()
    # as in the starter: accuracies before training and after each epoch
    assert len(solver.train_acc_history) == len(solver.val_acc_history) == 3
    assert len(solver.loss_history) == 4
    accuracy = solver.check_accuracy(data["X_val"], data["y_val"])
    assert 0.0 <= accuracy <= 1.0
    assert accuracy == np.mean(np.argmax(model.loss(data["X_val"]), axis=1) == data["y_val"])


def test_visualize_grid_tiles_and_rescales(cs231n):
    from cs231n.vis_utils import visualize_grid

    filters = np.random.default_rng(5).normal(size=(5, 3, 3, 2))
    grid = visualize_grid(filters, ubound=255.0, padding=1)
    assert grid.shape == (3 * 3 + 2, 3 * 3 + 2, 2)  # ceil(sqrt(5)) = 3 per side
    first = grid[:3, :3]
    assert first.min() == 0 and first.max() == 255
    assert np.all(grid[-3:, -3:] == 0)  # the 6th to 9th cells stay blank
    with pytest.raises(ValueError, match="Xs"):
        visualize_grid(np.zeros((3, 3, 3)))


# --- the Solver with the starter's keyword arguments -------------------------------------------


def _tiny_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 15))
    y = rng.integers(0, 3, size=60)
    return {"X_train": X[:40], "y_train": y[:40], "X_val": X[40:], "y_val": y[40:]}


def test_solver_takes_starter_kwargs_and_repeats_under_np_random_seed(cs231n, global_state):
    from cs231n.classifiers.fc_net import FullyConnectedNet
    from cs231n.solver import Solver

    def run():
        np.random.seed(231)
        model = FullyConnectedNet([10], input_dim=15, num_classes=3, dtype=np.float64)
        solver = Solver(
            model,
            _tiny_data(),
            num_epochs=2,
            batch_size=10,
            update_rule="adam",
            optim_config={"learning_rate": 1e-2},
            verbose=False,
            print_every=1,
        )
        solver.train()
        return solver

    first, second = run(), run()
    assert first.loss_history == second.loss_history
    assert first.optim_config["learning_rate"] == 1e-2


def test_solver_refuses_unknown_kwargs_like_the_starter(cs231n):
    from cs231n.classifiers.fc_net import FullyConnectedNet
    from cs231n.solver import Solver

    model = FullyConnectedNet([10], input_dim=15, num_classes=3)
    with pytest.raises(ValueError, match="Unrecognized arguments.*learning_rate"):
        Solver(model, _tiny_data(), learning_rate=1e-3)


# --- data ------------------------------------------------------------------------------------


def _write_binary_cifar(directory, n=20):
    directory.mkdir(parents=True)
    rng = np.random.default_rng(6)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        records = np.concatenate([labels[:, None], data], axis=1)
        (directory / f"{name}.bin").write_bytes(records.tobytes())


def test_get_cifar10_data_from_the_starters_folder(cs231n, tmp_path, monkeypatch):
    from cs231n.data_utils import get_CIFAR10_data, load_CIFAR10

    _write_binary_cifar(tmp_path / "cs231n" / "datasets" / "cifar-10-batches-bin")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CS231N_CIFAR10_DIR", raising=False)
    data = get_CIFAR10_data(num_training=80, num_validation=20, num_test=10)
    assert sorted(data) == ["X_test", "X_train", "X_val", "y_test", "y_train", "y_val"]
    assert data["X_train"].shape == (80, 3, 32, 32) and data["X_val"].shape == (20, 3, 32, 32)
    np.testing.assert_allclose(data["X_train"].mean(axis=0), 0, atol=1e-9)
    Xtr, Ytr, Xte, Yte = load_CIFAR10()
    assert Xtr.shape == (100, 32, 32, 3) and Xtr.dtype == np.float64 and Xte.shape[0] == 20


def test_get_cifar10_data_from_the_environment_variable(cs231n, tmp_path, monkeypatch):
    from cs231n.data_utils import get_CIFAR10_data

    _write_binary_cifar(tmp_path / "elsewhere" / "cifar-10-batches-bin")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CS231N_CIFAR10_DIR", str(tmp_path / "elsewhere"))
    data = get_CIFAR10_data(num_training=50, num_validation=10, num_test=5)
    assert data["X_test"].shape == (5, 3, 32, 32)


def test_missing_cifar10_names_every_place_looked_at(cs231n, tmp_path, monkeypatch):
    from cs231n.data_utils import get_CIFAR10_data

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CS231N_CIFAR10_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError) as error:
        get_CIFAR10_data()
    message = str(error.value)
    assert "CS231N_CIFAR10_DIR" in message and "nowhere" in message
    assert str(tmp_path / "cs231n" / "datasets") in message


# --- the core package keeps its own rules -------------------------------------------------------


def test_core_models_do_not_use_the_global_generator():
    from cs231nbook.classifiers import FullyConnectedNet

    state = np.random.get_state()
    FullyConnectedNet([10], input_dim=5, num_classes=3, seed=0)
    after = np.random.get_state()
    assert all(np.array_equal(a, b) for a, b in zip(state[1:2], after[1:2]))
    assert state[2:] == after[2:]


def test_run_executes_a_notebook_with_the_alias_and_reports_failing_cells(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    from cs231nbook.compat.run import main

    # a cs231n/ folder beside the notebook, as in the assignment: the alias wins over it
    (tmp_path / "cs231n").mkdir()
    (tmp_path / "cs231n" / "__init__.py").write_text("raise ImportError('the student copy')\n")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("from cs231n.layers import *\nimport cs231n.layers"),
        nbformat.v4.new_code_cell("print(cs231n.layers.__name__, affine_forward.__module__)"),
        nbformat.v4.new_code_cell("from google.colab import drive"),
    ]
    path = tmp_path / "Tiny.ipynb"
    nbformat.write(notebook, path)
    before = path.read_text()
    assert main(["run", str(path), "--timeout", "60"]) == 1  # the Colab cell fails
    assert path.read_text() == before
    executed = nbformat.read(tmp_path / "Tiny.cs231nbook.ipynb", as_version=4)
    assert len(executed.cells) == 3  # the install cell is removed from the copy
    printed = executed.cells[1].outputs[0]["text"]
    assert printed.split() == ["cs231nbook.compat.cs231n.layers", "cs231nbook.layers.linear"]
    assert executed.cells[2].outputs[-1]["output_type"] == "error"


def test_integer_parameter_arrays_of_the_notebooks(cs231n):
    # ConvolutionalNetworks.ipynb: a bias np.array([0, 128]) for the image filters, and
    # spatial batch norm with gamma, beta = np.asarray([3, 4, 5]), np.asarray([6, 7, 8])
    from cs231n.layers import conv_forward_naive, spatial_batchnorm_forward

    rng = np.random.default_rng(7)
    x = 4 * rng.normal(size=(2, 3, 4, 5)) + 10
    out, _ = spatial_batchnorm_forward(
        x, np.asarray([3, 4, 5]), np.asarray([6, 7, 8]), {"mode": "train"}
    )
    assert np.allclose(out.mean(axis=(0, 2, 3)), [6, 7, 8])
    w = rng.normal(size=(2, 3, 3, 3))
    out, _ = conv_forward_naive(x, w, np.array([0, 128]), {"stride": 1, "pad": 1})
    assert out.dtype == np.float64
    from cs231n.fast_layers import conv_forward_fast

    out_fast, _ = conv_forward_fast(x, w, np.array([0, 128]), {"stride": 1, "pad": 1})
    assert np.allclose(out_fast, out)


def test_a_diverging_run_stops_without_raising_as_in_the_starter(cs231n, global_state, capsys):
    # a learning-rate search that tries a rate far too large must go on to the next one
    from cs231n.classifiers.fc_net import FullyConnectedNet
    from cs231n.solver import Solver

    np.random.seed(0)
    model = FullyConnectedNet(
        [50, 50], input_dim=15, num_classes=3, weight_scale=1e3, dtype=np.float64
    )
    solver = Solver(
        model,
        _tiny_data(),
        update_rule="sgd",
        num_epochs=5,
        batch_size=10,
        optim_config={"learning_rate": 1e300},
        print_every=1000,
    )
    solver.train()
    assert "stopped: training diverged" in capsys.readouterr().out
    assert all(np.all(np.isfinite(v)) for v in model.params.values())
    assert len(solver.train_acc_history) >= 1  # epoch 0 was measured, as the notebooks read
