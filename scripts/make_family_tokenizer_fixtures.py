#!/usr/bin/env python3
"""Expected tokenizer output for the fixture models' own tokenizers, as transformers loads them.

For each fixture model folder (T5: tokenizer.json with the Precompiled nmt_nfkc normalizer;
BART: byte-level BPE; mBART: SentencePiece BPE with language codes; Marian: source.spm +
target.spm + vocab.json; M2M-100: sentencepiece.bpe.model + vocab.json + `__en__` codes; NLLB:
tokenizer.json with `eng_Latn` codes, also in its legacy layout; Pegasus: SentencePiece unigram
behind 103 reserved ids), every line of the tokenizer corpus is encoded with
`AutoTokenizer.from_pretrained(folder)` (special tokens added, as `encode` does by default) and
decoded back with `skip_special_tokens=True`; the results go to
`Tests/Fixtures/<model>/tokenizer.expected.jsonl` (one JSON object per line: ids, text). The
families added later also record the text with special tokens kept, the decoding of random id
sequences (language codes included), and — for the language-code tokenizers —
`languages.json`: lines encoded with other source languages and the id of each target code.

    python3 scripts/make_family_tokenizer_fixtures.py [model ...]
"""
import json
import os
import random
import shutil
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
from transformers import AutoTokenizer  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures")
# Families whose fixtures also hold texts with special tokens kept and random-id decodings.
DETAILED = ("m2m100", "nllb", "nllb-legacy", "pegasus")
LANGUAGES = {"m2m100": (["de", "pt", "zh"], ["fr", "en", "ja"]),
             "nllb": (["fra_Latn", "deu_Latn", "zho_Hans"], ["por_Latn", "eng_Latn", "zul_Latn"]),
             "nllb-legacy": (["fra_Latn", "deu_Latn"], ["por_Latn"])}


def nllb_legacy():
    """The NLLB fixture's tokenizer with `legacy_behaviour=True` (code after the text)."""
    folder = os.path.join(ROOT, "nllb-legacy")
    shutil.rmtree(folder, ignore_errors=True)
    AutoTokenizer.from_pretrained(os.path.join(ROOT, "nllb"), legacy_behaviour=True).save_pretrained(folder)


def main():
    with open(os.path.join(ROOT, "tokenizers", "corpus.txt"), encoding="utf-8", newline="\n") as f:
        lines = f.read().split("\n")[:-1]
    models = sys.argv[1:] or ["t5-v1_0", "bart", "mbart", "marian", "m2m100", "nllb", "nllb-legacy", "pegasus"]
    if "nllb-legacy" in models:
        nllb_legacy()
    for model in models:
        folder = os.path.join(ROOT, model)
        tokenizer = AutoTokenizer.from_pretrained(folder)
        detailed = model in DETAILED
        with open(os.path.join(folder, "tokenizer.expected.jsonl"), "w", encoding="utf-8") as out:
            for line in lines:
                ids = tokenizer(line)["input_ids"]
                record = {"ids": ids, "text": tokenizer.decode(ids, skip_special_tokens=True)}
                if detailed:
                    record["text_with_special"] = tokenizer.decode(ids, skip_special_tokens=False)
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            if detailed:
                rng = random.Random(7)
                size = json.load(open(os.path.join(folder, "config.json")))["vocab_size"] if os.path.exists(
                    os.path.join(folder, "config.json")) else len(tokenizer)
                for _ in range(300):
                    ids = [rng.randrange(size) for _ in range(rng.randint(1, 12))]
                    out.write(json.dumps({"decode": ids, "text": tokenizer.decode(ids, skip_special_tokens=True),
                                          "text_with_special": tokenizer.decode(ids, skip_special_tokens=False)},
                                         ensure_ascii=False) + "\n")
        if model in LANGUAGES:
            sources, targets = LANGUAGES[model]
            cases = []
            for code in sources:
                tokenizer.src_lang = code
                for line in lines[:40]:
                    cases.append({"source_lang": code, "text": line, "ids": tokenizer(line)["input_ids"]})
            ids = {code: (tokenizer.get_lang_id(code) if hasattr(tokenizer, "get_lang_id")
                          else tokenizer.convert_tokens_to_ids(code)) for code in sources + targets}
            with open(os.path.join(folder, "languages.json"), "w", encoding="utf-8") as out:
                json.dump({"cases": cases, "code_ids": ids}, out, ensure_ascii=False)
        print(model, type(tokenizer).__name__, len(lines), "lines")


if __name__ == "__main__":
    main()
