"""Where the Winograd convolution spends its time: one forward + backward pass, phase by phase.

Run from the repository root::

    python benchmarks/profile_winograd.py                      # the middle-layer shape, float32
    python benchmarks/profile_winograd.py --x 64 64 8 8 --w 128 64 3 3 --tile-size 2

It runs the library's own ``conv_forward_winograd`` and
``conv_backward_winograd`` on one BLAS thread, with a clock around each phase
(each is a method of ``cs231nbook.fast_layers.winograd.WinogradPlan``), grouped into
the per-position matrix products, the tile transforms, and the layout passes
(copies into and out of the canvas and NCHW order). What is left of the pass
(the filter transform, the loop, the bias sum) is the difference, per pass.

Each figure is the median over the passes, and the shares are of the sum of
these medians. On a machine shared with other work, the process is preempted
for a few milliseconds at a time; the medians leave those pauses out (a pause
lands in one phase of one pass), while the median wall time of a pass, printed
first, includes them.

Needs NumPy and threadpoolctl.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from clocks import clocked_methods
from threadpoolctl import threadpool_limits

from cs231nbook.fast_layers.winograd import (
    WinogradPlan,
    conv_backward_winograd,
    conv_forward_winograd,
)

#: Each clocked method of WinogradPlan and the group it belongs to.
PHASES = {
    "products": "products",
    "filter_gradient": "products",
    "tile_gradient": "products",
    "transform_tiles": "transforms",
    "transform_output": "transforms",
    "untransform_output": "transforms",
    "untransform_tiles": "transforms",
    "stack": "layout",
    "gather": "layout",
    "write_output": "layout",
    "read_dout": "layout",
    "overlap_add": "layout",
    "unstack": "layout",
}


def profile(x_shape, w_shape, pad, tile_size, dtype, passes):
    """Median seconds of the whole pass and of each phase, over ``passes`` passes."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    conv_param = {"stride": 1, "pad": pad}
    out, _ = conv_forward_winograd(x, w, b, conv_param, tile_size=tile_size)
    dout = rng.standard_normal(out.shape).astype(dtype)

    def one_pass():
        _, cache = conv_forward_winograd(x, w, b, conv_param, tile_size=tile_size)
        conv_backward_winograd(dout, cache)

    one_pass()  # warm up
    totals, rests, phases = [], [], {name: [] for name in PHASES}
    for _ in range(passes):
        spent = dict.fromkeys(PHASES, 0.0)
        with clocked_methods(WinogradPlan, PHASES, spent):
            start = time.perf_counter()
            one_pass()
            totals.append(time.perf_counter() - start)
        for name in PHASES:
            phases[name].append(spent[name])
        rests.append(totals[-1] - sum(spent.values()))
    medians = {k: statistics.median(v) for k, v in phases.items()}
    return statistics.median(totals), statistics.median(rests), medians


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--x", type=int, nargs=4, default=(64, 32, 16, 16), metavar=("N", "C", "H", "W")
    )
    parser.add_argument(
        "--w", type=int, nargs=4, default=(64, 32, 3, 3), metavar=("F", "C", "HH", "WW")
    )
    parser.add_argument("--pad", type=int, default=1)
    parser.add_argument("--tile-size", type=int, default=4)
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    parser.add_argument("--passes", type=int, default=21)
    args = parser.parse_args(argv)
    with threadpool_limits(limits=1):
        wall, rest, phases = profile(
            tuple(args.x),
            tuple(args.w),
            args.pad,
            args.tile_size,
            np.dtype(args.dtype),
            args.passes,
        )
    print(
        f"x {tuple(args.x)}, w {tuple(args.w)}, pad {args.pad}, F({args.tile_size},3), "
        f"{args.dtype}, 1 thread: {1e3 * wall:.1f} ms per forward + backward (median of "
        f"{args.passes} passes)"
    )
    total = sum(phases.values()) + rest
    print(f"sum of the phases' medians and of the rest: {1e3 * total:.1f} ms")
    groups: dict[str, float] = {}
    for name, seconds in phases.items():
        groups[PHASES[name]] = groups.get(PHASES[name], 0.0) + seconds
        print(f"  {name:<20} {1e3 * seconds:7.2f} ms  {seconds / total:5.1%}")
    for group, seconds in [*groups.items(), ("rest", rest)]:
        print(f"{group:<22} {1e3 * seconds:7.2f} ms  {seconds / total:5.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
