"""Checks of the update rules: trajectories over several steps against cs231nbook.optim."""

from __future__ import annotations

import copy
from types import ModuleType
from typing import Any

import numpy as np

from cs231nbook import optim as ref

from .checks_layers import need
from .harness import call, rng_for, unpack
from .outcome import Outcome, rel_error

STEPS = 5
TOL = 1e-7

# the hyperparameters each case sets (the state keys start absent, as in the notebooks' use)
CASES = {
    "sgd": [("default config", {}), ("learning_rate 0.1", {"learning_rate": 0.1})],
    "sgd_momentum": [
        ("default config", {}),
        ("momentum 0.5, lr 0.05", {"learning_rate": 0.05, "momentum": 0.5}),
    ],
    "rmsprop": [
        ("default config", {}),
        ("decay 0.9, lr 1e-3", {"learning_rate": 1e-3, "decay_rate": 0.9}),
    ],
    "adam": [
        ("default config", {}),
        ("beta1 0.8, lr 1e-2", {"learning_rate": 1e-2, "beta1": 0.8, "beta2": 0.99}),
    ],
}
STATE = {"sgd_momentum": ("velocity",), "rmsprop": ("cache",), "adam": ("m", "v", "t")}


def _adam_late_t(w, dw, config):
    """Adam with the classic bug: t incremented after the bias correction."""
    config = dict(config)
    lr, b1, b2 = config["learning_rate"], config["beta1"], config["beta2"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw**2
    t = max(config["t"], 1)  # the t of the previous step (1 on the first, to avoid 0/0)
    mhat = config["m"] / (1 - b1**t)
    vhat = config["v"] / (1 - b2**t)
    return w - lr * mhat / (np.sqrt(vhat) + config["epsilon"])


def _diagnose(
    o: Outcome, name: str, mine: dict, theirs: dict, next_mine: Any, w: np.ndarray, dw: np.ndarray
) -> None:
    """Name the classic mistakes of momentum and RMSProp when the numbers match one."""
    if name == "sgd_momentum" and "velocity" in mine:
        if rel_error(mine["velocity"], -theirs["velocity"]) < 1e-7:
            o.note(
                "the velocity has the opposite sign: CS231n's is v = momentum * v - "
                "learning_rate * dw, and next_w = w + v"
            )
    if name == "rmsprop":
        lr, eps = theirs["learning_rate"], theirs["epsilon"]
        if rel_error(next_mine, w - lr * dw / (theirs["cache"] + eps)) < 1e-7:
            o.note("the step divides by the cache itself: divide by its square root")


def _check(module: ModuleType, o: Outcome, name: str) -> None:
    rule, reference = need(module, name), getattr(ref, name)
    for case, hyper in CASES[name]:
        rng = rng_for(case + name)
        w = rng.normal(size=(4, 5))
        grads = [rng.normal(size=w.shape) for _ in range(STEPS)]
        mine, theirs = dict(hyper), dict(hyper)
        w_mine, w_ref = w.copy(), w.copy()
        for step, dw in enumerate(grads, start=1):
            label = f"{case}, step {step}"
            before = {k: copy.deepcopy(v) for k, v in theirs.items()}
            # The starter's own sgd (given to students) updates w in place, so an update
            # rule may; it gets a copy. dw must stay as it was; config is the state.
            result = call(
                o,
                label,
                rule,
                w_mine.copy(),
                dw,
                mine,
                mutable=(0, 2),
            )
            next_mine, mine = unpack(result, 2, name)
            next_ref, theirs = reference(w_ref, dw, theirs)
            if mine is None:
                mine = {}
            ok = o.compare(
                case,
                "next_w",
                next_mine,
                next_ref,
                tol=TOL,
                setup=f"w {w.shape}, step {step} of {STEPS}",
            )
            for key in STATE.get(name, ()):
                if key not in mine:
                    o.require(
                        case, f"config['{key}']", False, "the state kept in config", f"step {step}"
                    )
                    o.note(f"config['{key}'] is not stored: the next step needs it")
                    ok = False
                    continue
                ok &= o.compare(
                    case, f"config['{key}']", mine[key], theirs[key], tol=TOL, setup=f"step {step}"
                )
            if not ok:
                if name == "adam":
                    full = {
                        **{
                            "learning_rate": 1e-3,
                            "beta1": 0.9,
                            "beta2": 0.999,
                            "epsilon": 1e-8,
                            "m": np.zeros_like(w),
                            "v": np.zeros_like(w),
                            "t": 0,
                        },
                        **before,
                    }
                    if rel_error(next_mine, _adam_late_t(w_ref, dw, full)) < 1e-7:
                        o.note(
                            "t must be incremented before the bias correction "
                            "(the first step divides by 1 - beta**1)"
                        )
                _diagnose(o, name, mine, theirs, next_mine, w_ref, dw)
                break  # later steps start from a different point: the first miss says it
            w_mine, w_ref = np.asarray(next_mine, dtype=np.float64), next_ref


def check_sgd(module: ModuleType, o: Outcome) -> None:
    _check(module, o, "sgd")


def check_sgd_momentum(module: ModuleType, o: Outcome) -> None:
    _check(module, o, "sgd_momentum")


def check_rmsprop(module: ModuleType, o: Outcome) -> None:
    _check(module, o, "rmsprop")


def check_adam(module: ModuleType, o: Outcome) -> None:
    _check(module, o, "adam")
