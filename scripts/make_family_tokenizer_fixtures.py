#!/usr/bin/env python3
"""Expected tokenizer output for the fixture models' own tokenizers, as transformers loads them.

For each fixture model folder (T5: tokenizer.json with the Precompiled nmt_nfkc normalizer;
BART: byte-level BPE; mBART: SentencePiece BPE with language codes; Marian: source.spm +
target.spm + vocab.json), every line of the tokenizer corpus is encoded with
`AutoTokenizer.from_pretrained(folder)` (special tokens added, as `encode` does by default) and
decoded back with `skip_special_tokens=True`; the results go to
`Tests/Fixtures/<model>/tokenizer.expected.jsonl` (one JSON object per line: ids, text).

    python3 scripts/make_family_tokenizer_fixtures.py
"""
import json
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
from transformers import AutoTokenizer  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures")


def main():
    with open(os.path.join(ROOT, "tokenizers", "corpus.txt"), encoding="utf-8", newline="\n") as f:
        lines = f.read().split("\n")[:-1]
    for model in ("t5-v1_0", "bart", "mbart", "marian"):
        tokenizer = AutoTokenizer.from_pretrained(os.path.join(ROOT, model))
        with open(os.path.join(ROOT, model, "tokenizer.expected.jsonl"), "w", encoding="utf-8") as out:
            for line in lines:
                ids = tokenizer(line)["input_ids"]
                out.write(json.dumps({"ids": ids, "text": tokenizer.decode(ids, skip_special_tokens=True)},
                                     ensure_ascii=False) + "\n")
        print(model, type(tokenizer).__name__, len(lines), "lines")


if __name__ == "__main__":
    main()
