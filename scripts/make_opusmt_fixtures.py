#!/usr/bin/env python3
"""Builds two tiny random MarianMT checkpoints laid out as Helsinki-NLP's opus-mt ones are.

What the tidy `marian` fixture (one SentencePiece model, vocab.json in its order) hides:
- `source.spm` and `target.spm` are different models (trained here on different halves of
  the tokenizer corpus, of different sizes), so each lacks pieces of the other;
- `vocab.json` is Marian's joint vocabulary: `</s>` 0, `<unk>` 1, then the pieces of both
  models in Marian's own order (a seeded shuffle here), language tokens such as `>>por<<`,
  and `<pad>` last — not the SentencePiece models' order;
- `config.json` carries opus-mt's legacy generation fields, and `generation_config.json` is
  opus-mt's: `renormalize_logits`, `forced_eos_token_id`, `bad_words_ids` = [[pad]],
  4 beams, `max_length` 512.
`opus-mt` shares one vocabulary (decoding through the source model, as transformers 5 does);
`opus-mt-separate` has `separate_vocabs` (a `target_vocab.json` in another order, separate
embedding tables, decoding through the target model).

Each folder gets `reference.json` (the same cases as scripts/make_fixtures.py: teacher-forced
logits, generation with the folder's generation config plus each case's settings, texts) and
`tokenizer.expected.jsonl`: for every corpus line (and language-token lines) the ids, the
text decoded with and without special tokens, and the decoding of random id sequences.

    pip install -r scripts/requirements-fixtures.txt
    python3 scripts/make_opusmt_fixtures.py
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402
import torch  # noqa: E402
from transformers import GenerationConfig, MarianConfig, MarianMTModel, MarianTokenizer  # noqa: E402

LANGUAGE_TOKENS = [">>por<<", ">>deu<<", ">>fra<<"]
EXTRA_LINES = [">>por<< The green house.", ">>deu<<Hello world", ">>xx<< unknown code", "Plain >>por<< inside"]


def split_corpus():
    """The corpus's even and odd lines, as two training files (source and target text)."""
    with open(mf.CORPUS, encoding="utf-8") as f:
        lines = f.read().split("\n")
    halves = []
    for parity in (0, 1):
        path = os.path.join(mf.SCRATCH, f"half{parity}.txt")
        with open(path, "w", encoding="utf-8") as out:
            out.write("\n".join(lines[parity::2]))
        halves.append(path)
    return halves


def train(name, text, vocab):
    import sentencepiece as spm
    prefix = os.path.join(mf.SCRATCH, name)
    spm.SentencePieceTrainer.train(input=text, model_prefix=prefix, vocab_size=vocab, model_type="unigram",
                                   character_coverage=0.98, minloglevel=2, eos_id=0, unk_id=1, bos_id=-1, pad_id=-1)
    return prefix + ".model"


def marian_vocabulary(models, seed, extra=()):
    """Marian's joint vocabulary over `models`: </s>, <unk>, the pieces in a seeded order, `extra`, <pad> last."""
    import sentencepiece as spm
    pieces = []
    for path in models:
        sp = spm.SentencePieceProcessor(model_file=path)
        pieces += [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    body = sorted(set(pieces) - {"</s>", "<unk>"})
    random.Random(seed).shuffle(body)
    ordered = ["</s>", "<unk>"] + body + list(extra) + ["<pad>"]
    return {piece: i for i, piece in enumerate(ordered)}


def opus_mt(separate):
    source_text, target_text = split_corpus()
    source = train("opus-src", source_text, 220)
    target = train("opus-tgt", target_text, 180)
    joint = marian_vocabulary([source, target], seed=7, extra=LANGUAGE_TOKENS)
    files = {"source.spm": source, "target.spm": target}
    folder = mf.tokenizer_folder("opus-mt-separate" if separate else "opus-mt", files)
    with open(os.path.join(folder, "vocab.json"), "w") as f:
        json.dump(joint, f, ensure_ascii=False, indent=2)
    decoding = joint
    if separate:
        # Same size and special ids (pad last), other pieces in another order.
        decoding = marian_vocabulary([target, source], seed=8, extra=LANGUAGE_TOKENS)
        assert len(decoding) == len(joint)
        with open(os.path.join(folder, "target_vocab.json"), "w") as f:
            json.dump(decoding, f, ensure_ascii=False, indent=2)
    tokenizer = MarianTokenizer(source_spm=os.path.join(folder, "source.spm"), target_spm=os.path.join(folder, "target.spm"),
                                vocab=os.path.join(folder, "vocab.json"), source_lang="en", target_lang="pt",
                                target_vocab_file=os.path.join(folder, "target_vocab.json") if separate else None,
                                separate_vocabs=separate)
    vocab = len(joint)
    pad = vocab - 1
    config = MarianConfig(
        vocab_size=vocab, decoder_vocab_size=vocab, d_model=32, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_position_embeddings=512, activation_function="swish", scale_embedding=True, dropout=0.0,
        attention_dropout=0.0, activation_dropout=0.0, pad_token_id=pad, eos_token_id=0, bos_token_id=0,
        decoder_start_token_id=pad, forced_eos_token_id=0, share_encoder_decoder_embeddings=not separate,
        normalize_before=False, normalize_embedding=False, static_position_embeddings=True)
    torch.manual_seed(14 if separate else 12)
    model = mf.perturb(MarianMTModel(config), 140 if separate else 120, 0)
    mf.make_eos_reachable(model, 0, pad, 141 if separate else 121, vocab)
    gen = GenerationConfig(bad_words_ids=[[pad]], bos_token_id=0, decoder_start_token_id=pad, eos_token_id=0,
                           forced_eos_token_id=0, max_length=512, num_beams=4, pad_token_id=pad, renormalize_logits=True)
    return model, gen, dict(pad=pad, eos=0, start=pad, low=2, vocab=vocab - len(LANGUAGE_TOKENS)), tokenizer


def legacy_config_fields(folder, gen):
    """opus-mt's config.json still carries the generation fields of transformers 4."""
    path = os.path.join(folder, "config.json")
    with open(path) as f:
        config = json.load(f)
    config.update(bad_words_ids=gen.bad_words_ids, num_beams=gen.num_beams, max_length=gen.max_length,
                  num_beam_groups=1, diversity_penalty=0.0)
    with open(path, "w") as f:
        json.dump(config, f, indent=2)


def tokenizer_cases(folder, tokenizer, vocab):
    """Ids and decoded texts of every corpus line, and the decoding of random id sequences."""
    with open(mf.CORPUS, encoding="utf-8", newline="\n") as f:
        lines = f.read().split("\n")[:-1] + EXTRA_LINES
    rng = random.Random(5)
    with open(os.path.join(folder, "tokenizer.expected.jsonl"), "w", encoding="utf-8") as out:
        for line in lines:
            ids = tokenizer(line)["input_ids"]
            out.write(json.dumps({"ids": ids, "text": tokenizer.decode(ids, skip_special_tokens=True),
                                  "text_with_special": tokenizer.decode(ids, skip_special_tokens=False)},
                                 ensure_ascii=False) + "\n")
        for _ in range(300):
            ids = [rng.randrange(vocab) for _ in range(rng.randrange(1, 12))]
            out.write(json.dumps({"decode": ids, "text": tokenizer.decode(ids, skip_special_tokens=True),
                                  "text_with_special": tokenizer.decode(ids, skip_special_tokens=False)},
                                 ensure_ascii=False) + "\n")
    print(f"{folder}: {len(lines)} lines, 300 random decodings", file=sys.stderr)


def main():
    torch.set_num_threads(1)
    for separate, seed in ((False, 110), (True, 111)):
        name = "opus-mt-separate" if separate else "opus-mt"
        model, gen, tokens, tokenizer = opus_mt(separate)
        mf.build(name, model, gen, tokens, tokenizer, seed=seed)
        folder = os.path.join(mf.ROOT, name)
        legacy_config_fields(folder, gen)
        tokenizer_cases(folder, MarianTokenizer.from_pretrained(folder), tokens["vocab"] + len(LANGUAGE_TOKENS))


if __name__ == "__main__":
    main()
