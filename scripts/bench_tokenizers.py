#!/usr/bin/env python3
"""Tokenizer throughput: seq2seq vs the `tokenizers` / `sentencepiece` packages, same run.

Every tokenizer in Tests/Fixtures/tokenizers (tokenizer.json pipelines and SentencePiece
models) and the fixture models' tokenizers encode the parity corpus (one call per line, special
tokens added, single thread), repeated to a few MB; best of N passes after a warm-up; MB/s
of UTF-8 input. Prints a Markdown table with the CPU model.

    pip install -r scripts/requirements-bench.txt
    python3 scripts/bench_tokenizers.py [--repeats 5] [--copies 8]
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def reference_encoder(path):
    """A function line -> ids with the reference package, single-threaded."""
    if path.endswith(".json"):
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(path)
        return lambda line: tok.encode(line).ids, "tokenizers"
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=path)
    return lambda line: sp.encode(line), "sentencepiece"


def time_reference(path, lines, repeats):
    encode, engine = reference_encoder(path)
    for line in lines:
        encode(line)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for line in lines:
            encode(line)
        best = min(best, time.perf_counter() - start)
    return best, engine


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--copies", type=int, default=8, help="corpus copies per pass")
    args = parser.parse_args()
    os.environ["RAYON_NUM_THREADS"] = "1"
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    corpus = open(os.path.join(FIXTURES, "tokenizers", "corpus.txt"), encoding="utf-8").read().split("\n")[:-1]
    lines = corpus * args.copies
    mb = sum(len(l.encode()) for l in lines) / 1e6
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("\n".join(lines))
        text_file = f.name
    subprocess.run(["swift", "build", "-c", "release", "--product", "seq2seq-bench"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    paths = sorted(glob.glob(os.path.join(FIXTURES, "tokenizers", "json", "*", "tokenizer.json")))
    paths += sorted(glob.glob(os.path.join(FIXTURES, "tokenizers", "spm", "*.model")))
    paths += [os.path.join(FIXTURES, m, "tokenizer.json") for m in ("t5-v1_0", "bart", "mbart")]
    print(f"CPU: {cpu_model()}; {len(lines)} lines, {mb:.2f} MB per pass; single thread; best of {args.repeats}\n")
    print("| tokenizer | reference | reference MB/s | seq2seq MB/s | ratio |")
    print("|---|---|---:|---:|---:|")
    for path in paths:
        ref_seconds, engine = time_reference(path, lines, args.repeats)
        out = subprocess.run([os.path.join(ROOT, ".build", "release", "seq2seq-bench"), "tokenize", "--tokenizer", path,
                              "--file", text_file, "--repeats", str(args.repeats)], capture_output=True, text=True)
        if out.returncode != 0:
            print(f"| {os.path.relpath(path, FIXTURES)} | {engine} | {mb / ref_seconds:.2f} | failed: {out.stderr.strip()[:80]} | |")
            continue
        ours = json.loads(out.stdout)
        print(f"| {os.path.relpath(path, FIXTURES)} | {engine} | {mb / ref_seconds:.2f} | "
              f"{ours['megabytes_per_second']:.2f} | {ours['megabytes_per_second'] / (mb / ref_seconds):.2f}× |", flush=True)
    os.unlink(text_file)


if __name__ == "__main__":
    main()
