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


@pytest.mark.parametrize("h", [0, -1e-5, float("nan"), float("inf")])
def test_the_step_must_be_a_finite_positive_number(h):
    x = np.ones(3)
    with pytest.raises(ValueError, match=r"h must be a finite number > 0"):
        eval_numerical_gradient(lambda v: float(v.sum()), x, verbose=False, h=h)
    with pytest.raises(ValueError, match=r"h must be a finite number > 0"):
        eval_numerical_gradient_array(lambda v: v, x, np.ones(3), h=h)
    with pytest.raises(ValueError, match=r"h must be a finite number > 0"):
        grad_check_sparse(lambda v: float(v.sum()), x, np.ones(3), h=h, verbose=False)
    with pytest.raises(TypeError, match=r"h must be a real number; got '1e-5'"):
        eval_numerical_gradient(lambda v: float(v.sum()), x, verbose=False, h="1e-5")


def test_read_only_x_gets_a_clear_message():
    x = np.ones(3)
    x.flags.writeable = False
    with pytest.raises(ValueError, match=r"x is read-only, but the numerical gradient perturbs it"):
        eval_numerical_gradient(lambda v: float(v.sum()), x, verbose=False)
    with pytest.raises(ValueError, match=r"x is read-only"):
        eval_numerical_gradient_array(lambda v: v, x, np.ones(3))
    with pytest.raises(TypeError, match=r"x must be a plain ndarray, not a masked array"):
        eval_numerical_gradient(lambda v: 0.0, np.ma.masked_array(np.ones(3)), verbose=False)


def test_other_arguments_are_checked():
    f, x = (lambda v: float(v.sum())), np.ones(3)
    with pytest.raises(TypeError, match="verbose must be True or False; got 'no'"):
        eval_numerical_gradient(f, x, verbose="no")
    with pytest.raises(ValueError, match="num_checks must be a positive integer; got 0"):
        grad_check_sparse(f, x, np.ones(3), num_checks=0, verbose=False)
    with pytest.raises(TypeError, match=r"num_checks must be an integer; got 2.0"):
        grad_check_sparse(f, x, np.ones(3), num_checks=2.0, verbose=False)
    with pytest.raises(TypeError, match="verbose must be True or False; got 'no'"):
        grad_check_sparse(f, x, np.ones(3), num_checks=2, verbose="no")
    with pytest.raises(ValueError, match=r"seed must be an int >= 0.*got -1"):
        grad_check_sparse(f, x, np.ones(3), seed=-1, verbose=False)
    with pytest.raises(TypeError, match="f must be a function of x"):
        eval_numerical_gradient(3.0, x, verbose=False)


def test_rel_error_does_not_broadcast():
    with pytest.raises(ValueError, match=r"x and y must have the same shape.*\(3,\) and \(3, 1\)"):
        rel_error(np.ones(3), np.ones((3, 1)))
    with pytest.raises(ValueError, match=r"x and y must have the same shape.*\(3,\) and \(\)"):
        rel_error(np.ones(3), 1.0)
    with pytest.raises(TypeError, match="y must be an array of real numbers"):
        rel_error(np.ones(2), np.array(["a", "b"]))
    assert rel_error(np.array([1, 2]), np.array([1.0, 2.0])) == 0.0
