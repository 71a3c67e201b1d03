import types

import numpy as np
import pytest
from gradcheck_helpers import check_backward

from cs231nbook.gradient_check import rel_error
from cs231nbook.layers import (
    batchnorm_backward,
    batchnorm_backward_alt,
    batchnorm_forward,
    layernorm_backward,
    layernorm_forward,
)


def inputs(N=6, D=4, seed=3, loc=2.0, scale=3.0):
    rng = np.random.default_rng(seed)
    x = loc + scale * rng.standard_normal((N, D))
    return x, rng.standard_normal(D), rng.standard_normal(D)


def bn_train(x, gamma, beta):
    return batchnorm_forward(x, gamma, beta, {"mode": "train"})


# --- batch norm: forward -----------------------------------------------------------


def test_batchnorm_train_output_has_batch_statistics_gamma_and_beta():
    x, gamma, beta = inputs(N=50, D=3)
    out, _ = batchnorm_forward(x, gamma, beta, {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-12)
    np.testing.assert_allclose(
        out.std(axis=0), np.abs(gamma) * np.sqrt(x.var(0) / (x.var(0) + 1e-5)), rtol=1e-12
    )


def test_batchnorm_uses_biased_variance_and_eps():
    x = np.array([[1.0], [3.0]])  # mean 2, biased variance 1 (unbiased would be 2)
    out, _ = batchnorm_forward(x, np.ones(1), np.zeros(1), {"mode": "train", "eps": 0.25})
    np.testing.assert_allclose(out[:, 0], [-1 / np.sqrt(1.25), 1 / np.sqrt(1.25)], rtol=1e-14)


def test_running_statistics_initialised_and_updated():
    x, gamma, beta = inputs(N=8, D=3)
    bn_param = {"mode": "train"}
    batchnorm_forward(x, gamma, beta, bn_param)
    # first call starts from zeros and ones, default momentum 0.9
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * x.mean(0), rtol=1e-14)
    np.testing.assert_allclose(bn_param["running_var"], 0.9 + 0.1 * x.var(0), rtol=1e-14)
    x2 = inputs(N=8, D=3, seed=9)[0]
    bn_param["momentum"] = 0.5
    old_mean, old_var = bn_param["running_mean"], bn_param["running_var"]
    batchnorm_forward(x2, gamma, beta, bn_param)
    np.testing.assert_allclose(
        bn_param["running_mean"], 0.5 * old_mean + 0.5 * x2.mean(0), rtol=1e-14
    )
    np.testing.assert_allclose(bn_param["running_var"], 0.5 * old_var + 0.5 * x2.var(0), rtol=1e-14)


def test_running_statistics_converge_to_the_population_and_test_mode_uses_them():
    rng = np.random.default_rng(0)
    D = 3
    mean, std = np.array([3.0, -1.0, 0.5]), np.array([2.0, 0.5, 1.0])
    gamma, beta = np.ones(D), np.zeros(D)
    bn_param = {"mode": "train"}
    for _ in range(200):
        batchnorm_forward(mean + std * rng.standard_normal((200, D)), gamma, beta, bn_param)
    np.testing.assert_allclose(bn_param["running_mean"], mean, atol=0.1)
    np.testing.assert_allclose(np.sqrt(bn_param["running_var"]), std, rtol=0.1)
    bn_param["mode"] = "test"
    x = mean + std * rng.standard_normal((4, D))
    out, _ = batchnorm_forward(x, gamma, beta, bn_param)
    expected = (x - bn_param["running_mean"]) / np.sqrt(bn_param["running_var"] + 1e-5)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    # in test mode each example is normalized on its own: the batch does not matter
    out_single, _ = batchnorm_forward(x[:1], gamma, beta, bn_param)
    np.testing.assert_allclose(out_single, out[:1], rtol=1e-14)


def test_test_mode_does_not_update_running_statistics():
    x, gamma, beta = inputs()
    bn_param = {"mode": "test", "running_mean": np.full(4, 0.5), "running_var": np.full(4, 2.0)}
    before = {k: v.copy() for k, v in bn_param.items() if k != "mode"}
    batchnorm_forward(x, gamma, beta, bn_param)
    for key, value in before.items():
        np.testing.assert_array_equal(bn_param[key], value)


def test_test_mode_without_running_statistics_uses_zeros_and_ones():
    x, gamma, beta = inputs()
    bn_param = {"mode": "test"}
    out, _ = batchnorm_forward(x, gamma, beta, bn_param)
    np.testing.assert_allclose(out, gamma * x / np.sqrt(1 + 1e-5) + beta, rtol=1e-14)
    np.testing.assert_array_equal(bn_param["running_mean"], np.zeros(4))
    np.testing.assert_array_equal(bn_param["running_var"], np.ones(4))


# --- batch norm: backward ----------------------------------------------------------


@pytest.mark.parametrize("backward", [batchnorm_backward, batchnorm_backward_alt])
# With N = 2 every normalized value is (almost) +-1 whatever x is, so dx is (almost) 0 and a
# relative error would measure noise; N = 1 gives dx = 0 exactly and checks that nothing breaks.
@pytest.mark.parametrize("shape", [(6, 4), (3, 2), (1, 5)])
def test_batchnorm_backward_matches_numeric_in_train_mode(backward, shape):
    x, gamma, beta = inputs(*shape)
    errors = check_backward(bn_train, backward, [x, gamma, beta], threshold=1e-7)
    assert len(errors) == 3


@pytest.mark.parametrize("backward", [batchnorm_backward, batchnorm_backward_alt])
def test_batchnorm_backward_matches_numeric_in_test_mode(backward):
    x, gamma, beta = inputs()
    rng = np.random.default_rng(4)
    running = {"running_mean": rng.standard_normal(4), "running_var": 0.5 + rng.random(4)}

    def forward(x, gamma, beta):
        return batchnorm_forward(x, gamma, beta, {"mode": "test", **running})

    check_backward(forward, backward, [x, gamma, beta], threshold=1e-7)


@pytest.mark.parametrize("seed", range(5))
def test_staged_and_closed_form_backward_agree(seed):
    rng = np.random.default_rng(100 + seed)
    N, D = rng.integers(3, 40, size=2)  # with N = 2, dx is 0 up to round-off: nothing to compare
    x = rng.normal(rng.normal(0, 5), rng.uniform(0.1, 10), size=(N, D))
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
    dout = rng.standard_normal((N, D))
    _, cache = batchnorm_forward(x, gamma, beta, {"mode": "train"})
    for staged, closed in zip(batchnorm_backward(dout, cache), batchnorm_backward_alt(dout, cache)):
        assert rel_error(staged, closed) < 1e-10


def test_batchnorm_dx_is_orthogonal_to_constants_and_to_xhat():
    # Shifting or scaling one feature's batch leaves xhat unchanged (exactly so when eps is
    # negligible), so dx must be orthogonal to both directions: a property check that is
    # independent of either derivation.
    x, gamma, beta = inputs(N=7, D=3)
    out, cache = batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": 1e-30})
    dx, _, _ = batchnorm_backward_alt(np.random.default_rng(1).standard_normal(out.shape), cache)
    np.testing.assert_allclose(dx.sum(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose((dx * cache.xc).sum(axis=0), 0, atol=1e-12)


def test_batchnorm_cache_holds_the_graph_nodes():
    x, gamma, beta = inputs()
    _, c = bn_train(x, gamma, beta)
    np.testing.assert_allclose(c.mean, x.mean(0))
    np.testing.assert_allclose(c.xc, x - x.mean(0))
    np.testing.assert_allclose(c.var, x.var(0))
    np.testing.assert_allclose(c.std, np.sqrt(x.var(0) + 1e-5))
    np.testing.assert_allclose(c.inv_std * c.std, 1)
    np.testing.assert_allclose(c.xhat, c.xc / c.std)


# --- layer norm --------------------------------------------------------------------


def test_layernorm_forward_normalizes_each_row():
    x, gamma, beta = inputs(N=3, D=50)
    out, _ = layernorm_forward(x, np.ones(50), np.zeros(50), {})
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=1), x.var(1) / (x.var(1) + 1e-5), rtol=1e-12)
    out, _ = layernorm_forward(x, gamma, beta, {"eps": 1e-3})
    xhat = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(out, gamma * xhat + beta, rtol=1e-12)


def test_layernorm_is_batchnorm_of_the_transpose():
    # Layer norm of x is batch norm of x.T (unit scale, zero shift), transposed back.
    x, gamma, beta = inputs(N=5, D=7)
    ln_out, _ = layernorm_forward(x, gamma, beta, {})
    bn_out, _ = batchnorm_forward(x.T, np.ones(5), np.zeros(5), {"mode": "train"})
    np.testing.assert_allclose(ln_out, gamma * bn_out.T + beta, rtol=1e-12)


def test_layernorm_does_not_depend_on_the_batch():
    x, gamma, beta = inputs(N=5, D=7)
    out, _ = layernorm_forward(x, gamma, beta, {})
    np.testing.assert_allclose(layernorm_forward(x[2:3], gamma, beta, {})[0], out[2:3], rtol=1e-14)


@pytest.mark.parametrize("shape", [(4, 6), (2, 3), (1, 5)])
def test_layernorm_backward_matches_numeric(shape):
    x, gamma, beta = inputs(*shape)
    check_backward(
        lambda x, g, b: layernorm_forward(x, g, b, {}), layernorm_backward, [x, gamma, beta]
    )


def test_layernorm_ignores_a_mode_key():
    x, gamma, beta = inputs()
    a, _ = layernorm_forward(x, gamma, beta, {"mode": "train"})
    b, _ = layernorm_forward(x, gamma, beta, {"mode": "test"})
    np.testing.assert_array_equal(a, b)


# --- dtypes, inputs left alone -----------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype):
    x, gamma, beta = (a.astype(dtype) for a in inputs())
    bn_param = {"mode": "train"}
    for mode in ("train", "test"):
        bn_param["mode"] = mode
        out, cache = batchnorm_forward(x, gamma, beta, bn_param)
        assert out.dtype == dtype
        assert bn_param["running_mean"].dtype == dtype and bn_param["running_var"].dtype == dtype
        for backward in (batchnorm_backward, batchnorm_backward_alt):
            assert all(g.dtype == dtype for g in backward(np.ones_like(out), cache))
    out, cache = layernorm_forward(x, gamma, beta, {})
    assert out.dtype == dtype
    assert all(g.dtype == dtype for g in layernorm_backward(np.ones_like(out), cache))


def test_float32_running_statistics_stay_float32_with_float64_given():
    x, gamma, beta = (a.astype(np.float32) for a in inputs())
    bn_param = {"mode": "train", "running_mean": np.zeros(4), "running_var": np.ones(4)}
    out, _ = batchnorm_forward(x, gamma, beta, bn_param)
    assert out.dtype == np.float32 and bn_param["running_mean"].dtype == np.float32


def test_inputs_are_not_modified():
    x, gamma, beta = inputs()
    running_mean, running_var = np.full(4, 0.3), np.full(4, 1.7)
    bn_param = {"mode": "train", "running_mean": running_mean, "running_var": running_var}
    originals = [a.copy() for a in (x, gamma, beta, running_mean, running_var)]
    out, cache = batchnorm_forward(x, gamma, beta, bn_param)
    dout = np.ones_like(out)
    batchnorm_backward(dout, cache)
    batchnorm_backward_alt(dout, cache)
    _, ln_cache = layernorm_forward(x, gamma, beta, {})
    layernorm_backward(dout, ln_cache)
    # the running statistics are replaced in bn_param, never written into the old arrays
    for a, o in zip((x, gamma, beta, running_mean, running_var), originals):
        np.testing.assert_array_equal(a, o)
    np.testing.assert_array_equal(dout, 1)
    assert bn_param["running_mean"] is not running_mean


# --- bad inputs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "bn_param, error, message",
    [
        (
            {"mode": "eval"},
            ValueError,
            r"bn_param\['mode'\] must be one of \['train', 'test'\]; got 'eval'",
        ),
        ({}, ValueError, r"bn_param is missing the key\(s\) \['mode'\]"),
        (
            {"mode": "train", "eps": 0},
            ValueError,
            r"bn_param\['eps'\] must be a finite number > 0; got 0",
        ),
        (
            {"mode": "train", "momentum": 1.5},
            ValueError,
            r"bn_param\['momentum'\] must be a number in \[0, 1\]; got 1.5",
        ),
        (
            {"mode": "test", "running_mean": np.zeros(3)},
            ValueError,
            r"bn_param\['running_mean'\] must have shape \(4,\).*got \(3,\)",
        ),
        ([("mode", "train")], TypeError, r"bn_param must be a dict; got .*\(list\)"),
    ],
)
def test_batchnorm_rejects_bad_bn_param(bn_param, error, message):
    x, gamma, beta = inputs()
    with pytest.raises(error, match=message):
        batchnorm_forward(x, gamma, beta, bn_param)


@pytest.mark.parametrize("forward", ["batchnorm", "layernorm"])
def test_rejects_bad_shapes(forward):
    def call(x, gamma, beta):
        if forward == "batchnorm":
            return batchnorm_forward(x, gamma, beta, {"mode": "train"})
        return layernorm_forward(x, gamma, beta, {})

    x, gamma, beta = inputs()
    with pytest.raises(
        ValueError, match=r"gamma must have shape \(4,\) \(one scale per feature.*got \(5,\)"
    ):
        call(x, np.ones(5), beta)
    with pytest.raises(
        ValueError, match=r"beta must have shape \(4,\) \(one shift per feature.*got \(3,\)"
    ):
        call(x, gamma, np.ones(3))
    with pytest.raises(ValueError, match=r"gamma must be 1-dimensional; got shape \(1, 4\)"):
        call(x, gamma[None], beta)
    with pytest.raises(ValueError, match=r"x must be 2-dimensional; got shape \(6, 2, 2\)"):
        call(x.reshape(6, 2, 2), gamma, beta)
    with pytest.raises(TypeError, match="x must have a floating-point or integer dtype.*bool"):
        call(x > 0, gamma, beta)


def test_backward_rejects_wrong_dout():
    x, gamma, beta = inputs()
    _, cache = bn_train(x, gamma, beta)
    for backward in (batchnorm_backward, batchnorm_backward_alt):
        with pytest.raises(ValueError, match=r"dout must have shape \(6, 4\).*got \(4, 6\)"):
            backward(np.zeros((4, 6)), cache)
    _, cache = layernorm_forward(x, gamma, beta, {})
    with pytest.raises(ValueError, match=r"dout must have shape \(6, 4\)"):
        layernorm_backward(np.zeros((6, 5)), cache)


def test_layernorm_rejects_bad_eps():
    x, gamma, beta = inputs()
    with pytest.raises(ValueError, match=r"ln_param\['eps'\] must be a finite number > 0; got -1"):
        layernorm_forward(x, gamma, beta, {"eps": -1})


# --- PyTorch as an independent oracle ----------------------------------------------


def test_batchnorm_against_torch():
    torch = pytest.importorskip("torch")
    x, gamma, beta = inputs(N=7, D=5)
    dout = np.random.default_rng(8).standard_normal(x.shape)
    rm, rv = np.zeros(5), np.ones(5)
    bn_param = {"mode": "train", "momentum": 0.8}
    out, cache = batchnorm_forward(x, gamma, beta, bn_param)
    tx, tg, tb = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    trm, trv = torch.tensor(rm), torch.tensor(rv)
    # torch's momentum weights the *new* value, and its running variance is unbiased
    tout = torch.nn.functional.batch_norm(
        tx, trm, trv, tg, tb, training=True, momentum=0.2, eps=1e-5
    )
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    for backward in (batchnorm_backward, batchnorm_backward_alt):
        for mine, theirs in zip(backward(dout, cache), (tx, tg, tb)):
            np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(bn_param["running_mean"], trm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], 0.8 + 0.2 * x.var(0), rtol=1e-12)
    np.testing.assert_allclose(trv.numpy(), 0.8 + 0.2 * x.var(0, ddof=1), rtol=1e-12)


def test_layernorm_against_torch():
    torch = pytest.importorskip("torch")
    x, gamma, beta = inputs(N=4, D=6)
    dout = np.random.default_rng(9).standard_normal(x.shape)
    out, cache = layernorm_forward(x, gamma, beta, {"eps": 1e-5})
    tx, tg, tb = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    tout = torch.nn.functional.layer_norm(tx, (6,), tg, tb, eps=1e-5)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    for mine, theirs in zip(layernorm_backward(dout, cache), (tx, tg, tb)):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


# --- batch norm: state is never corrupted --------------------------------------------------


def test_batchnorm_refuses_an_empty_training_batch_before_touching_state():
    _, gamma, beta = inputs()
    bn_param = {"mode": "train", "running_mean": np.ones(4), "running_var": np.full(4, 2.0)}
    with pytest.raises(ValueError, match=r"x must hold at least one example in training mode"):
        batchnorm_forward(np.zeros((0, 4)), gamma, beta, bn_param)
    np.testing.assert_array_equal(bn_param["running_mean"], np.ones(4))
    np.testing.assert_array_equal(bn_param["running_var"], np.full(4, 2.0))
    # test mode on an empty batch is harmless: nothing is averaged
    out, _ = batchnorm_forward(np.zeros((0, 4)), gamma, beta, {**bn_param, "mode": "test"})
    assert out.shape == (0, 4)


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("running_var", -np.ones(4), r"bn_param\['running_var'\] must be non-negative.*-1"),
        ("running_var", np.full(4, np.inf), r"bn_param\['running_var'\] must be finite; got inf"),
        ("running_mean", np.full(4, np.nan), r"bn_param\['running_mean'\] must be finite; got nan"),
    ],
)
@pytest.mark.parametrize("mode", ["train", "test"])
def test_batchnorm_refuses_corrupt_running_statistics(key, value, message, mode):
    x, gamma, beta = inputs()
    bn_param = {"mode": mode, key: value}
    with pytest.raises(ValueError, match=message):
        batchnorm_forward(x, gamma, beta, bn_param)
    assert bn_param[key] is value  # left as it was


@pytest.mark.parametrize("eps", [np.nan, np.inf, -1e-5, 0.0])
def test_normalization_refuses_a_non_finite_or_non_positive_eps(eps):
    x, gamma, beta = inputs()
    with pytest.raises(ValueError, match=r"bn_param\['eps'\] must be a finite number > 0"):
        batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": eps})
    with pytest.raises(ValueError, match=r"ln_param\['eps'\] must be a finite number > 0"):
        layernorm_forward(x, gamma, beta, {"eps": eps})
    with pytest.raises(TypeError, match=r"bn_param\['eps'\] must be a real number; got '1e-5'"):
        batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": "1e-5"})


def test_layernorm_accepts_the_mode_models_set_and_nothing_else():
    x, gamma, beta = inputs()
    layernorm_forward(x, gamma, beta, {"mode": "test"})
    with pytest.raises(ValueError, match=r"ln_param\['mode'\] must be one of"):
        layernorm_forward(x, gamma, beta, {"mode": "eval"})
    with pytest.raises(ValueError, match=r"x must have at least one feature"):
        layernorm_forward(np.zeros((3, 0)), np.zeros(0), np.zeros(0), {})


def test_integer_gamma_and_beta_are_converted_to_the_dtype_of_x():
    x, _, _ = inputs()
    gamma, beta = np.asarray([3, 4, 5, 6]), np.asarray([0, 1, 0, 1])
    for dtype in (np.float32, np.float64):
        out, cache = batchnorm_forward(x.astype(dtype), gamma, beta, {"mode": "train"})
        expected, _ = batchnorm_forward(
            x.astype(dtype), gamma.astype(dtype), beta.astype(dtype), {"mode": "train"}
        )
        assert out.dtype == dtype
        np.testing.assert_array_equal(out, expected)
        assert batchnorm_backward(np.ones_like(out), cache)[0].dtype == dtype
    assert gamma.dtype.kind == "i" and beta.dtype.kind == "i"  # the caller's arrays untouched


def test_a_read_only_bn_param_is_refused_naming_it():
    for mode in ("train", "test"):
        frozen = types.MappingProxyType({"mode": mode})
        with pytest.raises(
            TypeError, match=r"bn_param must be a dict .*got a read-only mappingproxy"
        ):
            batchnorm_forward(np.ones((2, 3)), np.ones(3), np.zeros(3), frozen)
