import numpy as np
import pytest
from gradcheck_helpers import check_backward

from cs231nbook.layers import (
    batchnorm_forward,
    layernorm_backward,
    layernorm_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
    spatial_groupnorm_backward,
    spatial_groupnorm_forward,
)


def feature_maps(N=2, C=6, H=3, W=2, seed=5):
    rng = np.random.default_rng(seed)
    return 1.5 + 2.0 * rng.standard_normal((N, C, H, W))


def channel_params(C, shape, seed=6):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(C).reshape(shape), rng.standard_normal(C).reshape(shape)


# --- spatial batch norm --------------------------------------------------------------


def test_spatial_batchnorm_normalizes_each_channel_over_n_h_w():
    x = feature_maps(N=10, C=3, H=4, W=5)
    gamma, beta = channel_params(3, (3,))
    out, _ = spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    expected = (x - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5)
    np.testing.assert_allclose(
        out, gamma[:, None, None] * expected + beta[:, None, None], rtol=1e-12
    )


def test_spatial_batchnorm_equals_reshaped_vanilla_batchnorm():
    x = feature_maps()
    gamma, beta = channel_params(6, (6,))
    bn_spatial, bn_vanilla = {"mode": "train"}, {"mode": "train"}
    out, _ = spatial_batchnorm_forward(x, gamma, beta, bn_spatial)
    rows = x.transpose(0, 2, 3, 1).reshape(-1, 6)
    rows_out, _ = batchnorm_forward(rows, gamma, beta, bn_vanilla)
    np.testing.assert_allclose(out, rows_out.reshape(2, 3, 2, 6).transpose(0, 3, 1, 2), rtol=1e-14)
    for key in ("running_mean", "running_var"):
        np.testing.assert_allclose(bn_spatial[key], bn_vanilla[key], rtol=1e-14)
        assert bn_spatial[key].shape == (6,)


def test_spatial_batchnorm_test_mode_uses_running_statistics():
    x = feature_maps()
    gamma, beta = channel_params(6, (6,))
    rm, rv = np.linspace(-1, 1, 6), np.linspace(0.5, 2, 6)
    out, _ = spatial_batchnorm_forward(
        x, gamma, beta, {"mode": "test", "running_mean": rm, "running_var": rv}
    )
    expected = (x - rm[:, None, None]) / np.sqrt(rv[:, None, None] + 1e-5)
    np.testing.assert_allclose(
        out, gamma[:, None, None] * expected + beta[:, None, None], rtol=1e-12
    )


@pytest.mark.parametrize("mode", ["train", "test"])
@pytest.mark.parametrize("shape", [(2, 3, 4, 2), (3, 1, 1, 1), (1, 2, 3, 3)])
def test_spatial_batchnorm_backward_matches_numeric(shape, mode):
    x = feature_maps(*shape)
    gamma, beta = channel_params(shape[1], (shape[1],))
    running = {"running_mean": np.full(shape[1], 0.5), "running_var": np.full(shape[1], 2.0)}

    def forward(x, gamma, beta):
        return spatial_batchnorm_forward(x, gamma, beta, {"mode": mode, **running})

    check_backward(forward, spatial_batchnorm_backward, [x, gamma, beta], threshold=1e-7)


# --- group norm ----------------------------------------------------------------------


@pytest.mark.parametrize("G", [1, 2, 3, 6])
def test_groupnorm_matches_explicit_formula(G):
    x = feature_maps()
    gamma, beta = channel_params(6, (1, 6, 1, 1))
    out, _ = spatial_groupnorm_forward(x, gamma, beta, G, {"eps": 1e-4})
    groups = x.reshape(2, G, -1)
    xhat = (groups - groups.mean(-1, keepdims=True)) / np.sqrt(groups.var(-1, keepdims=True) + 1e-4)
    np.testing.assert_allclose(out, gamma * xhat.reshape(x.shape) + beta, rtol=1e-12)


def test_groupnorm_equals_reshaped_vanilla_layernorm():
    x = feature_maps()
    gamma, beta = channel_params(6, (1, 6, 1, 1))
    dout = np.random.default_rng(7).standard_normal(x.shape)
    out, cache = spatial_groupnorm_forward(x, gamma, beta, 3, {})
    rows = x.reshape(2 * 3, 2 * 3 * 2)  # N*G rows of C/G*H*W values
    D = rows.shape[1]
    xhat_rows, ln_cache = layernorm_forward(rows, np.ones(D), np.zeros(D), {})
    np.testing.assert_allclose(out, gamma * xhat_rows.reshape(x.shape) + beta, rtol=1e-14)
    dx, dgamma, dbeta = spatial_groupnorm_backward(dout, cache)
    dx_rows, _, _ = layernorm_backward((dout * gamma).reshape(rows.shape), ln_cache)
    np.testing.assert_allclose(dx, dx_rows.reshape(x.shape), rtol=1e-14)
    np.testing.assert_allclose(
        dgamma, (dout * xhat_rows.reshape(x.shape)).sum((0, 2, 3), keepdims=True)
    )
    np.testing.assert_allclose(dbeta, dout.sum((0, 2, 3), keepdims=True))


def test_groupnorm_with_one_group_is_layernorm_over_c_h_w():
    x = feature_maps()
    out, _ = spatial_groupnorm_forward(x, np.ones((1, 6, 1, 1)), np.zeros((1, 6, 1, 1)), 1, {})
    ln_out, _ = layernorm_forward(x.reshape(2, -1), np.ones(36), np.zeros(36), {})
    np.testing.assert_allclose(out, ln_out.reshape(x.shape), rtol=1e-14)


def test_groupnorm_does_not_depend_on_the_batch():
    x = feature_maps(N=4)
    gamma, beta = channel_params(6, (1, 6, 1, 1))
    out, _ = spatial_groupnorm_forward(x, gamma, beta, 2, {})
    np.testing.assert_allclose(
        spatial_groupnorm_forward(x[1:2], gamma, beta, 2, {})[0], out[1:2], rtol=1e-14
    )


@pytest.mark.parametrize(
    "shape, G", [((2, 6, 3, 2), 2), ((2, 6, 3, 2), 6), ((1, 4, 2, 3), 1), ((3, 2, 2, 2), 2)]
)
def test_groupnorm_backward_matches_numeric(shape, G):
    x = feature_maps(*shape)
    gamma, beta = channel_params(shape[1], (1, shape[1], 1, 1))
    check_backward(
        lambda x, g, b: spatial_groupnorm_forward(x, g, b, G, {}),
        spatial_groupnorm_backward,
        [x, gamma, beta],
        threshold=1e-7,
    )


# --- dtypes, inputs left alone, bad inputs -------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype):
    x = feature_maps().astype(dtype)
    gamma, beta = (a.astype(dtype) for a in channel_params(6, (6,)))
    bn_param = {"mode": "train"}
    out, cache = spatial_batchnorm_forward(x, gamma, beta, bn_param)
    assert out.dtype == dtype and bn_param["running_var"].dtype == dtype
    assert all(g.dtype == dtype for g in spatial_batchnorm_backward(np.ones_like(out), cache))
    out, cache = spatial_groupnorm_forward(
        x, gamma.reshape(1, 6, 1, 1), beta.reshape(1, 6, 1, 1), 3, {}
    )
    assert out.dtype == dtype
    assert all(g.dtype == dtype for g in spatial_groupnorm_backward(np.ones_like(out), cache))


def test_inputs_are_not_modified():
    x = feature_maps()
    gamma, beta = channel_params(6, (1, 6, 1, 1))
    dout = np.random.default_rng(0).standard_normal(x.shape)
    arrays = (x, gamma, beta, dout)
    originals = [a.copy() for a in arrays]
    _, cache = spatial_batchnorm_forward(x, gamma.ravel(), beta.ravel(), {"mode": "train"})
    spatial_batchnorm_backward(dout, cache)
    _, cache = spatial_groupnorm_forward(x, gamma, beta, 2, {})
    spatial_groupnorm_backward(dout, cache)
    for a, o in zip(arrays, originals):
        np.testing.assert_array_equal(a, o)


def test_spatial_batchnorm_rejects_bad_inputs():
    x = feature_maps()
    gamma, beta = channel_params(6, (6,))
    with pytest.raises(ValueError, match=r"x must be 4-dimensional; got shape \(2, 36\)"):
        spatial_batchnorm_forward(x.reshape(2, 36), gamma, beta, {"mode": "train"})
    with pytest.raises(
        ValueError,
        match=r"gamma must have shape \(6,\) \(one scale per channel.*got \(1, 6, 1, 1\)",
    ):
        spatial_batchnorm_forward(x, gamma.reshape(1, 6, 1, 1), beta, {"mode": "train"})
    with pytest.raises(ValueError, match=r"beta must have shape \(6,\).*got \(5,\)"):
        spatial_batchnorm_forward(x, gamma, beta[:5], {"mode": "train"})
    with pytest.raises(ValueError, match=r"bn_param\['mode'\] must be one of"):
        spatial_batchnorm_forward(x, gamma, beta, {"mode": "training"})
    _, cache = spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 6, 3, 2\)"):
        spatial_batchnorm_backward(np.zeros((2, 6, 2, 3)), cache)


def test_groupnorm_rejects_bad_inputs():
    x = feature_maps()
    gamma, beta = channel_params(6, (1, 6, 1, 1))
    with pytest.raises(
        ValueError, match=r"G must divide the number of channels C = 6 \(x.shape\[1\]\); got G = 4"
    ):
        spatial_groupnorm_forward(x, gamma, beta, 4, {})
    with pytest.raises(ValueError, match="G must be a positive integer; got 0"):
        spatial_groupnorm_forward(x, gamma, beta, 0, {})
    with pytest.raises(TypeError, match="G must be an integer; got 2.0"):
        spatial_groupnorm_forward(x, gamma, beta, 2.0, {})
    with pytest.raises(ValueError, match=r"gamma must have shape \(1, 6, 1, 1\).*got \(6,\)"):
        spatial_groupnorm_forward(x, gamma.ravel(), beta, 2, {})
    with pytest.raises(
        ValueError, match=r"beta must have shape \(1, 6, 1, 1\).*got \(1, 3, 1, 1\)"
    ):
        spatial_groupnorm_forward(x, gamma, beta[:, :3], 3, {})
    with pytest.raises(ValueError, match=r"x must be 4-dimensional; got shape \(2, 6, 6\)"):
        spatial_groupnorm_forward(x.reshape(2, 6, 6), gamma, beta, 2, {})
    with pytest.raises(ValueError, match=r"gn_param\['eps'\] must be a finite number > 0; got 0.0"):
        spatial_groupnorm_forward(x, gamma, beta, 2, {"eps": 0.0})
    _, cache = spatial_groupnorm_forward(x, gamma, beta, 2, {})
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 6, 3, 2\)"):
        spatial_groupnorm_backward(np.zeros((2, 6, 3, 3)), cache)


# --- PyTorch as an independent oracle ------------------------------------------------


def test_spatial_batchnorm_against_torch():
    torch = pytest.importorskip("torch")
    x = feature_maps(N=3, C=4, H=3, W=3)
    gamma, beta = channel_params(4, (4,))
    dout = np.random.default_rng(1).standard_normal(x.shape)
    out, cache = spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    tx, tg, tb = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    tout = torch.nn.functional.batch_norm(tx, None, None, tg, tb, training=True, eps=1e-5)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    for mine, theirs in zip(spatial_batchnorm_backward(dout, cache), (tx, tg, tb)):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("G", [1, 2, 4])
def test_groupnorm_against_torch(G):
    torch = pytest.importorskip("torch")
    x = feature_maps(N=3, C=4, H=3, W=2)
    gamma, beta = channel_params(4, (1, 4, 1, 1))
    dout = np.random.default_rng(2).standard_normal(x.shape)
    out, cache = spatial_groupnorm_forward(x, gamma, beta, G, {"eps": 1e-5})
    tx, tg, tb = (torch.tensor(a, requires_grad=True) for a in (x, gamma.ravel(), beta.ravel()))
    tout = torch.nn.functional.group_norm(tx, G, tg, tb, eps=1e-5)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    dx, dgamma, dbeta = spatial_groupnorm_backward(dout, cache)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dgamma.ravel(), tg.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dbeta.ravel(), tb.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_spatial_batchnorm_refuses_an_empty_training_batch_before_touching_state():
    bn_param = {"mode": "train", "running_mean": np.zeros(3), "running_var": np.ones(3)}
    for shape in [(0, 3, 2, 2), (2, 3, 0, 2)]:
        with pytest.raises(
            ValueError, match=r"x must hold at least one pixel.*got shape \(" + str(shape[0])
        ):
            spatial_batchnorm_forward(np.zeros(shape), np.ones(3), np.zeros(3), bn_param)
    np.testing.assert_array_equal(bn_param["running_mean"], np.zeros(3))
    np.testing.assert_array_equal(bn_param["running_var"], np.ones(3))
