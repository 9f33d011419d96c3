#!/usr/bin/env python3
"""Float32 GEMM: Seq2Seq (`seq2seq-bench gemm`) against numpy/OpenBLAS, as a Markdown table.

Both sides run the same shapes with 1 and 2 threads and report the best of several samples
(each sample the mean over enough calls to last --min-seconds). The two engines take turns for
--rounds rounds, so that load from other processes on the machine hits both alike; the best
round counts. numpy's thread count is pinned with OPENBLAS_NUM_THREADS in a fresh subprocess. For weight-like shapes numpy gets
the faster of `x @ W.T` (nn.Linear layout) and `x @ B` (contiguous [k, n]).

    python3 scripts/bench_gemm.py                 # builds the bench in release, then runs
    python3 scripts/bench_gemm.py --no-build --repeats 7
    python3 scripts/bench_gemm.py --path avx2     # force Seq2Seq's AVX2 kernels
"""
import argparse
import json
import os
import subprocess
import sys

try:
    import numpy
except ImportError:
    numpy = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (m, n, k, weight-like): squares use GEMM.multiply, weight-like shapes PackedMatrix.apply.
SHAPES = [(256, 256, 256, False), (512, 512, 512, False), (1024, 1024, 1024, False), (2048, 2048, 2048, False),
          (1, 2048, 512, True), (32, 512, 512, True), (1500, 1536, 384, True), (8, 58101, 512, True)]

NUMPY_CHILD = r"""
import json, sys, time
import numpy as np
shapes, repeats, min_seconds = json.loads(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
rng = np.random.default_rng(7)

def best_time(f):
    f()
    start = time.perf_counter(); f(); once = time.perf_counter() - start
    iterations = max(1, int(min_seconds / max(once, 1e-7)))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iterations):
            f()
        best = min(best, (time.perf_counter() - start) / iterations)
    return best

try:
    from threadpoolctl import threadpool_info
    info = [i for i in threadpool_info() if i.get("internal_api") == "openblas"][0]
    print(json.dumps({"openblas": info.get("version"), "architecture": info.get("architecture"),
                      "num_threads": info.get("num_threads")}), flush=True)
except Exception:
    pass

for m, n, k, weight in shapes:
    a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
    if weight:
        w = rng.uniform(-1, 1, (n, k)).astype(np.float32)
        b = np.ascontiguousarray(w.T)
        out = np.empty((m, n), np.float32)
        t = min(best_time(lambda: np.matmul(a, w.T, out=out)), best_time(lambda: np.matmul(a, b, out=out)))
    else:
        b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
        out = np.empty((m, n), np.float32)
        t = best_time(lambda: np.matmul(a, b, out=out))
    print(json.dumps({"m": m, "n": n, "k": k, "seconds": t, "gflops": 2 * m * n * k / t / 1e9}), flush=True)
"""


def cpu_model():
    fields = {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            if ":" in line:
                key, value = (s.strip() for s in line.split(":", 1))
                fields.setdefault(key, value)
            elif fields:
                break
    flags = fields.get("flags", "").split()
    isa = "AVX-512" if "avx512f" in flags else ("AVX2+FMA" if "avx2" in flags and "fma" in flags else "no AVX2")
    return f"{fields.get('model name', '?')} (family {fields.get('cpu family', '?')}, model {fields.get('model', '?')}, {isa})"


def numpy_run(threads, repeats, min_seconds):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    shapes = json.dumps([list(s) for s in SHAPES])
    out = subprocess.run([sys.executable, "-c", NUMPY_CHILD, shapes, str(repeats), str(min_seconds)],
                         env=env, check=True, capture_output=True, text=True).stdout
    records = [json.loads(line) for line in out.splitlines()]
    for r in records:
        if "openblas" in r:
            numpy_run.openblas = f"OpenBLAS {r['openblas']} ({r['architecture']} kernels)"
    return {(r["m"], r["n"], r["k"]): r for r in records if "m" in r}


numpy_run.openblas = "OpenBLAS (install threadpoolctl to see its kernels)"


def swift_run(binary, threads, repeats, min_seconds, path):
    out = subprocess.run([binary, "gemm", "--threads", str(threads), "--repeats", str(repeats),
                          "--min-seconds", str(min_seconds), "--path", path],
                         check=True, capture_output=True, text=True).stdout
    return {(r["m"], r["n"], r["k"]): r for r in map(json.loads, out.splitlines())}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--repeats", type=int, default=5, help="samples per shape; the best is kept")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of both engines")
    parser.add_argument("--min-seconds", type=float, default=0.05, help="minimum duration of one sample")
    parser.add_argument("--path", default="best", help="Seq2Seq micro-kernel: best, avx2, avx512, scalar")
    parser.add_argument("--no-build", action="store_true", help="use the existing release binary")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/seq2seq-bench"))
    args = parser.parse_args()
    if not args.no_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "seq2seq-bench"], cwd=ROOT, check=True)

    print(f"CPU: {cpu_model()}")
    rows = []
    for threads in (int(t) for t in args.threads.split(",")):
        ours, theirs = {}, {}
        for _ in range(args.rounds):
            keep_best(ours, swift_run(args.binary, threads, args.repeats, args.min_seconds, args.path))
            keep_best(theirs, numpy_run(threads, args.repeats, args.min_seconds))
        rows += [(threads, ours[s[:3]], theirs[s[:3]]) for s in SHAPES]
    print(f"numpy {numpy.__version__ if numpy else '?'}: {numpy_run.openblas}\n")
    print("| m×k · k×n | Seq2Seq op | threads | path | Seq2Seq GFLOP/s | numpy GFLOP/s | ratio |")
    print("|---|---|---:|---|---:|---:|---:|")
    for threads, o, t in rows:
        m, n, k = o["m"], o["n"], o["k"]
        print(f"| {m}×{k} · {k}×{n} | {o['op']} | {threads} | {o['path']} | {o['gflops']:.1f} | "
              f"{t['gflops']:.1f} | {o['gflops'] / t['gflops']:.2f} |", flush=True)


def keep_best(best, results):
    for key, record in results.items():
        if key not in best or record["gflops"] > best[key]["gflops"]:
            best[key] = record


if __name__ == "__main__":
    main()
