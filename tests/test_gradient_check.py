import numpy as np
import pytest

from cs231nbook.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_check_sparse,
    rel_error,
)


def test_numerical_gradient_of_a_known_function():
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    before = x.copy()
    grad = eval_numerical_gradient(lambda v: np.sum(np.sin(v) * v**2), x, verbose=False)
    exact = np.cos(x) * x**2 + 2 * x * np.sin(x)
    assert rel_error(grad, exact) < 1e-8
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_array_is_a_vector_jacobian_product():
    rng = np.random.default_rng(11)
    A = rng.standard_normal((3, 4))
    x = rng.standard_normal(4)
    df = rng.standard_normal(3)
    grad = eval_numerical_gradient_array(lambda v: A @ v, x, df)
    assert rel_error(grad, A.T @ df) < 1e-9


def test_x_is_restored_even_when_f_raises():
    x = np.array([1.0, 2.0])

    def f(v):
        if v[0] != 1.0:
            raise RuntimeError("boom")
        return 0.0

    with pytest.raises(RuntimeError):
        eval_numerical_gradient(f, x, verbose=False)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_grad_check_sparse_finds_a_wrong_gradient():
    x = np.random.default_rng(12).standard_normal((5, 5))
    f = lambda v: float(np.sum(v**3))  # noqa: E731
    good = grad_check_sparse(f, x, 3 * x**2, num_checks=5, verbose=False)
    bad = grad_check_sparse(f, x, 3 * x**2 + 0.1, num_checks=5, verbose=False)
    assert good.max() < 1e-6 and bad.min() > 1e-4


def test_rel_error():
    assert rel_error(np.array([1.0]), np.array([1.0])) == 0
    assert rel_error(np.array([1.0, 3.0]), np.array([1.0, 1.0])) == pytest.approx(0.5)
    assert rel_error(np.zeros(2), np.zeros(2)) == 0
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.zeros(2), np.zeros(3))


def test_integer_x_is_refused():
    with pytest.raises(TypeError, match="floating-point ndarray"):
        eval_numerical_gradient(lambda v: 0.0, np.arange(3), verbose=False)
