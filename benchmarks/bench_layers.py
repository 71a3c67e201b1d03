"""Speed of the fast convolution and max pooling: against the naive loops and against PyTorch.

The fast convolution runs what ``conv_forward_fast`` chooses for each layer
(``choose_conv_algorithm``: Winograd F(4x4, 3x3) for 3x3 kernels, stride 1 and
at least 16 input channels; im2col otherwise); the rows say which. Where it
chose Winograd, the im2col path is timed in the same rounds too.

Run from the repository root::

    python benchmarks/bench_layers.py            # full run, writes benchmarks/results/
    python benchmarks/bench_layers.py --quick    # fewer rounds, writes nothing unless --out is given

Every comparison is measured side by side in one process: the contenders run
interleaved, round after round (in a rotating order), and each figure is the
median over rounds, so a machine shared with other work slows all of them
alike. Ratios are medians of per-round ratios.

On some processors OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are set in the
environment and slow down a current NumPy; to benchmark, unset both for this
command only: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_layers.py``.
The report says which BLAS kernel threadpoolctl found.

Needs NumPy and threadpoolctl; PyTorch is optional (its rows are skipped without it).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from cs231nbook.fast_layers import (
    choose_conv_algorithm,
    conv_backward_fast,
    conv_forward_fast,
    max_pool_backward_fast,
    max_pool_forward_fast,
    stacked,
    winograd,
)
from cs231nbook.layers import (
    conv_backward_naive,
    conv_forward_naive,
    max_pool_backward_naive,
    max_pool_forward_naive,
)

try:
    import torch
except ImportError:  # the PyTorch rows are optional
    torch = None

RESULTS = Path(__file__).resolve().parent / "results"

# The layers compared with PyTorch: (name, x shape, w shape or None for pooling, stride, pad).
TORCH_CASES = [
    ("conv, CIFAR first layer", (64, 3, 32, 32), (32, 3, 3, 3), 1, 1),
    ("conv, middle layer", (64, 32, 16, 16), (64, 32, 3, 3), 1, 1),
    ("conv, deeper layer", (64, 64, 8, 8), (128, 64, 3, 3), 1, 1),
    ("max pool 2x2/2", (64, 32, 32, 32), None, 2, 0),
]

# Targets for the fast convolution against PyTorch's default (oneDNN), float32, 1 thread.
TARGET_VS_DEFAULT = {
    "conv, CIFAR first layer": 0.9,
    "conv, middle layer": 1.0,
    "conv, deeper layer": 0.85,
}


# ----------------------------------------------------------------------------- machine
def machine_info() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = [
        {
            k: lib.get(k)
            for k in ("internal_api", "version", "architecture", "threading_layer", "num_threads")
        }
        for lib in threadpool_info()
        if lib.get("user_api") == "blas"
    ]
    return {
        "date": datetime.date.today().isoformat(),
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas,
        "torch": torch.__version__ if torch is not None else None,
        "torch_default_threads": torch.get_num_threads() if torch is not None else None,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
        "load_average_at_start": [
            round(v, 2) for v in os.getloadavg()
        ],  # other work on the machine
        "column_chunk_bytes": stacked.CHUNK_BYTES,
        "column_cap_bytes": stacked.DEFAULT_COLUMN_CAP_BYTES,
        "winograd_block_bytes": winograd.BLOCK_BYTES,
    }


# ----------------------------------------------------------------------------- timing
def interleaved(contenders: dict, rounds: int, warmup: int = 2) -> dict[str, list[float]]:
    """Seconds per call of each contender, measured round-robin in a rotating order."""
    names = list(contenders)
    for _ in range(warmup):
        for name in names:
            contenders[name]()
    times = {name: [] for name in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            start = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - start)
    return times


def median_ratio(a: list[float], b: list[float]) -> float:
    """Median over rounds of a[r] / b[r]: how many times slower a is than b."""
    return statistics.median(x / y for x, y in zip(a, b))


# ----------------------------------------------------------------------------- contenders
def conv_flops(x_shape, w_shape, stride, pad) -> int:
    """Multiply-adds x 2 of forward, filter gradient and input gradient (three equal products)."""
    N, C, H, W = x_shape
    F, _, HH, WW = w_shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    return 3 * 2 * N * F * C * HH * WW * H_out * W_out


def numpy_contenders(x_shape, w_shape, stride, pad, dtype, rng, algorithm="auto"):
    x = rng.standard_normal(x_shape).astype(dtype)
    if w_shape is None:
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": stride}
        out, _ = max_pool_forward_fast(x, pool_param)
        dout = rng.standard_normal(out.shape).astype(dtype)

        def fast():
            _, cache = max_pool_forward_fast(x, pool_param)
            max_pool_backward_fast(dout, cache)

        def naive():
            _, cache = max_pool_forward_naive(x, pool_param)
            max_pool_backward_naive(dout, cache)

        return fast, naive, (x, None, None, dout)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    conv_param = {"stride": stride, "pad": pad}
    out, _ = conv_forward_fast(x, w, b, conv_param)
    dout = rng.standard_normal(out.shape).astype(dtype)

    def fast():
        _, cache = conv_forward_fast(x, w, b, conv_param, algorithm=algorithm)
        conv_backward_fast(dout, cache)

    def naive():
        _, cache = conv_forward_naive(x, w, b, conv_param)
        conv_backward_naive(dout, cache)

    return fast, naive, (x, w, b, dout)


def torch_contender(arrays, stride, pad, im2col_path: bool = False):
    """Forward + backward through autograd, gradients for every input (as the NumPy layers compute)."""
    x, w, b, dout = arrays
    tx = torch.from_numpy(x.copy()).requires_grad_()
    g = torch.from_numpy(dout.copy())
    if w is None:

        def run():
            torch.nn.functional.max_pool2d(tx, kernel_size=2, stride=stride).backward(g)
            tx.grad = None

        return run
    tw = torch.from_numpy(w.copy()).requires_grad_()
    tb = torch.from_numpy(b.copy()).requires_grad_()

    def run():
        torch.nn.functional.conv2d(tx, tw, tb, stride=stride, padding=pad).backward(g)
        tx.grad = tw.grad = tb.grad = None

    if not im2col_path:
        return run

    def run_without_onednn():
        # PyTorch's own im2col + BLAS path ("slow_conv2d"), as opposed to oneDNN.
        with torch.backends.mkldnn.flags(enabled=False):
            run()

    return run_without_onednn


def matmul_contender(x_shape, w_shape, stride, pad, dtype, rng):
    """A NumPy matmul as large as one of the convolution's three products: the BLAS peak to compare with."""
    N, C, H, W = x_shape
    F, _, HH, WW = w_shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    a = rng.standard_normal((F, C * HH * WW)).astype(dtype)
    c = rng.standard_normal((C * HH * WW, N * H_out * W_out)).astype(dtype)
    return lambda: a @ c, 2 * F * C * HH * WW * N * H_out * W_out


# ----------------------------------------------------------------------------- sections
def bench_naive_vs_fast(rounds: int) -> list[dict]:
    """The classic CS231n shapes, float64. The naive loops take seconds: few rounds."""
    rng = np.random.default_rng(0)
    rows = []
    cases = [
        ("conv x (100,3,31,31) w (25,3,3,3) stride 2 pad 1", (100, 3, 31, 31), (25, 3, 3, 3), 2, 1),
        ("max pool x (100,3,32,32) 2x2 stride 2", (100, 3, 32, 32), None, 2, 0),
    ]
    for name, x_shape, w_shape, stride, pad in cases:
        fast, naive, _ = numpy_contenders(x_shape, w_shape, stride, pad, np.float64, rng)
        times = interleaved({"naive": naive, "fast": fast}, rounds, warmup=1)
        rows.append(
            {
                "case": name,
                "naive_ms": 1e3 * statistics.median(times["naive"]),
                "fast_ms": 1e3 * statistics.median(times["fast"]),
                "speedup": median_ratio(times["naive"], times["fast"]),
                "rounds": rounds,
            }
        )
        print(
            f"  {name}: naive {rows[-1]['naive_ms']:.0f} ms, fast {rows[-1]['fast_ms']:.2f} ms, "
            f"{rows[-1]['speedup']:.0f}x",
            flush=True,
        )
    return rows


def bench_against_torch(rounds: int, threads_list, dtypes) -> list[dict]:
    rows = []
    for dtype in dtypes:
        for threads in threads_list:
            torch.set_num_threads(threads)
            with threadpool_limits(limits=threads):
                for name, x_shape, w_shape, stride, pad in TORCH_CASES:
                    rng = np.random.default_rng(1)
                    fast, _, arrays = numpy_contenders(x_shape, w_shape, stride, pad, dtype, rng)
                    contenders = {"fast": fast, "torch": torch_contender(arrays, stride, pad)}
                    algorithm = None
                    if w_shape is not None:
                        algorithm = choose_conv_algorithm(
                            x_shape[1], w_shape[2], w_shape[3], stride
                        )
                        if algorithm != "im2col":  # the im2col path too, in the same rounds
                            contenders["im2col"] = numpy_contenders(
                                x_shape,
                                w_shape,
                                stride,
                                pad,
                                dtype,
                                np.random.default_rng(1),
                                algorithm="im2col",
                            )[0]
                        contenders["torch_im2col"] = torch_contender(
                            arrays, stride, pad, im2col_path=True
                        )
                        matmul, matmul_flops = matmul_contender(
                            x_shape, w_shape, stride, pad, dtype, rng
                        )
                        contenders["matmul"] = matmul
                    times = interleaved(contenders, rounds)
                    med = {k: statistics.median(v) for k, v in times.items()}
                    row = {
                        "layer": name,
                        "dtype": np.dtype(dtype).name,
                        "threads": threads,
                        "fast_ms": 1e3 * med["fast"],
                        "torch_ms": 1e3 * med["torch"],
                        "fast_over_torch": median_ratio(times["fast"], times["torch"]),
                        "rounds": rounds,
                    }
                    if w_shape is not None:
                        row["algorithm"] = algorithm
                        if "im2col" in contenders:
                            row["im2col_ms"] = 1e3 * med["im2col"]
                            row["im2col_over_torch"] = median_ratio(times["im2col"], times["torch"])
                        flops = conv_flops(x_shape, w_shape, stride, pad)
                        matmul_gflops = matmul_flops / med["matmul"] / 1e9
                        row.update(
                            {
                                "torch_im2col_ms": 1e3 * med["torch_im2col"],
                                "fast_over_torch_im2col": median_ratio(
                                    times["fast"], times["torch_im2col"]
                                ),
                                "fast_gflops": flops / med["fast"] / 1e9,
                                "matmul_gflops": matmul_gflops,
                                "share_of_matmul": flops / med["fast"] / 1e9 / matmul_gflops,
                            }
                        )
                    rows.append(row)
                    print(
                        "  "
                        + ", ".join(
                            f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                            for k, v in row.items()
                        ),
                        flush=True,
                    )
    return rows


def bench_memory() -> dict:
    """Peak memory of forward + backward on a batch whose full column matrix is several times the cap."""
    x_shape, w_shape, stride, pad = (2048, 16, 32, 32), (16, 16, 3, 3), 1, 1
    rng = np.random.default_rng(2)
    x = rng.standard_normal(x_shape, dtype=np.float32)
    w = rng.standard_normal(w_shape, dtype=np.float32)
    b = np.zeros(16, dtype=np.float32)
    dout = rng.standard_normal((2048, 16, 32, 32), dtype=np.float32)
    N, C, H, W = x_shape
    full_columns = (
        C * 9 * N * H * W * 4
    )  # the whole batch's columns, (C*HH*WW, N*H_out*W_out), float32
    tracemalloc.start()
    start = time.perf_counter()
    out, cache = conv_forward_fast(x, w, b, {"stride": stride, "pad": pad}, algorithm="im2col")
    dx, dw, db = conv_backward_fast(dout, cache)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    results = out.nbytes + dx.nbytes + dw.nbytes + db.nbytes
    del out, cache, dx, dw, db
    # The same pass by Winograd: its working memory is a few blocks of images.
    tracemalloc.start()
    start = time.perf_counter()
    out, cache = conv_forward_fast(x, w, b, {"stride": stride, "pad": pad}, algorithm="winograd")
    dx, dw, db = conv_backward_fast(dout, cache)
    winograd_seconds = time.perf_counter() - start
    winograd_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    row = {
        "x_shape": list(x_shape),
        "w_shape": list(w_shape),
        "dtype": "float32",
        "full_column_matrix_MiB": full_columns / 2**20,
        "cap_MiB": stacked.DEFAULT_COLUMN_CAP_BYTES / 2**20,
        "chunk_MiB": stacked.CHUNK_BYTES / 2**20,
        "peak_traced_MiB": peak / 2**20,
        "outputs_MiB": results / 2**20,
        "working_MiB": (peak - results) / 2**20,
        "seconds": seconds,
        "winograd_peak_traced_MiB": winograd_peak / 2**20,
        "winograd_working_MiB": (winograd_peak - results) / 2**20,
        "winograd_block_MiB": winograd.BLOCK_BYTES / 2**20,
        "winograd_seconds": winograd_seconds,
    }
    print(
        "  "
        + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items())
    )
    return row


# ----------------------------------------------------------------------------- report
def markdown(report: dict) -> str:
    m = report["machine"]
    blas = (
        "; ".join(
            f"{b['internal_api']} {b['version']}, kernel {b['architecture']}, "
            f"{b['threading_layer']}"
            for b in m["blas"]
        )
        or "none found"
    )
    lines = [
        "# Benchmark: fast layers (pure NumPy) vs naive loops and PyTorch CPU",
        "",
        f"Measured {m['date']} on {m['cpu']} ({m['logical_cpus']} logical CPUs), Python {m['python']}, "
        f"NumPy {m['numpy']} with {blas}; PyTorch {m['torch']}. "
        f"OPENBLAS_CORETYPE={m['OPENBLAS_CORETYPE']}, OPENBLAS_L2_SIZE={m['OPENBLAS_L2_SIZE']}. "
        f"Column chunk {m['column_chunk_bytes'] / 2**20:g} MiB, cap {m['column_cap_bytes'] / 2**20:g} MiB. "
        f"Load average (1, 5, 15 min) at the start: {m['load_average_at_start']}, at the end: "
        f"{report.get('load_average_at_end')}: other work shared the machine.",
        "",
        "All times are forward + backward (gradients for every input), medians over interleaved rounds; "
        "ratios are medians of per-round ratios (below 1: the fast layer is faster).",
        "",
        "## Naive loops vs fast layers (float64, 1 BLAS thread)",
        "",
        "| case | naive (ms) | fast (ms) | speed-up |",
        "|---|---:|---:|---:|",
    ]
    for r in report["naive_vs_fast"]:
        lines.append(
            f"| {r['case']} | {r['naive_ms']:.0f} | {r['fast_ms']:.2f} | {r['speedup']:.0f}x |"
        )
    if report["torch"]:
        lines += [
            "",
            "## Fast layers vs PyTorch CPU",
            "",
            "`torch` is PyTorch's default (oneDNN for float32 convolution); `torch im2col` is its "
            "im2col + BLAS path (`torch.backends.mkldnn.flags(enabled=False)`). GFLOP/s counts the "
            "three products (forward, filter and input gradients); the last column compares it with "
            "a NumPy matmul of one product's size, measured in the same rounds. For Winograd, GFLOP/s "
            "counts the direct convolution's products (an effective rate: Winograd does fewer), so "
            "the share can exceed 100%. `algorithm` is what `conv_forward_fast` chose; where it chose "
            "Winograd, `im2col / torch` is the im2col path measured in the same rounds.",
            "",
            "| layer | dtype | threads | algorithm | fast (ms) | torch (ms) | fast / torch "
            "| im2col / torch | torch im2col (ms) | fast / torch im2col | fast GFLOP/s "
            "| share of matmul |",
            "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in report["torch"]:
            conv = "torch_im2col_ms" in r
            lines.append(
                f"| {r['layer']} | {r['dtype']} | {r['threads']} | {r.get('algorithm', '-')} "
                f"| {r['fast_ms']:.2f} | {r['torch_ms']:.2f} | {r['fast_over_torch']:.2f} | "
                + (f"{r['im2col_over_torch']:.2f} | " if "im2col_over_torch" in r else "- | ")
                + (
                    f"{r['torch_im2col_ms']:.2f} | {r['fast_over_torch_im2col']:.2f} | "
                    f"{r['fast_gflops']:.0f} | {r['share_of_matmul']:.0%} |"
                    if conv
                    else "- | - | - | - |"
                )
            )
        lines += ["", "## Targets (float32, 1 thread)", ""]
        repeats = report.get("targets_repeat", [])
        if repeats:
            lines += [
                f"Measured in the table above, then again in {len(repeats)} repeat run(s) of the "
                "float32, 1-thread rows at the end of the same session.",
                "",
            ]
        for i, t in enumerate(report["targets"]):
            again = "".join(
                f"; repeat: {run[i]['measured']:.3f} ({'met' if run[i]['met'] else 'MISSED'})"
                for run in repeats
            )
            lines.append(
                f"- {t['what']}: {t['measured']:.3f} (target {t['target']}) - "
                f"{'met' if t['met'] else 'MISSED'}{again}"
            )
    mem = report["memory"]
    lines += [
        "",
        "## Bounded memory",
        "",
        f"Forward + backward, x {tuple(mem['x_shape'])}, w {tuple(mem['w_shape'])}, {mem['dtype']}: the whole "
        f"batch's column matrix would take {mem['full_column_matrix_MiB']:.0f} MiB "
        f"({mem['full_column_matrix_MiB'] / mem['cap_MiB']:.1f} times the {mem['cap_MiB']:.0f} MiB cap). "
        f"Peak traced memory (tracemalloc): {mem['peak_traced_MiB']:.0f} MiB, of which "
        f"{mem['outputs_MiB']:.0f} MiB are the results (out, dx, dw, db) and "
        f"{mem['working_MiB']:.1f} MiB working buffers ({mem['chunk_MiB']:g} MiB chunks). "
        f"Time: {mem['seconds']:.2f} s.",
        "",
    ]
    if "winograd_peak_traced_MiB" in mem:
        lines += [
            f"The same pass by Winograd (forced): peak {mem['winograd_peak_traced_MiB']:.0f} MiB, "
            f"{mem['winograd_working_MiB']:.1f} MiB working buffers "
            f"({mem['winograd_block_MiB']:g} MiB blocks of transformed tiles). "
            f"Time: {mem['winograd_seconds']:.2f} s.",
            "",
        ]
    return "\n".join(lines)


def targets(rows) -> list[dict]:
    out = []
    for r in rows:
        if r["dtype"] != "float32" or r["threads"] != 1:
            continue
        if "torch_im2col_ms" in r:
            out.append(
                {
                    "what": f"{r['layer']}: fast / torch im2col",
                    "measured": r["fast_over_torch_im2col"],
                    "target": "<= 1.25",
                    "met": r["fast_over_torch_im2col"] <= 1.25,
                }
            )
            limit = TARGET_VS_DEFAULT.get(r["layer"], 2)
            out.append(
                {
                    "what": f"{r['layer']} ({r.get('algorithm', 'im2col')}): fast / torch default",
                    "measured": r["fast_over_torch"],
                    "target": f"<= {limit}",
                    "met": r["fast_over_torch"] <= limit,
                }
            )
        else:
            out.append(
                {
                    "what": f"{r['layer']}: fast / torch",
                    "measured": r["fast_over_torch"],
                    "target": "<= 1",
                    "met": r["fast_over_torch"] <= 1,
                }
            )
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="few rounds; write nothing unless --out"
    )
    parser.add_argument(
        "--rounds", type=int, default=None, help="rounds for the PyTorch comparison"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="stem of the result files (.md, .json)"
    )
    parser.add_argument(
        "--repeat-targets",
        type=int,
        default=1,
        help="extra runs of the float32, 1-thread comparisons (default 1)",
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (5 if args.quick else 41)
    out_stem = args.out or (None if args.quick else RESULTS / "bench_layers")
    warnings.filterwarnings(
        "ignore", module="torch"
    )  # the mkldnn flag toggle warns about TF32 on GPUs

    report = {"machine": machine_info()}
    print("machine:", json.dumps(report["machine"]), flush=True)
    print("naive vs fast:", flush=True)
    with threadpool_limits(limits=1):
        report["naive_vs_fast"] = bench_naive_vs_fast(1 if args.quick else 3)
    report["torch"] = []
    if torch is not None:
        print("fast vs torch:", flush=True)
        report["torch"] = bench_against_torch(rounds, (1, 2), (np.float32, np.float64))
        report["targets"] = targets(report["torch"])
        # The target rows once more, later in the session: one run can be lucky or unlucky.
        report["targets_repeat"] = []
        for _ in range(args.repeat_targets):
            print("fast vs torch, float32, 1 thread, repeated:", flush=True)
            report["targets_repeat"].append(
                targets(bench_against_torch(rounds, (1,), (np.float32,)))
            )
    print("memory:", flush=True)
    with threadpool_limits(limits=1):
        report["memory"] = bench_memory()
    report["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    text = markdown(report)
    print()
    print(text)
    if out_stem is not None:
        out_stem.parent.mkdir(parents=True, exist_ok=True)
        out_stem.with_suffix(".md").write_text(text)
        out_stem.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
        print(f"wrote {out_stem.with_suffix('.md')} and {out_stem.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
