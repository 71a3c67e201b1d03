import numpy as np
import pytest
from gradcheck_helpers import check_backward
from numpy.lib.stride_tricks import sliding_window_view

from cs231nbook.layers import MaxPoolCache, max_pool_backward_naive, max_pool_forward_naive


def pool_param(ph, pw, stride):
    return {"pool_height": ph, "pool_width": pw, "stride": stride}


def reference_pool(x, ph, pw, stride):
    """An independent computation: all windows as a strided view, then one max."""
    windows = sliding_window_view(x, (ph, pw), axis=(2, 3))[
        :, :, ::stride, ::stride
    ]  # (N, C, H', W', ph, pw)
    return windows.max(axis=(4, 5))


def distinct_values(rng, shape):
    """Values at least 0.1 apart, so a step of 1e-5 never changes which entry is the maximum."""
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 - 1.0


# (x shape, pool_height, pool_width, stride): tiling windows, overlapping windows
# (stride < window), non-square windows, windows that skip pixels (stride > window),
# the 1x1 identity and the global window.
GEOMETRIES = [
    ((2, 3, 4, 4), 2, 2, 2),
    ((1, 2, 5, 5), 3, 3, 1),
    ((1, 2, 5, 7), 3, 3, 2),
    ((2, 1, 4, 6), 2, 3, 1),
    ((1, 2, 5, 4), 3, 2, 2),
    ((1, 1, 7, 7), 1, 1, 3),
    ((1, 1, 3, 3), 1, 1, 1),
    ((2, 2, 4, 4), 4, 4, 1),
]


def test_max_pool_forward_by_hand():
    x = np.array(
        [[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 8.0, 1.0], [0.0, 9.0, 6.0, 2.0], [7.0, 1.0, 3.0, 4.0]]
    ).reshape(1, 1, 4, 4)
    out, _ = max_pool_forward_naive(x, pool_param(2, 2, 2))
    np.testing.assert_array_equal(out, [[[[5.0, 8.0], [9.0, 6.0]]]])
    out, _ = max_pool_forward_naive(x, pool_param(3, 3, 1))
    np.testing.assert_array_equal(out, [[[[9.0, 9.0], [9.0, 9.0]]]])


def test_max_pool_forward_cs231n_values():
    # The fixed example of CS231n Assignment 2, expected values to 8 decimals.
    x = np.linspace(-0.3, 0.4, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    out, _ = max_pool_forward_naive(x, pool_param(2, 2, 2))
    expected = np.array(
        [
            [
                [[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]],
                [[-0.14526316, -0.13052632], [-0.08631579, -0.07157895]],
                [[-0.02736842, -0.01263158], [0.03157895, 0.04631579]],
            ],
            [
                [[0.09052632, 0.10526316], [0.14947368, 0.16421053]],
                [[0.20842105, 0.22315789], [0.26736842, 0.28210526]],
                [[0.32631579, 0.34105263], [0.38526316, 0.4]],
            ],
        ]
    )
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-8)


@pytest.mark.parametrize("x_shape, ph, pw, stride", GEOMETRIES)
def test_max_pool_forward_matches_independent_computation(x_shape, ph, pw, stride):
    x = np.random.default_rng(1).standard_normal(x_shape)
    out, cache = max_pool_forward_naive(x, pool_param(ph, pw, stride))
    np.testing.assert_array_equal(out, reference_pool(x, ph, pw, stride))
    assert isinstance(cache, MaxPoolCache) and (
        cache.pool_height,
        cache.pool_width,
        cache.stride,
    ) == (ph, pw, stride)


@pytest.mark.parametrize("x_shape, ph, pw, stride", GEOMETRIES)
def test_max_pool_backward_matches_numeric(x_shape, ph, pw, stride):
    x = distinct_values(np.random.default_rng(2), x_shape)
    param = pool_param(ph, pw, stride)

    def forward(x):
        return max_pool_forward_naive(x, param)

    check_backward(forward, max_pool_backward_naive, [x], threshold=1e-7)
    assert param == pool_param(ph, pw, stride)


def test_max_pool_gradient_goes_only_to_the_argmax():
    x = np.array(
        [[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 8.0, 1.0], [0.0, 9.0, 6.0, 2.0], [7.0, 1.0, 3.0, 4.0]]
    ).reshape(1, 1, 4, 4)
    out, cache = max_pool_forward_naive(x, pool_param(2, 2, 2))
    dx = max_pool_backward_naive(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]), cache)
    np.testing.assert_array_equal(
        dx[0, 0], [[0, 10, 0, 0], [0, 0, 20, 0], [0, 30, 40, 0], [0, 0, 0, 0]]
    )


def test_overlapping_windows_add_their_gradients():
    # The 9 is the maximum of all four 3x3 windows (stride 1), so it receives all four dout values.
    x = np.array(
        [[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 8.0, 1.0], [0.0, 9.0, 6.0, 2.0], [7.0, 1.0, 3.0, 4.0]]
    ).reshape(1, 1, 4, 4)
    out, cache = max_pool_forward_naive(x, pool_param(3, 3, 1))
    dout = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    dx = max_pool_backward_naive(dout, cache)
    expected = np.zeros((4, 4))
    expected[2, 1] = 10.0
    np.testing.assert_array_equal(dx[0, 0], expected)


def test_ties_send_the_gradient_to_the_first_maximum_in_row_major_order():
    x = np.array(
        [[2.0, 2.0, 0.0, 1.0], [2.0, 2.0, 3.0, 3.0], [5.0, 0.0, 7.0, 0.0], [0.0, 5.0, 0.0, 7.0]]
    ).reshape(1, 1, 4, 4)
    out, cache = max_pool_forward_naive(x, pool_param(2, 2, 2))
    dout = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    dx = max_pool_backward_naive(dout, cache)
    # All four equal -> top-left; a tie within the bottom row -> its left entry; a diagonal tie -> the top one.
    np.testing.assert_array_equal(
        dx[0, 0], [[1, 0, 0, 0], [0, 0, 2, 0], [3, 0, 4, 0], [0, 0, 0, 0]]
    )
    # One entry per window gets the gradient, so none is counted twice.
    assert dx.sum() == dout.sum()


def test_ties_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.integers(0, 3, size=(2, 2, 6, 6)).astype(np.float64)  # many ties
    for ph, pw, stride in [(2, 2, 2), (3, 3, 1), (2, 3, 1)]:
        out, cache = max_pool_forward_naive(x, pool_param(ph, pw, stride))
        dout = rng.standard_normal(out.shape)
        dx = max_pool_backward_naive(dout, cache)
        tx = torch.tensor(x, requires_grad=True)
        torch.nn.functional.max_pool2d(tx, (ph, pw), stride).backward(torch.tensor(dout))
        np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_max_pool_preserves_float32():
    x = np.random.default_rng(4).standard_normal((2, 2, 4, 4)).astype(np.float32)
    out, cache = max_pool_forward_naive(x, pool_param(2, 2, 2))
    assert out.dtype == np.float32
    assert max_pool_backward_naive(np.ones_like(out), cache).dtype == np.float32


def test_max_pool_does_not_modify_inputs():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 2, 5, 5))
    x_copy = x.copy()
    param = pool_param(3, 3, 1)
    out, cache = max_pool_forward_naive(x, param)
    dout = rng.standard_normal(out.shape)
    dout_copy = dout.copy()
    max_pool_backward_naive(dout, cache)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(dout, dout_copy)
    assert param == pool_param(3, 3, 1)


X = np.zeros((2, 3, 6, 6))


@pytest.mark.parametrize(
    "x, param, error, message",
    [
        (
            X,
            pool_param(2, 2, 0),
            ValueError,
            r"pool_param\['stride'\] must be a positive integer; got 0",
        ),
        (
            X,
            pool_param(2, 2, -1),
            ValueError,
            r"pool_param\['stride'\] must be a positive integer; got -1",
        ),
        (
            X,
            pool_param(0, 2, 2),
            ValueError,
            r"pool_param\['pool_height'\] must be a positive integer; got 0",
        ),
        (
            X,
            pool_param(2, -2, 2),
            ValueError,
            r"pool_param\['pool_width'\] must be a positive integer; got -2",
        ),
        (
            X,
            pool_param(2.0, 2, 2),
            TypeError,
            r"pool_param\['pool_height'\] must be an integer; got 2.0",
        ),
        (
            X,
            {"pool_height": 2, "stride": 2},
            ValueError,
            r"pool_param is missing the key\(s\) \['pool_width'\]; got keys \['pool_height', 'stride'\]",
        ),
        (X, (2, 2, 2), TypeError, r"pool_param must be a dict; got \(2, 2, 2\) \(tuple\)"),
        (
            X,
            pool_param(7, 2, 1),
            ValueError,
            r"max pooling height \(H vs pool_height\): the window \(7\) is larger than the padded input \(6 \+ 2\*0 = 6\)",
        ),
        (
            X,
            pool_param(2, 8, 1),
            ValueError,
            r"max pooling width \(W vs pool_width\): the window \(8\) is larger",
        ),
        (
            np.zeros((2, 3, 5, 6)),
            pool_param(2, 2, 2),
            ValueError,
            r"max pooling height \(H vs pool_height\): output size 1 \+ \(5 \+ 2\*0 - 2\) / 2 = 2.5 is not an integer; "
            r"choose a stride and pad so that the windows tile the input exactly",
        ),
        (
            X,
            pool_param(2, 3, 2),
            ValueError,
            r"max pooling width \(W vs pool_width\): output size 1 \+ \(6 \+ 2\*0 - 3\) / 2 = 2.5 is not an integer",
        ),
        (
            np.zeros((3, 6, 6)),
            pool_param(2, 2, 2),
            ValueError,
            r"x must be 4-dimensional; got shape \(3, 6, 6\)",
        ),
        (
            X > 0,
            pool_param(2, 2, 2),
            TypeError,
            r"x must have a floating-point or integer dtype.*bool",
        ),
        (
            np.ma.masked_array(X),
            pool_param(2, 2, 2),
            TypeError,
            r"x must be a plain ndarray, not a masked",
        ),
    ],
)
def test_max_pool_forward_rejects_bad_input(x, param, error, message):
    with pytest.raises(error, match=message):
        max_pool_forward_naive(x, param)


def test_max_pool_backward_rejects_wrong_dout():
    out, cache = max_pool_forward_naive(X, pool_param(2, 2, 2))
    with pytest.raises(
        ValueError,
        match=r"dout must have shape \(2, 3, 3, 3\) \(the shape of the forward output\); "
        r"got \(2, 3, 2, 2\)",
    ):
        max_pool_backward_naive(np.zeros((2, 3, 2, 2)), cache)


@pytest.mark.parametrize("x_shape, ph, pw, stride", GEOMETRIES[:4])
def test_max_pool_against_torch(x_shape, ph, pw, stride):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.standard_normal(x_shape)
    out, cache = max_pool_forward_naive(x, pool_param(ph, pw, stride))
    dout = rng.standard_normal(out.shape)
    dx = max_pool_backward_naive(dout, cache)
    tx = torch.tensor(x, requires_grad=True)
    tout = torch.nn.functional.max_pool2d(tx, (ph, pw), stride)
    tout.backward(torch.tensor(dout))
    np.testing.assert_array_equal(out, tout.detach().numpy())
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
