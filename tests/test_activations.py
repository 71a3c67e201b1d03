import numpy as np
import pytest
from gradcheck_helpers import away_from_kinks, check_backward

from cs231nbook.layers import relu_backward, relu_forward


def test_relu_forward_values():
    x = np.array([[-2.0, -0.0, 0.0, 0.5, 3.0]])
    out, _ = relu_forward(x)
    np.testing.assert_array_equal(out, [[0, 0, 0, 0.5, 3.0]])


def test_relu_backward_matches_numeric():
    x = away_from_kinks(np.random.default_rng(3), (4, 3, 5))
    check_backward(relu_forward, relu_backward, [x], threshold=1e-7)


def test_relu_subgradient_at_zero_is_zero():
    out, cache = relu_forward(np.array([0.0, 1.0, -1.0]))
    np.testing.assert_array_equal(relu_backward(np.ones(3), cache), [0.0, 1.0, 0.0])


def test_relu_float32_and_no_mutation():
    x = np.array([-1.0, 2.0], dtype=np.float32)
    before = x.copy()
    out, cache = relu_forward(x)
    dx = relu_backward(np.ones(2, dtype=np.float32), cache)
    assert out.dtype == dx.dtype == np.float32
    np.testing.assert_array_equal(x, before)


def test_relu_backward_shape_error():
    _, cache = relu_forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 3\)"):
        relu_backward(np.zeros((3, 2)), cache)
