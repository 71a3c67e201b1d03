"""The validation vocabulary of ``cs231nbook._checks``, and its use across the public API.

Each helper: TypeError for a value of the wrong kind, ValueError for a value out of
range, a message naming the argument and showing what came. Then the rules every
public function follows: params dicts refuse unknown keys, every backward refuses a
cache from another forward pass, integer arrays are converted, masked arrays refused.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cs231nbook import _checks
from cs231nbook import fast_layers as FL
from cs231nbook import layer_utils as LU
from cs231nbook import layers as L
from cs231nbook.classifiers import DeepConvNet, FullyConnectedNet

# --- the helpers ------------------------------------------------------------------------------


@given(st.floats(min_value=0, max_value=1, exclude_min=True))
def test_real_accepts_the_interval(value):
    assert _checks.real("p", value, low=0, high=1, low_open=True) == value


@given(st.floats(allow_nan=True, allow_infinity=True).filter(lambda v: not 0 < v <= 1))
def test_real_refuses_outside_the_interval(value):
    with pytest.raises(ValueError, match=r"p must be a number in \(0, 1\]; got"):
        _checks.real("p", value, low=0, high=1, low_open=True)


@pytest.mark.parametrize("value", ["0.5", None, True, np.bool_(False), [0.5], 1j, np.ones(1)])
def test_real_refuses_other_kinds(value):
    with pytest.raises(TypeError, match="h must be a real number; got"):
        _checks.real("h", value, low=0, low_open=True)


def test_real_returns_a_python_float():
    # a NumPy float64 scalar would promote float32 arrays it multiplies
    assert type(_checks.real("lr", np.float32(0.5))) is float


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_real_refuses_non_finite_even_without_bounds(value):
    with pytest.raises(ValueError, match="eps must be a finite number"):
        _checks.real("eps", value)


def test_real_refuses_integers_beyond_float_range():
    # float(10**400) raises OverflowError: the value is out of range, not of the wrong kind
    with pytest.raises(ValueError, match=r"reg must be a finite number >= 0; got 1000"):
        _checks.real("reg", 10**400, low=0)


@pytest.mark.parametrize("window, stride", [(0, 1), (-1, 1), (2, 0)])
def test_output_size_refuses_an_empty_window_or_a_zero_stride(window, stride):
    with pytest.raises(ValueError, match=r"conv height: the (window|stride) must be"):
        _checks.output_size(4, window, stride, 1, "conv height")


@pytest.mark.parametrize("shape", [(2, 3, 0, 3), (2, 3, 3, 0)])
def test_conv_refuses_a_filter_with_an_empty_axis(shape):
    x = np.ones((2, 3, 4, 4))
    for forward in (L.conv_forward_naive, FL.conv_forward_fast):
        with pytest.raises(ValueError, match=r"convolution .*the window must be at least 1"):
            forward(x, np.ones(shape), np.zeros(2), {"stride": 1, "pad": 1})


@given(st.integers())
def test_integer_helpers(value):
    if value >= 1:
        assert _checks.positive_int("n", value) == value
    else:
        with pytest.raises(ValueError, match=f"n must be a positive integer; got {value}"):
            _checks.positive_int("n", value)
    if value >= 0:
        assert (
            _checks.nonnegative_int("pad", np.int64(value) if abs(value) < 2**62 else value)
            == value
        )
    else:
        with pytest.raises(ValueError, match=f"pad must be a non-negative integer; got {value}"):
            _checks.nonnegative_int("pad", value)


@pytest.mark.parametrize("value", [2.0, "2", None, True, np.float64(2)])
def test_integer_helpers_refuse_other_kinds(value):
    for helper in (_checks.positive_int, _checks.nonnegative_int):
        with pytest.raises(TypeError, match="stride must be an integer; got"):
            helper("stride", value)


def test_boolean():
    assert _checks.boolean("verbose", np.bool_(True)) is True
    for value in (1, 0, "yes", None):
        with pytest.raises(TypeError, match="verbose must be True or False"):
            _checks.boolean("verbose", value)


def test_seed():
    rng = np.random.default_rng(0)
    assert _checks.seed("seed", rng) is rng
    assert _checks.seed("seed", None) is None
    assert _checks.seed("seed", np.int64(3)) == 3
    with pytest.raises(ValueError, match=r"seed must be an int >= 0.*got -1"):
        _checks.seed("seed", -1)
    for value in (1.5, "0", [0], True, np.random.RandomState(0)):
        with pytest.raises(
            TypeError, match="seed must be an int >= 0, a np.random.Generator or None"
        ):
            _checks.seed("seed", value)


def test_dtype():
    for value in (np.float32, "float32", np.dtype("float32")):
        assert _checks.dtype("dtype", value) == np.float32
    assert _checks.dtype("dtype", "float64") == np.float64
    with pytest.raises(
        ValueError, match="dtype must be np.float32 or np.float64.*'flot32', which names no dtype"
    ):
        _checks.dtype("dtype", "flot32")
    with pytest.raises(ValueError, match="dtype must be np.float32 or np.float64.*int32"):
        _checks.dtype("dtype", np.int32)
    for value in (None, 32, 1.0):  # np.dtype(None) would silently be float64
        with pytest.raises(TypeError, match="dtype must be np.float32 or np.float64"):
            _checks.dtype("dtype", value)


def test_choice():
    assert _checks.choice("normalization", None, (None, "batchnorm")) is None
    with pytest.raises(
        ValueError, match=r"normalization must be one of \[None, 'batchnorm'\]; got 'batch'"
    ):
        _checks.choice("normalization", "batch", (None, "batchnorm"))
    with pytest.raises(TypeError, match="normalization must be one of.*got 1 \\(int\\)"):
        _checks.choice("normalization", 1, (None, "batchnorm"))


@given(st.text(min_size=1, max_size=12).filter(lambda k: k not in ("stride", "pad")))
def test_param_dict_refuses_any_unknown_key(key):
    with pytest.raises(
        ValueError, match=r"conv_param has unknown key.*the known keys are \['pad', 'stride'\]"
    ):
        _checks.param_dict("conv_param", {"stride": 1, "pad": 0, key: 1}, ("stride", "pad"), ())


def test_param_dict_suggests_the_key_meant():
    with pytest.raises(ValueError, match=r"'padding' -> 'pad'\?"):
        _checks.param_dict("conv_param", {"stride": 1, "padding": 0}, ("stride",), ("pad",))
    with pytest.raises(ValueError, match=r"conv_param is missing the key\(s\) \['pad'\]"):
        _checks.param_dict("conv_param", {"stride": 1}, ("stride", "pad"), ())
    with pytest.raises(TypeError, match=r"conv_param must be a dict; got \[1, 0\] \(list\)"):
        _checks.param_dict("conv_param", [1, 0], ("stride", "pad"), ())


def test_show_truncates():
    assert len(_checks.show("x" * 500)) == 60
    assert _checks.show(np.zeros((2, 3))) == "ndarray of shape (2, 3) and dtype float64"


@given(hnp.arrays(hnp.integer_dtypes(), hnp.array_shapes(max_dims=3, max_side=4)))
def test_integer_arrays_are_converted_not_changed(a):
    before = a.copy()
    out = _checks.real_array("b", a)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, before.astype(np.float64))
    assert a.dtype == before.dtype
    np.testing.assert_array_equal(a, before)
    assert _checks.real_array("b", a, dtype=np.float32).dtype == np.float32


def test_float_array_refuses_integers_unless_asked():
    with pytest.raises(TypeError, match=r"w must have a floating-point dtype.*got int64"):
        _checks.float_array("w", np.zeros(3, dtype=np.int64))


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_masked_and_matrix():
    with pytest.raises(TypeError, match="x must be a plain ndarray, not a masked array"):
        _checks.real_array("x", np.ma.masked_array(np.ones(3), mask=[0, 1, 0]))
    m = np.asmatrix(np.ones((2, 2)))
    out = _checks.real_array("x", m)
    assert type(out) is np.ndarray and out.shape == (2, 2)


# --- the rules across the public API ------------------------------------------------------------

RNG = np.random.default_rng(0)
X2, W2, B2 = RNG.standard_normal((4, 5)), RNG.standard_normal((5, 3)), RNG.standard_normal(3)
X4, W4, B4 = RNG.standard_normal((2, 3, 4, 4)), RNG.standard_normal((2, 3, 3, 3)), np.zeros(2)
CONV = {"stride": 1, "pad": 1}
POOL = {"pool_height": 2, "pool_width": 2, "stride": 2}

PARAMS_DICTS = {
    "conv_param": lambda extra: L.conv_forward_naive(X4, W4, B4, {**CONV, **extra}),
    "conv_param (fast)": lambda extra: FL.conv_forward_fast(X4, W4, B4, {**CONV, **extra}),
    "pool_param": lambda extra: L.max_pool_forward_naive(X4, {**POOL, **extra}),
    "pool_param (fast)": lambda extra: FL.max_pool_forward_fast(X4, {**POOL, **extra}),
    "bn_param": lambda extra: L.batchnorm_forward(
        X2, np.ones(5), np.zeros(5), {"mode": "train", **extra}
    ),
    "bn_param (spatial)": lambda extra: L.spatial_batchnorm_forward(
        X4, np.ones(3), np.zeros(3), {"mode": "train", **extra}
    ),
    "ln_param": lambda extra: L.layernorm_forward(X2, np.ones(5), np.zeros(5), extra),
    "gn_param": lambda extra: L.spatial_groupnorm_forward(
        X4, np.ones((1, 3, 1, 1)), np.zeros((1, 3, 1, 1)), 3, extra
    ),
    "dropout_param": lambda extra: L.dropout_forward(X2, {"mode": "train", "p": 0.5, **extra}),
}


@pytest.mark.parametrize("which", PARAMS_DICTS)
@pytest.mark.parametrize("key", ["padding", "epsilon", "sead", "Stride"])
def test_every_params_dict_refuses_unknown_keys(which, key):
    name = which.split()[0]
    with pytest.raises(ValueError, match=rf"{name} has unknown key\(s\) \['{key}'\].*known keys"):
        PARAMS_DICTS[which]({key: 1})


FORWARDS = {
    "affine_forward": lambda: L.affine_forward(X2, W2, B2),
    "relu_forward": lambda: L.relu_forward(X2),
    "dropout_forward": lambda: L.dropout_forward(X2, {"mode": "train", "p": 0.5, "seed": 0}),
    "conv_forward_naive": lambda: L.conv_forward_naive(X4, W4, B4, CONV),
    "max_pool_forward_naive": lambda: L.max_pool_forward_naive(X4, POOL),
    "max_pool_forward_fast": lambda: FL.max_pool_forward_fast(X4, POOL),
    "batchnorm_forward": lambda: L.batchnorm_forward(
        X2, np.ones(5), np.zeros(5), {"mode": "train"}
    ),
    "layernorm_forward": lambda: L.layernorm_forward(X2, np.ones(5), np.zeros(5), {}),
    "spatial_batchnorm_forward": lambda: L.spatial_batchnorm_forward(
        X4, np.ones(3), np.zeros(3), {"mode": "train"}
    ),
    "spatial_groupnorm_forward": lambda: L.spatial_groupnorm_forward(
        X4, np.ones((1, 3, 1, 1)), np.zeros((1, 3, 1, 1)), 3, {}
    ),
    "affine_relu_forward": lambda: LU.affine_relu_forward(X2, W2, B2),
    "conv_relu_pool_forward": lambda: LU.conv_relu_pool_forward(X4, W4, B4, CONV, POOL),
    "conv_forward_fast (im2col)": lambda: FL.conv_forward_fast(X4, W4, B4, CONV, "im2col"),
    "conv_forward_fast (winograd)": lambda: FL.conv_forward_fast(X4, W4, B4, CONV, "winograd"),
    "conv_relu_forward": lambda: LU.conv_relu_forward(X4, W4, B4, CONV),
    "affine_bn_relu_forward": lambda: LU.affine_bn_relu_forward(
        X2, W2, B2, np.ones(3), np.zeros(3), {"mode": "train"}
    ),
    "affine_ln_relu_forward": lambda: LU.affine_ln_relu_forward(
        X2, W2, B2, np.ones(3), np.zeros(3), {}
    ),
    "conv_bn_relu_forward": lambda: LU.conv_bn_relu_forward(
        X4, W4, B4, np.ones(2), np.zeros(2), CONV, {"mode": "train"}
    ),
    "conv_bn_relu_pool_forward": lambda: LU.conv_bn_relu_pool_forward(
        X4, W4, B4, np.ones(2), np.zeros(2), CONV, {"mode": "train"}, POOL
    ),
}
#: What the message names as a cache's origin, where that is not the forward's own name.
ORIGINS = {
    "conv_forward_naive": r"conv_forward_naive \(or conv_forward_fast\)",
    "conv_forward_fast (im2col)": r"conv_forward_naive \(or conv_forward_fast\)",
    "conv_forward_fast (winograd)": r"conv_forward_winograd \(or conv_forward_fast\)",
}
BACKWARDS = {
    "affine_backward": (L.affine_backward, "affine_forward"),
    "relu_backward": (L.relu_backward, "relu_forward"),
    "dropout_backward": (L.dropout_backward, "dropout_forward"),
    "conv_backward_naive": (L.conv_backward_naive, "conv_forward_naive"),
    "conv_backward_fast": (FL.conv_backward_fast, "conv_forward_fast (im2col)"),
    "max_pool_backward_naive": (L.max_pool_backward_naive, "max_pool_forward_naive"),
    "max_pool_backward_fast": (FL.max_pool_backward_fast, "max_pool_forward_fast"),
    "batchnorm_backward": (L.batchnorm_backward, "batchnorm_forward"),
    "batchnorm_backward_alt": (L.batchnorm_backward_alt, "batchnorm_forward"),
    "layernorm_backward": (L.layernorm_backward, "layernorm_forward"),
    "spatial_batchnorm_backward": (L.spatial_batchnorm_backward, "spatial_batchnorm_forward"),
    "spatial_groupnorm_backward": (L.spatial_groupnorm_backward, "spatial_groupnorm_forward"),
    "affine_relu_backward": (LU.affine_relu_backward, "affine_relu_forward"),
    "affine_bn_relu_backward": (LU.affine_bn_relu_backward, "affine_bn_relu_forward"),
    "affine_ln_relu_backward": (LU.affine_ln_relu_backward, "affine_ln_relu_forward"),
    "conv_relu_backward": (LU.conv_relu_backward, "conv_relu_forward"),
    "conv_relu_pool_backward": (LU.conv_relu_pool_backward, "conv_relu_pool_forward"),
    "conv_bn_relu_backward": (LU.conv_bn_relu_backward, "conv_bn_relu_forward"),
    "conv_bn_relu_pool_backward": (LU.conv_bn_relu_pool_backward, "conv_bn_relu_pool_forward"),
}
#: Caches a backward accepts besides its own forward's: the naive and fast pool caches, the
#: naive conv cache and the fast conv's im2col cache, and the fast conv's Winograd cache.
POOLS = {"max_pool_forward_naive", "max_pool_forward_fast"}
CONVS = {"conv_forward_naive", "conv_forward_fast (im2col)"}
ACCEPTED = {("conv_backward_fast", "conv_forward_fast (winograd)")}


@pytest.mark.parametrize("backward", BACKWARDS)
@pytest.mark.parametrize("forward", FORWARDS)
def test_every_backward_says_where_a_wrong_cache_came_from(forward, backward):
    function, own = BACKWARDS[backward]
    if (
        own == forward
        or (own in POOLS and forward in POOLS)
        or (own in CONVS and forward in CONVS)
        or (backward, forward) in ACCEPTED
    ):
        return  # its own cache, or one it accepts: covered by the modules' tests
    out, cache = FORWARDS[forward]()
    origin = ORIGINS.get(forward, forward)
    with pytest.raises(
        TypeError, match=rf"this cache came from {origin} \(a \w+Cache\), not from "
    ):
        function(np.ones_like(out), cache)


@pytest.mark.parametrize("backward", BACKWARDS)
@pytest.mark.parametrize("cache", [None, (1, 2), {"x": 1}])
def test_every_backward_refuses_a_cache_from_no_forward_pass(backward, cache):
    with pytest.raises(TypeError, match="this cache came from no forward pass of cs231nbook"):
        BACKWARDS[backward][0](np.ones((4, 5)), cache)


def test_naive_and_fast_pool_caches_are_interchangeable():
    x = RNG.standard_normal((2, 3, 6, 6))
    for param in (POOL, {"pool_height": 3, "pool_width": 2, "stride": 1}):
        out, naive = L.max_pool_forward_naive(x, param)
        _, fast = FL.max_pool_forward_fast(x, param)
        dout = RNG.standard_normal(out.shape)
        expected = L.max_pool_backward_naive(dout, naive)
        for backward in (L.max_pool_backward_naive, FL.max_pool_backward_fast):
            for cache in (naive, fast):
                # overlapping windows add in another order: equal up to round-off
                np.testing.assert_allclose(backward(dout, cache), expected, rtol=1e-13, atol=0)


INTEGER_CALLS = {
    "affine b": lambda: L.affine_forward(X2, W2, np.array([0, 128, 3])),
    "affine w": lambda: L.affine_forward(X2, np.ones((5, 3), dtype=int), B2),
    "conv b": lambda: L.conv_forward_naive(X4, W4, np.array([0, 128]), CONV),
    "batchnorm gamma": lambda: L.batchnorm_forward(
        X2, np.asarray([3, 4, 5, 6, 7]), np.zeros(5), {"mode": "train"}
    ),
    "layernorm beta": lambda: L.layernorm_forward(X2, np.ones(5), np.asarray([3, 4, 5, 6, 7]), {}),
    "spatial batchnorm gamma": lambda: L.spatial_batchnorm_forward(
        X4, np.asarray([3, 4, 5]), np.zeros(3), {"mode": "train"}
    ),
    "groupnorm gamma": lambda: L.spatial_groupnorm_forward(
        X4, np.ones((1, 3, 1, 1), dtype=int), np.zeros((1, 3, 1, 1)), 3, {}
    ),
}


@pytest.mark.parametrize("call", INTEGER_CALLS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_integer_parameters_take_the_dtype_of_x(call, dtype, monkeypatch):
    monkeypatch.setitem(globals(), "X2", X2.astype(dtype))
    monkeypatch.setitem(globals(), "X4", X4.astype(dtype))
    monkeypatch.setitem(globals(), "W2", W2.astype(dtype))
    monkeypatch.setitem(globals(), "W4", W4.astype(dtype))
    monkeypatch.setitem(globals(), "B2", B2.astype(dtype))
    out, _ = INTEGER_CALLS[call]()
    assert out.dtype == dtype


def test_integer_x_computes_in_float64():
    out, cache = L.affine_forward(
        np.arange(10).reshape(2, 5), np.ones((5, 3), dtype=int), np.zeros(3, dtype=int)
    )
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[10.0] * 3, [35.0] * 3])
    dx, dw, db = L.affine_backward(np.ones((2, 3), dtype=int), cache)
    assert dx.dtype == dw.dtype == db.dtype == np.float64


@pytest.mark.parametrize(
    "call",
    [
        lambda m: L.affine_forward(m, W2, B2),
        lambda m: L.relu_forward(m),
        lambda m: L.batchnorm_forward(m, np.ones(5), np.zeros(5), {"mode": "train"}),
        lambda m: L.softmax_loss(m, np.zeros(4, dtype=int)),
        lambda m: L.dropout_forward(m, {"mode": "test", "p": 0.5}),
    ],
)
def test_masked_arrays_are_refused(call):
    masked = np.ma.masked_array(X2, mask=X2 < 0)
    with pytest.raises(TypeError, match="x must be a plain ndarray, not a masked array"):
        call(masked)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_matrix_is_viewed_as_an_array():
    out, _ = L.affine_forward(np.asmatrix(X2), W2, B2)
    assert type(out) is np.ndarray
    np.testing.assert_allclose(out, X2 @ W2 + B2)


@given(
    key=st.text(min_size=1, max_size=10),
    which=st.sampled_from(sorted(PARAMS_DICTS)),
)
def test_params_dicts_refuse_any_key_they_do_not_know(key, which):
    known = {
        "conv_param": {"stride", "pad"},
        "pool_param": {"pool_height", "pool_width", "stride"},
        "bn_param": {"mode", "eps", "momentum", "running_mean", "running_var"},
        "ln_param": {"eps", "mode"},
        "gn_param": {"eps"},
        "dropout_param": {"mode", "p", "seed"},
    }[which.split()[0]]
    if key in known:
        return
    with pytest.raises(ValueError, match="has unknown key"):
        PARAMS_DICTS[which]({key: 1})


@given(
    x=hnp.arrays(np.int16, (3, 4), elements=st.integers(-50, 50)),
    w=hnp.arrays(np.int8, (4, 2), elements=st.integers(-5, 5)),
    b=hnp.arrays(np.int64, (2,), elements=st.integers(-200, 200)),
)
def test_integer_affine_equals_the_float64_computation(x, w, b):
    copies = x.copy(), w.copy(), b.copy()
    out, _ = L.affine_forward(x, w, b)
    expected, _ = L.affine_forward(x.astype(float), w.astype(float), b.astype(float))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, expected)
    for given_array, copy in zip((x, w, b), copies):
        assert given_array.dtype == copy.dtype
        np.testing.assert_array_equal(given_array, copy)


def test_choice_does_not_take_1_for_true():
    # 1 == True in Python: equality alone would pick the option True for the value 1
    assert _checks.choice("flag", True, (True, False)) is True
    with pytest.raises(ValueError, match=r"flag must be one of \[True, False\]; got 1"):
        _checks.choice("flag", 1, (True, False))


def test_choice_accepts_numpy_strings_and_returns_the_option():
    value = _checks.choice("mode", np.str_("train"), ("train", "test"))
    assert value == "train" and type(value) is str


@pytest.mark.parametrize(
    "model",
    [
        FullyConnectedNet([3], input_dim=4, num_classes=2, normalization="batchnorm"),
        DeepConvNet(input_dims=(1, 2, 2), num_filters=[2], max_pools=[0], batchnorm=True),
    ],
    ids=type,
)
def test_models_refuse_an_empty_batch_with_labels_naming_X(model):
    # (TwoLayerNet.loss and ThreeLayerConvNet.loss are listed in chapters 03 and 12, so they
    # are left as they are: softmax_loss refuses their empty batch, naming the scores x.)
    shape = (0, 4) if isinstance(model, FullyConnectedNet) else (0, 1, 2, 2)
    empty = np.ones(shape, dtype=model.dtype)
    assert model.loss(empty).shape == (0, 2 if shape == (0, 4) else 10)  # scores of no examples
    before = [dict(p) for p in getattr(model, "bn_params", [])]
    with pytest.raises(ValueError, match=r"X must hold at least one example to compute a loss"):
        model.loss(empty, np.zeros(0, dtype=int))
    after = getattr(model, "bn_params", [])
    assert [sorted(p) for p in after] == [sorted(p) for p in before]  # no state changed
    for p, q in zip(after, before):
        for key in p:
            assert p[key] is q[key]
