"""Checks of the naive convolution and max pooling, and the spatial normalizations.

The geometries are the ones that catch the classic bugs: stride 2, pad 0 and 2, non-square
inputs and filters, overlapping pools (stride smaller than the pool), a batch of one.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from cs231nbook import layers as ref

from .checks_layers import VALUE_TOL, _forward_then_backward, need
from .harness import call, rng_for, unpack
from .outcome import Outcome, rel_error

# name, x shape, w shape, stride, pad
CONV_CASES = [
    ("stride 1, pad 1", (2, 3, 5, 5), (2, 3, 3, 3), 1, 1),
    ("stride 2, pad 1", (2, 2, 7, 7), (3, 2, 3, 3), 2, 1),
    ("stride 1, pad 0", (2, 2, 5, 6), (2, 2, 3, 3), 1, 0),
    ("pad 2", (1, 2, 4, 4), (2, 2, 3, 3), 1, 2),
    ("non-square", (2, 2, 6, 4), (2, 2, 3, 1), 1, 0),
    ("batch of 1", (1, 3, 5, 5), (2, 3, 3, 3), 2, 1),
]


def _conv_inputs(case, xs, ws):
    rng = rng_for(case + "conv")
    return rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[0])


def check_conv_forward_naive(module: ModuleType, o: Outcome) -> None:
    fwd = need(module, "conv_forward_naive")
    for case, xs, ws, stride, pad in CONV_CASES:
        x, w, b = _conv_inputs(case, xs, ws)
        param = {"stride": stride, "pad": pad}
        o.case(case, stride=f"stride {stride}", pad=f"pad {pad}")
        out, _ = unpack(call(o, case, fwd, x, w, b, dict(param)), 2, "conv_forward_naive")
        want, _ = ref.conv_forward_naive(x, w, b, param)
        if (
            not o.compare(
                case,
                "out",
                out,
                want,
                tol=VALUE_TOL,
                setup=f"x {xs}, w {ws}, stride {stride}, pad {pad}",
            )
            and rel_error(np.asarray(out, dtype=np.float64) + b[:, None, None], want) < 1e-7
        ):
            o.note("the bias is not added: every output of filter f gets b[f]")


def check_conv_backward_naive(module: ModuleType, o: Outcome) -> None:
    fwd, bwd = need(module, "conv_forward_naive"), need(module, "conv_backward_naive")
    for case, xs, ws, stride, pad in CONV_CASES:
        x, w, b = _conv_inputs(case, xs, ws)
        param = {"stride": stride, "pad": pad}
        o.case(case, stride=f"stride {stride}", pad=f"pad {pad}")
        dout = rng_for(case + "dout").normal(size=ref.conv_forward_naive(x, w, b, param)[0].shape)

        def reference(x, w, b, param=param, dout=dout):
            out, cache = ref.conv_forward_naive(x, w, b, param)
            return out, ref.conv_backward_naive(dout, cache)

        _, grads = _forward_then_backward(
            o,
            case,
            lambda x, w, b, param=param: fwd(x, w, b, dict(param)),
            bwd,
            (x, w, b),
            dout,
            ("dx", "dw", "db"),
            reference,
            f"x {xs}, w {ws}, stride {stride}, pad {pad}",
        )
        if pad == 0 and 0 in np.shape(grads[0])[2:]:
            o.note(
                "with pad 0, dx_pad[:, :, pad:-pad] is empty: cut the padding off with "
                "pad:pad + H instead"
            )


# name, x shape, pool height, pool width, stride
POOL_CASES = [
    ("2x2 stride 2", (2, 3, 4, 4), 2, 2, 2),
    ("overlapping 3x3 stride 1", (1, 2, 5, 5), 3, 3, 1),
    ("overlapping 3x3 stride 2", (2, 2, 5, 5), 3, 3, 2),
    ("non-square 2x3 stride 1", (2, 1, 4, 5), 2, 3, 1),
    ("batch of 1", (1, 2, 6, 6), 2, 2, 2),
]


def _pool_params(ph: int, pw: int, stride: int) -> dict[str, str]:
    """What sets a pooling case apart, for the hint."""
    overlap = "overlapping windows" if stride < max(ph, pw) else "disjoint windows"
    shape = "square pools" if ph == pw else "non-square pools"
    return {"windows": overlap, "pool": shape, "stride": f"stride {stride}"}


def _pool_input(case, shape):
    # distinct values, so the arg-max is unique and the derivative exists
    rng = rng_for(case + "pool")
    return rng.permutation(np.prod(shape)).reshape(shape) / 7.0 + rng.uniform(0, 0.01, shape)


def check_max_pool_forward_naive(module: ModuleType, o: Outcome) -> None:
    fwd = need(module, "max_pool_forward_naive")
    for case, xs, ph, pw, stride in POOL_CASES:
        x = _pool_input(case, xs)
        param = {"pool_height": ph, "pool_width": pw, "stride": stride}
        o.case(case, **_pool_params(ph, pw, stride))
        out, _ = unpack(call(o, case, fwd, x, dict(param)), 2, "max_pool_forward_naive")
        o.compare(
            case,
            "out",
            out,
            ref.max_pool_forward_naive(x, param)[0],
            tol=VALUE_TOL,
            setup=f"x {xs}, pool {ph}x{pw}, stride {stride}",
        )


def check_max_pool_backward_naive(module: ModuleType, o: Outcome) -> None:
    fwd, bwd = need(module, "max_pool_forward_naive"), need(module, "max_pool_backward_naive")
    for case, xs, ph, pw, stride in POOL_CASES:
        x = _pool_input(case, xs)
        param = {"pool_height": ph, "pool_width": pw, "stride": stride}
        o.case(case, **_pool_params(ph, pw, stride))
        dout = rng_for(case + "dout").normal(size=ref.max_pool_forward_naive(x, param)[0].shape)

        def reference(x, param=param, dout=dout):
            out, cache = ref.max_pool_forward_naive(x, param)
            return out, (ref.max_pool_backward_naive(dout, cache),)

        failures = len(o.mismatches)
        _forward_then_backward(
            o,
            case,
            lambda x, param=param: fwd(x, dict(param)),
            bwd,
            (x,),
            dout,
            ("dx",),
            reference,
            f"x {xs}, pool {ph}x{pw}, stride {stride}",
        )
        if len(o.mismatches) > failures and stride < max(ph, pw):
            o.note(
                "overlapping windows: an input that is the max of several windows must "
                "collect (add) the gradient of each, with +=; assigning with = lets a later "
                "window overwrite what an earlier one gave"
            )


def _spatial_inputs(case, shape):
    rng = rng_for(case + "spatial")
    C = shape[1]
    return (
        rng.normal(5, 3, size=shape),
        rng.normal(size=C),
        rng.normal(size=C),
        rng.normal(size=shape),
    )


SPATIAL_CASES = [("N=2, C=3, 4x5", (2, 3, 4, 5)), ("batch of 1", (1, 2, 3, 3))]


def check_spatial_batchnorm_forward(module: ModuleType, o: Outcome) -> None:
    fwd = need(module, "spatial_batchnorm_forward")
    for case, shape in SPATIAL_CASES:
        x, gamma, beta, _ = _spatial_inputs(case, shape)
        out, _ = unpack(
            call(o, case, fwd, x, gamma, beta, {"mode": "train"}, mutable=(3,)),
            2,
            "spatial_batchnorm_forward",
        )
        want, _ = ref.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
        if not o.compare(case, "out", out, want, tol=VALUE_TOL, setup=f"x {shape}"):
            flat, _ = ref.batchnorm_forward(x.reshape(-1, shape[1]), gamma, beta, {"mode": "train"})
            if rel_error(out, flat.reshape(shape)) < 1e-7:
                o.note(
                    "x.reshape(-1, C) mixes channels: move C last first, "
                    "x.transpose(0, 2, 3, 1).reshape(-1, C), and transpose back after"
                )


def check_spatial_batchnorm_backward(module: ModuleType, o: Outcome) -> None:
    fwd = need(module, "spatial_batchnorm_forward")
    bwd = need(module, "spatial_batchnorm_backward")
    for case, shape in SPATIAL_CASES:
        x, gamma, beta, dout = _spatial_inputs(case, shape)

        def reference(x, g, b, dout=dout):
            out, cache = ref.spatial_batchnorm_forward(x, g, b, {"mode": "train"})
            return out, ref.spatial_batchnorm_backward(dout, cache)

        _forward_then_backward(
            o,
            case,
            lambda x, g, b: fwd(x, g, b, {"mode": "train"}),
            bwd,
            (x, gamma, beta),
            dout,
            ("dx", "dgamma", "dbeta"),
            reference,
            f"x {shape}",
            tol=1e-6,
        )


GROUP_CASES = [("N=2, C=6, G=2", (2, 6, 4, 5), 2), ("G=3, batch of 1", (1, 6, 3, 3), 3)]


def _group_inputs(case, shape):
    rng = rng_for(case + "group")
    C = shape[1]
    return (
        rng.normal(5, 3, size=shape),
        rng.normal(size=(1, C, 1, 1)),
        rng.normal(size=(1, C, 1, 1)),
        rng.normal(size=shape),
    )


def check_spatial_groupnorm_forward(module: ModuleType, o: Outcome) -> None:
    fwd = need(module, "spatial_groupnorm_forward")
    for case, shape, G in GROUP_CASES:
        x, gamma, beta, _ = _group_inputs(case, shape)
        out, _ = unpack(
            call(o, case, fwd, x, gamma, beta, G, {"eps": 1e-5}), 2, "spatial_groupnorm_forward"
        )
        want, _ = ref.spatial_groupnorm_forward(x, gamma, beta, G, {"eps": 1e-5})
        o.compare(case, "out", out, want, tol=VALUE_TOL, setup=f"x {shape}, G {G}")


def check_spatial_groupnorm_backward(module: ModuleType, o: Outcome) -> None:
    fwd = need(module, "spatial_groupnorm_forward")
    bwd = need(module, "spatial_groupnorm_backward")
    for case, shape, G in GROUP_CASES:
        x, gamma, beta, dout = _group_inputs(case, shape)

        def reference(x, g, b, G=G, dout=dout):
            out, cache = ref.spatial_groupnorm_forward(x, g, b, G, {"eps": 1e-5})
            return out, ref.spatial_groupnorm_backward(dout, cache)

        _forward_then_backward(
            o,
            case,
            lambda x, g, b, G=G: fwd(x, g, b, G, {"eps": 1e-5}),
            bwd,
            (x, gamma, beta),
            dout,
            ("dx", "dgamma", "dbeta"),
            reference,
            f"x {shape}, G {G}",
            tol=1e-6,
        )


__all__ = [name for name in dir() if name.startswith("check_")]
