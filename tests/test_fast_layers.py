"""The fast layers against the naive ones: same numbers, same errors, bounded memory."""

import itertools

import numpy as np
import pytest
from gradcheck_helpers import check_backward

from cs231nbook.fast_layers import (
    col2im,
    conv_backward_fast,
    conv_forward_fast,
    im2col,
    max_pool_backward_fast,
    max_pool_forward_fast,
)
from cs231nbook.fast_layers import stacked as stacked_module
from cs231nbook.gradient_check import rel_error
from cs231nbook.layers import (
    conv_backward_naive,
    conv_forward_naive,
    max_pool_backward_naive,
    max_pool_forward_naive,
)

# (x shape, w shape, stride, pad): odd and even sizes, non-square inputs and kernels, stride 1 to 3,
# pad 0 to 2, 1x1 kernels, kernels as large as the padded input.
CONV_GEOMETRIES = [
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 1),
    ((3, 2, 7, 6), (3, 2, 3, 2), 2, 1),
    ((2, 1, 6, 6), (2, 1, 2, 2), 2, 0),
    ((2, 2, 4, 5), (2, 2, 1, 3), 1, 0),
    ((1, 2, 5, 5), (2, 2, 3, 3), 3, 2),
    ((2, 2, 3, 3), (2, 2, 3, 3), 1, 2),
    ((2, 3, 9, 7), (5, 3, 5, 3), 2, 2),
    ((3, 4, 7, 7), (2, 4, 1, 1), 3, 0),
    ((2, 2, 4, 3), (3, 2, 1, 2), 1, 2),  # pad > HH - 1: outputs taller than an image's share
    ((3, 2, 4, 4), (2, 2, 2, 2), 2, 3),
]

# (x shape, pool_height, pool_width, stride): tiling windows (the reshape path), overlapping
# windows, non-square windows, windows with gaps between them, odd sizes.
POOL_GEOMETRIES = [
    ((2, 3, 8, 8), 2, 2, 2),
    ((2, 2, 9, 6), 3, 3, 3),
    ((2, 3, 7, 7), 3, 3, 2),
    ((2, 2, 7, 9), 3, 3, 1),
    ((2, 2, 7, 5), 2, 1, 1),
    ((1, 3, 6, 8), 2, 4, 2),
    ((2, 2, 7, 7), 1, 1, 3),
    ((2, 2, 5, 5), 5, 5, 1),
]


def conv_inputs(x_shape, w_shape, dtype, seed=0):
    """float64: standard normal. float32: small integers, so every sum is exact in any order
    and float32 results can be required to match to 1e-9 like float64 ones."""
    rng = np.random.default_rng(seed)
    if dtype == np.float64:
        draw = rng.standard_normal
    else:

        def draw(shape):
            return rng.integers(-3, 4, size=shape).astype(dtype)

    return draw(x_shape), draw(w_shape), draw((w_shape[0],)), draw


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_GEOMETRIES)
def test_conv_fast_matches_naive(x_shape, w_shape, stride, pad, dtype):
    x, w, b, draw = conv_inputs(x_shape, w_shape, dtype)
    conv_param = {"stride": stride, "pad": pad}
    originals = [a.copy() for a in (x, w, b)]
    out_naive, cache_naive = conv_forward_naive(x, w, b, conv_param)
    out_fast, cache_fast = conv_forward_fast(x, w, b, conv_param)
    assert out_fast.shape == out_naive.shape and out_fast.dtype == dtype
    assert rel_error(out_naive, out_fast) < 1e-9
    dout = draw(out_naive.shape)
    dout_original = dout.copy()
    grads_naive = conv_backward_naive(dout, cache_naive)
    grads_fast = conv_backward_fast(dout, cache_fast)
    for name, g_naive, g_fast in zip(("dx", "dw", "db"), grads_naive, grads_fast):
        assert g_fast.shape == g_naive.shape and g_fast.dtype == dtype, name
        assert rel_error(g_naive, g_fast) < 1e-9, name
    for a, original in zip((x, w, b, dout), (*originals, dout_original)):
        np.testing.assert_array_equal(a, original)


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_GEOMETRIES[:4])
def test_conv_fast_backward_matches_numeric(x_shape, w_shape, stride, pad):
    x, w, b, _ = conv_inputs(x_shape, w_shape, np.float64, seed=3)
    conv_param = {"stride": stride, "pad": pad}
    check_backward(
        lambda x, w, b: conv_forward_fast(x, w, b, conv_param), conv_backward_fast, [x, w, b], 1e-7
    )


def column_bytes_per_image(x_shape, w_shape, stride, pad, itemsize=8):
    """Bytes of one image's columns as the fast layer computes them (junk positions included)."""
    _, C, H, W = x_shape
    _, _, HH, WW = w_shape
    layout = stacked_module.StackedColumns(C, H, W, HH, WW, stride, pad)
    return layout.K * layout.M * itemsize


@pytest.mark.parametrize("cap_images", [1, 2, 3])
@pytest.mark.parametrize("stride, pad", [(1, 1), (1, 0), (2, 2)])
def test_conv_chunked_equals_unchunked(cap_images, stride, pad):
    x_shape, w_shape = (7, 3, 7, 5), (4, 3, 3, 3)
    x, w, b, draw = conv_inputs(x_shape, w_shape, np.float64, seed=4)
    conv_param = {"stride": stride, "pad": pad}
    bytes_per_image = column_bytes_per_image(x_shape, w_shape, stride, pad)
    assert stacked_module.images_per_chunk(bytes_per_image) >= 7  # by default, one chunk
    out_whole, cache_whole = conv_forward_fast(x, w, b, conv_param)
    dout = draw(out_whole.shape)
    grads_whole = conv_backward_fast(dout, cache_whole)
    cap = cap_images * bytes_per_image
    assert stacked_module.images_per_chunk(bytes_per_image, cap) == cap_images
    out_chunked, cache_chunked = conv_forward_fast(x, w, b, conv_param, column_cap_bytes=cap)
    grads_chunked = conv_backward_fast(dout, cache_chunked, column_cap_bytes=cap)
    # Chunking changes which images share a matrix product, not the sums: equal to rounding.
    assert rel_error(out_whole, out_chunked) < 1e-12
    for g_whole, g_chunked in zip(grads_whole, grads_chunked):
        assert rel_error(g_whole, g_chunked) < 1e-12
    out_naive, cache_naive = conv_forward_naive(x, w, b, conv_param)
    assert rel_error(out_naive, out_chunked) < 1e-9
    for g_naive, g_chunked in zip(conv_backward_naive(dout, cache_naive), grads_chunked):
        assert rel_error(g_naive, g_chunked) < 1e-9


def test_conv_cap_smaller_than_one_image_processes_one_image_at_a_time():
    assert stacked_module.images_per_chunk(10_000, 1) == 1
    x, w, b, _ = conv_inputs((3, 2, 5, 5), (2, 2, 3, 3), np.float64)
    out_fast, _ = conv_forward_fast(x, w, b, {"stride": 2, "pad": 1}, column_cap_bytes=1)
    out_naive, _ = conv_forward_naive(x, w, b, {"stride": 2, "pad": 1})
    assert rel_error(out_naive, out_fast) < 1e-9


def test_conv_memory_is_bounded_by_the_cap():
    """With a cap of one image, memory stays near one image's columns, not the batch's."""
    import tracemalloc

    x_shape, w_shape = (32, 4, 12, 12), (4, 4, 3, 3)
    x, w, b, draw = conv_inputs(x_shape, w_shape, np.float64)
    bytes_per_image = column_bytes_per_image(x_shape, w_shape, 1, 1)  # 60 kB; the batch: 1.9 MB
    dout = draw((32, 4, 12, 12))

    def peak_bytes(cap=None):
        tracemalloc.start()
        try:
            out, cache = conv_forward_fast(x, w, b, {"stride": 1, "pad": 1}, column_cap_bytes=cap)
            conv_backward_fast(dout, cache, column_cap_bytes=cap)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    assert peak_bytes() > 32 * bytes_per_image  # by default the whole batch is one chunk
    # Outputs and gradients (~4 x 147 kB) plus a few one-image buffers.
    assert peak_bytes(cap=bytes_per_image) < 0.6 * 32 * bytes_per_image


def test_im2col_layout_and_adjoint():
    """Row (c, p, q), column (n, i, j); and <im2col(x), c> == <x, col2im(c)>."""
    rng = np.random.default_rng(5)
    for stride, shape, HH, WW in [(2, (2, 3, 7, 8), 3, 2), (1, (2, 2, 5, 4), 2, 3)]:
        x_pad = rng.standard_normal(shape)
        N, C, H_pad, W_pad = shape
        H_out, W_out = (H_pad - HH) // stride + 1, (W_pad - WW) // stride + 1
        cols = im2col(x_pad, HH, WW, stride)
        assert cols.shape == (C * HH * WW, N * H_out * W_out)
        blocks = cols.reshape(C, HH, WW, N, H_out, W_out)
        for c, p, q, n, i, j in itertools.product(*(range(k) for k in blocks.shape)):
            assert blocks[c, p, q, n, i, j] == x_pad[n, c, i * stride + p, j * stride + q]
        g = rng.standard_normal(cols.shape)
        lhs = np.sum(cols * g)
        rhs = np.sum(x_pad * col2im(g, shape, HH, WW, stride))
        assert abs(lhs - rhs) < 1e-12 * abs(lhs) + 1e-12


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_GEOMETRIES)
def test_stacked_columns_hold_the_textbook_columns_and_are_adjoint(x_shape, w_shape, stride, pad):
    """The fast layout's columns are im2col's, rows reordered (p, q, c) and junk added; and its
    col2im is the transpose of its im2col on the real positions."""
    rng = np.random.default_rng(6)
    n, C, H, W = x_shape
    _, _, HH, WW = w_shape
    layout = stacked_module.StackedColumns(C, H, W, HH, WW, stride, pad)
    x = rng.standard_normal(x_shape)
    stacked = layout.stack(x, np.zeros(layout.buffer_length(n)))
    cols = layout.im2col(stacked, n, np.empty((layout.K, n * layout.M)))
    real = layout.crop(cols, n).reshape(HH, WW, C, n, layout.H_out, layout.W_out)
    textbook = im2col(np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))), HH, WW, stride)
    textbook = textbook.reshape(C, HH, WW, n, layout.H_out, layout.W_out)
    np.testing.assert_array_equal(real, textbook.transpose(1, 2, 0, 3, 4, 5))
    np.testing.assert_array_equal(layout.unstack(stacked, np.empty_like(x)), x)
    # <im2col(x), g> == <x, col2im(g)> for g zero on the junk positions.
    g = np.zeros_like(cols)
    layout.crop(g, n)[...] = rng.standard_normal(layout.crop(g, n).shape)
    back = layout.unstack(layout.col2im(g, n, np.empty(layout.buffer_length(n))), np.empty_like(x))
    assert abs(np.sum(cols * g) - np.sum(x * back)) < 1e-12 * np.sum(np.abs(cols * g))


def test_stacked_images_share_their_padding():
    """Two 3x3 images, pad 1: one zero column between rows and one zero row between images
    serve both neighbours, so a row takes 4 entries and an image 4 rows."""
    layout = stacked_module.StackedColumns(1, 3, 3, 3, 3, 1, 1)
    assert (layout.row_pitch, layout.R, layout.pitch, layout.M) == (4, 4, 16, 16)
    x = np.arange(1.0, 19.0).reshape(2, 1, 3, 3)
    buffer = layout.stack(x, np.zeros(layout.buffer_length(2)))
    grid = buffer[: 9 * 4].reshape(9, 4)
    np.testing.assert_array_equal(grid[[0, 4, 8]], 0)  # top, shared, bottom padding rows
    np.testing.assert_array_equal(grid[:, 0], 0)  # shared left/right padding column
    np.testing.assert_array_equal(grid[1:4, 1:], x[0, 0])
    np.testing.assert_array_equal(grid[5:8, 1:], x[1, 0])
    assert not buffer[9 * 4 :].any()


def test_col2im_adds_overlapping_windows():
    # 3x3 input, 2x2 windows, stride 1: the centre pixel is in all four windows.
    counts = col2im(np.ones((4, 4)), (1, 1, 3, 3), 2, 2, 1)
    np.testing.assert_array_equal(counts[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_conv_fast_against_torch():
    torch = pytest.importorskip("torch")
    x, w, b, draw = conv_inputs((2, 3, 7, 6), (4, 3, 3, 2), np.float64, seed=6)
    out, cache = conv_forward_fast(x, w, b, {"stride": 2, "pad": 1})
    dout = draw(out.shape)
    dx, dw, db = conv_backward_fast(dout, cache)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    tout = torch.nn.functional.conv2d(tx, tw, tb, stride=2, padding=1)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    for mine, theirs in [(dx, tx), (dw, tw), (db, tb)]:
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_conv_caches_are_interchangeable_and_empty_batches_work():
    x, w, b, draw = conv_inputs((2, 3, 6, 5), (4, 3, 3, 3), np.float64, seed=12)
    conv_param = {"stride": 1, "pad": 1}
    out, cache_fast = conv_forward_fast(x, w, b, conv_param)
    _, cache_naive = conv_forward_naive(x, w, b, conv_param)
    dout = draw(out.shape)
    for g_a, g_b in zip(
        conv_backward_naive(dout, cache_fast), conv_backward_fast(dout, cache_naive)
    ):
        assert rel_error(g_a, g_b) < 1e-9
    out0, cache0 = conv_forward_fast(x[:0], w, b, conv_param)
    assert out0.shape == (0, 4, 6, 5)
    dx0, dw0, db0 = conv_backward_fast(out0, cache0)
    assert dx0.shape == (0, 3, 6, 5) and not dw0.any() and not db0.any()
    pooled, pool_cache = max_pool_forward_fast(
        x[:0], {"pool_height": 2, "pool_width": 1, "stride": 1}
    )
    assert pooled.shape == (0, 3, 5, 5) and max_pool_backward_fast(pooled, pool_cache).shape == (
        0,
        3,
        6,
        5,
    )


def test_conv_fast_mixed_dtypes_follow_the_naive_layer():
    x, w, b, draw = conv_inputs((2, 2, 5, 5), (3, 2, 3, 3), np.float32)
    w = w.astype(np.float64)
    out, cache = conv_forward_fast(x, w, b, {"stride": 1, "pad": 1})
    out_naive, cache_naive = conv_forward_naive(x, w, b, {"stride": 1, "pad": 1})
    assert out.dtype == out_naive.dtype == np.float64
    dout = draw(out.shape)
    for g_fast, g_naive in zip(
        conv_backward_fast(dout, cache), conv_backward_naive(dout, cache_naive)
    ):
        assert g_fast.dtype == g_naive.dtype
        assert rel_error(g_naive, g_fast) < 1e-9


CONV_ERRORS = [
    (
        {"stride": 2, "pad": 0},
        (1, 1, 4, 4),
        (1, 1, 3, 3),
        ValueError,
        r"convolution height \(H vs filter height HH\): output size 1 \+ \(4 \+ 2\*0 - 3\) / 2 = 1.5 is not an integer",
    ),
    (
        {"stride": 1, "pad": 0},
        (1, 1, 2, 2),
        (1, 1, 3, 3),
        ValueError,
        r"the window \(3\) is larger than the padded input",
    ),
    (
        {"stride": 0, "pad": 0},
        (1, 1, 4, 4),
        (1, 1, 3, 3),
        ValueError,
        r"conv_param\['stride'\] must be a positive integer",
    ),
    (
        {"stride": 1.0, "pad": 0},
        (1, 1, 4, 4),
        (1, 1, 3, 3),
        TypeError,
        r"conv_param\['stride'\] must be an integer",
    ),
    (
        {"stride": 1},
        (1, 1, 4, 4),
        (1, 1, 3, 3),
        ValueError,
        r"conv_param is missing the key\(s\) \['pad'\]",
    ),
    (
        {"stride": 1, "pad": 0},
        (1, 2, 4, 4),
        (1, 3, 3, 3),
        ValueError,
        r"w must have shape \(F, C, HH, WW\) with C = 2",
    ),
]


@pytest.mark.parametrize("conv_param, x_shape, w_shape, error, message", CONV_ERRORS)
def test_conv_fast_rejects_what_naive_rejects(conv_param, x_shape, w_shape, error, message):
    x, w, b = np.zeros(x_shape), np.zeros(w_shape), np.zeros(w_shape[0])
    for forward in (conv_forward_naive, conv_forward_fast):
        with pytest.raises(error, match=message):
            forward(x, w, b, conv_param)


def test_conv_fast_rejects_bad_arrays_and_dout():
    with pytest.raises(TypeError, match="x must have a floating-point or integer dtype"):
        conv_forward_fast(
            np.zeros((1, 1, 3, 3), dtype=complex),
            np.zeros((1, 1, 3, 3)),
            np.zeros(1),
            {"stride": 1, "pad": 0},
        )
    with pytest.raises(ValueError, match=r"b must have shape \(2,\)"):
        conv_forward_fast(
            np.zeros((1, 1, 3, 3)), np.zeros((2, 1, 3, 3)), np.zeros(1), {"stride": 1, "pad": 0}
        )
    out, cache = conv_forward_fast(
        np.zeros((2, 1, 4, 4)), np.zeros((3, 1, 3, 3)), np.zeros(3), {"stride": 1, "pad": 0}
    )
    with pytest.raises(
        ValueError,
        match=r"dout must have shape \(2, 3, 2, 2\) \(the shape of the forward output\); got \(2, 3, 2, 3\)",
    ):
        conv_backward_fast(np.zeros((2, 3, 2, 3)), cache)
    with pytest.raises(TypeError, match="dout must be a NumPy ndarray"):
        conv_backward_fast(out.tolist(), cache)


def pool_input(x_shape, dtype, seed=0):
    """Values from a small set, so windows hold ties (the tie rule is exercised), plus a constant image."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, size=x_shape).astype(dtype) / 2
    x[0, 0] = 1.5  # a constant image: every window is one big tie
    return x


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, ph, pw, stride", POOL_GEOMETRIES)
def test_pool_fast_matches_naive_with_ties(x_shape, ph, pw, stride, dtype):
    x = pool_input(x_shape, dtype)
    x_original = x.copy()
    pool_param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out_naive, cache_naive = max_pool_forward_naive(x, pool_param)
    out_fast, cache_fast = max_pool_forward_fast(x, pool_param)
    assert out_fast.dtype == dtype
    np.testing.assert_array_equal(out_fast, out_naive)
    # Integer-valued dout: where overlapping windows share an arg-max, sums in any order are exact.
    dout = np.random.default_rng(1).integers(-9, 10, size=out_naive.shape).astype(dtype)
    dout_original = dout.copy()
    dx_naive = max_pool_backward_naive(dout, cache_naive)
    dx_fast = max_pool_backward_fast(dout, cache_fast)
    assert dx_fast.dtype == dtype
    # Same routing: the results are identical, not merely close.
    np.testing.assert_array_equal(dx_fast, dx_naive)
    np.testing.assert_array_equal(x, x_original)
    np.testing.assert_array_equal(dout, dout_original)


def test_pool_ties_go_to_the_first_maximum_in_row_major_order():
    x = np.array([[0.0, 2.0, 2.0, 1.0], [2.0, 2.0, 0.0, 2.0]]).reshape(1, 1, 2, 4)
    out, cache = max_pool_forward_fast(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    dx = max_pool_backward_fast(np.array([[[[5.0, 7.0]]]]), cache)
    np.testing.assert_array_equal(dx[0, 0], [[0.0, 5.0, 7.0, 0.0], [0.0, 0.0, 0.0, 0.0]])


@pytest.mark.parametrize("ph, pw, stride", [(2, 2, 2), (3, 2, 1)])
def test_pool_nan_and_infinite_dout_follow_the_naive_layer(ph, pw, stride):
    x = pool_input((2, 2, 6, 6), np.float64, seed=2)
    x[1, 1, 2, 3] = np.nan
    x[1, 0, 0, 0] = np.nan
    pool_param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out_naive, cache_naive = max_pool_forward_naive(x, pool_param)
    out_fast, cache_fast = max_pool_forward_fast(x, pool_param)
    np.testing.assert_array_equal(out_fast, out_naive)  # NaNs in the same places
    dout = np.random.default_rng(3).integers(-9, 10, size=out_naive.shape).astype(np.float64)
    dout[0, 1, 1, 1] = np.inf  # inf * 0 must not turn the other entries of its window into NaN
    np.testing.assert_array_equal(
        max_pool_backward_fast(dout, cache_fast), max_pool_backward_naive(dout, cache_naive)
    )


@pytest.mark.parametrize(
    "x_shape, ph, pw, stride", [((2, 2, 4, 4), 2, 2, 2), ((1, 2, 5, 5), 3, 3, 1)]
)
def test_pool_fast_backward_matches_numeric(x_shape, ph, pw, stride):
    # Distinct, well-separated values: h = 1e-5 cannot change which entry is the maximum.
    x = np.random.default_rng(7).permutation(np.prod(x_shape)).reshape(x_shape) * 0.1
    pool_param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    check_backward(
        lambda x: max_pool_forward_fast(x, pool_param), max_pool_backward_fast, [x], 1e-7
    )


def test_pool_fast_against_torch():
    torch = pytest.importorskip("torch")
    x = pool_input((2, 3, 7, 7), np.float64, seed=8)
    out, cache = max_pool_forward_fast(x, {"pool_height": 3, "pool_width": 3, "stride": 2})
    dout = np.random.default_rng(9).standard_normal(out.shape)
    tx = torch.tensor(x, requires_grad=True)
    tout = torch.nn.functional.max_pool2d(tx, kernel_size=3, stride=2)
    tout.backward(torch.tensor(dout))
    np.testing.assert_array_equal(out, tout.detach().numpy())
    np.testing.assert_allclose(
        max_pool_backward_fast(dout, cache), tx.grad.numpy(), rtol=1e-14, atol=0
    )


POOL_ERRORS = [
    (
        {"pool_height": 2, "pool_width": 2, "stride": 2},
        (1, 1, 5, 4),
        ValueError,
        r"max pooling height \(H vs pool_height\): output size 1 \+ \(5 \+ 2\*0 - 2\) / 2 = 2.5 is not an integer",
    ),
    (
        {"pool_height": 6, "pool_width": 2, "stride": 2},
        (1, 1, 4, 4),
        ValueError,
        r"the window \(6\) is larger",
    ),
    (
        {"pool_height": 2, "pool_width": 2},
        (1, 1, 4, 4),
        ValueError,
        r"pool_param is missing the key\(s\) \['stride'\]",
    ),
    (
        {"pool_height": 2, "pool_width": 0, "stride": 2},
        (1, 1, 4, 4),
        ValueError,
        r"pool_param\['pool_width'\] must be a positive integer",
    ),
    (
        {"pool_height": 2, "pool_width": 2, "stride": 2},
        (1, 4, 4),
        ValueError,
        r"x must be 4-dimensional",
    ),
]


@pytest.mark.parametrize("pool_param, x_shape, error, message", POOL_ERRORS)
def test_pool_fast_rejects_what_naive_rejects(pool_param, x_shape, error, message):
    for forward in (max_pool_forward_naive, max_pool_forward_fast):
        with pytest.raises(error, match=message):
            forward(np.zeros(x_shape), pool_param)


def test_pool_fast_rejects_wrong_dout():
    _, cache = max_pool_forward_fast(
        np.zeros((2, 3, 4, 4)), {"pool_height": 2, "pool_width": 2, "stride": 2}
    )
    with pytest.raises(
        ValueError,
        match=r"dout must have shape \(2, 3, 2, 2\) .*got \(2, 3, 2, 1\)",
    ):
        max_pool_backward_fast(np.zeros((2, 3, 2, 1)), cache)
    # an integer dout is converted to x's dtype, as everywhere
    assert max_pool_backward_fast(np.ones((2, 3, 2, 2), dtype=np.int64), cache).dtype == np.float64


@pytest.mark.parametrize("k", [2, 3])
def test_pool_tiling_path_equals_general_path(monkeypatch, k):
    """Force the general (offset-view) path on tiling windows: identical outputs and gradients."""
    from cs231nbook.fast_layers import pool as pool_module

    x = pool_input((2, 3, 3 * k, 2 * k), np.float64, seed=10)
    pool_param = {"pool_height": k, "pool_width": k, "stride": k}
    assert pool_module.tiles(3 * k, 2 * k, k, k, k)
    out_tiled, cache_tiled = max_pool_forward_fast(x, pool_param)
    dout = np.random.default_rng(11).standard_normal(out_tiled.shape)
    dx_tiled = max_pool_backward_fast(dout, cache_tiled)
    monkeypatch.setattr(pool_module, "tiles", lambda *args: False)
    out_general, cache_general = max_pool_forward_fast(x, pool_param)
    np.testing.assert_array_equal(out_general, out_tiled)
    np.testing.assert_array_equal(max_pool_backward_fast(dout, cache_general), dx_tiled)


@pytest.mark.parametrize("perm", [(0, 2, 3, 1), (0, 1, 3, 2), (3, 2, 1, 0)])
@pytest.mark.parametrize("pool", [(2, 2, 2), (3, 3, 2)])
def test_layers_accept_inputs_in_any_memory_layout(perm, pool):
    # A transposed view (e.g. NHWC data viewed as NCHW) must give the same results as a
    # C-contiguous copy; reshaping such an array silently copies, so writes must not go there.
    rng = np.random.default_rng(99)
    shape = (2, 3, 7, 7)
    base = rng.standard_normal(tuple(shape[i] for i in perm))
    x = base.transpose(np.argsort(perm))  # same values layout-wise scrambled, shape (2, 3, 7, 7)
    assert x.shape == shape and not x.flags.c_contiguous
    xc = np.ascontiguousarray(x)
    ph, pw, s = pool
    if (7 - ph) % s:
        x, xc = x[:, :, :6, :6], xc[:, :, :6, :6]
    pool_param = {"pool_height": ph, "pool_width": pw, "stride": s}
    out, cache = max_pool_forward_fast(x, pool_param)
    ref, ref_cache = max_pool_forward_naive(xc, pool_param)
    dout = rng.standard_normal(out.shape)
    np.testing.assert_array_equal(out, ref)
    # overlapping windows add in another order than the naive loops: equal up to round-off
    dx_fast = max_pool_backward_fast(dout, cache)
    assert rel_error(dx_fast, max_pool_backward_naive(dout, ref_cache)) < 1e-12

    w = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    conv_param = {"stride": 1, "pad": 1}
    out, cache = conv_forward_fast(x, w, b, conv_param)
    ref, ref_cache = conv_forward_naive(xc, w, b, conv_param)
    dout = rng.standard_normal(out.shape)
    assert rel_error(out, ref) < 1e-9
    for mine, theirs in zip(conv_backward_fast(dout, cache), conv_backward_naive(dout, ref_cache)):
        assert rel_error(mine, theirs) < 1e-9


def random_conv_geometries(count, seed=7):
    """Random valid (x shape, w shape, stride, pad): sizes 1-9, kernels 1-4, stride 1-3, pad 0-3."""
    rng = np.random.default_rng(seed)
    found = []
    while len(found) < count:
        N, C, F = (int(v) for v in rng.integers(1, [6, 4, 4]))
        H, W, HH, WW = (int(v) for v in rng.integers(1, [10, 10, 5, 5]))
        stride, pad = int(rng.integers(1, 4)), int(rng.integers(0, 4))
        H_pad, W_pad = H + 2 * pad, W + 2 * pad
        if (
            H_pad >= HH
            and W_pad >= WW
            and (H_pad - HH) % stride == 0
            and (W_pad - WW) % stride == 0
        ):
            found.append(((N, C, H, W), (F, C, HH, WW), stride, pad))
    return found


@pytest.mark.parametrize("chunk_bytes", [1, 2**21])  # one image per chunk; the whole batch
def test_conv_fast_matches_naive_on_random_geometries(monkeypatch, chunk_bytes):
    monkeypatch.setattr(stacked_module, "CHUNK_BYTES", chunk_bytes)
    for x_shape, w_shape, stride, pad in random_conv_geometries(60):
        x, w, b, draw = conv_inputs(x_shape, w_shape, np.float64, seed=8)
        conv_param = {"stride": stride, "pad": pad}
        out_naive, cache_naive = conv_forward_naive(x, w, b, conv_param)
        out_fast, cache_fast = conv_forward_fast(x, w, b, conv_param)
        dout = draw(out_naive.shape)
        pairs = zip(
            (out_naive, *conv_backward_naive(dout, cache_naive)),
            (out_fast, *conv_backward_fast(dout, cache_fast)),
        )
        for name, (naive, fast) in zip(("out", "dx", "dw", "db"), pairs):
            assert rel_error(naive, fast) < 1e-9, (name, x_shape, w_shape, stride, pad)


@pytest.mark.parametrize(
    "shape, param",
    [
        ((2, 2, 300, 1), {"pool_height": 300, "pool_width": 1, "stride": 1}),  # 300 offsets
        ((1, 2, 300, 300), {"pool_height": 300, "pool_width": 300, "stride": 300}),  # a 300-tile
        ((1, 1, 258, 4), {"pool_height": 258, "pool_width": 2, "stride": 2}),
    ],
)
def test_pool_fast_any_window_size(shape, param):
    # The tiled backward kept the arg-max index in 8 bits: 257 or more offsets overflowed it.
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    x.flat[rng.integers(x.size)] = 10.0  # one clear maximum somewhere
    out, cache = max_pool_forward_fast(x, param)
    out_naive, cache_naive = max_pool_forward_naive(x, param)
    np.testing.assert_array_equal(out, out_naive)
    dout = rng.standard_normal(out.shape)
    np.testing.assert_array_equal(
        max_pool_backward_fast(dout, cache), max_pool_backward_naive(dout, cache_naive)
    )


@pytest.mark.parametrize(
    "bad, error", [(0, ValueError), (-5, ValueError), (1.5, TypeError), ("big", TypeError)]
)
def test_column_cap_is_checked(bad, error):
    x, w, b, _ = conv_inputs((2, 2, 5, 5), (2, 2, 3, 3), np.float64)
    with pytest.raises(error, match="column_cap_bytes"):
        conv_forward_fast(x, w, b, {"stride": 1, "pad": 1}, column_cap_bytes=bad)
    out, cache = conv_forward_fast(x, w, b, {"stride": 1, "pad": 1})
    with pytest.raises(error, match="column_cap_bytes"):
        conv_backward_fast(np.ones_like(out), cache, column_cap_bytes=bad)


@pytest.mark.parametrize(
    "args, error, fact",
    [
        ((np.zeros((1, 1, 5, 5)), 2, 2, 2), ValueError, "not an integer"),  # (5 - 2) / 2
        ((np.zeros((1, 1, 5, 5)), 3, 3, 0), ValueError, "stride"),
        ((np.zeros((1, 1, 5, 5)), 3, 3, 1.5), TypeError, "stride"),
        ((np.zeros((1, 1, 5, 5)), 7, 3, 1), ValueError, "larger than the padded input"),
        ((np.zeros((1, 5, 5)), 3, 3, 1), ValueError, "x_pad"),
        (([[1.0]], 1, 1, 1), TypeError, "x_pad"),
    ],
)
def test_im2col_refuses_bad_geometry(args, error, fact):
    with pytest.raises(error, match=fact):
        im2col(*args)


def test_col2im_checks_the_columns_shape():
    cols = im2col(np.ones((2, 1, 4, 4)), 2, 2, 2)  # (4, 8)
    with pytest.raises(ValueError, match="cols"):
        col2im(cols[:, :-1], (2, 1, 4, 4), 2, 2, 2)
    with pytest.raises(ValueError, match="not an integer"):
        col2im(cols, (2, 1, 5, 5), 2, 2, 2)


def test_fast_conv_accepts_integer_arrays_like_the_naive_layer():
    x = np.arange(2 * 3 * 5 * 5, dtype=np.float64).reshape(2, 3, 5, 5)
    w = np.ones((2, 3, 3, 3))
    b = np.array([0, 128])  # as the CS231n notebook passes it
    out_fast, _ = conv_forward_fast(x, w, b, {"stride": 1, "pad": 1})
    out_naive, _ = conv_forward_naive(x, w, b, {"stride": 1, "pad": 1})
    assert out_fast.dtype == np.float64
    assert rel_error(out_naive, out_fast) < 1e-12


def test_fast_conv_backward_names_a_foreign_cache():
    _, pool_cache = max_pool_forward_naive(
        np.ones((1, 1, 2, 2)), {"pool_height": 2, "pool_width": 2, "stride": 2}
    )
    with pytest.raises(TypeError, match="max_pool_forward_naive"):
        conv_backward_fast(np.ones((1, 1, 1, 1)), pool_cache)


def test_textbook_im2col_takes_symbols_for_derivations():
    sp = pytest.importorskip("sympy")
    x = np.array(sp.symbols("x0:9"), dtype=object).reshape(1, 1, 3, 3)
    cols = im2col(x, 2, 2, 1)
    assert cols.shape == (4, 4) and cols[0, 0] == sp.Symbol("x0")
    back = col2im(cols, (1, 1, 3, 3), 2, 2, 1)
    assert back[0, 0, 1, 1] == 4 * sp.Symbol("x4")  # the centre is in all four windows
