"""Checks of the fully-connected layers, the losses, dropout and the normalizations.

Each ``check_*`` takes the student's module and an :class:`Outcome`, runs the student's
function on a few cases and records how it compares with cs231nbook and with the numerical
gradient. A backward pass runs on the cache of the student's own forward pass and is
judged against cs231nbook's gradients; where the student's forward pass agrees with
cs231nbook's, also against its numerical gradient (where it does not, that gradient is of
another function, and a note says to fix the forward pass first).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from cs231nbook import layers as ref

from .harness import call, numerical_gradient, rng_for, unpack
from .outcome import Outcome, StudentError, norm_rel_error, rel_error

VALUE_TOL = 1e-7  # float64 against cs231nbook: only summation order differs
GRAD_TOL = 1e-6  # norm-relative, against a centred difference with h = 1e-5


def need(module: ModuleType, name: str):
    function = getattr(module, name, None)
    if function is None:
        raise StudentError(f"needs {name}, which {module.__name__} does not define")
    return function


def _forward_then_backward(
    o: Outcome,
    case: str,
    fwd: Callable[..., Any],
    bwd: Callable[..., Any],
    args: tuple[np.ndarray, ...],
    dout: np.ndarray,
    names: tuple[str, ...],
    reference: Callable[..., tuple[np.ndarray, tuple]],
    setup: str,
    tol: float = VALUE_TOL,
    mutable: tuple[int, ...] = (),
) -> tuple[Any, tuple]:
    """Check a backward pass on the cache of the student's own forward pass.

    Every gradient is compared with cs231nbook's (``reference(*args)`` returns cs231nbook's
    ``out`` and gradients), and, when the student's forward pass gives cs231nbook's output,
    with the numerical gradient of that forward pass too. When the forward pass differs,
    its numerical gradient is the derivative of another function and is not used: a right
    backward pass is never failed for a wrong forward pass, and a note says that the
    forward pass, whose cache the backward pass reads, is to be fixed first.
    """
    out, cache = unpack(call(o, case, fwd, *args, mutable=mutable), 2, fwd.__name__)
    grads = unpack(call(o, case, bwd, dout, cache), len(names), bwd.__name__)
    want_out, want_grads = reference(*args)
    forward_ok = rel_error(out, want_out) <= VALUE_TOL
    for position, (name, grad, want) in enumerate(zip(names, grads, want_grads)):
        if grad is None:
            raise StudentError(f"{name} is None (not implemented yet?) ({case})")
        o.compare(case, name, grad, want, tol=tol, setup=setup)
        if not forward_ok:
            continue

        def f(v, position=position):
            values = list(args)
            values[position] = v
            return unpack(fwd(*values), 2, fwd.__name__)[0]

        numeric = numerical_gradient(f, args[position], dout)
        o.record(
            case,
            name,
            norm_rel_error(grad, numeric),
            tol=GRAD_TOL,
            against="numerical gradient (norm-relative)",
            setup=setup,
        )
    if not forward_ok:
        o.note(
            f"{fwd.__name__} gives a different out (case '{case}'), and this backward pass "
            f"runs on its cache: fix {fwd.__name__} first"
        )
    return out, grads


# --- affine and relu --------------------------------------------------------------------------

AFFINE_CASES = [
    ("flat input", (3, 6), 5),
    ("image-shaped input", (2, 3, 2, 2), 4),
    ("batch of 1", (1, 4, 5), 3),
]


def _affine_inputs(case, shape, M):
    rng = rng_for(case)
    D = int(np.prod(shape[1:]))
    return rng.normal(size=shape), rng.normal(size=(D, M)), rng.normal(size=M)


def check_affine_forward(module: ModuleType, o: Outcome) -> None:
    fwd = need(module, "affine_forward")
    for case, shape, M in AFFINE_CASES:
        x, w, b = _affine_inputs(case, shape, M)
        out, _ = unpack(call(o, case, fwd, x, w, b), 2, "affine_forward")
        o.compare(
            case,
            "out",
            out,
            ref.affine_forward(x, w, b)[0],
            tol=VALUE_TOL,
            setup=f"x {shape}, w {w.shape}",
        )


def check_affine_backward(module: ModuleType, o: Outcome) -> None:
    fwd, bwd = need(module, "affine_forward"), need(module, "affine_backward")
    for case, shape, M in AFFINE_CASES:
        x, w, b = _affine_inputs(case, shape, M)
        dout = rng_for(case + "dout").normal(size=(shape[0], M))
        setup = f"x {shape}, w {w.shape}"

        def reference(x, w, b, dout=dout):
            out, cache = ref.affine_forward(x, w, b)
            return out, ref.affine_backward(dout, cache)

        _, grads = _forward_then_backward(
            o, case, fwd, bwd, (x, w, b), dout, ("dx", "dw", "db"), reference, setup
        )
        if rel_error(grads[2], dout.mean(axis=0)) < 1e-7 and shape[0] > 1:
            o.note("db is the mean of dout over the batch; the bias gradient is the sum")


RELU_CASES = [("mixed signs", (4, 5)), ("4-D input", (2, 3, 2, 2))]


def _relu_input(case, shape):
    x = rng_for(case).normal(size=shape)
    return np.where(np.abs(x) < 0.05, 0.3, x)  # away from the kink, where the derivative exists


def check_relu_forward(module: ModuleType, o: Outcome) -> None:
    fwd = need(module, "relu_forward")
    for case, shape in RELU_CASES:
        x = _relu_input(case, shape)
        out, _ = unpack(call(o, case, fwd, x), 2, "relu_forward")
        o.compare(case, "out", out, np.maximum(x, 0), tol=VALUE_TOL, setup=f"x {shape}")


def check_relu_backward(module: ModuleType, o: Outcome) -> None:
    fwd, bwd = need(module, "relu_forward"), need(module, "relu_backward")
    for case, shape in RELU_CASES:
        x = _relu_input(case, shape)
        dout = rng_for(case + "dout").normal(size=shape)
        out, cache = unpack(call(o, case, fwd, x), 2, "relu_forward")
        (dx,) = unpack(call(o, case, bwd, dout, cache), 1, "relu_backward")
        o.compare(case, "dx", dx, dout * (x > 0), tol=VALUE_TOL, setup=f"x {shape}")
    # The kink: the subgradient at exactly 0 is 0 in CS231n's convention (dout * (x > 0)).
    x = np.array([[-1.0, 0.0, 2.0]])
    _, cache = unpack(call(o, "x = 0", fwd, x), 2, "relu_forward")
    (dx,) = unpack(call(o, "x = 0", bwd, np.ones_like(x), cache), 1, "relu_backward")
    if not o.compare(
        "x = 0", "dx", dx, np.array([[0.0, 0.0, 1.0]]), tol=VALUE_TOL, setup="x = [-1, 0, 2]"
    ):
        o.note("at x = 0 the ReLU's (sub)gradient is taken as 0: use x > 0, not x >= 0")


# --- losses -----------------------------------------------------------------------------------

# name, N, C, size of the scores: rows of ordinary scores shifted by +-size, so exp
# overflows (or underflows to 0/0) unless each row's maximum is subtracted first. The
# spread within a row stays ordinary: a probability that underflows to 0 after the shift
# would make log p = -inf even in the usual, correct, implementation.
LOSS_CASES = [("N=5, C=4", 5, 4, 0.0), ("batch of 1", 1, 3, 0.0), ("large scores", 4, 5, 1e3)]


def _check_loss(module: ModuleType, o: Outcome, name: str, reference: Callable[..., tuple]) -> None:
    loss_fn = need(module, name)
    for case, N, C, size in LOSS_CASES:
        rng = rng_for(case + name)
        shift = size * np.where(np.arange(N) % 2 == 0, 1.0, -1.0)[:, None]
        x, y = shift + rng.normal(size=(N, C)), rng.integers(0, C, size=N)
        o.case(case, batch="N = 1" if N == 1 else "N > 1", size=f"scores of size {size:g}")
        setup = f"x {x.shape}" + (f", rows shifted by +-{size:g}" if size else "")
        loss, dx = unpack(call(o, case, loss_fn, x, y), 2, name)
        want_loss, want_dx = reference(x, y)
        loss_ok = o.compare(case, "loss", loss, want_loss, tol=VALUE_TOL, setup=setup)
        dx_ok = o.compare(case, "dx", dx, want_dx, tol=VALUE_TOL, setup=setup)
        finite = np.all(np.isfinite(np.asarray(loss, dtype=float))) and np.all(
            np.isfinite(np.asarray(dx, dtype=float))
        )
        if size and not (loss_ok and dx_ok) and not finite:
            o.note("not stable for large scores: subtract each row's maximum before exp")
        if not dx_ok and N > 1 and rel_error(dx, N * want_dx) < 1e-7:
            o.note(
                "dx is N times too large (N the batch size): the loss is a mean, so divide dx by N"
            )
        if name == "svm_loss" and not loss_ok and abs(float(loss) - want_loss - 1) < 1e-9:
            o.note(
                "the loss is 1 too large: the correct class's own margin (1) is counted; skip j = y"
            )
        if not size and N > 1 and loss_ok:
            # the numerical gradient is only the right reference when the loss itself is

            def loss_of(v: np.ndarray, y: np.ndarray = y) -> float:
                return loss_fn(v, y)[0]

            numeric = numerical_gradient(loss_of, x.copy(), np.array(1.0))
            o.record(
                case,
                "dx",
                norm_rel_error(dx, numeric),
                tol=GRAD_TOL,
                against="numerical gradient (norm-relative)",
                setup=setup,
            )


def check_softmax_loss(module: ModuleType, o: Outcome) -> None:
    _check_loss(module, o, "softmax_loss", ref.softmax_loss)


def check_svm_loss(module: ModuleType, o: Outcome) -> None:
    _check_loss(module, o, "svm_loss", ref.svm_loss)


# --- dropout ----------------------------------------------------------------------------------


def check_dropout_forward(module: ModuleType, o: Outcome) -> None:
    fwd = need(module, "dropout_forward")
    x = rng_for("dropout").uniform(1, 2, size=(200, 100))  # no zeros, so kept = nonzero
    for p in (0.25, 0.7):
        case = f"p = {p}"
        out, _ = unpack(
            call(o, case, fwd, x, {"mode": "train", "p": p, "seed": 123}), 2, "dropout_forward"
        )
        out = np.asarray(out, dtype=np.float64)
        kept = out != 0
        fraction = kept.mean()
        o.require(
            case,
            "out",
            abs(fraction - p) < 0.03,
            f"a kept fraction of about p (got {fraction:.2f})",
            f"x {x.shape}",
        )
        if abs(fraction - (1 - p)) < 0.03:
            o.note("p is the probability of keeping a unit (CS231n since 2018), not of dropping")
        scaled = np.allclose(out[kept], x[kept] / p)
        o.require(
            case, "out", scaled, "kept units scaled by 1/p (inverted dropout)", f"x {x.shape}"
        )
        if not scaled and np.allclose(out[kept], x[kept]):
            o.note("inverted dropout divides the kept units by p at training time")
        test_out, _ = unpack(
            call(o, case + ", test", fwd, x, {"mode": "test", "p": p}), 2, "dropout_forward"
        )
        if not o.compare(case + ", test", "out", test_out, x, tol=VALUE_TOL, setup="test mode"):
            o.note("with inverted dropout the test-time pass is the identity")


def check_dropout_backward(module: ModuleType, o: Outcome) -> None:
    fwd, bwd = need(module, "dropout_forward"), need(module, "dropout_backward")
    x = rng_for("dropout-back").uniform(1, 2, size=(10, 10))
    dout = rng_for("dropout-dout").normal(size=x.shape)
    for mode in ("train", "test"):
        case = f"{mode} mode"
        param = {"mode": mode, "p": 0.4, "seed": 7}
        out, cache = unpack(call(o, case, fwd, x, dict(param)), 2, "dropout_forward")
        (dx,) = unpack(call(o, case, bwd, dout, cache), 1, "dropout_backward")
        # out = x * mask / p exactly, so the gradient is dout * out / x
        expected = dout * np.asarray(out, dtype=np.float64) / x if mode == "train" else dout
        ok = o.compare(
            case,
            "dx",
            dx,
            expected,
            tol=VALUE_TOL,
            against="dout * mask / p",
            setup=f"x {x.shape}, p 0.4",
        )
        if not ok and mode == "train" and rel_error(dx, dout) < 1e-12:
            o.note("dx is dout: the dropped units get no gradient, dx = dout * mask / p")


# --- batch and layer normalization --------------------------------------------------------------

BN_CASES = [("N=4, D=5", 4, 5), ("N=8, D=3", 8, 3)]


def _bn_inputs(case):
    _, N, D = next(c for c in BN_CASES if c[0] == case)
    rng = rng_for(case + "bn")
    x = rng.normal(3, 2, size=(N, D))
    return x, rng.normal(size=D), rng.normal(size=D), rng.normal(size=(N, D))


def _bn_param(D, mode):
    rng = rng_for(f"running{D}")
    return {
        "mode": mode,
        "eps": 1e-5,
        "momentum": 0.9,
        "running_mean": rng.normal(size=D),
        "running_var": rng.uniform(0.5, 2, size=D),
    }


def check_batchnorm_forward(module: ModuleType, o: Outcome) -> None:
    fwd = need(module, "batchnorm_forward")
    for case, _, D in BN_CASES:
        x, gamma, beta, _ = _bn_inputs(case)
        for mode in ("train", "test"):
            label = f"{case}, {mode}"
            mine, theirs = _bn_param(D, mode), _bn_param(D, mode)
            out, _ = unpack(
                call(o, label, fwd, x, gamma, beta, mine, mutable=(3,)), 2, "batchnorm_forward"
            )
            want, _ = ref.batchnorm_forward(x, gamma, beta, theirs)
            if not o.compare(label, "out", out, want, tol=VALUE_TOL, setup=f"x {x.shape}"):
                if mode == "test":
                    _diagnose_bn_test(o, out, x, gamma, beta, _bn_param(D, mode))
            for key in ("running_mean", "running_var"):
                if not o.compare(
                    label, key, mine.get(key), theirs[key], tol=VALUE_TOL, setup="momentum 0.9"
                ):
                    unbiased = 0.9 * _bn_param(D, mode)[key] + 0.1 * x.var(axis=0, ddof=1)
                    if key == "running_var" and rel_error(mine.get(key), unbiased) < 1e-7:
                        o.note(
                            "running_var uses the unbiased variance; batch norm uses the "
                            "biased one (divide by N)"
                        )
                    swapped = 0.1 * _bn_param(D, mode)[key] + 0.9 * (
                        x.mean(axis=0) if key == "running_mean" else x.var(axis=0)
                    )
                    if rel_error(mine.get(key), swapped) < 1e-7:
                        o.note(
                            f"{key}: momentum weights the old running value: "
                            "running = momentum * running + (1 - momentum) * batch"
                        )


def _diagnose_bn_test(
    o: Outcome, out: Any, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, param: dict
) -> None:
    """Name the classic test-mode mistakes when the output matches one of them."""
    mean, var, eps = param["running_mean"], param["running_var"], param["eps"]
    batch, _ = ref.batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": eps})
    if rel_error(out, batch) < 1e-7:
        o.note(
            "test mode normalizes with the batch's mean and variance; it must use "
            "running_mean and running_var"
        )
    elif rel_error(out, gamma * (x - mean) / (np.sqrt(var) + eps) + beta) < 1e-9:
        o.note(
            "test mode divides by sqrt(running_var) + eps; batch norm divides by "
            "sqrt(running_var + eps), as in training (a small difference, large when "
            "running_var is near 0)"
        )


def _check_bn_backward(module: ModuleType, o: Outcome, name: str) -> None:
    fwd, bwd = need(module, "batchnorm_forward"), need(module, name)
    for case, _, D in BN_CASES:
        x, gamma, beta, dout = _bn_inputs(case)

        def reference(x, g, b, D=D, dout=dout):
            out, cache = ref.batchnorm_forward(x, g, b, _bn_param(D, "train"))
            return out, ref.batchnorm_backward(dout, cache)

        _forward_then_backward(
            o,
            case,
            lambda x, g, b, D=D: fwd(x, g, b, _bn_param(D, "train")),
            bwd,
            (x, gamma, beta),
            dout,
            ("dx", "dgamma", "dbeta"),
            reference,
            f"x {x.shape}",
            tol=1e-6,
        )


def check_batchnorm_backward(module: ModuleType, o: Outcome) -> None:
    _check_bn_backward(module, o, "batchnorm_backward")


def check_batchnorm_backward_alt(module: ModuleType, o: Outcome) -> None:
    _check_bn_backward(module, o, "batchnorm_backward_alt")


def check_layernorm_forward(module: ModuleType, o: Outcome) -> None:
    fwd = need(module, "layernorm_forward")
    for case, _, _ in BN_CASES:
        x, gamma, beta, _ = _bn_inputs(case)
        out, _ = unpack(call(o, case, fwd, x, gamma, beta, {"eps": 1e-5}), 2, "layernorm_forward")
        want, _ = ref.layernorm_forward(x, gamma, beta, {"eps": 1e-5})
        if not o.compare(case, "out", out, want, tol=VALUE_TOL, setup=f"x {x.shape}"):
            across, _ = ref.batchnorm_forward(x, gamma, beta, {"mode": "train"})
            if rel_error(out, across) < 1e-6:
                o.note(
                    "normalizes over the batch (axis 0); layer norm normalizes each "
                    "example over its features (axis 1)"
                )


def check_layernorm_backward(module: ModuleType, o: Outcome) -> None:
    fwd, bwd = need(module, "layernorm_forward"), need(module, "layernorm_backward")
    for case, _, _ in BN_CASES:
        x, gamma, beta, dout = _bn_inputs(case)

        def reference(x, g, b, dout=dout):
            out, cache = ref.layernorm_forward(x, g, b, {"eps": 1e-5})
            return out, ref.layernorm_backward(dout, cache)

        _, grads = _forward_then_backward(
            o,
            case,
            lambda x, g, b: fwd(x, g, b, {"eps": 1e-5}),
            bwd,
            (x, gamma, beta),
            dout,
            ("dx", "dgamma", "dbeta"),
            reference,
            f"x {x.shape}",
            tol=1e-6,
        )
        mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
        std = np.sqrt(var + 1e-5)
        xhat, dxhat = (x - mu) / std, dout * gamma
        across = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) / std
        if rel_error(grads[0], across) < 1e-7:
            o.note(
                "dx takes its means over the batch (axis 0), as batch norm's does; layer "
                "norm's run over each example's features (axis 1)"
            )
