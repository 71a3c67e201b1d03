"""Checks of the models: the student's parameters copied into cs231nbook's model, then the
loss and every gradient compared; dropout judged by the student's own numerical gradient."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from cs231nbook import classifiers as ref

from .checks_layers import need
from .harness import call, numerical_gradient_scalar, rng_for, unpack
from .outcome import Outcome, StudentError

TOL = 1e-6  # loss and gradients against cs231nbook with the same parameters (float64)


def _compare_model(o, case, student, reference, X, y, setup):
    params = getattr(student, "params", None)
    if not isinstance(params, dict):
        raise StudentError("the model has no params dict")
    expected_keys = sorted(reference.params)
    if sorted(params) != expected_keys:
        o.require(case, "params", False, f"parameter names {expected_keys}", setup)
        o.note(f"params holds {sorted(params)}; expected {expected_keys}")
        return
    for key, value in params.items():
        if np.shape(value) != reference.params[key].shape:
            o.require(case, key, False, f"shape {reference.params[key].shape}", setup)
            return
    o.case(case, reg="reg > 0" if getattr(reference, "reg", 0) else "reg 0")
    # Fresh random values for every parameter (biases included: at their initial zeros a
    # penalty on them, a classic bug, would not show), the same in both models.
    rng = rng_for(case + "params")
    for key in expected_keys:
        params[key] = rng.normal(scale=0.3, size=np.shape(params[key]))
    reference.params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    _same_running_statistics(case, student, reference)
    X_before = X.copy()
    loss, grads = unpack(call(o, case, student.loss, X, y), 2, "loss")
    o.require(case, "X", np.array_equal(X, X_before), "X unchanged by loss()", setup)
    want_loss, want_grads = reference.loss(X, y)
    o.compare(case, "loss", loss, want_loss, tol=TOL, setup=setup)
    for key in expected_keys:
        if not isinstance(grads, dict) or key not in grads:
            o.require(case, f"grads['{key}']", False, "a gradient for every parameter", setup)
            continue
        ok = o.compare(case, f"grads['{key}']", grads[key], want_grads[key], tol=TOL, setup=setup)
        if not ok and key.startswith(("b", "beta", "gamma")) and getattr(reference, "reg", 0):
            # a classic: regularizing biases (or batch-norm scales) as well as the weights
            o.note("only weights are regularized: no L2 on biases, gammas or betas")
    scores = call(o, case + ", test", student.loss, X)
    o.compare(case + ", test", "scores", scores, reference.loss(X), tol=TOL, setup=setup)


def _same_running_statistics(case: str, student: Any, reference: Any) -> None:
    """Give both batch-norm models the same running statistics before they run.

    Missing statistics start at zeros in the starter and at zeros and ones in cs231nbook,
    so test-mode scores would differ for a correct student; explicit values, set in the
    starter's ``bn_params`` of both models, make the comparison fair (and check the
    running update too). A model without the starter's ``bn_params`` keeps its own.
    """
    if getattr(reference, "normalization", None) != "batchnorm":
        return
    mine = getattr(student, "bn_params", None)
    theirs = reference.bn_params
    if not isinstance(mine, list) or len(mine) != len(theirs):
        return
    if not all(isinstance(p, dict) for p in mine):
        return
    rng = rng_for(case + "running")
    for layer, (p_mine, p_theirs) in enumerate(zip(mine, theirs), start=1):
        D = reference.params[f"gamma{layer}"].shape[0]
        mean, var = rng.normal(size=D), rng.uniform(0.5, 2, size=D)
        p_mine["running_mean"], p_theirs["running_mean"] = mean.copy(), mean.copy()
        p_mine["running_var"], p_theirs["running_var"] = var.copy(), var.copy()


FC_CASES: list[tuple[str, dict[str, Any]]] = [
    ("no regularization", {"reg": 0.0}),
    ("reg 3.14", {"reg": 3.14}),
    ("batchnorm", {"normalization": "batchnorm"}),
    ("layernorm", {"normalization": "layernorm"}),
]


def check_fully_connected_net(module: ModuleType, o: Outcome) -> None:
    Model = need(module, "FullyConnectedNet")
    rng = rng_for("fc")
    X, y = rng.normal(size=(3, 15)), rng.integers(0, 10, size=3)
    for case, extra in FC_CASES:
        kwargs: dict[str, Any] = {
            "input_dim": 15,
            "num_classes": 10,
            "weight_scale": 5e-2,
            "dtype": np.float64,
            **extra,
        }
        setup = f"hidden_dims [20, 30], {extra}"
        np.random.seed(0)  # noqa: NPY002  (the starter draws weights from it)
        try:
            student = Model([20, 30], **kwargs)
        except Exception as error:
            raise StudentError(
                f"FullyConnectedNet(...) raised {type(error).__name__}: {error} ({case})"
            ) from None
        reference = ref.FullyConnectedNet([20, 30], seed=0, **kwargs)
        _compare_model(o, case, student, reference, X, y, setup)
    # dropout: the masks are the student's own, so judge the gradient by differencing the
    # student's loss (deterministic with a seed, as the notebook's check needs)
    case, setup = "dropout 0.5, seed 123", "hidden_dims [20, 30], dropout_keep_ratio 0.5"
    np.random.seed(0)  # noqa: NPY002  (a repeatable report)
    try:
        student = Model(
            [20, 30],
            input_dim=15,
            num_classes=10,
            weight_scale=5e-2,
            dtype=np.float64,
            dropout_keep_ratio=0.5,
            seed=123,
        )
    except Exception as error:
        raise StudentError(
            f"FullyConnectedNet(...) raised {type(error).__name__}: {error} ({case})"
        ) from None
    loss, grads = unpack(call(o, case, student.loss, X, y), 2, "loss")
    if not isinstance(grads, dict):
        raise StudentError(f"loss returned {type(grads).__name__} grads, not a dict ({case})")
    again, _ = unpack(call(o, case, student.loss, X, y), 2, "loss")
    o.require(case, "loss", loss == again, "the same loss twice with a seed (fixed masks)", setup)
    for key in sorted(student.params):
        if grads.get(key) is None:
            o.require(case, f"grads['{key}']", False, "a gradient for every parameter", setup)
            continue
        off = _kink_safe_error(lambda _: student.loss(X, y)[0], student.params[key], grads[key])
        o.record(
            case,
            f"grads['{key}']",
            off,
            tol=1e-6,
            against="numerical gradient (norm-relative)",
            setup=setup,
        )


def _kink_safe_error(f: Callable[[np.ndarray], float], x: np.ndarray, analytic: Any) -> float:
    """How far ``analytic`` is from the centred differences of ``f`` at ``x``, robustly.

    The dropout net's masks are the student's own, so only its own numerical gradient can
    judge it, and a ReLU kink within the step ``h`` of the point spoils that gradient's
    element (with random weights, about one run in ten). Each element is compared with the
    closest of the differences for ``h = 1e-5, 1e-6, 1e-7`` (a kink rarely lies within
    1e-7), and the error is norm-relative, ``|a - n| / (|a| + |n|)``, so an element that is
    near 0 by chance does not dominate. A wrong gradient is off by order 1 either way.
    """
    analytic = np.asarray(analytic, dtype=np.float64)
    if analytic.shape != np.shape(x) or not np.all(np.isfinite(analytic)):
        return 1.0
    gap, numeric = None, None
    for h in (1e-5, 1e-6, 1e-7):
        numeric = numerical_gradient_scalar(f, x, h=h)
        here = np.abs(analytic - numeric)
        gap = here if gap is None else np.minimum(gap, here)
    assert gap is not None and numeric is not None
    scale = float(np.linalg.norm(analytic) + np.linalg.norm(numeric))
    return float(np.linalg.norm(gap) / max(scale, 1e-12))


CNN_CASES = [("no regularization", 0.0), ("reg 0.5", 0.5)]


def check_three_layer_conv_net(module: ModuleType, o: Outcome) -> None:
    Model = need(module, "ThreeLayerConvNet")
    rng = rng_for("cnn")
    X, y = rng.normal(size=(2, 3, 8, 8)), rng.integers(0, 10, size=2)
    for case, reg in CNN_CASES:
        kwargs: dict[str, Any] = {
            "input_dim": (3, 8, 8),
            "num_filters": 3,
            "filter_size": 3,
            "hidden_dim": 7,
            "reg": reg,
            "weight_scale": 1e-1,
            "dtype": np.float64,
        }
        np.random.seed(0)  # noqa: NPY002  (a repeatable report)
        try:
            student = Model(**kwargs)
        except Exception as error:
            raise StudentError(
                f"ThreeLayerConvNet(...) raised {type(error).__name__}: {error} ({case})"
            ) from None
        reference = ref.ThreeLayerConvNet(seed=0, **kwargs)
        _compare_model(
            o, case, student, reference, X, y, f"X {X.shape}, 3 filters 3x3, hidden 7, reg {reg}"
        )
