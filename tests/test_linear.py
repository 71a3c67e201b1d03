import numpy as np
import pytest
from gradcheck_helpers import check_backward

from cs231nbook.layers import affine_backward, affine_forward


def test_affine_forward_known_values():
    # CS231n's fixed example: an easily recomputed linear map of evenly spaced inputs.
    x = np.linspace(-0.1, 0.5, num=2 * 4 * 5 * 6).reshape(2, 4, 5, 6)
    w = np.linspace(-0.2, 0.3, num=120 * 3).reshape(120, 3)
    b = np.linspace(-0.3, 0.1, num=3)
    out, _ = affine_forward(x, w, b)
    expected = x.reshape(2, 120) @ w + b
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert out.shape == (2, 3)


@pytest.mark.parametrize("x_shape", [(5, 7), (3, 2, 4), (2, 3, 2, 2)])
def test_affine_backward_matches_numeric(x_shape):
    rng = np.random.default_rng(1)
    D = int(np.prod(x_shape[1:]))
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal((D, 4))
    b = rng.standard_normal(4)
    check_backward(affine_forward, affine_backward, [x, w, b], threshold=1e-7)


def test_affine_preserves_float32():
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (4, 2), (2,)])
    out, cache = affine_forward(x, w, b)
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in affine_backward(np.ones_like(out), cache))


def test_affine_rejects_mismatched_shapes():
    x = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match=r"w must have shape \(12, M\).*got w of shape \(4, 12\)"):
        affine_forward(x, np.zeros((4, 12)), np.zeros(12))
    with pytest.raises(ValueError, match=r"b must have shape \(5,\).*got \(4,\)"):
        affine_forward(x, np.zeros((12, 5)), np.zeros(4))
    with pytest.raises(ValueError, match=r"b must be 1-dimensional"):
        affine_forward(x, np.zeros((12, 5)), np.zeros((1, 5)))
    with pytest.raises(TypeError, match="x must have a floating-point or integer dtype.*complex"):
        affine_forward(np.zeros((2, 12), dtype=complex), np.zeros((12, 5)), np.zeros(5))
    with pytest.raises(TypeError, match=r"w must be a NumPy ndarray; got .*\(list\)"):
        affine_forward(x, [[1.0]], np.zeros(5))


def test_affine_backward_rejects_wrong_dout():
    out, cache = affine_forward(np.zeros((2, 3)), np.zeros((3, 4)), np.zeros(4))
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 4\)"):
        affine_backward(np.zeros((4, 2)), cache)


def test_affine_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((4, 2, 3)), rng.standard_normal((6, 5)), rng.standard_normal(5)
    dout = rng.standard_normal((4, 5))
    out, cache = affine_forward(x, w, b)
    dx, dw, db = affine_backward(dout, cache)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    tout = tx.reshape(4, -1) @ tw + tb
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-12)
    for mine, theirs in [(dx, tx), (dw, tw), (db, tb)]:
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
