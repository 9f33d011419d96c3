#!/usr/bin/env python3
"""`seq2seq convert --quantize int8` on the benchmark models: size on disk, and the wall time and
peak memory (GNU time) of one whole `seq2seq generate --compute-type int8` process (load, then 20 tokens
with beam 4) on the original float32 folder against the converted int8 folder, and whether
the two outputs are identical. The models are scripts/bench_models.py's (built there if absent);
CTranslate2's own int8 conversion of the same model is listed for its size.

    pip install -r scripts/requirements-bench.txt
    swift build -c release --product seq2seq
    python3 scripts/bench_convert.py [--repeats 5] [--models marian,t5-small]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_models import CACHE, ROOT, build_models, cpu_model  # noqa: E402

BINARY = os.path.join(ROOT, ".build", "release", "seq2seq")


def folder_bytes(folder):
    return sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))


def run(folder, repeats):
    """Median wall seconds and the largest peak RSS (MB) of `repeats` generate processes, and the output."""
    command = [BINARY, "generate", "--model", folder, "--compute-type", "int8", "--input-ids", "13 7 42 99 5 1",
               "--max-new-tokens", "20", "--num-beams", "4", "--threads", "2", "--json"]
    times, peaks, output = [], [], None
    for _ in range(repeats):
        # GNU time reports the peak of the program itself (a forked child's own counter would
        # start from this Python process's memory).
        start = time.perf_counter()
        child = subprocess.run(["/usr/bin/time", "-f", "%M"] + command, capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - start)
        peaks.append(int(child.stderr.strip().splitlines()[-1]) / 1024)
        output = child.stdout
    return statistics.median(times), max(peaks), output


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="marian,t5-small")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    names = args.models.split(",")
    build_models(names)
    print(f"CPU: {cpu_model()}\n")
    print("| model | float32 folder MB | int8 folder MB | CTranslate2 int8 MB | convert s | float32 folder at int8: s / peak MB | int8 folder: s / peak MB | time ratio | outputs identical |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    scratch = tempfile.mkdtemp(prefix="bench-convert-")
    try:
        for name in names:
            original = os.path.join(CACHE, name, "hf")
            converted = os.path.join(scratch, name)
            start = time.perf_counter()
            subprocess.run([BINARY, "convert", "--quantize", "int8", original, converted], check=True, capture_output=True)
            convert_seconds = time.perf_counter() - start
            b_time, b_peak, b_out = run(converted, args.repeats)
            a_time, a_peak, a_out = run(original, args.repeats)
            ct2 = os.path.join(CACHE, name, "ct2-int8")
            ct2_mb = f"{folder_bytes(ct2) / 1e6:.1f}" if os.path.isdir(ct2) else "–"
            print(f"| {name} | {folder_bytes(original) / 1e6:.1f} | {folder_bytes(converted) / 1e6:.1f} | {ct2_mb} | {convert_seconds:.2f} | "
                  f"{a_time:.2f} / {a_peak:.0f} | {b_time:.2f} / {b_peak:.0f} | {a_time / b_time:.2f}× | {'yes' if a_out == b_out else 'NO'} |")
    finally:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
