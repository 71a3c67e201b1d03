import math

import numpy as np
import pytest

from cs231nbook.classifiers import FullyConnectedNet, TwoLayerNet
from cs231nbook.gradient_check import eval_numerical_gradient, rel_error


def assert_model_gradients(model, X, y, threshold=1e-5):
    loss, grads = model.loss(X, y)
    assert set(grads) == set(model.params)
    for name, param in model.params.items():
        numeric = eval_numerical_gradient(
            lambda _: model.loss(X, y)[0], param, verbose=False, h=1e-6
        )
        err = rel_error(numeric, grads[name])
        assert err < threshold, f"{name}: relative error {err:.2e}"


def data(N=5, D=12, C=4, seed=14):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, D)), rng.integers(C, size=N)


@pytest.mark.parametrize("reg", [0.0, 0.7])
def test_two_layer_net_gradients(reg):
    X, y = data()
    model = TwoLayerNet(
        input_dim=12, hidden_dim=8, num_classes=4, weight_scale=1e-1, reg=reg, seed=0
    )
    assert_model_gradients(model, X, y)


@pytest.mark.parametrize("reg", [0.0, 3.14])
@pytest.mark.parametrize("hidden_dims", [[], [10], [9, 7, 6]])
def test_fully_connected_net_gradients(hidden_dims, reg):
    X, y = data()
    model = FullyConnectedNet(
        hidden_dims,
        input_dim=12,
        num_classes=4,
        reg=reg,
        weight_scale=5e-1,
        dtype=np.float64,
        seed=1,
    )
    assert_model_gradients(model, X, y)


def test_fully_connected_net_with_dropout_gradients():
    X, y = data()
    model = FullyConnectedNet(
        [10, 8],
        input_dim=12,
        num_classes=4,
        dropout_keep_ratio=0.5,
        weight_scale=5e-1,
        dtype=np.float64,
        seed=2,
    )
    model.dropout_param["seed"] = 123  # freeze the masks so the loss is a function of the params
    assert_model_gradients(model, X, y)


def test_two_layer_net_known_loss_and_regularization():
    X, y = data(N=40, D=12, C=4)
    model = TwoLayerNet(input_dim=12, hidden_dim=8, num_classes=4, weight_scale=1e-4, seed=0)
    loss, _ = model.loss(X, y)
    assert abs(loss - math.log(4)) < 1e-3
    model.reg = 2.0
    reg_loss, grads = model.loss(X, y)
    expected = loss + 0.5 * 2.0 * sum(np.sum(model.params[k] ** 2) for k in ("W1", "W2"))
    assert reg_loss == pytest.approx(expected, rel=1e-12)


def test_initial_loss_of_a_deep_net_is_log_c():
    X, y = data(N=50, D=12, C=10)
    model = FullyConnectedNet([20, 20], input_dim=12, num_classes=10, weight_scale=1e-3, seed=3)
    assert abs(model.loss(X, y)[0] - math.log(10)) < 1e-2


def test_scores_in_test_mode_and_dtypes():
    X, y = data()
    for dtype in (np.float32, np.float64):
        model = FullyConnectedNet(
            [6], input_dim=12, num_classes=4, dropout_keep_ratio=0.5, dtype=dtype, seed=4
        )
        scores = model.loss(X)
        assert scores.shape == (5, 4) and scores.dtype == dtype
        np.testing.assert_array_equal(scores, model.loss(X))  # no dropout at test time
        _, grads = model.loss(X, y)
        assert all(g.dtype == dtype for g in grads.values())


def test_images_are_flattened():
    X = np.random.default_rng(0).standard_normal((3, 1, 2, 6))
    model = FullyConnectedNet([5], input_dim=12, num_classes=3, seed=0)
    assert model.loss(X).shape == (3, 3)


def test_same_seed_same_model_and_same_dropout_stream():
    X, y = data()
    a = FullyConnectedNet([8], input_dim=12, num_classes=4, dropout_keep_ratio=0.5, seed=7)
    b = FullyConnectedNet([8], input_dim=12, num_classes=4, dropout_keep_ratio=0.5, seed=7)
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])
    losses_a = [a.loss(X, y)[0] for _ in range(3)]
    losses_b = [b.loss(X, y)[0] for _ in range(3)]
    assert losses_a == losses_b
    assert len(set(losses_a)) > 1  # a fresh mask per call


def test_model_does_not_modify_x():
    X, y = data()
    X0 = X.copy()
    FullyConnectedNet([4], input_dim=12, num_classes=4, dtype=np.float64, seed=0).loss(X, y)
    np.testing.assert_array_equal(X, X0)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"hidden_dims": 10}, TypeError, "list of layer widths"),
        ({"hidden_dims": [10, 0]}, ValueError, r"hidden_dims\[1\] must be a positive integer"),
        ({"hidden_dims": [10], "dropout_keep_ratio": 0}, ValueError, "keep probability"),
        (
            {"hidden_dims": [10], "normalization": "groupnorm"},
            ValueError,
            "normalization must be one of",
        ),
        ({"hidden_dims": [10], "reg": -1}, ValueError, r"reg must be a finite number >= 0; got -1"),
        (
            {"hidden_dims": [10], "dtype": np.int32},
            ValueError,
            r"dtype must be np.float32 or np.float64.*int32",
        ),
    ],
)
def test_bad_configurations(kwargs, error, message):
    with pytest.raises(error, match=message):
        FullyConnectedNet(**{"input_dim": 12, **kwargs})


def test_wrong_input_size():
    model = FullyConnectedNet([5], input_dim=12, num_classes=3)
    with pytest.raises(
        ValueError, match=r"X must hold examples of 12 features.*got X of shape \(2, 13\)"
    ):
        model.loss(np.zeros((2, 13)))


# --- one validation vocabulary in every constructor -------------------------------------------


def test_fully_connected_models_take_kaiming():
    model = FullyConnectedNet(
        [400, 300], input_dim=500, num_classes=200, weight_scale="kaiming", dtype=np.float64, seed=0
    )
    assert model.params["W1"].std() == pytest.approx(math.sqrt(2 / 500), rel=0.03)
    assert model.params["W2"].std() == pytest.approx(math.sqrt(2 / 400), rel=0.03)
    assert model.params["W3"].std() == pytest.approx(math.sqrt(1 / 300), rel=0.03)  # no ReLU after
    two = TwoLayerNet(
        input_dim=500, hidden_dim=400, num_classes=300, weight_scale="kaiming", seed=0
    )
    assert two.params["W1"].std() == pytest.approx(math.sqrt(2 / 500), rel=0.03)
    assert two.params["W2"].std() == pytest.approx(math.sqrt(1 / 400), rel=0.03)


def test_a_number_weight_scale_keeps_the_same_weights():
    # weight_scale=s draws s * standard_normal from the seeded stream, as before 'kaiming' came in
    model = FullyConnectedNet(
        [3], input_dim=4, num_classes=2, weight_scale=0.5, dtype=np.float64, seed=7
    )
    rng = np.random.default_rng(7)
    np.testing.assert_array_equal(model.params["W1"], 0.5 * rng.standard_normal((4, 3)))
    np.testing.assert_array_equal(model.params["W2"], 0.5 * rng.standard_normal((3, 2)))


def small_fc(cls, **kwargs):
    if cls is TwoLayerNet:
        return TwoLayerNet(input_dim=4, hidden_dim=3, num_classes=2, **kwargs)
    return FullyConnectedNet([3], input_dim=4, num_classes=2, **kwargs)


@pytest.mark.parametrize("cls", [TwoLayerNet, FullyConnectedNet])
@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"weight_scale": 0}, ValueError, r"weight_scale must be a finite number > 0; got 0"),
        ({"weight_scale": float("nan")}, ValueError, r"weight_scale must be a finite number > 0"),
        ({"weight_scale": "kaimin"}, ValueError, r"weight_scale must be .*'kaiming'; got 'kaimin'"),
        ({"weight_scale": None}, TypeError, r"weight_scale must be .*; got None"),
        ({"reg": float("inf")}, ValueError, r"reg must be a finite number >= 0; got inf"),
        ({"reg": "0"}, TypeError, r"reg must be a real number; got '0'"),
        ({"dtype": "flot32"}, ValueError, r"dtype must be .*'flot32', which names no dtype"),
        ({"dtype": None}, TypeError, r"dtype must be np.float32 or np.float64"),
        ({"seed": -1}, ValueError, r"seed must be an int >= 0.*got -1"),
        ({"seed": 1.5}, TypeError, r"seed must be an int >= 0, a np.random.Generator or None"),
    ],
)
def test_constructors_validate_alike(cls, kwargs, error, message):
    with pytest.raises(error, match=message):
        small_fc(cls, **kwargs)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            {"dropout_keep_ratio": 1.5},
            ValueError,
            r"dropout_keep_ratio .* must be a number in \(0, 1\]",
        ),
        ({"dropout_keep_ratio": "0.5"}, TypeError, r"dropout_keep_ratio .* must be a real number"),
        ({"normalization": 1}, TypeError, r"normalization must be one of .*got 1 \(int\)"),
        ({"normalization": "BatchNorm"}, ValueError, r"normalization must be one of .*'BatchNorm'"),
    ],
)
def test_fully_connected_net_options(kwargs, error, message):
    with pytest.raises(error, match=message):
        small_fc(FullyConnectedNet, **kwargs)


def test_constructors_accept_a_generator_and_dtype_names():
    for cls in (TwoLayerNet, FullyConnectedNet):
        a = small_fc(cls, seed=np.random.default_rng(3), dtype="float64")
        b = small_fc(cls, seed=3, dtype=np.float64)
        assert a.params["W1"].dtype == np.float64
        np.testing.assert_array_equal(a.params["W1"], b.params["W1"])
    with pytest.raises(TypeError, match=r"hidden_dims must be a list of layer widths; got '10'"):
        FullyConnectedNet("10", input_dim=4, num_classes=2)


def test_hidden_dims_may_be_a_numpy_array():
    a = FullyConnectedNet(np.array([3, 2]), input_dim=4, num_classes=2, seed=0)
    b = FullyConnectedNet([3, 2], input_dim=4, num_classes=2, seed=0)
    assert a.params.keys() == b.params.keys()
    with pytest.raises(TypeError, match=r"hidden_dims\[0\] must be an integer; got 2.5"):
        FullyConnectedNet(np.array([2.5]), input_dim=4, num_classes=2)
