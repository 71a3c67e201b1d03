"""Where the fast convolution spends its time: one forward + backward pass, phase by phase.

Run from the repository root::

    python benchmarks/profile_conv.py                  # the middle-layer shape, float32
    python benchmarks/profile_conv.py --x 64 3 32 32 --w 32 3 3 3

It replays the loop of ``conv_forward_fast`` and ``conv_backward_fast`` on the
same internal layout (``cs231nbook.fast_layers.columns.StackedColumns``) with a
clock around each step, on one BLAS thread, and prints each phase's median time
per pass and its share. The phases are those of the library's loop; a change
there should be mirrored here (the script checks its results against the library).

Needs NumPy and threadpoolctl.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from cs231nbook.fast_layers import conv_backward_fast, conv_forward_fast
from cs231nbook.fast_layers.conv import _Chunks

PHASES = ["stack", "im2col", "product (forward)", "crop into NCHW", "dout into columns' layout",
          "product (filter gradient)", "product (column gradient)", "col2im", "unstack into NCHW"]


def one_pass(x, w, b, dout, stride, pad, clock):
    """Forward and backward, chunk by chunk, as the library runs them; clock(phase) after each step."""
    chunks = _Chunks(x.shape, w.shape, stride, pad, x.dtype)
    layout, F = chunks.layout, chunks.F
    w_rows = chunks.filter_rows(w)  # (F, HH*WW*C)
    out = np.empty((x.shape[0], F, layout.H_out, layout.W_out), dtype=x.dtype)
    dx = np.empty_like(x)
    dw_cols = np.zeros((layout.K, F), dtype=x.dtype)
    n_buffered = 0
    for sl in chunks:
        n = sl.stop - sl.start
        if n != n_buffered:
            stacked, cols, product = chunks.buffer(n), chunks.matrix(layout.K, n), chunks.matrix(F, n)
            dcols, dstacked = chunks.matrix(layout.K, n), chunks.buffer(n)
            d = np.zeros((F, n * layout.M), dtype=x.dtype)
            n_buffered = n
        clock(None)
        layout.stack(x[sl], stacked)
        clock("stack")
        layout.im2col(stacked, n, cols)
        clock("im2col")
        np.matmul(w_rows, cols, out=product)
        product += b.reshape(F, 1)
        clock("product (forward)")
        out[sl].transpose(1, 0, 2, 3)[...] = layout.crop(product, n)
        clock("crop into NCHW")
        layout.crop(d, n)[...] = dout[sl].transpose(1, 0, 2, 3)
        clock("dout into columns' layout")
        dw_cols += cols @ d.T
        clock("product (filter gradient)")
        np.matmul(w_rows.T, d, out=dcols)
        clock("product (column gradient)")
        layout.col2im(dcols, n, dstacked)
        clock("col2im")
        layout.unstack(dstacked, dx[sl])
        clock("unstack into NCHW")
    return out, dx


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--x", type=int, nargs=4, default=[64, 32, 16, 16], metavar=("N", "C", "H", "W"))
    parser.add_argument("--w", type=int, nargs=4, default=[64, 32, 3, 3], metavar=("F", "C", "HH", "WW"))
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
    out_lib, cache = conv_forward_fast(x, w, b, conv_param)
    dout = rng.standard_normal(out_lib.shape).astype(args.dtype)
    dx_lib = conv_backward_fast(dout, cache)[0]

    times: dict[str, list[float]] = {phase: [] for phase in PHASES}
    with threadpool_limits(limits=1):
        for repeat in range(args.passes + 2):  # two warm-up passes
            spent = dict.fromkeys(PHASES, 0.0)
            last = [time.perf_counter()]

            def clock(phase):
                now = time.perf_counter()
                if phase is not None:
                    spent[phase] += now - last[0]
                last[0] = now

            out, dx = one_pass(x, w, b, dout, args.stride, args.pad, clock)
            if repeat >= 2:
                for phase in PHASES:
                    times[phase].append(spent[phase])
    # The replay must compute what the library computes, or its profile means nothing.
    tolerance = 1e-4 if args.dtype == "float32" else 1e-10
    np.testing.assert_allclose(out, out_lib, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(dx, dx_lib, rtol=tolerance, atol=tolerance)

    medians = {phase: 1e3 * float(np.median(t)) for phase, t in times.items()}
    total = sum(medians.values())
    print(f"x {tuple(args.x)}, w {tuple(args.w)}, stride {args.stride}, pad {args.pad}, {args.dtype}, "
          f"1 thread: median of {args.passes} passes")
    for phase, ms in medians.items():
        print(f"  {phase:27s} {ms:7.2f} ms  {ms / total:6.1%}")
    products = sum(ms for phase, ms in medians.items() if phase.startswith("product"))
    print(f"  {'total':27s} {total:7.2f} ms; matrix products {products / total:.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
