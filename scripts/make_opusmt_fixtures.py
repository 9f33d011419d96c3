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
logits, generation with the folder's generation config plus each case's settings, texts),
`tokenizer.expected.jsonl`: for every corpus line (and language-token lines) the ids, the
text decoded with and without special tokens, and the decoding of random id sequences,
`tokenizer.batches.jsonl`: padded batches of corpus lines and their `batch_decode`, and
`generation_fields.json`: for each `GenerationConfig` field that changes decoding (alone and
combined, over the folder's own settings) greedy and beam (4 beams, 2 returned) generation of
a padded batch — ids, beam scores, greedy per-token log-probabilities, decoded texts.

    pip install -r scripts/requirements-fixtures.txt
    python3 scripts/make_opusmt_fixtures.py
    python3 scripts/make_opusmt_fixtures.py --fields-only   # only the last two, from the committed folders
"""
import json
import os
import random
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
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


def batch_cases(folder, tokenizer):
    """`batch_decode` of padded batches of corpus lines (with and without special tokens)."""
    with open(mf.CORPUS, encoding="utf-8", newline="\n") as f:
        lines = f.read().split("\n")[:-1]
    picked = lines[::97]
    with open(os.path.join(folder, "tokenizer.batches.jsonl"), "w", encoding="utf-8") as out:
        for start in range(0, len(picked), 6):
            batch = picked[start:start + 6]
            ids = tokenizer(batch, padding=True)["input_ids"]
            out.write(json.dumps({"lines": batch, "input_ids": ids,
                                  "texts": tokenizer.batch_decode(ids, skip_special_tokens=True),
                                  "texts_with_special": tokenizer.batch_decode(ids, skip_special_tokens=False)},
                                 ensure_ascii=False) + "\n")


FIELD_TEXTS = ["The green house.", "Größere Straßen führen über die Brücke nach Köln.", "Hello world"]
MODES = [("greedy", dict(num_beams=1)), ("beam4_return2", dict(num_beams=4, num_return_sequences=2))]


def run_generate(model, tokenizer, source_ids, mask, kwargs):
    """HF generate on a padded batch: sequences, generated ids, scores and texts."""
    given = dict(max_new_tokens=10)
    given.update(kwargs)  # None (JSON null) unsets the folder's value
    with torch.no_grad():
        out = model.generate(input_ids=torch.tensor(source_ids), attention_mask=torch.tensor(mask), use_cache=False,
                             return_dict_in_generate=True, output_scores=True, **given)
    sequences = out.sequences.tolist()
    eos = model.generation_config.eos_token_id
    record = dict(kwargs=given, sequences=sequences, ids=[mf.strip(row, None, [eos]) for row in sequences],
                  texts=tokenizer.batch_decode(sequences, skip_special_tokens=True),
                  texts_with_special=tokenizer.batch_decode(sequences, skip_special_tokens=False))
    if given.get("num_beams", 1) > 1:
        record["scores"] = out.sequences_scores.tolist()
    else:  # log-softmax of the processed scores at each chosen token
        steps = torch.stack(out.scores, 1).log_softmax(-1)
        record["token_log_probs"] = [[steps[b, t, token].item() for t, token in enumerate(ids)]
                                     for b, ids in enumerate(record["ids"])]
    return record


def field_settings(tokenizer, pad, eos, outputs):
    """Each field alone over the folder's settings, then all together; tokens picked from what
    the model generates without them, so every ban and force changes something."""
    counts = Counter(t for ids in outputs for t in ids if t not in (pad, eos))
    common = [t for t, _ in counts.most_common(3)]
    bigrams = Counter(b for ids in outputs for b in zip(ids, ids[1:]) if eos not in b).most_common(1)[0][0]
    language = tokenizer.convert_tokens_to_ids(">>por<<")
    return [
        ("folder_settings", {}),
        ("renormalize_logits_off", {"renormalize_logits": False}),
        ("forced_bos_token_id", {"forced_bos_token_id": language}),
        ("forced_eos_at_max_length", {"max_length": 6, "max_new_tokens": None}),
        ("forced_eos_off", {"forced_eos_token_id": None, "max_length": 6, "max_new_tokens": None}),
        ("bad_words_ids", {"bad_words_ids": [[pad], [common[0]], list(bigrams)]}),
        ("suppress_tokens", {"suppress_tokens": common[:2]}),
        ("begin_suppress_tokens", {"begin_suppress_tokens": [common[0], eos]}),
        ("exponential_decay_length_penalty", {"exponential_decay_length_penalty": [2, 1.8]}),
        ("encoder_repetition_penalty", {"encoder_repetition_penalty": 1.6}),
        ("encoder_no_repeat_ngram_size_1", {"encoder_no_repeat_ngram_size": 1}),
        ("encoder_no_repeat_ngram_size_2", {"encoder_no_repeat_ngram_size": 2}),
        ("encoder_no_repeat_ngram_size_3", {"encoder_no_repeat_ngram_size": 3}),
        ("remove_invalid_values", {"remove_invalid_values": True}),
        ("combined", {"forced_bos_token_id": language, "bad_words_ids": [[pad], list(bigrams)],
                      "suppress_tokens": [common[2]], "begin_suppress_tokens": [eos],
                      "exponential_decay_length_penalty": [3, 1.5], "encoder_no_repeat_ngram_size": 2,
                      "no_repeat_ngram_size": 3, "repetition_penalty": 1.2, "encoder_repetition_penalty": 0.8,
                      "min_new_tokens": 2}),
    ]


def refused_by_transformers(model, source_ids):
    """Group and constrained beam search left transformers 5 for Hub code: check it refuses them."""
    for kwargs in ({"num_beam_groups": 2, "diversity_penalty": 0.5}, {"force_words_ids": [[5]]}):
        try:
            model.generate(input_ids=torch.tensor(source_ids[:1]), num_beams=4, max_new_tokens=3, **kwargs)
        except ValueError as error:
            print(f"  transformers refuses {kwargs}: {str(error).splitlines()[0]}", file=sys.stderr)
            continue
        raise SystemExit(f"transformers {transformers.__version__} accepted {kwargs}: implement it")


def field_cases(folder):
    """`generation_fields.json`: every setting × greedy and beam on a padded batch of three
    texts, each followed by the first tokens the model generates for it (so source n-grams
    recur in the output and the encoder n-gram bans change it)."""
    model = MarianMTModel.from_pretrained(folder).eval()
    tokenizer = MarianTokenizer.from_pretrained(folder)
    gen = model.generation_config
    pad, eos = gen.pad_token_id, gen.eos_token_id

    def padded(rows):
        width = max(len(r) for r in rows)
        return [r + [pad] * (width - len(r)) for r in rows], [[1] * len(r) + [0] * (width - len(r)) for r in rows]

    texts = [tokenizer(t)["input_ids"] for t in FIELD_TEXTS]
    own = run_generate(model, tokenizer, *padded(texts), {"num_beams": 1})["ids"]
    source_ids, mask = padded([text[:-1] + ids[:3] + [eos] for text, ids in zip(texts, own)])
    refused_by_transformers(model, source_ids)
    outputs = [ids for _, m in MODES for ids in run_generate(model, tokenizer, source_ids, mask, m)["ids"]]
    cases = []
    for name, kwargs in field_settings(tokenizer, pad, eos, outputs):
        for m, (mode, beams) in enumerate(MODES):
            record = run_generate(model, tokenizer, source_ids, mask, {**kwargs, **beams})
            record["name"] = f"{name}/{mode}"
            base = cases[m] if len(cases) > m else record
            same = record["ids"] == base["ids"] and record.get("scores") == base.get("scores")
            print(f"  {record['name']}: lengths {[len(i) for i in record['ids']]}{' (as folder settings)' if same else ''}",
                  file=sys.stderr)
            cases.append(record)
    fixture = dict(transformers=transformers.__version__, torch=torch.__version__, source_ids=source_ids,
                   attention_mask=mask, cases=cases)
    with open(os.path.join(folder, "generation_fields.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))


def main():
    torch.set_num_threads(1)
    names = ["opus-mt", "opus-mt-separate"]
    if "--fields-only" not in sys.argv:
        for separate, seed in ((False, 110), (True, 111)):
            name = names[separate]
            model, gen, tokens, tokenizer = opus_mt(separate)
            mf.build(name, model, gen, tokens, tokenizer, seed=seed)
            folder = os.path.join(mf.ROOT, name)
            legacy_config_fields(folder, gen)
            tokenizer_cases(folder, MarianTokenizer.from_pretrained(folder), tokens["vocab"] + len(LANGUAGE_TOKENS))
    for name in names:
        folder = os.path.join(mf.ROOT, name)
        print(f"{name}: generation fields", file=sys.stderr)
        batch_cases(folder, MarianTokenizer.from_pretrained(folder))
        field_cases(folder)


if __name__ == "__main__":
    main()
