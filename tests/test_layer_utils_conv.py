import numpy as np
import pytest
from gradcheck_helpers import check_backward

from cs231nbook.gradient_check import rel_error
from cs231nbook.layer_utils import (
    ConvReluCache,
    ConvReluPoolCache,
    conv_relu_backward,
    conv_relu_forward,
    conv_relu_pool_backward,
    conv_relu_pool_forward,
)
from cs231nbook.layers import (
    conv_backward_naive,
    conv_forward_naive,
    max_pool_backward_naive,
    max_pool_forward_naive,
    relu_backward,
    relu_forward,
)

POOL = {"pool_height": 2, "pool_width": 2, "stride": 2}

# (x shape, w shape, conv_param, pool_param)
GEOMETRIES = [
    ((2, 3, 8, 8), (3, 3, 3, 3), {"stride": 1, "pad": 1}, POOL),
    (
        (1, 2, 7, 7),
        (2, 2, 3, 3),
        {"stride": 2, "pad": 2},
        {"pool_height": 3, "pool_width": 3, "stride": 1},
    ),
    (
        (2, 1, 6, 5),
        (2, 1, 3, 2),
        {"stride": 1, "pad": 0},
        {"pool_height": 2, "pool_width": 2, "stride": 2},
    ),
]


def make_inputs(x_shape, w_shape, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal(x_shape).astype(dtype),
        rng.standard_normal(w_shape).astype(dtype),
        rng.standard_normal(w_shape[0]).astype(dtype),
    )


def naive_conv_relu_pool(x, w, b, conv_param, pool_param, dout):
    """The same sandwich composed from the naive layers: an independent reference."""
    a, conv_cache = conv_forward_naive(x, w, b, conv_param)
    s, relu_cache = relu_forward(a)
    out, pool_cache = max_pool_forward_naive(s, pool_param)
    ds = max_pool_backward_naive(dout, pool_cache)
    grads = conv_backward_naive(relu_backward(ds, relu_cache), conv_cache)
    return out, grads


@pytest.mark.parametrize("x_shape, w_shape, conv_param, pool_param", GEOMETRIES)
def test_conv_relu_backward_matches_numeric(x_shape, w_shape, conv_param, pool_param):
    x, w, b = make_inputs(x_shape, w_shape, seed=11)

    def forward(x, w, b):
        return conv_relu_forward(x, w, b, conv_param)

    check_backward(forward, conv_relu_backward, [x, w, b], threshold=1e-7)


@pytest.mark.parametrize("x_shape, w_shape, conv_param, pool_param", GEOMETRIES)
def test_conv_relu_pool_backward_matches_numeric(x_shape, w_shape, conv_param, pool_param):
    x, w, b = make_inputs(x_shape, w_shape, seed=12)

    def forward(x, w, b):
        return conv_relu_pool_forward(x, w, b, conv_param, pool_param)

    check_backward(forward, conv_relu_pool_backward, [x, w, b], threshold=1e-7)


@pytest.mark.parametrize("x_shape, w_shape, conv_param, pool_param", GEOMETRIES)
def test_conv_relu_pool_matches_naive_composition(x_shape, w_shape, conv_param, pool_param):
    x, w, b = make_inputs(x_shape, w_shape, seed=13)
    out, cache = conv_relu_pool_forward(x, w, b, conv_param, pool_param)
    assert isinstance(cache, ConvReluPoolCache)
    dout = np.random.default_rng(14).standard_normal(out.shape)
    expected_out, expected_grads = naive_conv_relu_pool(x, w, b, conv_param, pool_param, dout)
    assert rel_error(out, expected_out) < 1e-9
    for mine, theirs in zip(conv_relu_pool_backward(dout, cache), expected_grads):
        assert rel_error(mine, theirs) < 1e-9


def test_conv_relu_matches_naive_composition():
    x, w, b = make_inputs((2, 3, 5, 5), (4, 3, 3, 3), seed=15)
    conv_param = {"stride": 2, "pad": 1}
    out, cache = conv_relu_forward(x, w, b, conv_param)
    assert isinstance(cache, ConvReluCache)
    a, conv_cache = conv_forward_naive(x, w, b, conv_param)
    assert rel_error(out, np.maximum(a, 0)) < 1e-9
    assert np.all(out >= 0)
    dout = np.random.default_rng(16).standard_normal(out.shape)
    expected = conv_backward_naive(dout * (a > 0), conv_cache)
    for mine, theirs in zip(conv_relu_backward(dout, cache), expected):
        assert rel_error(mine, theirs) < 1e-9


def test_conv_sandwiches_preserve_float32():
    x, w, b = make_inputs((2, 2, 4, 4), (3, 2, 3, 3), seed=17, dtype=np.float32)
    out, cache = conv_relu_forward(x, w, b, {"stride": 1, "pad": 1})
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in conv_relu_backward(np.ones_like(out), cache))
    out, cache = conv_relu_pool_forward(x, w, b, {"stride": 1, "pad": 1}, POOL)
    assert out.dtype == np.float32 and out.shape == (2, 3, 2, 2)
    assert all(g.dtype == np.float32 for g in conv_relu_pool_backward(np.ones_like(out), cache))


def test_conv_sandwiches_reject_bad_params():
    x, w, b = make_inputs((1, 2, 4, 4), (3, 2, 3, 3), seed=18)
    with pytest.raises(
        ValueError, match=r"conv_param\['stride'\] must be a positive integer; got 0"
    ):
        conv_relu_forward(x, w, b, {"stride": 0, "pad": 1})
    with pytest.raises(ValueError, match=r"conv_param is missing the key\(s\) \['pad'\]"):
        conv_relu_pool_forward(x, w, b, {"stride": 1}, POOL)
    with pytest.raises(
        ValueError,
        match=r"max pooling height \(H vs pool_height\): output size 1 \+ \(4 \+ 2\*0 - 3\) / 2",
    ):
        conv_relu_pool_forward(
            x, w, b, {"stride": 1, "pad": 1}, {"pool_height": 3, "pool_width": 3, "stride": 2}
        )


def test_conv_relu_pool_against_torch():
    torch = pytest.importorskip("torch")
    x, w, b = make_inputs((2, 3, 8, 8), (4, 3, 3, 3), seed=19)
    out, cache = conv_relu_pool_forward(x, w, b, {"stride": 1, "pad": 1}, POOL)
    dout = np.random.default_rng(20).standard_normal(out.shape)
    dx, dw, db = conv_relu_pool_backward(dout, cache)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    F = torch.nn.functional
    tout = F.max_pool2d(F.relu(F.conv2d(tx, tw, tb, stride=1, padding=1)), 2, 2)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    for mine, theirs in [(dx, tx), (dw, tw), (db, tb)]:
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
