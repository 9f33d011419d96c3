#!/usr/bin/env python3
"""Trains small tokenizers on the parity corpus with the `tokenizers` package and records
what they do, for the Swift tokenizer.json parity tests.

Writes Tests/Fixtures/tokenizers/json/<name>/tokenizer.json and expected.jsonl: one JSON
object per corpus line (empty lines included) with `ids` (tok.encode(line).ids, special
tokens added), `tokens` and `decoded` (tok.decode(ids, skip_special_tokens=True)).

    pip install tokenizers==0.23.3
    python3 scripts/make_tokenizer_json_fixtures.py
    RAYON_NUM_THREADS=1 python3 scripts/make_tokenizer_json_fixtures.py --time   # speed only
"""
import json
import os
import sys
import time

import tokenizers

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
from tokenizers import pre_tokenizers, processors, trainers

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "tokenizers")
CORPUS = os.path.join(ROOT, "corpus.txt")


def corpus_lines():
    with open(CORPUS, encoding="utf-8", newline="\n") as f:
        text = f.read()
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n")


def bart_like(lines):
    """Byte-level BPE as BART / RoBERTa: ByteLevel pre-tokenizer, RobertaProcessing, ByteLevel decoder."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    special = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    trainer = trainers.BpeTrainer(vocab_size=1500, special_tokens=special,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(lines, trainer)
    tok.post_processor = processors.RobertaProcessing(("</s>", tok.token_to_id("</s>")),
                                                      ("<s>", tok.token_to_id("<s>")))
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=False)])
    return tok


def llama_like(lines):
    """Metaspace BPE with byte fallback, as Llama / Mistral tokenizer.json files: the 256
    `<0xXX>` byte pieces sit in the model's vocabulary (ids 3…258), not among added tokens."""
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    trainer = trainers.BpeTrainer(vocab_size=1800, special_tokens=["<unk>", "<s>", "</s>"],
                                  limit_alphabet=120)
    tok.train_from_iterator(lines, trainer)
    spec = json.loads(tok.to_str())
    trained = sorted(spec["model"]["vocab"].items(), key=lambda kv: kv[1])
    pieces = [t for t, _ in trained[:3]] + [f"<0x{b:02X}>" for b in range(256)] + [t for t, _ in trained[3:]]
    spec["model"].update(vocab={t: i for i, t in enumerate(pieces)}, byte_fallback=True, fuse_unk=True)
    spec["added_tokens"] = []
    tok = Tokenizer.from_str(json.dumps(spec))
    tok.add_special_tokens(["<unk>", "<s>", "</s>"])
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(),
                                     decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", tok.token_to_id("<s>"))])
    tok.add_tokens([AddedToken("[[note]]", single_word=True, normalized=False)])
    return tok


def bert_like(lines):
    """WordPiece as BERT: BertNormalizer (lowercase), BertPreTokenizer, [CLS] … [SEP], WordPiece decoder."""
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    trainer = trainers.WordPieceTrainer(vocab_size=1500, special_tokens=special, limit_alphabet=300)
    tok.train_from_iterator(lines, trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    tok.add_special_tokens([AddedToken("[MASK]", lstrip=True, rstrip=True)])
    return tok


def t5_like(lines):
    """Unigram with Metaspace as T5, with NFKC + Replace instead of the Precompiled normalizer."""
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(),
                                           normalizers.Replace(Regex(" {2,}"), " "),
                                           normalizers.Strip(left=False, right=True)])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.UnigramTrainer(vocab_size=1500, special_tokens=["<pad>", "</s>", "<unk>"],
                                      unk_token="<unk>", max_piece_length=12)
    tok.train_from_iterator(lines, trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", tok.token_to_id("</s>"))])
    return tok


def split_variant(lines):
    """BPE behind a Sequence of Split (regex), Digits and Punctuation pre-tokenizers."""
    tok = Tokenizer(models.BPE(unk_token="<unk>", continuing_subword_prefix="##"))
    tok.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents(),
                                           normalizers.Lowercase(), normalizers.Prepend("~")])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"\s+"), behavior="removed"),
        pre_tokenizers.Split(Regex(r"[\p{L}]+"), behavior="isolated"),
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.Punctuation(behavior="contiguous"),
        pre_tokenizers.Split("e", behavior="merged_with_next"),
    ])
    tok.decoder = decoders.WordPiece(prefix="##")
    trainer = trainers.BpeTrainer(vocab_size=1500, special_tokens=["<unk>", "<cls>", "<sep>"],
                                  continuing_subword_prefix="##", limit_alphabet=200)
    tok.train_from_iterator(lines, trainer)
    tok.post_processor = processors.BertProcessing(("<sep>", tok.token_to_id("<sep>")),
                                                   ("<cls>", tok.token_to_id("<cls>")))
    return tok


# Lines that exercise the added tokens (lstrip / rstrip / single_word), beyond the corpus.
ADDED_CASES = [
    "Fill the <mask> here", "Fill the<mask>here", "<mask>", "  <mask>  x", "a <mask><mask> b",
    "<s>Hello</s> world <pad>", "</s></s>", "x<unk>y",
    "The [MASK] is here", "The[MASK]is", "  [MASK]  ", "[CLS] already [SEP]",
    "a [[note]] b", "a[[note]]b", "[[note]]", "x [[note]]y", "<s> start",
]

BUILDERS = {
    "bart-bytelevel-bpe": bart_like,
    "llama-metaspace-bpe": llama_like,
    "bert-wordpiece": bert_like,
    "t5-unigram": t5_like,
    "split-sequence-bpe": split_variant,
}


def time_only(lines, nbytes):
    """Times the committed tokenizers (best of 3 passes, one encode call per line)."""
    for name in BUILDERS:
        tok = Tokenizer.from_file(os.path.join(ROOT, "json", name, "tokenizer.json"))
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for line in lines:
                tok.encode(line)
            best = min(best, time.perf_counter() - start)
        print(f"{name}: encode {nbytes / best / 1e6:.2f} MB/s (tokenizers {tokenizers.__version__}, one thread)")


def main():
    lines = corpus_lines()
    if "--time" in sys.argv:
        time_only(lines, sum(len(l.encode("utf-8")) for l in lines))
        return
    nbytes = sum(len(l.encode("utf-8")) for l in lines)
    for name, build in BUILDERS.items():
        tok = build(lines)
        folder = os.path.join(ROOT, "json", name)
        os.makedirs(folder, exist_ok=True)
        tok.save(os.path.join(folder, "tokenizer.json"))
        tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
        start = time.perf_counter()
        encodings = [tok.encode(line) for line in lines]
        seconds = time.perf_counter() - start
        with open(os.path.join(folder, "expected.jsonl"), "w", encoding="utf-8") as out:
            for enc in encodings:
                decoded = tok.decode(enc.ids, skip_special_tokens=True)
                out.write(json.dumps({"ids": enc.ids, "tokens": enc.tokens, "decoded": decoded},
                                     ensure_ascii=False) + "\n")
        with open(os.path.join(folder, "added.jsonl"), "w", encoding="utf-8") as out:
            for line in ADDED_CASES:
                ids = tok.encode(line).ids
                plain = tok.encode(line, add_special_tokens=False).ids
                out.write(json.dumps({"text": line, "ids": ids, "ids_plain": plain,
                                      "tokens": tok.encode(line).tokens,
                                      "decoded": tok.decode(ids, skip_special_tokens=True),
                                      "decoded_all": tok.decode(ids, skip_special_tokens=False)},
                                     ensure_ascii=False) + "\n")
        size = os.path.getsize(os.path.join(folder, "tokenizer.json"))
        print(f"{name}: vocab {tok.get_vocab_size()}, {size // 1024} KB, "
              f"encode {nbytes / seconds / 1e6:.2f} MB/s (single thread, one call per line)")


if __name__ == "__main__":
    main()
