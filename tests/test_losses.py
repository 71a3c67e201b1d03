import math

import numpy as np
import pytest

from cs231nbook.gradient_check import eval_numerical_gradient, rel_error
from cs231nbook.layers import softmax_loss, svm_loss

LOSSES = [softmax_loss, svm_loss]


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_loss_gradient_matches_numeric(loss_fn):
    rng = np.random.default_rng(4)
    N, C = 20, 7
    x = rng.standard_normal((N, C))
    y = rng.integers(C, size=N)
    _, dx = loss_fn(x, y)
    numeric = eval_numerical_gradient(lambda v: loss_fn(v, y)[0], x, verbose=False)
    assert rel_error(numeric, dx) < 1e-7


def test_softmax_loss_of_small_scores_is_log_c():
    rng = np.random.default_rng(5)
    x = 1e-3 * rng.standard_normal((50, 10))
    loss, _ = softmax_loss(x, rng.integers(10, size=50))
    assert abs(loss - math.log(10)) < 1e-2


def test_svm_loss_of_small_scores_is_c_minus_1():
    rng = np.random.default_rng(5)
    x = 1e-3 * rng.standard_normal((50, 10))
    loss, _ = svm_loss(x, rng.integers(10, size=50))
    assert abs(loss - 9) < 1e-2


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_softmax_loss_is_stable_for_huge_logits(scale):
    x = np.array([[scale, 0.0, -scale], [0.0, scale, 1.0]])
    y = np.array([2, 1])
    loss, dx = softmax_loss(x, y)
    assert np.isfinite(loss) and np.all(np.isfinite(dx))
    # With +scale, example 0 puts all its mass on the wrong class (loss 2*scale) and example 1 is right (loss 0).
    # With -scale the roles swap: example 1's correct score trails the best (1.0) by |scale| + 1.
    expected = scale if scale > 0 else (abs(scale) + 1 + math.log1p(math.exp(-1))) / 2
    assert loss == pytest.approx(expected, rel=1e-9)
    np.testing.assert_allclose(dx.sum(axis=1), 0, atol=1e-15)


def test_softmax_loss_preserves_float32():
    x = np.zeros((3, 4), dtype=np.float32)
    loss, dx = softmax_loss(x, np.array([0, 1, 2]))
    assert dx.dtype == np.float32 and isinstance(loss, float)


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize(
    "y, error, message",
    [
        (np.array([0, 1, 4]), ValueError, r"class indices in \[0, 4\); found 4"),
        (np.array([0, -1, 2]), ValueError, r"class indices in \[0, 4\); found -1"),
        (np.array([0.0, 1.0, 2.0]), TypeError, "integer dtype"),
        (np.array([0, 1]), ValueError, r"shape \(3,\), one label per row"),
        ([0, 1, 2], TypeError, "ndarray of integer labels"),
    ],
)
def test_losses_reject_bad_labels(loss_fn, y, error, message):
    with pytest.raises(error, match=message):
        loss_fn(np.zeros((3, 4)), y)


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_losses_do_not_modify_inputs(loss_fn):
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((5, 3)), rng.integers(3, size=5)
    x0, y0 = x.copy(), y.copy()
    loss_fn(x, y)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)


def test_losses_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x, y = 3 * rng.standard_normal((8, 5)), rng.integers(5, size=8)
    for fn, torch_fn in [
        (softmax_loss, torch.nn.functional.cross_entropy),
        # PyTorch's multi_margin_loss divides by C as well as N; CS231n's SVM loss does not.
        (svm_loss, lambda s, t: 5 * torch.nn.functional.multi_margin_loss(s, t)),
    ]:
        loss, dx = fn(x, y)
        tx = torch.tensor(x, requires_grad=True)
        tloss = torch_fn(tx, torch.tensor(y))
        tloss.backward()
        assert loss == pytest.approx(tloss.item(), rel=1e-12)
        np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-14)
