#!/usr/bin/env python3
"""Encoding speed of the reference tokenizers on the corpus, one thread, in MB/s of UTF-8.

    python3 scripts/bench_spm.py [model ...]     # defaults: the unigram and bpe fixtures

Compare with the Swift numbers printed by
`swift test -c release --filter SentencePieceParityTests/testSpeed` in the same session.
sentencepiece encodes the whole batch with num_threads=1; Hugging Face tokenizers (unigram
models only, converted with SentencePieceUnigramTokenizer.from_spm) runs encode_batch
with RAYON_NUM_THREADS=1.
"""
import os
import sys
import time

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
import sentencepiece as spm  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SPM = os.path.join(HERE, "..", "Tests", "Fixtures", "tokenizers", "spm")
REPEAT = 5


def best_of(fn, tries=3):
    times = []
    for _ in range(tries):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    with open(os.path.join(SPM, "..", "corpus.txt"), encoding="utf-8", newline="") as f:
        text = f.read()
    lines = text.split("\n")[:-1] * REPEAT
    size = sum(len(l.encode()) for l in lines)
    for name in sys.argv[1:] or ["unigram", "bpe"]:
        path = os.path.join(SPM, f"{name}.model")
        sp = spm.SentencePieceProcessor(model_file=path)
        t = best_of(lambda: sp.encode(lines, num_threads=1))
        print(f"{name}: sentencepiece {size / t / 1e6:.1f} MB/s")
        if "unigram" in name:
            from tokenizers.implementations import SentencePieceUnigramTokenizer
            tok = SentencePieceUnigramTokenizer.from_spm(path)
            t = best_of(lambda: tok.encode_batch(lines))
            print(f"{name}: tokenizers {size / t / 1e6:.1f} MB/s")


if __name__ == "__main__":
    main()
