#!/usr/bin/env python3
"""Trains tiny SentencePiece models on the tokenizer corpus and records what they produce.

For every model in MODELS this writes, under Tests/Fixtures/tokenizers/spm/:

    <name>.model           the trained ModelProto (each well under 300 KB)
    <name>.expected.jsonl  one JSON object per corpus line, in corpus order:
                           {"ids": sp.encode(line), "pieces": sp.encode(line, out_type=str),
                            "decoded": sp.decode(ids)}, where, to keep the files small,
                           "pieces" is left out when it equals the ids' vocabulary pieces and
                           "decoded" when it equals the line
    <name>.vocab.json      [sp.id_to_piece(i) for every id], to check the piece table
    <name>.decode.jsonl    random id sequences (control, unknown and byte pieces included)
                           and sp.decode of each: {"ids": [...], "decoded": "..."}

    nmt_nfkc.charsmap      the unigram model's precompiled_charsmap blob
    charsmap.expected.jsonl  {"text": line, "normalized": ...} for every corpus line, from
                           Hugging Face tokenizers' normalizers.Precompiled (the grapheme-wise
                           normalization that PrecompiledCharsMap.normalize reproduces)

The corpus is split on "\\n" only (lines may hold other line and paragraph separators);
the newline after the last line ends it and makes no extra case.

    pip install sentencepiece tokenizers protobuf   # versions used: see the README table
    python3 scripts/make_spm_fixtures.py

The Swift tests only read the committed files; this script is not part of CI.
"""
import io
import json
import os
import random

import sentencepiece as spm
import tokenizers
from sentencepiece import sentencepiece_model_pb2
from tokenizers import normalizers

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "Tests", "Fixtures", "tokenizers")
CORPUS = os.path.join(FIXTURES, "corpus.txt")
OUT = os.path.join(FIXTURES, "spm")

COMMON = dict(
    num_threads=1,
    seed_sentencepiece_size=200_000,
    max_sentence_length=100_000,
    shuffle_input_sentence=False,
)

# name -> trainer options (besides the corpus)
MODELS = {
    "unigram": dict(model_type="unigram", vocab_size=1000, normalization_rule_name="nmt_nfkc"),
    "unigram_bytes": dict(
        model_type="unigram", vocab_size=1000, normalization_rule_name="nmt_nfkc_cf",
        byte_fallback=True, split_digits=True, character_coverage=0.98,
        user_defined_symbols=["<sep>", "[MASK]", "foo bar", "ab", "2008"],
        control_symbols=["<ctrl>"], pad_id=3),
    "bpe": dict(model_type="bpe", vocab_size=1000, normalization_rule_name="nmt_nfkc"),
    "bpe_bytes": dict(
        model_type="bpe", vocab_size=1000, normalization_rule_name="nfkc",
        byte_fallback=True, character_coverage=0.98,
        user_defined_symbols=["<sep>", "the"]),
    "identity": dict(
        model_type="unigram", vocab_size=800, normalization_rule_name="identity",
        remove_extra_whitespaces=False, add_dummy_prefix=False, character_coverage=0.99),
    "char": dict(model_type="char", normalization_rule_name="identity", character_coverage=0.99),
}


def corpus_lines():
    with open(CORPUS, encoding="utf-8", newline="") as f:
        text = f.read()
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return lines


def train(name, options, lines):
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter([l for l in lines if l]), model_writer=model,
        hard_vocab_limit=False, **COMMON, **options)
    data = model.getvalue()
    assert len(data) < 300_000, f"{name}: {len(data)} bytes"
    with open(os.path.join(OUT, f"{name}.model"), "wb") as f:
        f.write(data)
    return spm.SentencePieceProcessor(model_proto=data)


def write_expected(name, sp, lines):
    vocab = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    with open(os.path.join(OUT, f"{name}.vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(OUT, f"{name}.expected.jsonl"), "w", encoding="utf-8") as f:
        for line in lines:
            ids = sp.encode(line)
            record = {"ids": ids}
            pieces = sp.encode(line, out_type=str)
            if pieces != [vocab[i] for i in ids]:
                record["pieces"] = pieces
            decoded = sp.decode(ids)
            if decoded != line:
                record["decoded"] = decoded
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_decode_cases(name, sp, count=300):
    rng = random.Random(1234)
    size = sp.get_piece_size()
    special = [i for i in range(size) if sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i)]
    with open(os.path.join(OUT, f"{name}.decode.jsonl"), "w", encoding="utf-8") as f:
        for _ in range(count):
            n = rng.randint(0, 12)
            ids = [rng.choice(special) if special and rng.random() < 0.4 else rng.randrange(size)
                   for _ in range(n)]
            f.write(json.dumps({"ids": ids, "decoded": sp.decode(ids)}, ensure_ascii=False) + "\n")


def write_charsmap_cases(model_path, lines):
    proto = sentencepiece_model_pb2.ModelProto()
    with open(model_path, "rb") as f:
        proto.ParseFromString(f.read())
    blob = proto.normalizer_spec.precompiled_charsmap
    with open(os.path.join(OUT, "nmt_nfkc.charsmap"), "wb") as f:
        f.write(blob)
    normalizer = normalizers.Precompiled(blob)
    extra = ["\ufb01", "\uff21\uff42\uff43", "\u2460", "e\u0301", "\u1100\u1161\u11a8", "\u3000x\u00a0y",
             "\U0001F468\u200D\U0001F469\u200D\U0001F467", "\u2122\x1eg", "A\u030A\u0323"]
    with open(os.path.join(OUT, "charsmap.expected.jsonl"), "w", encoding="utf-8") as f:
        for line in extra + lines:
            record = {"text": line, "normalized": normalizer.normalize_str(line)}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    lines = corpus_lines()
    for name, options in MODELS.items():
        sp = train(name, options, lines)
        write_expected(name, sp, lines)
        write_decode_cases(name, sp)
        print(f"{name}: {sp.get_piece_size()} pieces, {len(lines)} lines")
    write_charsmap_cases(os.path.join(OUT, "unigram.model"), lines)
    print(f"sentencepiece {spm.__version__}, tokenizers {tokenizers.__version__}")


if __name__ == "__main__":
    main()
