"""Winograd convolution: exact transforms derived with SymPy, same numbers as the naive layer,
float32 accuracy, bounded memory, and the algorithm choice of conv_forward_fast."""

import tracemalloc
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from gradcheck_helpers import check_backward

from cs231nbook.fast_layers import (
    WinogradCache,
    choose_conv_algorithm,
    conv_backward_fast,
    conv_backward_winograd,
    conv_forward_fast,
    conv_forward_winograd,
)
from cs231nbook.fast_layers import conv as conv_module
from cs231nbook.fast_layers import winograd as winograd_module
from cs231nbook.fast_layers.winograd_transforms import TILE_SIZES, TRANSFORMS, transform_matrices
from cs231nbook.gradient_check import rel_error
from cs231nbook.layers import ConvCache, conv_backward_naive, conv_forward_naive


# ----------------------------------------------------------------------------- the derivation
def toom_cook(m: int, points: list) -> tuple[sp.Matrix, sp.Matrix, sp.Matrix]:
    """A^T, G, B^T of F(m, 3) from the interpolation points (and infinity), derived with SymPy.

    The 3-tap correlation d -> y is the transpose of the linear convolution h -> s = g * h
    (g of degree 2, h of degree m - 1, s of degree m + 1, alpha = m + 2 coefficients).
    Toom-Cook computes s by evaluating g and h at alpha - 1 points and at infinity (the leading
    coefficient), multiplying, and interpolating: s = Vinv diag(E_g g) E_h h. Transposed:
    y = E_h^T diag(E_g g) Vinv^T d. The interpolation (Lagrange plus the point at infinity) is
    split as Vinv = Wm D, with D the diagonal of 1 / prod_{j != k} (p_k - p_j) (1 for infinity),
    and D goes into G: A^T = E_h^T, G = D E_g, B^T = Wm^T.
    """
    x = sp.Symbol("x")
    alpha = m + 2
    points = [sp.nsimplify(p) for p in points]
    assert len(points) == alpha - 1

    def evaluation(n):  # rows: [1, p, p^2, ...] at each point; infinity picks the top coefficient
        return sp.Matrix([[p**k for k in range(n)] for p in points] + [[0] * (n - 1) + [1]])

    def coefficients(poly):  # lowest degree first, padded to alpha
        c = sp.Poly(poly, x).all_coeffs()[::-1]
        return c + [0] * (alpha - len(c))

    columns, denominators = [], []
    for k, p in enumerate(points):
        others = [q for j, q in enumerate(points) if j != k]
        columns.append(coefficients(sp.prod([x - q for q in others])))
        denominators.append(sp.prod([p - q for q in others]))
    columns.append(coefficients(sp.prod([x - q for q in points])))  # infinity
    denominators.append(sp.Integer(1))
    Wm = sp.Matrix(columns).T  # (alpha, alpha): column k is the polynomial of point k
    D = sp.diag(*[1 / d for d in denominators])
    return evaluation(m).T, D * evaluation(3), Wm.T


POINTS = {2: [0, 1, -1], 4: [0, 1, -1, 2, -2]}


@pytest.mark.parametrize("m", TILE_SIZES)
def test_transforms_are_the_sympy_derivation_exactly(m):
    AT, G, BT = toom_cook(m, POINTS[m])
    stored = TRANSFORMS[m]
    assert [sp.nsimplify(p) for p in stored.points] == [sp.nsimplify(p) for p in POINTS[m]]
    for name, derived in (("AT", AT), ("G", G), ("BT", BT)):
        table = getattr(stored, name)
        assert (len(table), len(table[0])) == derived.shape, name
        for i in range(derived.rows):
            for j in range(derived.cols):
                exact = Fraction(
                    int(sp.fraction(derived[i, j])[0]), int(sp.fraction(derived[i, j])[1])
                )
                assert table[i][j] == exact, (
                    f"{name}[{i}, {j}]: stored {table[i][j]}, derived {exact}"
                )


@pytest.mark.parametrize("m", TILE_SIZES)
def test_derived_transforms_compute_the_correlation_symbolically(m):
    AT, G, BT = toom_cook(m, POINTS[m])
    g = sp.Matrix(sp.symbols("g0:3"))
    d = sp.Matrix(sp.symbols(f"d0:{m + 2}"))
    y = AT * (G * g).multiply_elementwise(BT * d)
    for i in range(m):
        assert sp.expand(y[i] - sum(g[k] * d[i + k] for k in range(3))) == 0
    assert (G * g).rows == m + 2  # alpha multiplications for m outputs (3 m directly)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transform_matrices_are_rounded_exact_values(dtype):
    AT, G, BT = transform_matrices(4, dtype)
    assert AT.dtype == G.dtype == BT.dtype == dtype
    assert AT.shape == (4, 6) and G.shape == (6, 3) and BT.shape == (6, 6)
    assert G[1, 0] == dtype(-1 / 6)


# ----------------------------------------------------------------------------- against the naive layer
def inputs(N, C, H, W, F, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((F, C, 3, 3)).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    return x, w, b, rng


# (N, C, H, W, F, pad): odd and even sizes, outputs that are not whole tiles, 1x1 outputs,
# batches of 1, 7, 13 and 64 (small C and F for the large batch, to keep the test fast).
GEOMETRIES = [
    (1, 3, 5, 5, 2, 0),
    (1, 2, 3, 3, 3, 0),
    (7, 3, 7, 9, 4, 1),
    (7, 2, 6, 5, 3, 2),
    (13, 4, 9, 7, 5, 1),
    (13, 1, 11, 3, 2, 0),
    (2, 5, 8, 8, 3, 1),
    (3, 2, 1, 1, 2, 2),
    (64, 2, 5, 7, 2, 1),
    (64, 1, 4, 4, 1, 2),
    (2, 2, 24, 24, 2, 1),  # planes of 4 KiB or more take the two-step copies
    (1, 2, 23, 25, 2, 1),
]


@pytest.mark.parametrize("m", TILE_SIZES)
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_winograd_equals_naive_in_float64(geometry, m):
    N, C, H, W, F, pad = geometry
    x, w, b, rng = inputs(N, C, H, W, F, seed=N + H)
    conv_param = {"stride": 1, "pad": pad}
    originals = [a.copy() for a in (x, w, b)]
    out_naive, cache_naive = conv_forward_naive(x, w, b, conv_param)
    out, cache = conv_forward_winograd(x, w, b, conv_param, tile_size=m)
    dout = rng.standard_normal(out.shape)
    assert rel_error(out, out_naive) < 1e-10
    for mine, theirs in zip(
        conv_backward_winograd(dout, cache), conv_backward_naive(dout, cache_naive)
    ):
        assert mine.shape == theirs.shape
        assert rel_error(mine, theirs) < 1e-10
    for a, o in zip((x, w, b), originals):
        np.testing.assert_array_equal(a, o)


@pytest.mark.parametrize("m", TILE_SIZES)
def test_winograd_equals_pytorch(m):
    torch = pytest.importorskip("torch")
    for N, C, H, W, F, pad in [(7, 3, 7, 9, 4, 1), (13, 4, 9, 7, 5, 0), (2, 17, 6, 5, 3, 2)]:
        x, w, b, rng = inputs(N, C, H, W, F, seed=C)
        out, cache = conv_forward_winograd(x, w, b, {"stride": 1, "pad": pad}, tile_size=m)
        dout = rng.standard_normal(out.shape)
        dx, dw, db = conv_backward_winograd(dout, cache)
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        tout = torch.nn.functional.conv2d(tx, tw, tb, padding=pad)
        tout.backward(torch.tensor(dout))
        np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-11)
        for mine, theirs in [(dx, tx), (dw, tw), (db, tb)]:
            np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize("m", TILE_SIZES)
def test_winograd_gradients_match_numerical_ones(m):
    x, w, b, _ = inputs(2, 3, 5, 6, 2, seed=3)

    def forward(x, w, b):
        return conv_forward_winograd(x, w, b, {"stride": 1, "pad": 1}, tile_size=m)

    check_backward(forward, conv_backward_winograd, [x, w, b], threshold=1e-7)


# ----------------------------------------------------------------------------- float32
def scale_error(a, reference):
    """Largest error relative to the largest entry of the reference (the output's scale)."""
    return np.abs(a.astype(np.float64) - reference).max() / np.abs(reference).max()


# Measured on seeded standard-normal data of this shape (see the chapter): F(2, 3) about
# 3e-7 (like im2col), F(4, 3) about 4e-6 on the output and up to 6e-6 on dw. Bounds ~5x above.
FLOAT32_BOUND = {2: 3e-6, 4: 3e-5}


@pytest.mark.parametrize("m", TILE_SIZES)
def test_float32_accuracy_bound_and_dtypes(m):
    x, w, b, rng = inputs(8, 32, 15, 13, 16, seed=0)
    conv_param = {"stride": 1, "pad": 1}
    out64, cache64 = conv_forward_naive(x, w, b, conv_param)
    dout = rng.standard_normal(out64.shape)
    grads64 = conv_backward_fast(dout, cache64)
    x32, w32, b32, d32 = (a.astype(np.float32) for a in (x, w, b, dout))
    out, cache = conv_forward_winograd(x32, w32, b32, conv_param, tile_size=m)
    grads = conv_backward_winograd(d32, cache)
    assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    for mine, reference in zip((out, *grads), (out64, *grads64)):
        assert scale_error(mine, reference) < FLOAT32_BOUND[m]


def test_mixed_dtypes_follow_the_naive_layer():
    x, w, b, rng = inputs(2, 3, 5, 5, 2)
    x = x.astype(np.float32)
    out, cache = conv_forward_winograd(x, w, b, {"stride": 1, "pad": 1})
    out_naive, cache_naive = conv_forward_naive(x, w, b, {"stride": 1, "pad": 1})
    assert out.dtype == out_naive.dtype == np.float64
    dout = rng.standard_normal(out.shape).astype(np.float32)
    for mine, theirs in zip(
        conv_backward_winograd(dout, cache), conv_backward_naive(dout, cache_naive)
    ):
        assert mine.dtype == theirs.dtype
        assert rel_error(mine, theirs) < 1e-5  # dx is float32, like x


def test_any_memory_layout_and_empty_batches():
    x, w, b, rng = inputs(3, 4, 7, 6, 5)
    x_f, w_f = np.asfortranarray(x), w.transpose(0, 1, 3, 2).copy().transpose(0, 1, 3, 2)
    out, cache = conv_forward_winograd(x_f, w_f, b, {"stride": 1, "pad": 1})
    out_naive, cache_naive = conv_forward_naive(x, w, b, {"stride": 1, "pad": 1})
    assert rel_error(out, out_naive) < 1e-10
    dout = np.asfortranarray(rng.standard_normal(out.shape))  # not C-contiguous either
    for mine, theirs in zip(
        conv_backward_winograd(dout, cache), conv_backward_naive(dout, cache_naive)
    ):
        assert rel_error(mine, theirs) < 1e-10
    out0, cache0 = conv_forward_winograd(x[:0], w, b, {"stride": 1, "pad": 1})
    assert out0.shape == (0, 5, 7, 6)
    dx0, dw0, db0 = conv_backward_winograd(out0, cache0)
    assert dx0.shape == (0, 4, 7, 6) and not dw0.any() and not db0.any()


# ----------------------------------------------------------------------------- memory
def traced_pass(N, m=4):
    x, w, b, rng = inputs(N, 16, 16, 16, 16, dtype=np.float32)
    dout = rng.standard_normal((N, 16, 16, 16)).astype(np.float32)
    conv_param = {"stride": 1, "pad": 1}
    tracemalloc.start()
    out, cache = conv_forward_winograd(x, w, b, conv_param, tile_size=m)
    forward_peak = tracemalloc.get_traced_memory()[1] - out.nbytes
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    dx, dw, db = conv_backward_winograd(dout, cache)
    backward_peak = tracemalloc.get_traced_memory()[1] - before - dx.nbytes - dw.nbytes - db.nbytes
    tracemalloc.stop()
    return x, cache, forward_peak, backward_peak


@pytest.mark.parametrize("m", TILE_SIZES)
def test_memory_is_bounded_by_blocks_and_the_cache_is_small(m):
    x, cache, fwd_small, bwd_small = traced_pass(64, m)
    x_big, cache_big, fwd_big, bwd_big = traced_pass(512, m)
    # The cache holds the input itself (no copy) and the transformed filters: far below 3x the input.
    assert cache_big.x is x_big
    cache_bytes = sum(a.nbytes for a in cache_big if isinstance(a, np.ndarray))
    assert cache_bytes <= 3 * x_big.nbytes
    # Working memory is a few blocks' worth, whatever the batch: 8x the batch, not 8x the memory.
    assert fwd_big < 1.5 * fwd_small + 2**20 and bwd_big < 1.5 * bwd_small + 2**20
    assert max(fwd_big, bwd_big) < 6 * winograd_module.BLOCK_BYTES


# ----------------------------------------------------------------------------- the choice
def test_auto_chooses_as_documented_and_forcing_works():
    assert choose_conv_algorithm(32, 3, 3, 1) == "winograd"
    assert choose_conv_algorithm(conv_module.WINOGRAD_MIN_CHANNELS, 3, 3, 1) == "winograd"
    assert choose_conv_algorithm(3, 3, 3, 1) == "im2col"  # first layers
    assert choose_conv_algorithm(32, 3, 3, 2) == "im2col"  # strided
    assert choose_conv_algorithm(32, 5, 5, 1) == "im2col"  # not 3x3
    conv_param = {"stride": 1, "pad": 1}
    x, w, b, rng = inputs(3, 16, 6, 7, 4)
    out_w, cache_w = conv_forward_fast(x, w, b, conv_param)
    assert isinstance(cache_w, WinogradCache) and cache_w.tile_size == 4
    out_i, cache_i = conv_forward_fast(x, w, b, conv_param, algorithm="im2col")
    assert isinstance(cache_i, ConvCache)
    x3, w3, b3, _ = inputs(3, 3, 6, 7, 4)
    assert isinstance(conv_forward_fast(x3, w3, b3, conv_param)[1], ConvCache)
    assert isinstance(
        conv_forward_fast(x3, w3, b3, conv_param, algorithm="winograd")[1], WinogradCache
    )
    # The backward pass follows the cache, and both algorithms give the naive layer's numbers.
    out_n, cache_n = conv_forward_naive(x, w, b, conv_param)
    dout = rng.standard_normal(out_n.shape)
    expected = conv_backward_naive(dout, cache_n)
    for out, cache in ((out_w, cache_w), (out_i, cache_i)):
        assert rel_error(out, out_n) < 1e-10
        for mine, theirs in zip(conv_backward_fast(dout, cache), expected):
            assert rel_error(mine, theirs) < 1e-10
    for mine, theirs in zip(
        conv_backward_fast(dout, cache_w), conv_backward_winograd(dout, cache_w)
    ):
        np.testing.assert_array_equal(mine, theirs)


WINOGRAD_ERRORS = [
    (
        dict(w_shape=(2, 2, 5, 5)),
        ValueError,
        r"w must have 3x3 kernels .* got w of shape \(2, 2, 5, 5\)",
    ),
    (dict(stride=2), ValueError, r"conv_param\['stride'\] must be 1 .* got 2"),
    (dict(tile_size=3), ValueError, r"tile_size must be one of \[2, 4\]; got 3"),
    (dict(tile_size="4"), TypeError, r"tile_size must be an int, one of \[2, 4\]; got str"),
    (dict(pad=-1), ValueError, r"conv_param\['pad'\]"),
]


@pytest.mark.parametrize("change, error, message", WINOGRAD_ERRORS)
def test_clear_errors(change, error, message):
    rng = np.random.default_rng(0)
    w_shape = change.get("w_shape", (2, 2, 3, 3))
    x = rng.standard_normal((1, 2, 7, 7))
    w = rng.standard_normal(w_shape)
    b = np.zeros(w_shape[0])
    conv_param = {"stride": change.get("stride", 1), "pad": change.get("pad", 1)}
    with pytest.raises(error, match=message):
        conv_forward_winograd(x, w, b, conv_param, tile_size=change.get("tile_size", 4))


def test_clear_errors_of_the_dispatch_and_the_backward():
    x, w, b, _ = inputs(1, 2, 5, 5, 2)
    with pytest.raises(
        ValueError, match=r"algorithm must be one of \['auto', 'im2col', 'winograd'\]; got 'fft'"
    ):
        conv_forward_fast(x, w, b, {"stride": 1, "pad": 1}, algorithm="fft")
    with pytest.raises(ValueError, match=r"conv_param\['stride'\] must be 1"):
        conv_forward_fast(x, w, b, {"stride": 2, "pad": 0}, algorithm="winograd")
    _, cache = conv_forward_winograd(x, w, b, {"stride": 1, "pad": 1})
    with pytest.raises(ValueError, match=r"dout must have shape \(1, 2, 5, 5\)"):
        conv_backward_winograd(np.zeros((1, 2, 4, 4)), cache)
    with pytest.raises(TypeError, match="dout must have a floating-point dtype"):
        conv_backward_winograd(np.zeros((1, 2, 5, 5), dtype=int), cache)


def test_winograd_backward_names_a_foreign_cache():
    x = np.ones((1, 2, 4, 4))
    w = np.ones((2, 2, 3, 3))
    _, im2col_cache = conv_forward_fast(
        x, w, np.zeros(2), {"stride": 1, "pad": 1}, algorithm="im2col"
    )
    with pytest.raises(TypeError, match="conv_forward_winograd"):
        conv_backward_winograd(np.ones((1, 2, 4, 4)), im2col_cache)
