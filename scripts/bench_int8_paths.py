#!/usr/bin/env python3
"""Int8 products on every kernel path this CPU runs, against the float32 product, as a Markdown table.

`seq2seq-bench gemm` times `PackedMatrix.apply` (weight packed once, as the layers use it) on
decode-step shapes (few rows), beam/batch shapes and prefill shapes, for the float32 kernel
and each int8 path (`--int8-path`: avx2, avx512bw, avxVNNI, avx512VNNI, amx). The engines take
turns for --rounds rounds so that load from other processes hits all alike; the best round
counts. Paths the CPU lacks are left out.

    swift build -c release --product seq2seq-bench
    python3 scripts/bench_int8_paths.py [--threads 1] [--rounds 3]
"""
import argparse
import json
import os
import subprocess

from bench_models import cpu_model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, ".build", "release", "seq2seq-bench")
SHAPES = [(1, 2048, 512), (8, 2048, 512), (64, 512, 512), (64, 58101, 512), (256, 2048, 512), (1500, 1536, 384)]
PATHS = ["avx2", "avx512bw", "avxVNNI", "avx512VNNI", "amx"]


def run(shape, threads, path):
    command = [BENCH, "gemm", "--threads", str(threads), "--shape", ",".join(map(str, shape)), "--repeats", "3"]
    if path != "float32":
        command += ["--compute-type", "int8", "--int8-path", path]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])["gflops"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    engines = ["float32"] + [p for p in PATHS if run((1, 16, 16), 1, p) is not None]
    best = {}
    for _ in range(args.rounds):
        for shape in SHAPES:
            for engine in engines:
                value = run(shape, args.threads, engine)
                if value is not None:
                    best[(shape, engine)] = max(best.get((shape, engine), 0), value)
    print(f"CPU: {cpu_model()}; {args.threads} thread(s); best of {args.rounds} rounds; G(FL)OPS = 2·m·n·k / s\n")
    print("| m × n × k | " + " | ".join(f"{e} G(FL)OPS" for e in engines) + " | " +
          " | ".join(f"{e} / float32" for e in engines[1:]) + " |")
    print("|---" * (2 * len(engines)) + "|")
    for shape in SHAPES:
        f32 = best.get((shape, "float32"), 0)
        cells = [f"{best.get((shape, e), 0):.1f}" for e in engines]
        ratios = [f"{best.get((shape, e), 0) / f32:.2f}×" if f32 else "–" for e in engines[1:]]
        print(f"| {shape[0]} × {shape[1]} × {shape[2]} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")


if __name__ == "__main__":
    main()
