"""FullyConnectedNet with batch norm and layer norm, and the affine-norm-relu sandwiches."""

import math

import numpy as np
import pytest
from gradcheck_helpers import check_backward

from cs231nbook.classifiers import FullyConnectedNet
from cs231nbook.gradient_check import eval_numerical_gradient, rel_error
from cs231nbook.layer_utils import (
    affine_bn_relu_backward,
    affine_bn_relu_forward,
    affine_ln_relu_backward,
    affine_ln_relu_forward,
)
from cs231nbook.layers import (
    affine_forward,
    batchnorm_forward,
    layernorm_forward,
    relu_forward,
)

NORMALIZATIONS = ["batchnorm", "layernorm"]


def data(N=6, D=12, C=4, seed=21):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, D)), rng.integers(C, size=N)


def model(normalization, hidden_dims=(10, 8), dtype=np.float64, **kwargs):
    kwargs = {"weight_scale": 5e-1, "seed": 3, **kwargs}
    return FullyConnectedNet(
        list(hidden_dims),
        input_dim=12,
        num_classes=4,
        normalization=normalization,
        dtype=dtype,
        **kwargs,
    )


def assert_model_gradients(net, X, y, threshold=1e-5):
    loss, grads = net.loss(X, y)
    assert set(grads) == set(net.params)
    for name, param in net.params.items():
        numeric = eval_numerical_gradient(lambda _: net.loss(X, y)[0], param, verbose=False, h=1e-6)
        hidden_bias = name[0] == "b" and name[1:].isdigit() and int(name[1:]) < net.num_layers
        if net.normalization == "batchnorm" and hidden_bias:
            # A bias right before batch norm is subtracted out again: its true gradient is 0,
            # where a relative error only compares round-off. Both must be ~0.
            assert np.abs(grads[name]).max() < 1e-12 and np.abs(numeric).max() < 1e-8, name
            continue
        err = rel_error(numeric, grads[name])
        assert err < threshold, f"{name}: relative error {err:.2e}"


# --- the sandwiches --------------------------------------------------------------------


def sandwich_inputs(seed=11):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in [(5, 2, 3), (6, 4), (4,), (4,), (4,)]]


def test_affine_bn_relu_backward_matches_numeric():
    # Batch norm subtracts the batch mean, so the affine bias cannot change the output: db is
    # exactly 0 in theory and a relative error against the numerical ~1e-11 would be noise.
    # Check db to be ~0 and the other four gradients numerically.
    x, w, b, gamma, beta = sandwich_inputs()

    def forward(x, w, gamma, beta):
        return affine_bn_relu_forward(x, w, b, gamma, beta, {"mode": "train"})

    def backward(dout, cache):
        dx, dw, db, dgamma, dbeta = affine_bn_relu_backward(dout, cache)
        np.testing.assert_allclose(db, 0, atol=1e-12)
        return dx, dw, dgamma, dbeta

    check_backward(forward, backward, [x, w, gamma, beta], threshold=1e-7)


def test_affine_ln_relu_backward_matches_numeric():
    check_backward(
        lambda x, w, b, g, be: affine_ln_relu_forward(x, w, b, g, be, {}),
        affine_ln_relu_backward,
        sandwich_inputs(seed=12),
        threshold=1e-7,
    )


def test_sandwiches_compose_their_layers():
    x, w, b, gamma, beta = sandwich_inputs()
    a, _ = affine_forward(x, w, b)
    bn_param = {"mode": "train"}
    out, _ = affine_bn_relu_forward(x, w, b, gamma, beta, bn_param)
    expected, _ = relu_forward(batchnorm_forward(a, gamma, beta, {"mode": "train"})[0])
    np.testing.assert_array_equal(out, expected)
    assert "running_mean" in bn_param  # the sandwich hands bn_param through
    out, _ = affine_ln_relu_forward(x, w, b, gamma, beta, {})
    expected, _ = relu_forward(layernorm_forward(a, gamma, beta, {})[0])
    np.testing.assert_array_equal(out, expected)


# --- the model -------------------------------------------------------------------------


@pytest.mark.parametrize("normalization", NORMALIZATIONS)
def test_parameters_and_bn_params(normalization):
    net = model(normalization, hidden_dims=(10, 8, 7), dtype=np.float32)
    assert sorted(k for k in net.params if k.startswith(("gamma", "beta"))) == [
        "beta1",
        "beta2",
        "beta3",
        "gamma1",
        "gamma2",
        "gamma3",
    ]
    for i, width in enumerate((10, 8, 7), start=1):
        np.testing.assert_array_equal(net.params[f"gamma{i}"], np.ones(width))
        np.testing.assert_array_equal(net.params[f"beta{i}"], np.zeros(width))
        assert net.params[f"gamma{i}"].dtype == np.float32
    assert len(net.bn_params) == 3 and all(isinstance(p, dict) for p in net.bn_params)
    assert model(None).bn_params == []


@pytest.mark.parametrize("reg", [0.0, 1.3])
@pytest.mark.parametrize("normalization", NORMALIZATIONS)
def test_model_gradients(normalization, reg):
    X, y = data()
    assert_model_gradients(model(normalization, reg=reg), X, y)


@pytest.mark.parametrize("normalization", NORMALIZATIONS)
def test_model_gradients_with_dropout(normalization):
    X, y = data()
    net = model(normalization, dropout_keep_ratio=0.7)
    net.dropout_param["seed"] = 5  # freeze the masks so the loss is a function of the params
    assert_model_gradients(net, X, y)


@pytest.mark.parametrize("normalization", NORMALIZATIONS)
def test_gamma_and_beta_are_not_regularized(normalization):
    X, y = data()
    net = model(normalization)
    loss0, grads0 = net.loss(X, y)
    net.reg = 2.0
    loss1, grads1 = net.loss(X, y)
    weights = sum(float(np.sum(net.params[f"W{i}"] ** 2)) for i in (1, 2, 3))
    assert loss1 == pytest.approx(loss0 + 0.5 * 2.0 * weights, rel=1e-12)
    for name in ("gamma1", "beta1", "gamma2", "beta2"):
        np.testing.assert_array_equal(grads1[name], grads0[name])


def test_batchnorm_model_keeps_running_statistics_and_uses_them_at_test_time():
    X, y = data(N=20)
    net = model("batchnorm")
    net.loss(X, y)
    first = [p["running_mean"].copy() for p in net.bn_params]
    assert all(p["mode"] == "train" for p in net.bn_params)
    net.loss(X, y)
    for p, m in zip(net.bn_params, first):
        # momentum 0.9 from zeros: 0.1 * batch mean, then 0.19 * the same batch mean
        np.testing.assert_allclose(p["running_mean"], 1.9 * m, rtol=1e-12)

    stats = [{k: p[k].copy() for k in ("running_mean", "running_var")} for p in net.bn_params]
    scores = net.loss(X)
    assert all(p["mode"] == "test" for p in net.bn_params)
    for p, s in zip(net.bn_params, stats):  # test mode leaves the statistics alone
        for key, value in s.items():
            np.testing.assert_array_equal(p[key], value)
    # test mode: each example's scores do not depend on the rest of the batch
    np.testing.assert_allclose(net.loss(X[3:4]), scores[3:4], rtol=1e-12)
    # and differ from training mode, which normalizes with this batch's statistics
    h = X
    for i in (1, 2):
        a, _ = affine_forward(h, net.params[f"W{i}"], net.params[f"b{i}"])
        h, _ = relu_forward(
            batchnorm_forward(
                a, net.params[f"gamma{i}"], net.params[f"beta{i}"], {"mode": "train"}
            )[0]
        )
    train_scores, _ = affine_forward(h, net.params["W3"], net.params["b3"])
    assert not np.allclose(scores, train_scores)


def test_batchnorm_model_in_test_mode_matches_explicit_layers():
    X, y = data(N=20)
    net = model("batchnorm")
    net.loss(X, y)
    h = X
    for i in (1, 2):
        bn_param = dict(net.bn_params[i - 1], mode="test")
        a, _ = affine_forward(h, net.params[f"W{i}"], net.params[f"b{i}"])
        h, _ = relu_forward(
            batchnorm_forward(a, net.params[f"gamma{i}"], net.params[f"beta{i}"], bn_param)[0]
        )
    expected, _ = affine_forward(h, net.params["W3"], net.params["b3"])
    np.testing.assert_allclose(net.loss(X), expected, rtol=1e-12)


def test_layernorm_model_does_not_depend_on_the_batch():
    X, y = data(N=8)
    net = model("layernorm")
    np.testing.assert_allclose(net.loss(X[2:3]), net.loss(X)[2:3], rtol=1e-12)


@pytest.mark.parametrize("normalization", NORMALIZATIONS)
def test_initial_loss_is_log_c(normalization):
    X, y = data(N=50, C=10)
    net = FullyConnectedNet(
        [20, 20],
        input_dim=12,
        num_classes=10,
        normalization=normalization,
        weight_scale=1e-3,
        seed=0,
    )
    assert abs(net.loss(X, y)[0] - math.log(10)) < 1e-2


@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(normalization, dtype):
    X, y = data()
    net = model(normalization, dtype=dtype)
    _, grads = net.loss(X, y)
    assert all(g.dtype == dtype for g in grads.values())
    assert net.loss(X).dtype == dtype
    for p in net.bn_params:
        assert all(p[k].dtype == dtype for k in ("running_mean", "running_var") if k in p)


def test_model_does_not_modify_x():
    X, y = data()
    X0 = X.copy()
    for normalization in NORMALIZATIONS:
        net = model(normalization)
        net.loss(X, y)
        net.loss(X)
    np.testing.assert_array_equal(X, X0)


def test_batchnorm_lets_a_badly_scaled_deep_net_learn():
    # With weights 100x too small the activations of a 5-layer net vanish and the gradients
    # of the first layers with them; batch norm restores the scale at every layer.
    X, y = data(N=40, C=4)
    grads = {}
    for normalization in (None, "batchnorm"):
        net = FullyConnectedNet(
            [16] * 4,
            input_dim=12,
            num_classes=4,
            normalization=normalization,
            weight_scale=1e-3,
            dtype=np.float64,
            seed=0,
        )
        _, g = net.loss(X, y)
        grads[normalization] = np.abs(g["W1"]).max()
    assert grads[None] < 1e-9 < 1e-3 < grads["batchnorm"]
