#!/usr/bin/env python3
"""PyTorch reference for `seq2seq train --init-from`: one fine-tuning step of a Hugging Face
MarianMT folder laid out as the Hub's opus-mt models are (Tests/Fixtures/opus-mt: source.spm,
target.spm, vocab.json in Marian's order, random weights), on the pairs of
Tests/Fixtures/training/finetune/pairs.tsv, as the Hugging Face Trainer would take it:

  batch  = MarianTokenizer(sources, text_target=targets, padding=True); label padding → -100
  loss   = cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.1) (mean over tokens)
  loss.backward(); clip_grad_norm_(parameters, 1.0)
  AdamW(lr 1e-3, betas (0.9, 0.98), eps 1e-9, weight_decay 0), model in training mode
  (the fixture's dropout is 0); the sinusoidal positions frozen, as Marian and seq2seq keep them

Writes Tests/Fixtures/training/finetune/: pairs.tsv, updated.safetensors (every trainable
parameter after the step, transformers' names) and reference.json (the batch's ids, the loss).
The Swift test runs the real binary on the same folder and pairs and compares.

    python3 scripts/make_finetune_reference.py      # torch, transformers 5.24, sentencepiece
"""
import json
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from transformers import MarianMTModel, MarianTokenizer

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures")
MODEL = os.path.join(ROOT, "opus-mt")
OUT = os.path.join(ROOT, "training", "finetune")
PAIRS = [
    ("The green house is by the river.", "A casa verde fica junto ao rio."),
    ("I like tea.", "Eu gosto de chá."),
    ("Where is the station?", "Onde fica a estação?"),
    ("Hello, world!", "Olá, mundo!"),
    ("We will meet tomorrow at nine o'clock in the morning.", "Vamos encontrar-nos amanhã às nove horas da manhã."),
    ("Thank you.", "Obrigado."),
]
LR, BETAS, EPS, MAX_NORM, SMOOTHING = 1e-3, (0.9, 0.98), 1e-9, 1.0, 0.1


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "pairs.tsv"), "w", encoding="utf-8", newline="\n") as f:
        for source, target in PAIRS:
            f.write(f"{source}\t{target}\n")
    torch.manual_seed(0)
    tokenizer = MarianTokenizer.from_pretrained(MODEL)
    model = MarianMTModel.from_pretrained(MODEL)
    # Marian's positions are fixed sinusoids (Marian itself never trains them; transformers 5.24
    # leaves requires_grad on): frozen here as in seq2seq's model, so they also stay out of the
    # clipped norm.
    for name, parameter in model.named_parameters():
        if "embed_positions" in name:
            parameter.requires_grad_(False)
    assert model.config.dropout == 0 and model.config.attention_dropout == 0 and model.config.activation_dropout == 0
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
    optimizer = torch.optim.AdamW([p for _, p in trainable], lr=LR, betas=BETAS, eps=EPS, weight_decay=0.0)
    optimizer.step()
    save_file({n: p.detach().contiguous().clone() for n, p in trainable}, os.path.join(OUT, "updated.safetensors"))
    reference = {
        "source_ids": [[int(i) for i, m in zip(row, mask) if m] for row, mask in zip(batch["input_ids"], batch["attention_mask"])],
        "target_ids": [[int(i) for i in row if i != tokenizer.pad_token_id] for row in batch["labels"]],
        "loss": float(loss.detach()), "grad_norm": float(norm), "lr": LR, "label_smoothing": SMOOTHING,
        "trainable": [n for n, _ in trainable],
    }
    with open(os.path.join(OUT, "reference.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")
    print(f"loss {float(loss):.6f}, grad norm {float(norm):.6f}, {len(trainable)} trainable tensors → {OUT}")


if __name__ == "__main__":
    main()
