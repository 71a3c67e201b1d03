"""Where the fast convolution spends its time: one forward + backward pass, phase by phase.

Run from the repository root::

    python benchmarks/profile_conv.py                  # the middle-layer shape, float32
    python benchmarks/profile_conv.py --x 64 3 32 32 --w 32 3 3 3

It runs the library's own ``conv_forward_fast`` and ``conv_backward_fast`` (forced onto the
im2col path with ``algorithm="im2col"``: Winograd has its own ``profile_winograd.py``) on
one BLAS thread, with a clock around each method of the stacked layout
(``cs231nbook.fast_layers.stacked.StackedColumns``: stack, im2col, col2im,
unstack). The three matrix products of every chunk are then timed alone, on
arrays of the same shapes. What remains of the pass (the transposes into and
out of NCHW order, the bias, the loop) is the difference, so it is an estimate.
Each figure is the median over the passes.

Needs NumPy and threadpoolctl.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from clocks import clocked_methods
from threadpoolctl import threadpool_limits

from cs231nbook.fast_layers import conv_backward_fast, conv_forward_fast
from cs231nbook.fast_layers.stacked import ChunkPlan, StackedColumns

TIMED_METHODS = ("stack", "im2col", "col2im", "unstack")


def products_alone(x, w, stride, pad):
    """One pass's three matrix products per chunk, on random arrays of the library's shapes."""
    chunks = ChunkPlan(x.shape, w.shape, stride, pad, x.dtype)
    layout, F = chunks.layout, chunks.F
    rng = np.random.default_rng(1)
    w_rows = rng.standard_normal((F, layout.K)).astype(x.dtype)
    arrays = {}
    for sl in chunks:
        n = sl.stop - sl.start
        if n not in arrays:
            arrays[n] = tuple(
                rng.standard_normal((rows, n * layout.M)).astype(x.dtype) for rows in (layout.K, F)
            )
    sizes = [sl.stop - sl.start for sl in chunks]

    def run():
        for n in sizes:
            cols, d = arrays[n]
            np.matmul(w_rows, cols)  # forward
            cols @ d.T  # filter gradient
            np.matmul(w_rows.T, d)  # column gradient

    return run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--x", type=int, nargs=4, default=[64, 32, 16, 16], metavar=("N", "C", "H", "W")
    )
    parser.add_argument(
        "--w", type=int, nargs=4, default=[64, 32, 3, 3], metavar=("F", "C", "HH", "WW")
    )
    parser.add_argument("--stride", type=int, default=1)
    parser.add_argument("--pad", type=int, default=1)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--passes", type=int, default=50)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    x = rng.standard_normal(args.x).astype(args.dtype)
    w = rng.standard_normal(args.w).astype(args.dtype)
    b = rng.standard_normal(args.w[0]).astype(args.dtype)
    conv_param = {"stride": args.stride, "pad": args.pad}
    dout = rng.standard_normal(
        conv_forward_fast(x, w, b, conv_param, algorithm="im2col")[0].shape
    ).astype(args.dtype)
    products = products_alone(x, w, args.stride, args.pad)

    times: dict[str, list[float]] = {name: [] for name in (*TIMED_METHODS, "products", "total")}
    with threadpool_limits(limits=1):
        for repeat in range(args.passes + 2):  # two warm-up passes
            spent = dict.fromkeys(TIMED_METHODS, 0.0)
            with clocked_methods(StackedColumns, TIMED_METHODS, spent):
                start = time.perf_counter()
                conv_backward_fast(
                    dout, conv_forward_fast(x, w, b, conv_param, algorithm="im2col")[1]
                )
                spent["total"] = time.perf_counter() - start
            start = time.perf_counter()
            products()
            spent["products"] = time.perf_counter() - start
            if repeat >= 2:
                for name, seconds in spent.items():
                    times[name].append(seconds)

    ms = {name: 1e3 * float(np.median(t)) for name, t in times.items()}
    total = ms.pop("total")
    rest = total - sum(ms.values())
    print(
        f"x {tuple(args.x)}, w {tuple(args.w)}, stride {args.stride}, pad {args.pad}, {args.dtype}, "
        f"1 thread: median of {args.passes} passes, forward + backward {total:.2f} ms"
    )
    for name in TIMED_METHODS:
        print(f"  {name:42s} {ms[name]:7.2f} ms  {ms[name] / total:6.1%}")
    print(
        f"  {'three matrix products (timed alone)':42s} {ms['products']:7.2f} ms  {ms['products'] / total:6.1%}"
    )
    print(f"  {'the rest (NCHW transposes, bias, loop)':42s} {rest:7.2f} ms  {rest / total:6.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
