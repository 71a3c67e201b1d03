import numpy as np
import pytest
from gradcheck_helpers import check_backward

from cs231nbook.layers import dropout_backward, dropout_forward


@pytest.mark.parametrize("p", [0.25, 0.4, 0.7])
def test_train_mode_keeps_fraction_p_and_the_mean(p):
    x = np.random.default_rng(8).standard_normal((500, 500)) + 10
    out, _ = dropout_forward(x, {"mode": "train", "p": p, "seed": 123})
    assert np.mean(out != 0) == pytest.approx(p, abs=0.01)
    assert out.mean() == pytest.approx(x.mean(), rel=0.01)


def test_test_mode_and_keep_all_are_identity():
    x = np.random.default_rng(9).standard_normal((10, 10))
    out, cache = dropout_forward(x, {"mode": "test", "p": 0.3})
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(dropout_backward(x, cache), x)
    out, _ = dropout_forward(x, {"mode": "train", "p": 1.0, "seed": 0})
    np.testing.assert_array_equal(out, x)


def test_seed_repeats_the_mask_and_leaves_global_rng_alone():
    x = np.ones((20, 20))
    state = np.random.get_state()[1].copy()
    a, _ = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 42})
    b, _ = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 42})
    c, _ = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 43})
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_dropout_backward_matches_numeric():
    x = np.random.default_rng(10).standard_normal((6, 7))
    param = {"mode": "train", "p": 0.6, "seed": 5}
    check_backward(lambda v: dropout_forward(v, param), dropout_backward, [x], threshold=1e-7)


def test_dropout_float32():
    out, cache = dropout_forward(
        np.ones((3, 3), dtype=np.float32), {"mode": "train", "p": 0.5, "seed": 1}
    )
    assert out.dtype == np.float32
    assert dropout_backward(np.ones((3, 3), dtype=np.float32), cache).dtype == np.float32


@pytest.mark.parametrize("p", [0, -0.1, 1.5, "0.5", None])
def test_bad_keep_probability(p):
    error = ValueError if isinstance(p, (int, float)) else TypeError
    with pytest.raises(error, match=r"dropout_param\['p'\] \(the keep probability\) must"):
        dropout_forward(np.ones(3), {"mode": "train", "p": p})


def test_bad_mode_and_missing_keys():
    with pytest.raises(
        ValueError, match=r"dropout_param\['mode'\] must be one of \['train', 'test'\]; got 'eval'"
    ):
        dropout_forward(np.ones(3), {"mode": "eval", "p": 0.5})
    with pytest.raises(ValueError, match=r"missing the key\(s\) \['p'\]"):
        dropout_forward(np.ones(3), {"mode": "train"})


def test_seed_is_checked():
    with pytest.raises(ValueError, match=r"dropout_param\['seed'\] must be an int >= 0.*got -1"):
        dropout_forward(np.ones(3), {"mode": "train", "p": 0.5, "seed": -1})
    with pytest.raises(TypeError, match=r"dropout_param\['seed'\] must be an int >= 0"):
        dropout_forward(np.ones(3), {"mode": "train", "p": 0.5, "seed": 1.5})
    with pytest.raises(ValueError, match=r"dropout_param has unknown key\(s\) \['sead'\].*'seed'"):
        dropout_forward(np.ones(3), {"mode": "train", "p": 0.5, "sead": 1})
    same = [
        dropout_forward(np.ones(50), {"mode": "train", "p": 0.5, "seed": 4})[0] for _ in range(2)
    ]
    np.testing.assert_array_equal(*same)


def test_integer_x_computes_in_float64():
    x = np.arange(1, 7)
    out, cache = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 0})
    assert out.dtype == np.float64 and x.dtype.kind == "i"
    assert dropout_backward(np.ones(6, dtype=int), cache).dtype == np.float64


def test_backward_refuses_a_dout_that_would_broadcast():
    x = np.ones((4, 5))
    _, cache = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 0})
    # (1, 5) broadcasts against the (4, 5) mask: without the check dx would silently be (4, 5)
    with pytest.raises(ValueError, match=r"dout must have shape \(4, 5\).*got \(1, 5\)"):
        dropout_backward(np.ones((1, 5)), cache)
