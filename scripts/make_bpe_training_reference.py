#!/usr/bin/env python3
"""Records what Hugging Face makes of the tokenizer our BPETrainer learned, for the Swift parity
test, and compares our vocabulary with the one `tokenizers`' own BpeTrainer learns.

Input: Tests/Fixtures/bpe-training/tokenizer.json and tokenizer_config.json, written by

    BPE_TRAINING_WRITE_FIXTURE=1 swift test -c release --filter BPETrainerTests/testTrainingReproducesTheFixtureByteForByte

(BPETrainer(vocabularySize: 2000) with the user token "[[note]]", trained on every line of
Tests/Fixtures/tokenizers/corpus.txt). The folder is loaded twice: with `tokenizers.Tokenizer`
and with `transformers.AutoTokenizer`; the two must agree on every case, else this script stops.

Writes Tests/Fixtures/bpe-training/expected.jsonl — one object per corpus line (empty lines
included) and per extra case below: `text`, `ids` (encode with special tokens), `decoded`
(decode skipping special tokens) and for the extra cases `decoded_all` (keeping them) — and
reference.json: the
versions used, the case count, and the similarity of our vocabulary and merges to those of
`tokenizers.trainers.BpeTrainer` given the same corpus and settings (reported, not asserted).

    pip install tokenizers==0.23.3 transformers==5.24.0
    python3 scripts/make_bpe_training_reference.py

The character vocabulary (`BPETrainer.characters()`, `seq2seq train --tokenizer char`) the same
way, in its own folder (no BpeTrainer comparison):

    BPE_TRAINING_WRITE_FIXTURE=1 swift test -c release --filter BPETrainerTests/testCharacterTrainingReproducesTheFixture
    python3 scripts/make_bpe_training_reference.py Tests/Fixtures/bpe-training-char
"""
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import tokenizers  # noqa: E402
import transformers  # noqa: E402
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures")
FOLDER = os.path.join(ROOT, "bpe-training")
CORPUS = os.path.join(ROOT, "tokenizers", "corpus.txt")

# Beyond the corpus: unseen scripts and emoji (byte fallback), special and user tokens written
# in the text, whitespace at the edges, and a literal "▁".
EXTRA_CASES = [
    "🦜🦩 parrots and flamingos 🪿", "ꙮ Ꙭ ᚠᛇᚻ᛫ᛒᛦᚦ 𝄞𝄢 ∮ E⋅da = Q", "사과와 배를 샀어요", "ภาษาไทยง่ายนิดเดียว",
    "x [[note]] y", "a[[note]]b", "[[note]]", "<s>start</s>end<pad><unk>", "</s>", " leading", "  two leading",
    "trailing  ", "▁literal ▁ marks▁", "ﬁne ligatures ① ½ ｆｕｌｌ　ｗｉｄｔｈ", "e\u0301 vs \u00e9", "\t\ttabs\t",
]


def corpus_lines():
    with open(CORPUS, encoding="utf-8", newline="\n") as f:
        text = f.read()
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n")


def record(lines):
    tok = Tokenizer.from_file(os.path.join(FOLDER, "tokenizer.json"))
    auto = transformers.AutoTokenizer.from_pretrained(FOLDER)
    assert type(auto).__name__ in ("PreTrainedTokenizerFast", "TokenizersBackend"), type(auto)
    rows, disagreements = [], []
    for i, text in enumerate(lines):
        ids = tok.encode(text).ids
        decoded, decoded_all = tok.decode(ids, skip_special_tokens=True), tok.decode(ids, skip_special_tokens=False)
        row = {"text": text, "ids": ids, "decoded": decoded}
        if i >= len(lines) - len(EXTRA_CASES):
            row["decoded_all"] = decoded_all
        auto_ids = auto(text)["input_ids"]
        if auto_ids != ids or auto.decode(ids, skip_special_tokens=True) != decoded \
                or auto.decode(ids, skip_special_tokens=False) != decoded_all:
            disagreements.append(i)
        rows.append(row)
    if disagreements:
        raise SystemExit(f"AutoTokenizer and tokenizers disagree on {len(disagreements)} cases, first {disagreements[:5]}")
    with open(os.path.join(FOLDER, "expected.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return tok, type(auto).__name__


def compare_with_bpe_trainer(ours, lines):
    """Trains `tokenizers`' BpeTrainer as close to our settings as it goes (same normalizer,
    pre-tokenizer, special tokens, minimum frequency, 16-character limit; alphabet limited to
    the size of ours; no byte tokens, so 256 fewer tokens) and measures the overlap."""
    spec = json.loads(ours.to_str())
    vocab = sorted(spec["model"]["vocab"].items(), key=lambda kv: kv[1])
    reserved = {t["content"] for t in spec["added_tokens"]} | {f"<0x{b:02X}>" for b in range(256)}
    ours_merges = [tuple(m) for m in spec["model"]["merges"]]
    ours_tokens = [t for t, _ in vocab if t not in reserved]
    alphabet = [t for t in ours_tokens if len(t) == 1]

    hf = Tokenizer(models.BPE(unk_token="<unk>"))
    hf.normalizer = normalizers.NFKC()
    hf.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    hf.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    specials = [t["content"] for t in spec["added_tokens"]]
    trainer = trainers.BpeTrainer(vocab_size=len(vocab) - 256, min_frequency=2, special_tokens=specials,
                                  limit_alphabet=len(alphabet), max_token_length=16, show_progress=False)
    hf.train_from_iterator(lines, trainer)
    hf_spec = json.loads(hf.to_str())
    hf_tokens = [t for t, _ in sorted(hf_spec["model"]["vocab"].items(), key=lambda kv: kv[1]) if t not in reserved]
    hf_merges = [tuple(m) for m in hf_spec["model"]["merges"]]

    def overlap(a, b):
        return round(len(set(a) & set(b)) / max(1, len(set(a) | set(b))), 4)

    ids = [len(ours.encode(line).ids) for line in lines]
    hf_ids = [len(hf.encode(line).ids) + 1 for line in lines]  # + the </s> ours appends
    return {
        "ours_learned_tokens": len(ours_tokens), "bpe_trainer_tokens": len(hf_tokens),
        "token_jaccard": overlap(ours_tokens, hf_tokens),
        "alphabet_jaccard": overlap(alphabet, [t for t in hf_tokens if len(t) == 1]),
        "merge_jaccard": overlap(ours_merges, hf_merges),
        "first_100_merges_shared": len(set(ours_merges[:100]) & set(hf_merges[:100])),
        "first_500_merges_shared": len(set(ours_merges[:500]) & set(hf_merges[:500])),
        "longest_common_merge_prefix": next((i for i, (a, b) in enumerate(zip(ours_merges, hf_merges)) if a != b),
                                            min(len(ours_merges), len(hf_merges))),
        "corpus_tokens_ours": sum(ids), "corpus_tokens_bpe_trainer": sum(hf_ids),
    }


def main():
    global FOLDER
    if len(sys.argv) > 1:  # another trained fixture, e.g. Tests/Fixtures/bpe-training-char
        FOLDER = os.path.abspath(sys.argv[1])
    lines = corpus_lines()
    tok, auto_class = record(lines + EXTRA_CASES)
    reference = {"tokenizers": tokenizers.__version__, "transformers": transformers.__version__,
                 "auto_tokenizer_class": auto_class, "cases": len(lines) + len(EXTRA_CASES),
                 "corpus_lines": len(lines)}
    if not FOLDER.endswith("-char"):
        reference["bpe_trainer_comparison"] = compare_with_bpe_trainer(tok, lines)
    with open(os.path.join(FOLDER, "reference.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(reference, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(json.dumps(reference, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
