import copy

import numpy as np
import pytest

from cs231nbook import optim
from cs231nbook.optim import UPDATE_RULES, adam, nesterov_momentum, rmsprop, sgd, sgd_momentum

ALL_RULES = [sgd, sgd_momentum, nesterov_momentum, rmsprop, adam]
STEPS = 6


def fixed_problem(dtype=np.float64):
    """A parameter and a fixed sequence of gradients (independent of w: any rule can follow it)."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 5)).astype(dtype)
    grads = [rng.standard_normal((4, 5)).astype(dtype) for _ in range(STEPS)]
    return w, grads


def run(rule, w, grads, config):
    for dw in grads:
        w, config = rule(w, dw, config)
    return w, config


def assert_same(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-14)


# --- each rule against its formula, restated -----------------------------------------------


def test_sgd_formula():
    w0, grads = fixed_problem()
    lr = 0.05
    expected = w0.copy()
    for g in grads:
        expected = expected - lr * g
    w, config = run(sgd, w0, grads, {"learning_rate": lr})
    assert_same(w, expected)
    assert config == {"learning_rate": lr}


def test_sgd_momentum_formula():
    w0, grads = fixed_problem()
    lr, mu = 0.05, 0.8
    x, vel = w0.copy(), np.zeros_like(w0)
    for g in grads:
        vel = mu * vel - lr * g
        x = x + vel
    w, config = run(sgd_momentum, w0, grads, {"learning_rate": lr, "momentum": mu})
    assert_same(w, x)
    assert_same(config["velocity"], vel)


def test_nesterov_momentum_formula():
    w0, grads = fixed_problem()
    lr, mu = 0.05, 0.8
    x, vel = w0.copy(), np.zeros_like(w0)
    for g in grads:
        vel_prev = vel
        vel = mu * vel - lr * g
        x = x - mu * vel_prev + (1 + mu) * vel
    w, config = run(nesterov_momentum, w0, grads, {"learning_rate": lr, "momentum": mu})
    assert_same(w, x)
    assert_same(config["velocity"], vel)


def test_rmsprop_formula():
    w0, grads = fixed_problem()
    lr, rho, eps = 0.01, 0.9, 1e-6
    x, s = w0.copy(), np.zeros_like(w0)
    for g in grads:
        s = rho * s + (1 - rho) * g**2
        x = x - lr * g / (np.sqrt(s) + eps)
    w, config = run(rmsprop, w0, grads, {"learning_rate": lr, "decay_rate": rho, "epsilon": eps})
    assert_same(w, x)
    assert_same(config["cache"], s)


def test_adam_formula():
    w0, grads = fixed_problem()
    lr, b1, b2, eps = 0.01, 0.8, 0.95, 1e-6
    x, m, v = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        x = x - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    w, config = run(
        adam, w0, grads, {"learning_rate": lr, "beta1": b1, "beta2": b2, "epsilon": eps}
    )
    assert_same(w, x)
    assert_same(config["m"], m)
    assert_same(config["v"], v)
    assert config["t"] == STEPS


def test_adam_counts_the_step_before_correcting():
    # On the first step the corrected moments are g and g**2 exactly, so every
    # coordinate moves by lr * g / (|g| + eps): almost exactly lr, whatever |g|.
    w = np.zeros(4)
    g = np.array([1e-3, -2.0, 5.0, -7e2])
    next_w, config = adam(w, g, {"learning_rate": 0.1})
    assert config["t"] == 1
    assert_same(next_w, -0.1 * g / (np.abs(g) + 1e-8))


@pytest.mark.parametrize("t", [0, 1, 4, 50])
def test_adam_uses_t_plus_one_in_the_bias_correction(t):
    # Same moments, different step counts: the step must follow 1 - beta**(t + 1). A rule that
    # ignored t, or incremented it after the correction, fails here.
    w, grads = fixed_problem()
    rng = np.random.default_rng(5)
    m, v = rng.standard_normal(w.shape), rng.random(w.shape)
    g, b1, b2, lr, eps = grads[0], 0.9, 0.999, 1e-3, 1e-8
    config = {"m": m.copy(), "v": v.copy(), "t": t}
    next_w, config = adam(w, g, config)
    m1, v1, t1 = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2, t + 1
    expected = w - lr * (m1 / (1 - b1**t1)) / (np.sqrt(v1 / (1 - b2**t1)) + eps)
    assert config["t"] == t1
    assert_same(next_w, expected)


def test_adam_step_count_changes_the_step():
    w, grads = fixed_problem()
    state = {"m": np.full(w.shape, 0.1), "v": np.full(w.shape, 0.01)}
    early, _ = adam(w, grads[0], {**copy.deepcopy(state), "t": 1})
    late, _ = adam(w, grads[0], {**copy.deepcopy(state), "t": 1000})
    # the corrections 1 - beta**t differ (0.19 and 0.002 at t + 1 = 2, about 1 at 1001)
    assert np.abs(early - late).max() > 1e-4


def test_adam_resumes_from_a_given_step_count():
    w, grads = fixed_problem()
    _, config = run(adam, w, grads[:3], {})
    resumed = copy.deepcopy(config)
    straight, _ = adam(w, grads[3], config)
    again, resumed = adam(w, grads[3], resumed)
    assert resumed["t"] == 4
    np.testing.assert_array_equal(straight, again)


# --- state conventions ----------------------------------------------------------------------

DEFAULTS = {
    sgd: {"learning_rate": 1e-2},
    sgd_momentum: {"learning_rate": 1e-2, "momentum": 0.9},
    nesterov_momentum: {"learning_rate": 1e-2, "momentum": 0.9},
    rmsprop: {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    adam: {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}
STATE = {
    sgd: [],
    sgd_momentum: ["velocity"],
    nesterov_momentum: ["velocity"],
    rmsprop: ["cache"],
    adam: ["m", "v"],
}


@pytest.mark.parametrize("rule", ALL_RULES)
def test_defaults_are_filled_in(rule):
    w, grads = fixed_problem()
    _, config = rule(w, grads[0])
    for key, value in DEFAULTS[rule].items():
        assert config[key] == value
    expected_keys = set(DEFAULTS[rule]) | set(STATE[rule]) | ({"t"} if rule is adam else set())
    assert set(config) == expected_keys


@pytest.mark.parametrize("rule", ALL_RULES)
def test_given_hyperparameters_are_kept(rule):
    w, grads = fixed_problem()
    config = {"learning_rate": 0.123}
    rule(w, grads[0], config)
    assert config["learning_rate"] == 0.123


@pytest.mark.parametrize("rule", ALL_RULES)
def test_config_is_updated_in_place_and_inputs_are_untouched(rule):
    w, grads = fixed_problem()
    w_before, dw_before = w.copy(), grads[0].copy()
    config = {}
    next_w, returned = rule(w, grads[0], config)
    assert returned is config
    assert set(DEFAULTS[rule]) <= set(config)
    np.testing.assert_array_equal(w, w_before)
    np.testing.assert_array_equal(grads[0], dw_before)
    assert not np.shares_memory(next_w, w)
    assert not np.shares_memory(next_w, grads[0])
    # Later steps rebind the state instead of writing into arrays the caller may hold.
    held = {key: config[key] for key in STATE[rule]}
    held_values = {key: value.copy() for key, value in held.items()}
    rule(next_w, grads[1], config)
    for key in STATE[rule]:
        np.testing.assert_array_equal(held[key], held_values[key])
        assert config[key] is not held[key]


@pytest.mark.parametrize("rule", ALL_RULES)
def test_state_has_the_shape_and_dtype_of_w(rule):
    w, grads = fixed_problem(np.float32)
    _, config = rule(w, grads[0])
    for key in STATE[rule]:
        assert config[key].shape == w.shape
        assert config[key].dtype == np.float32


@pytest.mark.parametrize("rule", ALL_RULES)
def test_float32_is_preserved(rule):
    w, grads = fixed_problem(np.float32)
    # A NumPy float64 learning rate must not promote the result to float64.
    w_next, config = run(rule, w, grads, {"learning_rate": np.float64(1e-3)})
    assert w_next.dtype == np.float32
    w64, _ = run(
        rule, w.astype(np.float64), [g.astype(np.float64) for g in grads], {"learning_rate": 1e-3}
    )
    np.testing.assert_allclose(w_next, w64, rtol=1e-5, atol=1e-6)


def test_adam_keeps_float32_with_a_numpy_step_count():
    # beta1**t with a NumPy integer t would be a float64 scalar and promote the arrays.
    w, grads = fixed_problem(np.float32)
    w_next, config = adam(w, grads[0], {"t": np.int64(3)})
    assert w_next.dtype == config["m"].dtype == config["v"].dtype == np.float32
    assert config["t"] == 4


@pytest.mark.parametrize("rule", ALL_RULES)
def test_zero_learning_rate_keeps_w(rule):
    w, grads = fixed_problem()
    w_next, _ = run(rule, w, grads, {"learning_rate": 0.0})
    np.testing.assert_array_equal(w_next, w)


def test_momentum_zero_is_sgd():
    w, grads = fixed_problem()
    plain, _ = run(sgd, w, grads, {"learning_rate": 0.05})
    for rule in (sgd_momentum, nesterov_momentum):
        heavy, _ = run(rule, w, grads, {"learning_rate": 0.05, "momentum": 0.0})
        assert_same(heavy, plain)


def test_update_rules_lookup():
    # The names are the documented contract (REFERENCE.md), spelled out here so that a renamed
    # or missing rule fails; each name must give the rule that computes that formula.
    assert sorted(UPDATE_RULES) == sorted(
        ["sgd", "sgd_momentum", "nesterov_momentum", "rmsprop", "adam"]
    )
    w, grads = fixed_problem()
    for name, rule in UPDATE_RULES.items():
        by_name, _ = run(rule, w, grads, {})
        by_function, _ = run(getattr(optim, name), w, grads, {})
        np.testing.assert_array_equal(by_name, by_function)
    # and the rules differ, so the comparison above could fail
    assert not np.array_equal(run(UPDATE_RULES["adam"], w, grads, {})[0], run(sgd, w, grads, {})[0])


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", ALL_RULES)
def test_rejects_bad_arrays(rule):
    w = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"dw must have shape \(3, 4\).*got \(4, 3\)"):
        rule(w, np.zeros((4, 3)))
    with pytest.raises(TypeError, match="w must have a floating-point dtype.*int"):
        rule(np.zeros((3, 4), dtype=int), np.zeros((3, 4), dtype=int))
    with pytest.raises(TypeError, match=r"dw must be a NumPy ndarray; got .*\(list\)"):
        rule(w, [[0.0] * 4] * 3)
    with pytest.raises(TypeError, match="dw must have w's dtype \\(float64\\).*got float32"):
        rule(w, np.zeros((3, 4), dtype=np.float32))


@pytest.mark.parametrize("rule", ALL_RULES)
def test_rejects_bad_config(rule):
    w = np.zeros(3)
    with pytest.raises(TypeError, match="config must be a dict.*got list"):
        rule(w, w, [("learning_rate", 0.1)])
    with pytest.raises(
        ValueError, match=r"config\['learning_rate'\] must be a finite number >= 0; got -0.1"
    ):
        rule(w, w, {"learning_rate": -0.1})
    with pytest.raises(
        TypeError, match=r"config\['learning_rate'\] must be a real number; got '0.1'"
    ):
        rule(w, w, {"learning_rate": "0.1"})
    with pytest.raises(ValueError, match=r"config\['learning_rate'\] must be a finite number.*nan"):
        rule(w, w, {"learning_rate": float("nan")})
    with pytest.raises(ValueError, match=r"config has key\(s\) \['lr'\] that .* does not use"):
        rule(w, w, {"lr": 0.1})


@pytest.mark.parametrize(
    "rule, key",
    [
        (sgd_momentum, "momentum"),
        (nesterov_momentum, "momentum"),
        (rmsprop, "decay_rate"),
        (adam, "beta1"),
        (adam, "beta2"),
    ],
)
@pytest.mark.parametrize("value", [-0.1, 1.0, 1.5])
def test_rejects_decay_outside_unit_interval(rule, key, value):
    with pytest.raises(
        ValueError, match=rf"config\['{key}'\] must be a number in \[0, 1\); got {value}"
    ):
        rule(np.zeros(3), np.zeros(3), {key: value})


@pytest.mark.parametrize("rule", [rmsprop, adam])
def test_rejects_nonpositive_epsilon(rule):
    with pytest.raises(
        ValueError, match=r"config\['epsilon'\] must be a finite number > 0; got 0.0"
    ):
        rule(np.zeros(3), np.zeros(3), {"epsilon": 0.0})


@pytest.mark.parametrize("rule", [sgd_momentum, nesterov_momentum, rmsprop, adam])
def test_rejects_state_of_another_parameter(rule):
    # The classic mistake: one config shared by parameters of different shapes.
    _, config = rule(np.zeros((2, 3)), np.ones((2, 3)))
    with pytest.raises(
        ValueError,
        match=r"must be an array of w's shape \(3,\).*one config per parameter.*\(2, 3\)",
    ):
        rule(np.zeros(3), np.ones(3), config)


@pytest.mark.parametrize("rule", [sgd_momentum, nesterov_momentum, rmsprop, adam])
def test_state_of_another_dtype_is_the_wrong_kind_as_for_dw(rule):
    _, config = rule(np.zeros(3), np.ones(3))  # float64 state
    w32 = np.zeros(3, dtype=np.float32)
    with pytest.raises(TypeError, match=r"dw must have w's dtype \(float32\).*got float64"):
        rule(w32, np.ones(3), {})
    with pytest.raises(
        TypeError, match=r"config\['\w+'\] must have w's dtype \(float32\).*float64"
    ):
        rule(w32, np.ones(3, dtype=np.float32), config)


def test_adam_rejects_bad_step_count():
    with pytest.raises(ValueError, match=r"config\['t'\] must be a non-negative integer; got -1"):
        adam(np.zeros(3), np.zeros(3), {"t": -1})
    with pytest.raises(TypeError, match=r"config\['t'\] must be an integer; got 1.5"):
        adam(np.zeros(3), np.zeros(3), {"t": 1.5})


# --- behaviour: convergence and Nesterov's change of variables --------------------------------

A = np.array([1.0, 3.0, 10.0])  # curvatures of an ill-conditioned quadratic
W_STAR = np.array([1.0, -2.0, 0.5])


def quadratic_grad(w):
    return A * (w - W_STAR)


@pytest.mark.parametrize(
    "rule, config, steps",
    [
        (sgd, {"learning_rate": 0.1}, 200),
        (sgd_momentum, {"learning_rate": 0.05, "momentum": 0.7}, 200),
        (nesterov_momentum, {"learning_rate": 0.05, "momentum": 0.7}, 200),
        (rmsprop, {"learning_rate": 1e-3, "decay_rate": 0.9}, 5000),
        (adam, {"learning_rate": 1e-2}, 3000),
    ],
)
def test_converges_on_a_quadratic(rule, config, steps):
    w = np.zeros(3)
    for _ in range(steps):
        w, config = rule(w, quadratic_grad(w), config)
    assert np.max(np.abs(w - W_STAR)) < 1e-3


def rosenbrock_grad(p):
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def test_nesterov_look_ahead_form_follows_the_original_trajectory():
    # Original form: the gradient is taken at x + mu*v. Look-ahead form: the stored
    # parameter is x_ahead = x + mu*v and the gradient is taken where it is stored.
    # On a non-quadratic function the two agree only if the change of variables is right.
    lr, mu = 1e-3, 0.9
    x, vel = np.array([-1.2, 1.0]), np.zeros(2)
    ahead, config = x.copy(), {"learning_rate": lr, "momentum": mu}
    for _ in range(300):
        vel = mu * vel - lr * rosenbrock_grad(x + mu * vel)
        x = x + vel
        ahead, config = nesterov_momentum(ahead, rosenbrock_grad(ahead), config)
        np.testing.assert_allclose(ahead, x + mu * vel, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(config["velocity"], vel, rtol=1e-10, atol=1e-12)
    assert np.linalg.norm(x - np.array([-1.2, 1.0])) > 0.1  # it went somewhere


# --- PyTorch as an oracle ---------------------------------------------------------------------


def torch_run(torch, make_optimizer, w0, grads):
    p = torch.tensor(w0.copy(), requires_grad=True)
    opt = make_optimizer([p])
    for g in grads:
        p.grad = torch.tensor(g)
        opt.step()
    return p.detach().numpy(), opt.state[p]


@pytest.mark.parametrize("rule, nesterov", [(sgd_momentum, False), (nesterov_momentum, True)])
def test_momentum_matches_torch(rule, nesterov):
    # torch keeps b_t = mu*b_{t-1} + g_t and steps by -lr*b_t (Nesterov: -lr*(g_t + mu*b_t)).
    # With a constant learning rate, b_t = -v_t / lr, and the iterates coincide with CS231n's.
    torch = pytest.importorskip("torch")
    w0, grads = fixed_problem()
    lr, mu = 0.05, 0.8
    theirs, state = torch_run(
        torch,
        lambda ps: torch.optim.SGD(ps, lr=lr, momentum=mu, nesterov=nesterov, foreach=False),
        w0,
        grads,
    )
    mine, config = run(rule, w0, grads, {"learning_rate": lr, "momentum": mu})
    np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(
        config["velocity"], -lr * state["momentum_buffer"].numpy(), rtol=1e-12, atol=1e-14
    )


def test_rmsprop_matches_torch():
    torch = pytest.importorskip("torch")
    w0, grads = fixed_problem()
    lr, rho, eps = 0.01, 0.9, 1e-6
    theirs, state = torch_run(
        torch,
        lambda ps: torch.optim.RMSprop(ps, lr=lr, alpha=rho, eps=eps, foreach=False),
        w0,
        grads,
    )
    mine, config = run(rmsprop, w0, grads, {"learning_rate": lr, "decay_rate": rho, "epsilon": eps})
    np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(config["cache"], state["square_avg"].numpy(), rtol=1e-12)


def test_adam_matches_torch():
    torch = pytest.importorskip("torch")
    w0, grads = fixed_problem()
    lr, b1, b2, eps = 0.01, 0.8, 0.95, 1e-6
    theirs, state = torch_run(
        torch,
        lambda ps: torch.optim.Adam(ps, lr=lr, betas=(b1, b2), eps=eps, foreach=False),
        w0,
        grads,
    )
    mine, config = run(
        adam, w0, grads, {"learning_rate": lr, "beta1": b1, "beta2": b2, "epsilon": eps}
    )
    np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(config["m"], state["exp_avg"].numpy(), rtol=1e-12)
    np.testing.assert_allclose(config["v"], state["exp_avg_sq"].numpy(), rtol=1e-12)
    assert config["t"] == int(state["step"]) == STEPS
