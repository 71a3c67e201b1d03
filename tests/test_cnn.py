import math

import numpy as np
import pytest

from cs231nbook.classifiers import DeepConvNet, ThreeLayerConvNet, kaiming_initializer
from cs231nbook.gradient_check import eval_numerical_gradient, rel_error
from cs231nbook.layers import relu_forward


def data(N=2, shape=(3, 8, 8), C=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, *shape)), rng.integers(C, size=N)


def is_bias_before_batchnorm(model, name):
    return (
        getattr(model, "batchnorm", False)
        and name[0] == "b"
        and name[1:].isdigit()
        and int(name[1:]) < model.num_layers
    )


def assert_model_gradients(model, X, y, threshold=1e-5):
    _, grads = model.loss(X, y)
    assert set(grads) == set(model.params)
    for name, param in model.params.items():
        numeric = eval_numerical_gradient(
            lambda _: model.loss(X, y)[0], param, verbose=False, h=1e-5
        )
        if is_bias_before_batchnorm(model, name):
            # Batch norm subtracts the channel mean right after the conv bias: the true gradient
            # is 0, and a relative error would only compare round-off. Both must be ~0.
            assert np.abs(grads[name]).max() < 1e-12 and np.abs(numeric).max() < 1e-8, name
            continue
        err = rel_error(numeric, grads[name])
        assert err < threshold, f"{name}: relative error {err:.2e}"


# --- gradients ---------------------------------------------------------------------------


@pytest.mark.parametrize("reg", [0.0, 0.7])
def test_three_layer_conv_net_gradients(reg):
    X, y = data()
    model = ThreeLayerConvNet(
        input_dim=(3, 8, 8),
        num_filters=3,
        filter_size=3,
        hidden_dim=7,
        num_classes=4,
        weight_scale="kaiming",
        reg=reg,
        dtype=np.float64,
        seed=3,
    )
    assert_model_gradients(model, X, y)


def test_three_layer_conv_net_gradients_five_by_five_filters_one_channel():
    X, y = data(N=3, shape=(1, 6, 6), seed=2)
    model = ThreeLayerConvNet(
        input_dim=(1, 6, 6),
        num_filters=2,
        filter_size=5,
        hidden_dim=5,
        num_classes=4,
        weight_scale=0.3,
        reg=0.1,
        dtype=np.float64,
        seed=2,
    )
    assert_model_gradients(model, X, y)


@pytest.mark.parametrize("batchnorm", [False, True])
@pytest.mark.parametrize("reg", [0.0, 1.3])
def test_deep_conv_net_gradients(batchnorm, reg):
    X, y = data(seed=3)
    model = DeepConvNet(
        input_dims=(3, 8, 8),
        num_filters=[3, 4, 3],
        max_pools=[0, 2],
        batchnorm=batchnorm,
        num_classes=4,
        weight_scale="kaiming",
        reg=reg,
        dtype=np.float64,
        seed=4,
    )
    assert_model_gradients(model, X, y)


def test_deep_conv_net_gradients_without_pools_and_with_a_scale():
    X, y = data(N=2, shape=(2, 4, 4), seed=5)
    model = DeepConvNet(
        input_dims=(2, 4, 4),
        num_filters=[3, 2],
        max_pools=[],
        num_classes=4,
        weight_scale=0.4,
        dtype=np.float64,
        seed=5,
    )
    assert_model_gradients(model, X, y)


# --- loss at initialization and the model contract ---------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=4, filter_size=3, seed=0),
        lambda: DeepConvNet(input_dims=(3, 8, 8), num_filters=[4, 4], max_pools=[0, 1], seed=0),
        lambda: DeepConvNet(
            input_dims=(3, 8, 8), num_filters=[4, 4], max_pools=[1], batchnorm=True, seed=0
        ),
    ],
)
def test_initial_loss_is_log_num_classes_with_small_weights(make):
    X, y = data(N=40, C=10, seed=6)
    loss, _ = make().loss(X, y)
    assert abs(loss - math.log(10)) < 1e-2


def test_regularization_is_half_reg_sum_of_squared_weights():
    X, y = data(N=4, seed=7)
    model = DeepConvNet(
        input_dims=(3, 8, 8),
        num_filters=[2, 3],
        max_pools=[0],
        batchnorm=True,
        num_classes=4,
        weight_scale=0.2,
        dtype=np.float64,
        seed=7,
    )
    plain, plain_grads = model.loss(X, y)
    model.reg = 0.5
    loss, grads = model.loss(X, y)
    weights = [k for k in model.params if k.startswith("W")]
    assert weights == ["W1", "W2", "W3"]
    expected = plain + 0.25 * sum(np.sum(model.params[k] ** 2) for k in weights)
    assert loss == pytest.approx(expected, rel=1e-12)
    for name in model.params:
        extra = 0.5 * model.params[name] if name.startswith("W") else 0
        np.testing.assert_allclose(grads[name], plain_grads[name] + extra, rtol=1e-12, atol=1e-15)


def test_parameter_shapes_follow_the_architecture():
    model = DeepConvNet(
        input_dims=(1, 8, 8),
        num_filters=[4, 6, 5],
        max_pools=[0, 2],
        batchnorm=True,
        num_classes=10,
        seed=0,
    )
    shapes = {k: v.shape for k, v in model.params.items()}
    assert (
        shapes["W1"] == (4, 1, 3, 3)
        and shapes["W2"] == (6, 4, 3, 3)
        and shapes["W3"] == (5, 6, 3, 3)
    )
    assert shapes["W4"] == (5 * 2 * 2, 10) and shapes["b4"] == (10,)  # 8 -> 4 -> 4 -> 2
    assert shapes["gamma2"] == (6,) and "gamma4" not in shapes
    assert model.num_layers == 4 and len(model.bn_params) == 3
    three = ThreeLayerConvNet(
        input_dim=(1, 8, 8), num_filters=5, filter_size=5, hidden_dim=9, seed=0
    )
    assert three.params["W1"].shape == (5, 1, 5, 5) and three.conv_param == {"stride": 1, "pad": 2}
    assert three.params["W2"].shape == (5 * 4 * 4, 9) and three.params["W3"].shape == (9, 10)


def test_test_mode_uses_running_statistics_kept_between_calls():
    X, y = data(N=6, seed=8)
    model = DeepConvNet(
        input_dims=(3, 8, 8),
        num_filters=[3, 3],
        max_pools=[0, 1],
        batchnorm=True,
        num_classes=4,
        weight_scale="kaiming",
        dtype=np.float64,
        seed=8,
    )
    assert all("running_mean" not in p for p in model.bn_params)
    model.loss(X, y)
    first = [p["running_mean"].copy() for p in model.bn_params]
    model.loss(X, y)
    assert all(not np.array_equal(a, p["running_mean"]) for a, p in zip(first, model.bn_params))
    scores = model.loss(X)
    assert all(p["mode"] == "test" for p in model.bn_params)
    # in test mode an example's scores do not depend on the rest of the batch
    np.testing.assert_allclose(model.loss(X[:1]), scores[:1], rtol=1e-12)


def test_float32_is_preserved_and_float64_input_is_cast():
    X, y = data(N=3, seed=9)  # float64 input
    for model in (
        ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=2, filter_size=3, hidden_dim=5, seed=0),
        DeepConvNet(
            input_dims=(3, 8, 8), num_filters=[2, 2], max_pools=[0], batchnorm=True, seed=0
        ),
    ):
        assert all(p.dtype == np.float32 for p in model.params.values())
        assert model.loss(X).dtype == np.float32
        loss, grads = model.loss(X, y)
        assert all(g.dtype == np.float32 for g in grads.values())


def test_seeds_reproduce_models_and_the_global_rng_is_untouched():
    state = np.random.get_state()[1].copy()
    a = DeepConvNet(
        input_dims=(1, 8, 8), num_filters=[3, 3], weight_scale="kaiming", max_pools=[0, 1], seed=11
    )
    b = DeepConvNet(
        input_dims=(1, 8, 8), num_filters=[3, 3], weight_scale="kaiming", max_pools=[0, 1], seed=11
    )
    c = ThreeLayerConvNet(input_dim=(1, 8, 8), num_filters=3, filter_size=3, seed=11)
    kaiming_initializer(10, 10, seed=3)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])
    assert not np.array_equal(
        c.params["W1"],
        ThreeLayerConvNet(input_dim=(1, 8, 8), num_filters=3, filter_size=3, seed=12).params["W1"],
    )


def test_inputs_are_not_modified():
    X, y = data(N=3, seed=10)
    X0, y0 = X.copy(), y.copy()
    model = DeepConvNet(
        input_dims=(3, 8, 8),
        num_filters=[2],
        max_pools=[0],
        batchnorm=True,
        num_classes=4,
        dtype=np.float64,
        seed=0,
    )
    model.loss(X, y)
    model.loss(X)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_a_three_layer_net_overfits_twenty_digits():
    from cs231nbook.data import load_digits
    from cs231nbook.solver import Solver

    d = load_digits(dtype=np.float32)
    small = {
        "X_train": d["X_train"][:20],
        "y_train": d["y_train"][:20],
        "X_val": d["X_val"][:20],
        "y_val": d["y_val"][:20],
    }
    model = ThreeLayerConvNet(
        input_dim=(1, 8, 8),
        num_filters=8,
        filter_size=3,
        hidden_dim=50,
        weight_scale="kaiming",
        seed=0,
    )
    solver = Solver(
        model,
        small,
        update_rule="adam",
        optim_config={"learning_rate": 3e-3},
        batch_size=10,
        num_epochs=15,
        verbose=False,
        seed=0,
    )
    solver.train()
    assert solver.train_acc_history[-1] == 1.0


# --- Kaiming initialization --------------------------------------------------------------------


@pytest.mark.parametrize(
    "Din, Dout, K, relu, fan_in, gain",
    [
        (500, 400, None, True, 500, 2),
        (500, 400, None, False, 500, 1),
        (32, 64, 3, True, 288, 2),
        (16, 50, 5, False, 400, 1),
    ],
)
def test_kaiming_std_is_sqrt_gain_over_fan_in(Din, Dout, K, relu, fan_in, gain):
    w = kaiming_initializer(Din, Dout, K=K, relu=relu, dtype=np.float64, seed=0)
    assert w.shape == ((Din, Dout) if K is None else (Dout, Din, K, K))
    expected = math.sqrt(gain / fan_in)
    # 2e5 samples: the std of the sample std is ~ expected / sqrt(2 * 2e5), about 0.16%
    assert abs(w.std() / expected - 1) < 0.01
    assert abs(w.mean()) < 0.01 * expected


def test_kaiming_dtype_seed_and_generator():
    assert kaiming_initializer(4, 3).dtype == np.float32
    assert kaiming_initializer(4, 3, dtype=np.float64).dtype == np.float64
    np.testing.assert_array_equal(
        kaiming_initializer(4, 3, seed=5), kaiming_initializer(4, 3, seed=5)
    )
    rng = np.random.default_rng(5)
    first, second = kaiming_initializer(4, 3, seed=rng), kaiming_initializer(4, 3, seed=rng)
    assert not np.array_equal(first, second)  # a Generator is consumed, not re-seeded


def test_kaiming_preserves_activation_scale_through_a_deep_relu_stack():
    rng = np.random.default_rng(0)
    width, depth = 256, 20
    x0 = rng.standard_normal((500, width))
    rms = {}
    for name, scale in [("kaiming", None), ("small", 0.01), ("large", 0.2)]:
        x = x0
        for _ in range(depth):
            if scale is None:
                w = kaiming_initializer(width, width, dtype=np.float64, seed=rng)
            else:
                w = scale * rng.standard_normal((width, width))
            x, _ = relu_forward(x @ w)
        rms[name] = np.sqrt(np.mean(x**2)) / np.sqrt(np.mean(x0**2))
    # Each Kaiming layer keeps E[x^2] in expectation; 20 layers drift by chance, but only a little.
    assert 0.5 < rms["kaiming"] < 2
    # Every other layer multiplies E[x^2] by fan_in * Var(w) / 2: 0.0128 and 5.12 here.
    assert rms["small"] < 1e-15  # sqrt(0.0128 ** 20) ~ 1e-19
    assert rms["large"] > 1e6  # sqrt(5.12 ** 20) ~ 1e7


def test_kaiming_initializer_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"Din must be a positive integer.*got 0"):
        kaiming_initializer(0, 3)
    with pytest.raises(TypeError, match=r"K must be an integer; got 3.0"):
        kaiming_initializer(2, 3, K=3.0)
    with pytest.raises(TypeError, match=r"relu must be True or False; got 'yes'"):
        kaiming_initializer(2, 3, relu="yes")
    with pytest.raises(ValueError, match=r"dtype must be np.float32 or np.float64.*int64"):
        kaiming_initializer(2, 3, dtype=np.int64)


def test_models_use_kaiming_scales():
    model = DeepConvNet(
        input_dims=(16, 8, 8),
        num_filters=[64, 64],
        max_pools=[0],
        weight_scale="kaiming",
        num_classes=10,
        dtype=np.float64,
        seed=0,
    )
    assert model.params["W2"].std() == pytest.approx(math.sqrt(2 / (64 * 9)), rel=0.03)
    assert model.params["W3"].std() == pytest.approx(math.sqrt(1 / (64 * 16)), rel=0.05)
    model = DeepConvNet(
        input_dims=(16, 8, 8),
        num_filters=[64],
        max_pools=[],
        weight_scale=0.05,
        dtype=np.float64,
        seed=0,
    )
    assert model.params["W1"].std() == pytest.approx(0.05, rel=0.03)


# --- configuration errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            {"max_pools": [0, 5]},
            ValueError,
            r"max_pools\[1\] = 5 is not a conv layer index: with 2 conv layers \(len\(num_filters\)\) "
            r"it must be in \[0, 2\)",
        ),
        (
            {"max_pools": [-1]},
            ValueError,
            r"max_pools\[0\] .* must be a non-negative integer; got -1",
        ),
        (
            {"max_pools": [1, 1]},
            ValueError,
            r"max_pools must not repeat a layer index; 1 appears twice",
        ),
        ({"max_pools": 1}, TypeError, r"max_pools must be a list of conv layer indices; got 1"),
        (
            {"max_pools": [0.0]},
            TypeError,
            r"max_pools\[0\] .* must be an integer; got 0.0",
        ),
        ({"num_filters": []}, ValueError, r"num_filters must name at least one conv layer"),
        ({"num_filters": 8}, TypeError, r"num_filters must be a list of filter counts; got 8"),
        (
            {"num_filters": [8, 0]},
            ValueError,
            r"num_filters\[1\] must be a positive integer; got 0",
        ),
        (
            {"weight_scale": "xavier"},
            ValueError,
            r"weight_scale must be a positive finite number or the string 'kaiming'.*'xavier'",
        ),
        (
            {"weight_scale": -1e-3},
            ValueError,
            r"weight_scale must be a finite number > 0; got -0.001",
        ),
        ({"batchnorm": "yes"}, TypeError, r"batchnorm must be True or False; got 'yes'"),
        (
            {"input_dims": (8, 8)},
            ValueError,
            r"input_dims must be the shape \(C, H, W\) of one image",
        ),
        ({"reg": -1}, ValueError, r"reg must be a finite number >= 0; got -1"),
        ({"dtype": np.float16}, ValueError, r"dtype must be np.float32 or np.float64.*float16"),
    ],
)
def test_deep_conv_net_configuration_errors(kwargs, error, message):
    config = {"input_dims": (1, 8, 8), "num_filters": [4, 4], "max_pools": [0, 1], **kwargs}
    with pytest.raises(error, match=message):
        DeepConvNet(**config)


def test_input_too_small_for_the_pools():
    with pytest.raises(
        ValueError,
        match=r"input_dims = \(1, 8, 8\) is too small.*after conv layer 3 fails.*1x1",
    ):
        DeepConvNet(input_dims=(1, 8, 8))  # the default five pools need 32x32-like inputs
    with pytest.raises(
        ValueError,
        match=r"the pool after conv layer 0 fails: the feature maps to pool "
        r"there are 6x7",
    ):
        DeepConvNet(input_dims=(3, 6, 7), num_filters=[2], max_pools=[0])
    DeepConvNet(input_dims=(3, 32, 32))  # the defaults fit CIFAR-10


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            {"filter_size": 4},
            ValueError,
            r"filter_size must be odd, so that stride 1 and pad \(filter_size - 1\) // 2 keep the image "
            r"size; got 4",
        ),
        ({"filter_size": 0}, ValueError, r"filter_size must be a positive integer; got 0"),
        (
            {"input_dim": (1, 7, 8)},
            ValueError,
            r"input_dim = \(1, 7, 8\) does not suit the max pool: the feature maps to pool there are 7x8, "
            r"and a 2x2 max pool with stride 2 needs an even height and width",
        ),
        ({"input_dim": (1, 8, 8, 1)}, ValueError, r"input_dim must be the shape \(C, H, W\)"),
        (
            {"weight_scale": "he"},
            ValueError,
            r"weight_scale must be a positive finite number or the string 'kaiming'.*'he'",
        ),
        ({"hidden_dim": 0}, ValueError, r"hidden_dim must be a positive integer; got 0"),
    ],
)
def test_three_layer_conv_net_configuration_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        ThreeLayerConvNet(**{"input_dim": (1, 8, 8), **kwargs})


def test_wrong_input_shape_is_reported():
    model = ThreeLayerConvNet(input_dim=(1, 8, 8), num_filters=2, filter_size=3, seed=0)
    with pytest.raises(ValueError, match=r"X must hold examples of shape \(1, 8, 8\)"):
        model.loss(np.zeros((2, 3, 8, 8)))
    deep = DeepConvNet(input_dims=(1, 8, 8), num_filters=[2], max_pools=[0], seed=0)
    with pytest.raises(ValueError, match=r"X must hold examples of shape \(1, 8, 8\)"):
        deep.loss(np.zeros((2, 64)))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"seed": -3}, ValueError, r"seed must be an int >= 0.*got -3"),
        ({"seed": "0"}, TypeError, r"seed must be an int >= 0, a np.random.Generator or None"),
        ({"dtype": "float"}, None, None),  # 'float' names float64
        ({"dtype": "flaot64"}, ValueError, r"dtype must be .*'flaot64', which names no dtype"),
        ({"weight_scale": float("inf")}, ValueError, r"weight_scale must be a finite number > 0"),
        ({"weight_scale": [1e-3]}, TypeError, r"weight_scale must be .*'kaiming'; got \[0.001\]"),
        ({"reg": float("nan")}, ValueError, r"reg must be a finite number >= 0; got nan"),
    ],
)
def test_conv_constructors_validate_alike(kwargs, error, message):
    builders = [
        lambda: ThreeLayerConvNet(
            input_dim=(1, 4, 4), num_filters=2, filter_size=3, hidden_dim=3, **kwargs
        ),
        lambda: DeepConvNet(input_dims=(1, 4, 4), num_filters=[2], max_pools=[0], **kwargs),
    ]
    for build in builders:
        if error is None:
            assert build().params["W1"].dtype == np.float64
        else:
            with pytest.raises(error, match=message):
                build()


def test_kaiming_initializer_validates_seed_and_relu():
    with pytest.raises(ValueError, match=r"seed must be an int >= 0.*got -1"):
        kaiming_initializer(2, 3, seed=-1)
    with pytest.raises(TypeError, match=r"relu must be True or False; got 1 \(int\)"):
        kaiming_initializer(2, 3, relu=1)
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(
        kaiming_initializer(2, 3, seed=rng),
        kaiming_initializer(2, 3, seed=np.random.default_rng(0)),
    )


@pytest.mark.parametrize(
    "max_pools, error, message",
    [
        ([-1], ValueError, r"max_pools\[0\] .* must be a non-negative integer; got -1"),
        ([1.0], TypeError, r"max_pools\[0\] .* must be an integer; got 1.0"),
        ([0, 5], ValueError, r"max_pools\[1\] = 5 is not a conv layer index.*\[0, 2\)"),
        ([0, 0], ValueError, r"max_pools must not repeat a layer index; 0 appears twice"),
    ],
)
def test_max_pools_are_conv_layer_indices(max_pools, error, message):
    with pytest.raises(error, match=message):
        DeepConvNet(input_dims=(1, 8, 8), num_filters=[2, 2], max_pools=max_pools)


def test_list_arguments_may_be_1d_arrays_as_in_the_fully_connected_net():
    as_lists = DeepConvNet(input_dims=(1, 4, 4), num_filters=[2, 3], max_pools=[1], seed=0)
    as_arrays = DeepConvNet(
        input_dims=np.array([1, 4, 4]),
        num_filters=np.array([2, 3]),
        max_pools=np.array([1]),
        seed=0,
    )
    assert as_arrays.input_dims == (1, 4, 4) and as_arrays.max_pools == (1,)
    for key, value in as_lists.params.items():
        np.testing.assert_array_equal(as_arrays.params[key], value)
    with pytest.raises(TypeError, match=r"num_filters\[0\] must be an integer; got 2.0"):
        DeepConvNet(input_dims=(1, 4, 4), num_filters=np.array([2.0]), max_pools=[0])
    with pytest.raises(TypeError, match=r"input_dim\[0\] must be an integer; got 1.0"):
        ThreeLayerConvNet(input_dim=np.array([1.0, 4.0, 4.0]), num_filters=2, filter_size=3)
