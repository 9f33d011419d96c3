#!/usr/bin/env python3
"""PyTorch reference for `seq2seq train --init-from`: one fine-tuning step of a Hugging Face
MarianMT folder laid out as the Hub's opus-mt models are (Tests/Fixtures/opus-mt: source.spm,
target.spm, vocab.json in Marian's order, random weights) and of a BART folder with learned
positions and a byte-level BPE tokenizer.json (Tests/Fixtures/bart) and of an mBART folder
(Tests/Fixtures/mbart: pre-norm, language codes; fine-tuned de_DE → fr_XX, not the tokenizer's
own en_XX → ro_RO, so the codes must come from the command line) and of two T5 folders
(Tests/Fixtures/t5-v1_0: ReLU, decoder output scaled by D^-0.5; t5-v1_1: gated-GELU, unscaled,
heads·d_kv ≠ d_model; both a Unigram tokenizer.json, labels `text </s>`, decoder start = padding), on the pairs of
Tests/Fixtures/training/finetune/pairs.tsv, as the Hugging Face Trainer would take it:

  batch  = tokenizer(sources, text_target=targets, padding=True); label padding → -100
           (mBART: `text </s> fr_XX` labels; the model's shift_tokens_right wraps fr_XX to the front)
  loss   = cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.1) (mean over tokens)
  loss.backward(); clip_grad_norm_(parameters, 1.0)
  AdamW(lr 1e-3, betas (0.9, 0.98), eps 1e-9, weight_decay 0), model in training mode
  (the fixture's dropout is 0); the sinusoidal positions frozen, as Marian and seq2seq keep them

Writes Tests/Fixtures/training/finetune/pairs.tsv and, per variant (marian, bart, mbart, t5-v1_0, t5-v1_1),
updated.safetensors (every trainable parameter after the step, transformers' names),
gradients.safetensors (the clipped gradients: where one is within rounding noise of 0, AdamW's
first step of lr·g/(|g| + 1e-9) is that noise, anywhere within ±lr) and reference.json (the batch's ids, the loss, the clipped norm).
The Swift test runs the real binary on the same folder and pairs and compares.

    python3 scripts/make_finetune_reference.py [variant ...]   # torch, transformers 5.24, sentencepiece
"""
import json
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from transformers import (AutoTokenizer, BartForConditionalGeneration, MarianMTModel, MarianTokenizer,
                          MBartForConditionalGeneration, T5ForConditionalGeneration)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures")
OUT = os.path.join(ROOT, "training", "finetune")
# variant → (pretrained folder, model class, tokenizer class, tokenizer arguments)
VARIANTS = {
    "marian": ("opus-mt", MarianMTModel, MarianTokenizer, {}),
    "bart": ("bart", BartForConditionalGeneration, AutoTokenizer, {}),
    "mbart": ("mbart", MBartForConditionalGeneration, AutoTokenizer, {"src_lang": "de_DE", "tgt_lang": "fr_XX"}),
    "t5-v1_0": ("t5-v1_0", T5ForConditionalGeneration, AutoTokenizer, {}),
    "t5-v1_1": ("t5-v1_1", T5ForConditionalGeneration, AutoTokenizer, {}),
}
PAIRS = [
    ("The green house is by the river.", "A casa verde fica junto ao rio."),
    ("I like tea.", "Eu gosto de chá."),
    ("Where is the station?", "Onde fica a estação?"),
    ("Hello, world!", "Olá, mundo!"),
    ("We will meet tomorrow at nine o'clock in the morning.", "Vamos encontrar-nos amanhã às nove horas da manhã."),
    ("Thank you.", "Obrigado."),
]
LR, BETAS, EPS, MAX_NORM, SMOOTHING = 1e-3, (0.9, 0.98), 1e-9, 1.0, 0.1


def step(variant):
    folder, model_class, tokenizer_class, tokenizer_arguments = VARIANTS[variant]
    model_dir = os.path.join(ROOT, folder)
    out = os.path.join(OUT, variant)
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    tokenizer = tokenizer_class.from_pretrained(model_dir, **tokenizer_arguments)
    model = model_class.from_pretrained(model_dir)
    # Marian's positions are fixed sinusoids (Marian itself never trains them; transformers 5.24
    # leaves requires_grad on): frozen here as in seq2seq's model, so they also stay out of the
    # clipped norm. BART's positions are learned, and trained by both.
    for name, parameter in model.named_parameters():
        if variant == "marian" and "embed_positions" in name:
            parameter.requires_grad_(False)
    rates = ["dropout_rate"] if variant.startswith("t5") else ["dropout", "attention_dropout", "activation_dropout"]
    assert all(getattr(model.config, rate) == 0 for rate in rates)
    batch = tokenizer([s for s, _ in PAIRS], text_target=[t for _, t in PAIRS], padding=True, return_tensors="pt")
    labels = batch["labels"].clone()
    labels[labels == tokenizer.pad_token_id] = -100
    model.train()
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=labels).logits
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100,
                           label_smoothing=SMOOTHING)
    loss.backward()
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    norm = torch.nn.utils.clip_grad_norm_([p for _, p in trainable], MAX_NORM)
    save_file({n: p.grad.detach().contiguous().clone() for n, p in trainable}, os.path.join(out, "gradients.safetensors"))
    optimizer = torch.optim.AdamW([p for _, p in trainable], lr=LR, betas=BETAS, eps=EPS, weight_decay=0.0)
    optimizer.step()
    save_file({n: p.detach().contiguous().clone() for n, p in trainable}, os.path.join(out, "updated.safetensors"))
    reference = {
        "model": folder,
        "source_ids": [[int(i) for i, m in zip(row, mask) if m] for row, mask in zip(batch["input_ids"], batch["attention_mask"])],
        "target_ids": [[int(i) for i in row if i != tokenizer.pad_token_id] for row in batch["labels"]],
        "loss": float(loss.detach()), "grad_norm": float(norm), "lr": LR, "label_smoothing": SMOOTHING,
        "trainable": [n for n, _ in trainable],
        "languages": tokenizer_arguments,
    }
    with open(os.path.join(out, "reference.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")
    print(f"{variant}: loss {float(loss):.6f}, grad norm {float(norm):.6f}, {len(trainable)} trainable tensors → {out}")


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "pairs.tsv"), "w", encoding="utf-8", newline="\n") as f:
        for source, target in PAIRS:
            f.write(f"{source}\t{target}\n")
    for variant in sys.argv[1:] or VARIANTS:
        step(variant)


if __name__ == "__main__":
    main()
