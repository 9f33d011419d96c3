#!/usr/bin/env python3
"""Builds the tiny random reference checkpoints in Tests/Fixtures/ and their expected outputs.

Each family gets a Hugging Face folder (config.json, model.safetensors or shards + index,
generation_config.json) with deliberately non-degenerate random weights: perturbed norm
gains, non-zero biases, a non-zero final_logits_bias, unequal encoder/decoder depth. The
expected outputs (teacher-forced logits, greedy and beam-search ids and beam scores) come
from transformers + torch in float32 and go to reference.json beside the weights.

    pip install -r scripts/requirements-fixtures.txt
    python3 scripts/make_fixtures.py            # rewrites Tests/Fixtures/{t5-v1_0,...}
    python3 scripts/make_fixtures.py nllb       # only the NLLB folder

The Swift tests only read the committed files; this script is not part of CI.
"""
import json
import os
import shutil
import sys
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import (  # noqa: E402
    BartConfig, BartForConditionalGeneration, BartTokenizer, GenerationConfig, M2M100Config,
    M2M100ForConditionalGeneration, M2M100Tokenizer, MarianConfig, MarianMTModel, MarianTokenizer, MBartConfig,
    MBartForConditionalGeneration, MBartTokenizer, NllbTokenizer, PegasusConfig, PegasusForConditionalGeneration,
    PegasusTokenizer, T5Config, T5ForConditionalGeneration, T5Tokenizer, UMT5Config, UMT5ForConditionalGeneration)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures")
CORPUS = os.path.join(ROOT, "tokenizers", "corpus.txt")
SCRATCH = tempfile.mkdtemp(prefix="s2s-fixtures-")


def train_spm(name, model_type, vocab, **ids):
    """A small SentencePiece model trained on the tokenizer corpus; returns its path."""
    import sentencepiece as spm
    prefix = os.path.join(SCRATCH, name)
    spm.SentencePieceTrainer.train(input=CORPUS, model_prefix=prefix, vocab_size=vocab, model_type=model_type,
                                   character_coverage=0.98, minloglevel=2, **ids)
    return prefix + ".model"


def tokenizer_folder(name, files):
    """A scratch folder holding `files` (target name → source path)."""
    folder = os.path.join(SCRATCH, name)
    os.makedirs(folder, exist_ok=True)
    for target, source in files.items():
        shutil.copy(source, os.path.join(folder, target))
    return folder


def perturb(model, seed, eos_token_id, eos_boost=None):
    """Random weights everywhere (HF's init leaves biases at 0 and norms at 1)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if not p.requires_grad:  # frozen constants (Marian sinusoidal positions)
                continue
            if "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif "embed_positions" in name:
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.25 * torch.randn(p.shape, generator=g))
        if hasattr(model, "final_logits_bias"):
            model.final_logits_bias.copy_(0.3 * torch.randn(model.final_logits_bias.shape, generator=g))
    return model


def make_eos_reachable(model, eos, start, seed, vocab, margin=0.4):
    """Raises the EOS logit to just under the typical best one, so generations end at varied
    lengths and beam search has finished hypotheses to rank (random weights rarely stop)."""
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(3, vocab - 2, (8, 9), generator=g)
    dec = torch.cat([torch.full((8, 1), start), torch.randint(3, vocab - 2, (8, 7), generator=g)], 1)
    with torch.no_grad():
        out = model(input_ids=src, decoder_input_ids=dec, output_hidden_states=True, use_cache=False)
        gap = (out.logits.max(-1).values - out.logits[..., eos]).mean().item() - margin
        if hasattr(model, "final_logits_bias"):
            model.final_logits_bias[0, eos] += gap
        else:  # no bias (T5): move the EOS output row along the mean final hidden state
            h = out.decoder_hidden_states[-1].reshape(-1, out.decoder_hidden_states[-1].shape[-1])
            if getattr(model.config, "scale_decoder_outputs", False):
                h = h * model.config.d_model ** -0.5
            m = h.mean(0)
            model.lm_head.weight[eos] += gap * m / m.dot(m)


def t5(version):
    gated = version == "v1_1"
    model_file = train_spm("t5", "unigram", 256, pad_id=0, eos_id=1, unk_id=2, bos_id=-1)
    tokenizer = T5Tokenizer.from_pretrained(tokenizer_folder("t5", {"spiece.model": model_file}), extra_ids=0)
    vocab = len(tokenizer)
    config = T5Config(
        vocab_size=vocab, d_model=32, d_kv=12 if gated else 8, num_heads=4, d_ff=48,
        num_layers=2, num_decoder_layers=3, relative_attention_num_buckets=8,
        relative_attention_max_distance=20, feed_forward_proj="gated-gelu" if gated else "relu",
        tie_word_embeddings=not gated, dropout_rate=0.0, layer_norm_epsilon=1e-6,
        pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)
    torch.manual_seed(1)
    model = perturb(T5ForConditionalGeneration(config), 10 + gated, 1)
    with torch.no_grad():  # T5 initialises embeddings with std 1: keep logits well spread
        model.shared.weight.mul_(2.0 if gated else 4.0)
        for name, p in model.named_parameters():  # T5 does not scale q·k: keep scores moderate
            if name.endswith(".q.weight"):
                p.mul_(0.4)
            if gated and ".wi_" in name:  # the gated product grows the residual stream
                p.mul_(0.6)
    make_eos_reachable(model, 1, 0, 11, vocab)
    gen = GenerationConfig(decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)
    return model, gen, dict(pad=0, eos=1, start=0, low=3, vocab=vocab), tokenizer


def bart():
    from tokenizers import ByteLevelBPETokenizer
    trainer = ByteLevelBPETokenizer()
    trainer.train([CORPUS], vocab_size=400, min_frequency=2, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    folder = os.path.join(SCRATCH, "bart")
    os.makedirs(folder, exist_ok=True)
    trainer.save_model(folder)
    tokenizer = BartTokenizer.from_pretrained(folder)
    vocab = len(tokenizer)
    config = BartConfig(
        vocab_size=vocab, d_model=32, encoder_layers=2, decoder_layers=3, encoder_attention_heads=4,
        decoder_attention_heads=4, encoder_ffn_dim=48, decoder_ffn_dim=48, max_position_embeddings=64,
        activation_function="gelu", scale_embedding=True, dropout=0.0, attention_dropout=0.0,
        activation_dropout=0.0, pad_token_id=1, bos_token_id=0, eos_token_id=2,
        decoder_start_token_id=2, forced_eos_token_id=2)
    torch.manual_seed(2)
    model = perturb(BartForConditionalGeneration(config), 20, 2)
    make_eos_reachable(model, 2, 2, 21, vocab)
    gen = GenerationConfig(decoder_start_token_id=2, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                           forced_bos_token_id=0, forced_eos_token_id=2, no_repeat_ngram_size=3)
    return model, gen, dict(pad=1, eos=2, start=2, low=5, vocab=vocab), tokenizer


def mbart():
    model_file = train_spm("mbart", "bpe", 256, pad_id=1, eos_id=2, unk_id=3, bos_id=0)
    tokenizer = MBartTokenizer.from_pretrained(tokenizer_folder("mbart", {"sentencepiece.bpe.model": model_file}),
                                               src_lang="en_XX", tgt_lang="ro_RO")
    vocab = len(tokenizer)
    target_language = tokenizer.convert_tokens_to_ids("ro_RO")
    config = MBartConfig(
        vocab_size=vocab, d_model=32, encoder_layers=3, decoder_layers=2, encoder_attention_heads=4,
        decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=64,
        activation_function="relu", scale_embedding=True, dropout=0.0, attention_dropout=0.0,
        activation_dropout=0.0, pad_token_id=1, bos_token_id=0, eos_token_id=2,
        decoder_start_token_id=2, forced_eos_token_id=2)
    torch.manual_seed(3)
    model = perturb(MBartForConditionalGeneration(config), 30, 2)
    make_eos_reachable(model, 2, 2, 31, vocab)
    gen = GenerationConfig(decoder_start_token_id=2, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                           forced_bos_token_id=target_language, forced_eos_token_id=2)
    return model, gen, dict(pad=1, eos=2, start=2, low=4, vocab=vocab - 60), tokenizer


def marian():
    import sentencepiece as spm
    model_file = train_spm("marian", "unigram", 256, eos_id=0, unk_id=1, bos_id=-1, pad_id=-1)
    processor = spm.SentencePieceProcessor(model_file=model_file)
    pieces = {processor.id_to_piece(i): i for i in range(processor.get_piece_size())}
    pieces["<pad>"] = len(pieces)
    folder = tokenizer_folder("marian", {"source.spm": model_file, "target.spm": model_file})
    with open(os.path.join(folder, "vocab.json"), "w") as f:
        json.dump(pieces, f, ensure_ascii=False)
    tokenizer = MarianTokenizer.from_pretrained(folder)
    VOCAB = len(pieces)
    config = MarianConfig(
        vocab_size=VOCAB, decoder_vocab_size=VOCAB, d_model=32, encoder_layers=3, decoder_layers=2,
        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_position_embeddings=64, activation_function="swish", scale_embedding=True, dropout=0.0,
        attention_dropout=0.0, activation_dropout=0.0, pad_token_id=VOCAB - 1, eos_token_id=0,
        decoder_start_token_id=VOCAB - 1, share_encoder_decoder_embeddings=True)
    torch.manual_seed(4)
    model = perturb(MarianMTModel(config), 40, 0)
    make_eos_reachable(model, 0, VOCAB - 1, 41, VOCAB)
    gen = GenerationConfig(decoder_start_token_id=VOCAB - 1, pad_token_id=VOCAB - 1, eos_token_id=0,
                           bad_words_ids=[[VOCAB - 1]], num_beams=4, max_length=64)
    return model, gen, dict(pad=VOCAB - 1, eos=0, start=VOCAB - 1, low=2, vocab=VOCAB), tokenizer


def m2m_config(vocab, **kwargs):
    """A small M2M-100 config (NLLB-200 checkpoints use the same architecture)."""
    settings = dict(
        vocab_size=vocab, d_model=32, encoder_layers=2, decoder_layers=3, encoder_attention_heads=4,
        decoder_attention_heads=4, encoder_ffn_dim=48, decoder_ffn_dim=48, max_position_embeddings=64,
        activation_function="relu", scale_embedding=True, dropout=0.0, attention_dropout=0.0,
        activation_dropout=0.0, encoder_layerdrop=0.0, decoder_layerdrop=0.0, pad_token_id=1, bos_token_id=0,
        eos_token_id=2, decoder_start_token_id=2)
    settings.update(kwargs)
    return M2M100Config(**settings)


def m2m100():
    """facebook/m2m100_418M's layout: sentencepiece.bpe.model + vocab.json in fairseq's order
    (not the SentencePiece model's), `__en__` language tokens after the vocabulary."""
    import random
    import sentencepiece as spm
    model_file = train_spm("m2m100", "bpe", 256, unk_id=3, bos_id=0, eos_id=2, pad_id=1)
    processor = spm.SentencePieceProcessor(model_file=model_file)
    pieces = [processor.id_to_piece(i) for i in range(4, processor.get_piece_size())]
    random.Random(5).shuffle(pieces)
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for piece in pieces:
        vocab[piece] = len(vocab)
    folder = tokenizer_folder("m2m100", {"sentencepiece.bpe.model": model_file})
    with open(os.path.join(folder, "vocab.json"), "w") as f:
        json.dump(vocab, f, ensure_ascii=False)
    from transformers.models.m2m_100.tokenization_m2m_100 import FAIRSEQ_LANGUAGE_CODES
    # The Hub's tokenizer_config.json names the language tokens as special tokens (decoding
    # skips them); transformers 5.24 keeps them as text unless they are passed in.
    tokenizer = M2M100Tokenizer(os.path.join(folder, "vocab.json"), model_file, src_lang="en", tgt_lang="fr",
                                additional_special_tokens=[f"__{c}__" for c in FAIRSEQ_LANGUAGE_CODES["m2m100"]])
    # len(tokenizer) leaves out the language tokens (ids len(vocab) + i) and the 8 "madeup
    # words" after them; the model's vocabulary holds all (m2m100_418M: 128,000 + 100 + 8).
    size = len(vocab) + len(tokenizer.lang_code_to_id) + 8
    config = m2m_config(size)
    torch.manual_seed(5)
    model = perturb(M2M100ForConditionalGeneration(config), 50, 2)
    make_eos_reachable(model, 2, 2, 51, size, margin=-0.6)
    gen = GenerationConfig(decoder_start_token_id=2, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                           forced_bos_token_id=tokenizer.get_lang_id("fr"), max_length=64)
    return model, gen, dict(pad=1, eos=2, start=2, low=4, vocab=len(vocab)), tokenizer


def nllb():
    """NLLB-200's layout: tokenizer.json (SentencePiece BPE + fairseq offset) with the 202
    `eng_Latn` codes and `<mask>` after the vocabulary, language code before the text."""
    model_file = train_spm("nllb", "bpe", 256, unk_id=0, bos_id=1, eos_id=2, pad_id=-1)
    from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES
    # Loaded from the SentencePiece model alone, transformers 5.24 leaves the codes out
    # (`eng_Latn` becomes <unk>): they are named, as the Hub's tokenizer.json has them.
    tokenizer = NllbTokenizer.from_pretrained(tokenizer_folder("nllb", {"sentencepiece.bpe.model": model_file}),
                                              src_lang="eng_Latn", tgt_lang="por_Latn",
                                              extra_special_tokens=FAIRSEQ_LANGUAGE_CODES)
    size = len(tokenizer)
    config = m2m_config(size, d_model=48, encoder_layers=3, decoder_layers=2, encoder_ffn_dim=64,
                        decoder_ffn_dim=64, activation_function="gelu")
    torch.manual_seed(6)
    model = perturb(M2M100ForConditionalGeneration(config), 60, 2)
    make_eos_reachable(model, 2, 2, 61, size, margin=-1.2)
    gen = GenerationConfig(decoder_start_token_id=2, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                           forced_bos_token_id=tokenizer.convert_tokens_to_ids("por_Latn"), max_length=64)
    return model, gen, dict(pad=1, eos=2, start=2, low=4, vocab=size - 203), tokenizer


def pegasus():
    """google/pegasus-xsum's layout: a SentencePiece unigram model behind 103 reserved ids
    (`<mask_1>`, `<mask_2>`, `<unk_2>` … `<unk_102>`), pre-norm layers, sinusoidal positions."""
    model_file = train_spm("pegasus", "unigram", 256, pad_id=0, eos_id=1, unk_id=2, bos_id=-1)
    tokenizer = PegasusTokenizer.from_pretrained(tokenizer_folder("pegasus", {"spiece.model": model_file}))
    size = len(tokenizer)
    config = PegasusConfig(
        vocab_size=size, d_model=32, encoder_layers=3, decoder_layers=2, encoder_attention_heads=4,
        decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=64,
        activation_function="relu", scale_embedding=True, dropout=0.0, attention_dropout=0.0,
        activation_dropout=0.0, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, forced_eos_token_id=1)
    torch.manual_seed(7)
    model = perturb(PegasusForConditionalGeneration(config), 70, 1)
    make_eos_reachable(model, 1, 0, 71, size, margin=1.5)
    gen = GenerationConfig(decoder_start_token_id=0, pad_token_id=0, eos_token_id=1, forced_eos_token_id=1,
                           length_penalty=0.6, num_beams=4, max_length=64)
    return model, gen, dict(pad=0, eos=1, start=0, low=105, vocab=size), tokenizer


def umt5():
    """umT5 (google/umt5-small's layout): T5 v1.1 with a relative attention bias table in every
    layer, untied head."""
    model_file = train_spm("umt5", "unigram", 256, pad_id=0, eos_id=1, unk_id=2, bos_id=-1)
    tokenizer = T5Tokenizer.from_pretrained(tokenizer_folder("umt5", {"spiece.model": model_file}), extra_ids=0)
    vocab = len(tokenizer)
    config = UMT5Config(
        vocab_size=vocab, d_model=32, d_kv=8, num_heads=4, d_ff=48, num_layers=3, num_decoder_layers=2,
        relative_attention_num_buckets=8, relative_attention_max_distance=20, feed_forward_proj="gated-gelu",
        tie_word_embeddings=False, dropout_rate=0.0, layer_norm_epsilon=1e-6, pad_token_id=0, eos_token_id=1,
        decoder_start_token_id=0)
    torch.manual_seed(8)
    model = perturb(UMT5ForConditionalGeneration(config), 80, 1)
    with torch.no_grad():
        model.shared.weight.mul_(2.0)
        for name, p in model.named_parameters():
            if name.endswith(".q.weight"):
                p.mul_(0.4)
            if ".wi_" in name:
                p.mul_(0.6)
            if name.endswith("relative_attention_bias.weight"):  # unequal tables, so sharing one would show
                p.mul_(4.0)
    make_eos_reachable(model, 1, 0, 81, vocab)
    gen = GenerationConfig(decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)
    return model, gen, dict(pad=0, eos=1, start=0, low=3, vocab=vocab), tokenizer


def sources(rng, lengths, tokens):
    """Random source rows ending in EOS, right-padded, with their attention mask."""
    rows = [torch.randint(tokens["low"], tokens["vocab"] - 2, (n - 1,), generator=rng).tolist() + [tokens["eos"]] for n in lengths]
    width = max(lengths)
    ids = [r + [tokens["pad"]] * (width - len(r)) for r in rows]
    mask = [[1] * len(r) + [0] * (width - len(r)) for r in rows]
    return ids, mask


def strip(sequence, tokens, eos_ids):
    """HF sequence -> generated ids: no decoder start, cut after the first EOS, no padding."""
    out = []
    for t in sequence[1:]:
        out.append(t)
        if t in eos_ids:
            break
    return out


def generation_cases(model, tokens, rng):
    eos_ids = [tokens["eos"]]
    cases = [
        ("greedy", [7], dict(num_beams=1, do_sample=False, max_new_tokens=12)),
        ("greedy_batch", [9, 4, 6], dict(num_beams=1, do_sample=False, max_new_tokens=12)),
        ("beam4", [8, 5, 7], dict(num_beams=4, do_sample=False, max_new_tokens=12)),
        ("beam4_return2", [6], dict(num_beams=4, num_return_sequences=2, do_sample=False, max_new_tokens=10)),
        ("beam3_lp06_early", [7, 5], dict(num_beams=3, length_penalty=0.6, early_stopping=True,
                                           do_sample=False, max_new_tokens=10)),
        ("beam4_lp2_never", [6, 8], dict(num_beams=4, length_penalty=2.0, early_stopping="never",
                                         num_return_sequences=3, do_sample=False, max_new_tokens=9)),
        ("beam4_norepeat2_minlen", [7], dict(num_beams=4, no_repeat_ngram_size=2, min_new_tokens=6,
                                             do_sample=False, max_new_tokens=12)),
        ("greedy_reppen", [8, 6], dict(num_beams=1, repetition_penalty=1.5, min_new_tokens=4,
                                       do_sample=False, max_new_tokens=12)),
    ]
    out = []
    for name, lengths, kwargs in cases:
        ids, mask = sources(rng, lengths, tokens)
        with torch.no_grad():
            result = model.generate(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask),
                                    return_dict_in_generate=True, output_scores=True, use_cache=False, **kwargs)
        record = dict(name=name, source_ids=ids, attention_mask=mask, kwargs=kwargs,
                      sequences=result.sequences.tolist(),
                      ids=[strip(s, tokens, eos_ids) for s in result.sequences.tolist()])
        if kwargs.get("num_beams", 1) > 1:
            record["scores"] = result.sequences_scores.tolist()
        out.append(record)
    return out


def teacher_forced_cases(model, tokens, rng):
    out = []
    ids, _ = sources(rng, [7], tokens)
    decoder = [tokens["start"]] + torch.randint(tokens["low"], tokens["vocab"] - 2, (6,), generator=rng).tolist()
    with torch.no_grad():
        logits = model(input_ids=torch.tensor(ids), decoder_input_ids=torch.tensor([decoder]), use_cache=False).logits
    model.set_attn_implementation("eager")  # attention weights are only returned by eager attention
    with torch.no_grad():
        attn = model(input_ids=torch.tensor(ids), decoder_input_ids=torch.tensor([decoder]), use_cache=False,
                     output_attentions=True).cross_attentions
    model.set_attn_implementation("sdpa")
    out.append(dict(source_ids=ids[0], decoder_input_ids=decoder, logits=logits[0].tolist(),
                    cross_attention_last_mean=attn[-1][0].mean(0).tolist(),
                    cross_attention_layer0_head1=attn[0][0, 1].tolist()))
    ids, mask = sources(rng, [8, 3, 5], tokens)
    decoder = [[tokens["start"]] + torch.randint(tokens["low"], tokens["vocab"] - 2, (5,), generator=rng).tolist() for _ in ids]
    with torch.no_grad():
        logits = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask),
                       decoder_input_ids=torch.tensor(decoder), use_cache=False).logits
    out.append(dict(source_ids=ids, attention_mask=mask, decoder_input_ids=decoder, logits=logits.tolist()))
    check_conditioning(model, ids, mask, decoder, logits)
    # Long enough (≥ 16 queries and keys) to take the blocked (GEMM) attention path.
    ids, mask = sources(rng, [21, 17], tokens)
    decoder = [[tokens["start"]] + torch.randint(tokens["low"], tokens["vocab"] - 2, (18,), generator=rng).tolist() for _ in ids]
    with torch.no_grad():
        logits = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask),
                       decoder_input_ids=torch.tensor(decoder), use_cache=False).logits
    out.append(dict(source_ids=ids, attention_mask=mask, decoder_input_ids=decoder, logits=logits.tolist()))
    return out


TEXT_LINES = [
    "The green house.",
    "A criança brincava no jardim enquanto a avó lia o jornal.",
    "Größere Straßen führen über die Brücke nach Köln.",
    "中文：我们今天去公园散步。",
    "Hello   world 🎉",
]


def text_cases(model, tokenizer, tokens):
    """Text in, text out: what transformers generates and decodes (special tokens skipped)."""
    out = []
    for name, kwargs in [("text_greedy", dict(num_beams=1, do_sample=False, max_new_tokens=12)),
                         ("text_beam4", dict(num_beams=4, do_sample=False, max_new_tokens=12))]:
        batch = tokenizer(TEXT_LINES, return_tensors="pt", padding=True)
        with torch.no_grad():
            sequences = model.generate(**batch, use_cache=False, **kwargs)
        texts = tokenizer.batch_decode(sequences, skip_special_tokens=True)
        ids = [strip(seq, tokens, [tokens["eos"]]) for seq in sequences.tolist()]
        source_ids = [[i for i, m in zip(row, mask) if m] for row, mask in
                      zip(batch["input_ids"].tolist(), batch["attention_mask"].tolist())]
        record = dict(name=name, texts=TEXT_LINES, kwargs=kwargs, outputs=texts, source_ids=source_ids, ids=ids)
        # Cross-attention of the first input's result: the last decoder layer, mean over heads,
        # one row per generated token (the distribution it was chosen with).
        model.set_attn_implementation("eager")
        with torch.no_grad():
            decoder = [tokens["start"]] + ids[0][:-1]
            attn = model(input_ids=torch.tensor([source_ids[0]]), decoder_input_ids=torch.tensor([decoder]),
                         use_cache=False, output_attentions=True).cross_attentions
        model.set_attn_implementation("sdpa")
        record["first_cross_attention"] = attn[-1][0].mean(0).tolist()
        out.append(record)
    return out


def language_cases(model, tokenizer, tokens, source, target):
    """Text in another pair of languages: the source code's token in the input, generation
    forced to start with the target code's token (what `--source-lang`/`--target-lang` do)."""
    tokenizer.src_lang = source
    batch = tokenizer(TEXT_LINES, return_tensors="pt", padding=True)
    forced = tokenizer.get_lang_id(target) if hasattr(tokenizer, "get_lang_id") else tokenizer.convert_tokens_to_ids(target)
    out = []
    for name, kwargs in [("languages_greedy", dict(num_beams=1, do_sample=False, max_new_tokens=12, min_new_tokens=6)),
                         ("languages_beam4", dict(num_beams=4, do_sample=False, max_new_tokens=12, min_new_tokens=6, no_repeat_ngram_size=2))]:
        with torch.no_grad():
            sequences = model.generate(**batch, use_cache=False, forced_bos_token_id=forced, **kwargs)
        source_ids = [[i for i, m in zip(row, mask) if m] for row, mask in
                      zip(batch["input_ids"].tolist(), batch["attention_mask"].tolist())]
        out.append(dict(name=name, texts=TEXT_LINES, source_lang=source, target_lang=target, kwargs=kwargs,
                        source_ids=source_ids, ids=[strip(q, tokens, [tokens["eos"]]) for q in sequences.tolist()],
                        outputs=tokenizer.batch_decode(sequences, skip_special_tokens=True)))
    return out


def check_conditioning(model, ids, mask, decoder, logits):
    """The fixture must be well conditioned: float32 logits within 2e-5 of float64 ones, so a
    1e-4 tolerance tests the implementation, not rounding luck."""
    import copy
    wide = copy.deepcopy(model).double()
    with torch.no_grad():
        exact = wide(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask),
                     decoder_input_ids=torch.tensor(decoder), use_cache=False).logits
    error = (logits.double() - exact).abs().max().item()
    print(f"  float32 vs float64 logits: max abs diff {error:.2e}", file=sys.stderr)
    if error > 2e-5:
        raise SystemExit(f"fixture too ill-conditioned ({error:.2e}); lower the weight scale")


def build(name, model, gen, tokens, tokenizer, seed, shard=False, languages=None):
    folder = os.path.join(ROOT, name)
    shutil.rmtree(folder, ignore_errors=True)
    model.eval()
    model.generation_config = gen
    kwargs = dict(max_shard_size="150KB") if shard else {}
    model.save_pretrained(folder, safe_serialization=True, **kwargs)
    tokenizer.save_pretrained(folder)
    rng = torch.Generator().manual_seed(seed)
    reference = dict(
        transformers=transformers.__version__, torch=torch.__version__,
        teacher_forced=teacher_forced_cases(model, tokens, rng),
        generation=generation_cases(model, tokens, rng),
        text=text_cases(model, tokenizer, tokens))
    if languages:
        reference["languages"] = language_cases(model, tokenizer, tokens, *languages)
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(reference, f, separators=(",", ":"))
    lengths = [len(i) for g in reference["generation"] for i in g["ids"]]
    print(f"{name}: {sorted(os.listdir(folder))}; generated lengths {lengths}", file=sys.stderr)


def main():
    # transformers 5.24 sizes T5's decoder cache by num_layers (the encoder depth), so cached
    # decoding breaks when the decoder is deeper: every reference runs without a cache.
    torch.set_num_threads(1)
    builders = {
        "t5-v1_0": lambda: build("t5-v1_0", *t5("v1_0"), seed=100),
        "t5-v1_1": lambda: build("t5-v1_1", *t5("v1_1"), seed=101),
        "bart": lambda: build("bart", *bart(), seed=102),
        "mbart": lambda: build("mbart", *mbart(), seed=103, shard=True),
        "marian": lambda: build("marian", *marian(), seed=104),
        "m2m100": lambda: build("m2m100", *m2m100(), seed=105, languages=("de", "ja")),
        "nllb": lambda: build("nllb", *nllb(), seed=106, languages=("fra_Latn", "zul_Latn")),
        "pegasus": lambda: build("pegasus", *pegasus(), seed=107),
        "umt5": lambda: build("umt5", *umt5(), seed=108),
    }
    for name in sys.argv[1:] or builders:  # `make_fixtures.py m2m100 nllb` rebuilds only those
        builders[name]()
    shutil.rmtree(SCRATCH, ignore_errors=True)


if __name__ == "__main__":
    main()
