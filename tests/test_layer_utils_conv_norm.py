import numpy as np
import pytest
from gradcheck_helpers import check_backward

from cs231nbook.gradient_check import rel_error
from cs231nbook.layer_utils import (
    ConvBatchNormReluCache,
    ConvBatchNormReluPoolCache,
    conv_bn_relu_backward,
    conv_bn_relu_forward,
    conv_bn_relu_pool_backward,
    conv_bn_relu_pool_forward,
)
from cs231nbook.layers import (
    conv_backward_naive,
    conv_forward_naive,
    max_pool_backward_naive,
    max_pool_forward_naive,
    relu_backward,
    relu_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)

CONV = {"stride": 1, "pad": 1}
POOL = {"pool_height": 2, "pool_width": 2, "stride": 2}


def make_inputs(x_shape=(3, 2, 6, 6), F=3, K=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal((F, x_shape[1], K, K))
    b = rng.standard_normal(F)
    gamma = 1 + 0.2 * rng.standard_normal(F)
    beta = 0.3 * rng.standard_normal(F)
    return tuple(a.astype(dtype) for a in (x, w, b, gamma, beta))


def trained_bn_param(F, seed):
    """A test-mode bn_param with running statistics that are not the identity."""
    rng = np.random.default_rng(seed)
    return {
        "mode": "test",
        "running_mean": rng.standard_normal(F),
        "running_var": 0.5 + rng.random(F),
    }


def test_conv_bn_relu_train_mode_gradients():
    # Batch norm subtracts each channel's batch mean, so the conv bias cannot change the output:
    # db is 0 in theory (asserted to be ~0), and the other four gradients are checked numerically.
    x, w, b, gamma, beta = make_inputs(seed=1)

    def forward(x, w, gamma, beta):
        return conv_bn_relu_forward(x, w, b, gamma, beta, CONV, {"mode": "train"})

    def backward(dout, cache):
        dx, dw, db, dgamma, dbeta = conv_bn_relu_backward(dout, cache)
        np.testing.assert_allclose(db, 0, atol=1e-12)
        return dx, dw, dgamma, dbeta

    check_backward(forward, backward, [x, w, gamma, beta], threshold=1e-7)


def test_conv_bn_relu_pool_train_mode_gradients():
    x, w, b, gamma, beta = make_inputs(x_shape=(2, 2, 8, 8), seed=2)

    def forward(x, w, gamma, beta):
        return conv_bn_relu_pool_forward(x, w, b, gamma, beta, CONV, {"mode": "train"}, POOL)

    def backward(dout, cache):
        dx, dw, db, dgamma, dbeta = conv_bn_relu_pool_backward(dout, cache)
        np.testing.assert_allclose(db, 0, atol=1e-12)
        return dx, dw, dgamma, dbeta

    check_backward(forward, backward, [x, w, gamma, beta], threshold=1e-7)


@pytest.mark.parametrize("pool", [False, True])
def test_test_mode_gradients_include_the_bias(pool):
    # With running statistics batch norm is a fixed per-channel affine map, so db is not zero.
    x, w, b, gamma, beta = make_inputs(x_shape=(2, 2, 6, 6), seed=3)
    bn_param = trained_bn_param(3, seed=4)

    def forward(x, w, b, gamma, beta):
        if pool:
            return conv_bn_relu_pool_forward(x, w, b, gamma, beta, CONV, dict(bn_param), POOL)
        return conv_bn_relu_forward(x, w, b, gamma, beta, CONV, dict(bn_param))

    backward = conv_bn_relu_pool_backward if pool else conv_bn_relu_backward
    check_backward(forward, backward, [x, w, b, gamma, beta], threshold=1e-7)


def test_strided_unpadded_geometry_gradients():
    x, w, b, gamma, beta = make_inputs(x_shape=(2, 3, 7, 7), F=2, K=3, seed=5)
    conv_param = {"stride": 2, "pad": 0}

    def forward(x, w, gamma, beta):
        return conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, {"mode": "train"})

    def backward(dout, cache):
        dx, dw, _, dgamma, dbeta = conv_bn_relu_backward(dout, cache)
        return dx, dw, dgamma, dbeta

    # One entry of dw here is 1.5e-4 (batch norm makes dw orthogonal to each filter, so
    # entries near zero occur), and the numerical gradient's round-off, about 5e-11 in
    # absolute terms, alone gives that entry a relative error of 1e-7 to 3e-7 depending on
    # the summation order. 1e-6 is above that noise and far below what a wrong gradient gives.
    check_backward(forward, backward, [x, w, gamma, beta], threshold=1e-6)


def naive_reference(x, w, b, gamma, beta, dout):
    """The same pool sandwich composed from the naive layers: an independent reference."""
    a, conv_cache = conv_forward_naive(x, w, b, CONV)
    a_norm, norm_cache = spatial_batchnorm_forward(a, gamma, beta, {"mode": "train"})
    s, relu_cache = relu_forward(a_norm)
    out, pool_cache = max_pool_forward_naive(s, POOL)
    ds = max_pool_backward_naive(dout, pool_cache)
    da, dgamma, dbeta = spatial_batchnorm_backward(relu_backward(ds, relu_cache), norm_cache)
    dx, dw, db = conv_backward_naive(da, conv_cache)
    return out, (dx, dw, db, dgamma, dbeta)


def test_pool_sandwich_matches_the_naive_composition():
    x, w, b, gamma, beta = make_inputs(x_shape=(2, 2, 8, 8), seed=6)
    bn_param = {"mode": "train"}
    out, cache = conv_bn_relu_pool_forward(x, w, b, gamma, beta, CONV, bn_param, POOL)
    assert isinstance(cache, ConvBatchNormReluPoolCache)
    assert out.shape == (2, 3, 4, 4)
    dout = np.random.default_rng(7).standard_normal(out.shape)
    expected_out, expected_grads = naive_reference(x, w, b, gamma, beta, dout)
    assert rel_error(out, expected_out) < 1e-9
    names = ["dx", "dw", "db", "dgamma", "dbeta"]
    for name, mine, theirs in zip(names, conv_bn_relu_pool_backward(dout, cache), expected_grads):
        if name == "db":  # both ~1e-16: compare absolutely
            np.testing.assert_allclose(mine, theirs, atol=1e-12)
        else:
            assert rel_error(mine, theirs) < 1e-9, name


def test_running_statistics_are_updated_through_the_sandwich():
    x, w, b, gamma, beta = make_inputs(seed=8)
    bn_param = {"mode": "train", "momentum": 0.5}
    out, cache = conv_bn_relu_forward(x, w, b, gamma, beta, CONV, bn_param)
    assert isinstance(cache, ConvBatchNormReluCache)
    a, _ = conv_forward_naive(x, w, b, CONV)
    np.testing.assert_allclose(bn_param["running_mean"], 0.5 * a.mean(axis=(0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(
        bn_param["running_var"], 0.5 + 0.5 * a.var(axis=(0, 2, 3)), rtol=1e-12
    )
    # in training mode each channel of the normalized map has mean beta before the ReLU
    np.testing.assert_allclose(cache.relu.x.mean(axis=(0, 2, 3)), beta, atol=1e-12)


def test_float32_in_float32_out():
    x, w, b, gamma, beta = make_inputs(seed=9, dtype=np.float32)
    out, cache = conv_bn_relu_forward(x, w, b, gamma, beta, CONV, {"mode": "train"})
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in conv_bn_relu_backward(np.ones_like(out), cache))
    x, w, b, gamma, beta = make_inputs(x_shape=(2, 2, 8, 8), seed=9, dtype=np.float32)
    out, cache = conv_bn_relu_pool_forward(x, w, b, gamma, beta, CONV, {"mode": "train"}, POOL)
    assert out.dtype == np.float32 and out.shape == (2, 3, 4, 4)
    assert all(g.dtype == np.float32 for g in conv_bn_relu_pool_backward(np.ones_like(out), cache))


def test_inputs_are_not_modified():
    inputs = make_inputs(x_shape=(2, 2, 8, 8), seed=10)
    copies = [a.copy() for a in inputs]
    out, cache = conv_bn_relu_pool_forward(*inputs, CONV, {"mode": "train"}, POOL)
    conv_bn_relu_pool_backward(np.ones_like(out), cache)
    for a, c in zip(inputs, copies):
        np.testing.assert_array_equal(a, c)


def test_bad_arguments_are_reported_by_the_pieces():
    x, w, b, gamma, beta = make_inputs(seed=11)
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\)"):
        conv_bn_relu_forward(x, w, b, gamma[:2], beta, CONV, {"mode": "train"})
    with pytest.raises(ValueError, match=r"bn_param\['mode'\] must be one of"):
        conv_bn_relu_forward(x, w, b, gamma, beta, CONV, {"mode": "eval"})
    with pytest.raises(ValueError, match=r"conv_param is missing the key\(s\) \['pad'\]"):
        conv_bn_relu_pool_forward(x, w, b, gamma, beta, {"stride": 1}, {"mode": "train"}, POOL)
    with pytest.raises(ValueError, match=r"max pooling height"):
        bad_pool = {"pool_height": 4, "pool_width": 4, "stride": 4}
        conv_bn_relu_pool_forward(x, w, b, gamma, beta, CONV, {"mode": "train"}, bad_pool)


def test_against_torch():
    torch = pytest.importorskip("torch")
    x, w, b, gamma, beta = make_inputs(x_shape=(2, 2, 8, 8), seed=12)
    out, cache = conv_bn_relu_pool_forward(x, w, b, gamma, beta, CONV, {"mode": "train"}, POOL)
    dout = np.random.default_rng(13).standard_normal(out.shape)
    grads = conv_bn_relu_pool_backward(dout, cache)

    tensors = [torch.tensor(a, requires_grad=True) for a in (x, w, b, gamma, beta)]
    tx, tw, tb, tg, tbeta = tensors
    a = torch.nn.functional.conv2d(tx, tw, tb, stride=1, padding=1)
    a = torch.nn.functional.batch_norm(a, None, None, tg, tbeta, training=True, eps=1e-5)
    t_out = torch.nn.functional.max_pool2d(torch.relu(a), 2, 2)
    t_out.backward(torch.tensor(dout))
    assert rel_error(out, t_out.detach().numpy()) < 1e-9
    for name, mine, t in zip(["dx", "dw", "db", "dgamma", "dbeta"], grads, tensors):
        if name == "db":
            np.testing.assert_allclose(mine, t.grad.numpy(), atol=1e-10)
        else:
            assert rel_error(mine, t.grad.numpy()) < 1e-8, name
