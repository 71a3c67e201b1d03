import numpy as np
import pytest
from gradcheck_helpers import check_backward
from numpy.lib.stride_tricks import sliding_window_view

from cs231nbook.layers import ConvCache, conv_backward_naive, conv_forward_naive


def reference_conv(x, w, b, stride, pad):
    """An independent computation: all windows as a strided view, then one einsum."""
    HH, WW = w.shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_window_view(x_pad, (HH, WW), axis=(2, 3))[
        :, :, ::stride, ::stride
    ]  # (N, C, H', W', HH, WW)
    return np.einsum("nchwpq,fcpq->nfhw", windows, w) + b[None, :, None, None]


# (x shape, w shape, stride, pad): square and non-square kernels and inputs, stride 1 to 3,
# pad 0 to 2, filters as large as the padded input, 1x1 filters.
GEOMETRIES = [
    ((2, 3, 5, 5), (2, 3, 3, 3), 1, 1),
    ((1, 2, 7, 6), (3, 2, 3, 2), 2, 1),
    ((2, 1, 6, 6), (2, 1, 2, 2), 2, 0),
    ((1, 2, 4, 5), (2, 2, 1, 3), 1, 0),
    ((1, 1, 5, 5), (1, 1, 3, 3), 3, 2),
    ((1, 2, 3, 3), (2, 2, 3, 3), 1, 2),
    ((2, 2, 3, 4), (1, 2, 3, 4), 1, 0),
]


def make_inputs(x_shape, w_shape, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    return x, w, b


def test_conv_forward_is_a_correlation_not_a_flipped_convolution():
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    out, _ = conv_forward_naive(x, w, np.array([0.5]), {"stride": 1, "pad": 0})
    # out[i, j] = sum_pq x[i+p, j+q] w[p, q], by hand; a flipped kernel would give 13 at (0, 0).
    np.testing.assert_array_equal(out, [[[[27.5, 37.5], [57.5, 67.5]]]])


def test_conv_forward_pads_with_zeros():
    x = np.ones((1, 1, 2, 2))
    w = np.ones((1, 1, 3, 3))
    out, _ = conv_forward_naive(x, w, np.zeros(1), {"stride": 1, "pad": 1})
    # Every 3x3 window of the padded 4x4 input holds all four ones and five zeros.
    np.testing.assert_array_equal(out, np.full((1, 1, 2, 2), 4.0))


def test_conv_forward_cs231n_values():
    # The fixed example of CS231n Assignment 2 (stride 2, pad 1), expected values to 8 decimals.
    x = np.linspace(-0.1, 0.5, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    w = np.linspace(-0.2, 0.3, num=3 * 3 * 4 * 4).reshape(3, 3, 4, 4)
    b = np.linspace(-0.1, 0.2, num=3)
    out, _ = conv_forward_naive(x, w, b, {"stride": 2, "pad": 1})
    expected = np.array(
        [
            [
                [[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]],
                [[0.21027089, 0.21661097], [0.22847626, 0.23004637]],
                [[0.50813986, 0.54309974], [0.64082444, 0.67101435]],
            ],
            [
                [[-0.98053589, -1.03143541], [-1.19128892, -1.24695841]],
                [[0.69108355, 0.66880383], [0.59480972, 0.56776003]],
                [[2.36270298, 2.36904306], [2.38090835, 2.38247847]],
            ],
        ]
    )
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-8)


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", GEOMETRIES)
def test_conv_forward_matches_independent_computation(x_shape, w_shape, stride, pad):
    x, w, b = make_inputs(x_shape, w_shape, seed=1)
    out, cache = conv_forward_naive(x, w, b, {"stride": stride, "pad": pad})
    np.testing.assert_allclose(out, reference_conv(x, w, b, stride, pad), rtol=1e-12, atol=1e-12)
    H_out = 1 + (x_shape[2] + 2 * pad - w_shape[2]) // stride
    W_out = 1 + (x_shape[3] + 2 * pad - w_shape[3]) // stride
    assert out.shape == (x_shape[0], w_shape[0], H_out, W_out)
    assert isinstance(cache, ConvCache) and (cache.stride, cache.pad) == (stride, pad)


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", GEOMETRIES)
def test_conv_backward_matches_numeric(x_shape, w_shape, stride, pad):
    x, w, b = make_inputs(x_shape, w_shape, seed=2)
    conv_param = {"stride": stride, "pad": pad}

    def forward(x, w, b):
        return conv_forward_naive(x, w, b, conv_param)

    check_backward(forward, conv_backward_naive, [x, w, b], threshold=1e-7)
    assert conv_param == {"stride": stride, "pad": pad}


def test_conv_preserves_float32():
    x, w, b = make_inputs((1, 2, 4, 4), (2, 2, 3, 3), dtype=np.float32)
    out, cache = conv_forward_naive(x, w, b, {"stride": 1, "pad": 1})
    assert out.dtype == np.float32
    dx, dw, db = conv_backward_naive(np.ones_like(out), cache)
    assert dx.dtype == dw.dtype == db.dtype == np.float32
    np.testing.assert_allclose(out, reference_conv(x, w, b, 1, 1), rtol=1e-5, atol=1e-5)


def test_conv_does_not_modify_inputs():
    x, w, b = make_inputs((2, 2, 4, 4), (3, 2, 3, 3), seed=3)
    conv_param = {"stride": 1, "pad": 1}
    copies = [a.copy() for a in (x, w, b)]
    out, cache = conv_forward_naive(x, w, b, conv_param)
    dout = np.random.default_rng(4).standard_normal(out.shape)
    dout_copy = dout.copy()
    conv_backward_naive(dout, cache)
    for a, c in zip((x, w, b, dout), copies + [dout_copy]):
        np.testing.assert_array_equal(a, c)
    assert conv_param == {"stride": 1, "pad": 1}


def test_conv_bias_gradient_is_the_sum_of_dout():
    x, w, b = make_inputs((2, 1, 4, 4), (3, 1, 2, 2), seed=5)
    out, cache = conv_forward_naive(x, w, b, {"stride": 2, "pad": 0})
    dout = np.random.default_rng(6).standard_normal(out.shape)
    _, _, db = conv_backward_naive(dout, cache)
    np.testing.assert_allclose(db, dout.sum(axis=(0, 2, 3)), rtol=1e-14)


X, W, B = np.zeros((2, 3, 5, 5)), np.zeros((4, 3, 3, 3)), np.zeros(4)


@pytest.mark.parametrize(
    "args, error, message",
    [
        (
            (X, W, B, {"stride": 0, "pad": 1}),
            ValueError,
            r"conv_param\['stride'\] must be a positive integer; got 0",
        ),
        (
            (X, W, B, {"stride": -2, "pad": 1}),
            ValueError,
            r"conv_param\['stride'\] must be a positive integer; got -2",
        ),
        (
            (X, W, B, {"stride": 1.0, "pad": 1}),
            TypeError,
            r"conv_param\['stride'\] must be an integer; got 1.0",
        ),
        (
            (X, W, B, {"stride": 1, "pad": -1}),
            ValueError,
            r"conv_param\['pad'\] must be a non-negative integer; got -1",
        ),
        (
            (X, W, B, {"stride": 1}),
            ValueError,
            r"conv_param is missing the key\(s\) \['pad'\]; got keys \['stride'\]",
        ),
        ((X, W, B, {}), ValueError, r"conv_param is missing the key\(s\) \['stride', 'pad'\]"),
        ((X, W, B, [1, 1]), TypeError, r"conv_param must be a dict; got \[1, 1\] \(list\)"),
        (
            (X, np.zeros((4, 2, 3, 3)), B, {"stride": 1, "pad": 1}),
            ValueError,
            r"w must have shape \(F, C, HH, WW\) with C = 3.*got w of shape \(4, 2, 3, 3\)",
        ),
        (
            (X, W, np.zeros(3), {"stride": 1, "pad": 1}),
            ValueError,
            r"b must have shape \(4,\) \(one bias per filter of w\); got \(3,\)",
        ),
        (
            (X, W, np.zeros((4, 1)), {"stride": 1, "pad": 1}),
            ValueError,
            r"b must be 1-dimensional; got shape \(4, 1\)",
        ),
        (
            (X, np.zeros((4, 3, 8, 3)), B, {"stride": 1, "pad": 1}),
            ValueError,
            r"convolution height .* window \(8\) is larger than the padded input .* = 7\)",
        ),
        (
            (X, np.zeros((4, 3, 3, 6)), B, {"stride": 1, "pad": 0}),
            ValueError,
            r"convolution width \(W vs filter width WW\): the window \(6\) is larger than the padded input",
        ),
        (
            (X, np.zeros((4, 3, 2, 2)), B, {"stride": 2, "pad": 0}),
            ValueError,
            r"convolution height .* = 2.5 is not an integer",
        ),
        (
            (np.zeros((2, 3, 7, 6)), W, B, {"stride": 2, "pad": 0}),
            ValueError,
            r"convolution width \(W vs filter width WW\): output size 1 \+ \(6 \+ 2\*0 - 3\) / 2 = 2.5 is not an integer",
        ),
        (
            (np.zeros((3, 5, 5)), W, B, {"stride": 1, "pad": 1}),
            ValueError,
            r"x must be 4-dimensional; got shape \(3, 5, 5\)",
        ),
        (
            (X > 0, W, B, {"stride": 1, "pad": 1}),  # a mask, not numbers
            TypeError,
            r"x must have a floating-point or integer dtype.*bool",
        ),
        (
            (X, W.tolist(), B, {"stride": 1, "pad": 1}),
            TypeError,
            r"w must be a NumPy ndarray; got .*\(list\)",
        ),
    ],
)
def test_conv_forward_rejects_bad_input(args, error, message):
    with pytest.raises(error, match=message):
        conv_forward_naive(*args)


def test_conv_backward_rejects_wrong_dout():
    out, cache = conv_forward_naive(X, W, B, {"stride": 1, "pad": 1})
    with pytest.raises(
        ValueError,
        match=r"dout must have shape \(2, 4, 5, 5\) \(the shape of the forward output\); "
        r"got \(2, 4, 3, 3\)",
    ):
        conv_backward_naive(np.zeros((2, 4, 3, 3)), cache)
    with pytest.raises(ValueError, match=r"dout must be 4-dimensional"):
        conv_backward_naive(np.zeros((2, 4, 25)), cache)


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", GEOMETRIES[:4])
def test_conv_against_torch(x_shape, w_shape, stride, pad):
    torch = pytest.importorskip("torch")
    x, w, b = make_inputs(x_shape, w_shape, seed=7)
    out, cache = conv_forward_naive(x, w, b, {"stride": stride, "pad": pad})
    dout = np.random.default_rng(8).standard_normal(out.shape)
    dx, dw, db = conv_backward_naive(dout, cache)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    tout = torch.nn.functional.conv2d(tx, tw, tb, stride=stride, padding=pad)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    for mine, theirs in [(dx, tx), (dw, tw), (db, tb)]:
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
