"""PyTorch reference for one training step of Seq2SeqTraining's TransformerModel.

For each variant below, builds a tiny random transformers model (MarianMTModel,
BartForConditionalGeneration or MBartForConditionalGeneration), saves it with
save_pretrained (the folder Swift reads with TransformerModel.load(from:)), then on a fixed
padded batch, in training mode with dropout 0:

  loss   = F.cross_entropy(logits, labels, ignore_index=PAD, label_smoothing=0.1)
           (the mean over non-padding target tokens, as TransformerModel.loss)
  loss.backward(); norm = clip_grad_norm_(parameters, 1.0)
  torch.optim.AdamW(lr 1e-3, betas (0.9, 0.98), eps 1e-9, weight_decay 0.01), biases and
  layer-norm parameters in a group without weight decay (as transformers' Trainer)

and writes Tests/Fixtures/training/step/<variant>/:
  config.json, generation_config.json, model.safetensors   the model before the step
  gradients.safetensors   the clipped gradients of every trainable parameter
  updated.safetensors     every trainable parameter after the AdamW step
  reference.json          batch, hyperparameters, loss, grad norm, logits checksum

Positions are not trained: Marian's sinusoids are frozen by transformers; for BART/mBART the
script fills the learned tables with the same sinusoids (offset 2) and freezes them, as the
Swift model keeps fixed sinusoidal positions. `final_logits_bias` is a buffer (random here,
not trained) in both.

    python3 scripts/make_training_step_reference.py

Needs torch and transformers (5.24.0); CPU is enough.
"""
import json
import math
import os
import shutil

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from transformers import (BartConfig, BartForConditionalGeneration, MarianConfig, MarianMTModel, MBartConfig,
                          MBartForConditionalGeneration)

ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "training", "step")
V, D, H, FFN, MAX_POSITIONS = 40, 16, 2, 32, 32
PAD, EOS = 0, 1
LR, BETAS, EPS, WEIGHT_DECAY, MAX_NORM, SMOOTHING = 1e-3, (0.9, 0.98), 1e-9, 0.01, 1.0, 0.1

VARIANTS = {
    # post-norm, ReLU, one table for source, target and output (the default configuration)
    "marian": dict(cls=MarianMTModel, config=MarianConfig, activation="relu", start=PAD, layers=(2, 2),
                   extra=dict(share_encoder_decoder_embeddings=True, tie_word_embeddings=True, scale_embedding=True)),
    # post-norm, swish, separate source, target and output tables, no embedding scale
    "marian_untied": dict(cls=MarianMTModel, config=MarianConfig, activation="swish", start=PAD, layers=(2, 1),
                          extra=dict(share_encoder_decoder_embeddings=False, tie_word_embeddings=False,
                                     scale_embedding=False, decoder_vocab_size=V)),
    # post-norm with layernorm_embedding, GELU
    "bart": dict(cls=BartForConditionalGeneration, config=BartConfig, activation="gelu", start=EOS, layers=(1, 2),
                 extra=dict(tie_word_embeddings=True, scale_embedding=True)),
    # pre-norm with layernorm_embedding and final layer norms, GELU, decoder start = EOS
    "mbart": dict(cls=MBartForConditionalGeneration, config=MBartConfig, activation="gelu", start=EOS, layers=(2, 2),
                  extra=dict(tie_word_embeddings=True, scale_embedding=True)),
}

SOURCES = [[5, 9, 13, 22, 7, 31, EOS], [17, 3, 38, EOS], [11, 25, 4, 4, 30, EOS]]
TARGETS = [[8, 19, 2, 27, EOS], [36, 14, EOS], [6, 6, 21, 33, 10, EOS]]


def sinusoids(positions, dim):
    """Marian's table (transformers MarianSinusoidalPositionalEmbedding.create_weight)."""
    enc = np.array([[pos / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)] for pos in range(positions)])
    out = torch.empty(positions, dim)
    out[:, : dim // 2] = torch.FloatTensor(np.sin(enc[:, 0::2]))
    out[:, dim // 2:] = torch.FloatTensor(np.cos(enc[:, 1::2]))
    return out


def no_decay(name):
    return name.endswith(".bias") or "layer_norm" in name or "layernorm" in name


def build(variant, spec, generator):
    enc_layers, dec_layers = spec["layers"]
    config = spec["config"](
        vocab_size=V, d_model=D, encoder_layers=enc_layers, decoder_layers=dec_layers, encoder_attention_heads=H,
        decoder_attention_heads=H, encoder_ffn_dim=FFN, decoder_ffn_dim=FFN, activation_function=spec["activation"],
        dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, max_position_embeddings=MAX_POSITIONS,
        pad_token_id=PAD, eos_token_id=EOS, bos_token_id=None, decoder_start_token_id=spec["start"],
        forced_eos_token_id=EOS, label_smoothing=SMOOTHING, **spec["extra"])
    config._attn_implementation = "eager"
    model = spec["cls"](config)
    with torch.no_grad():  # non-degenerate values: unit-variance projections, perturbed norms, biases
        for name, p in model.named_parameters():
            if "embed_positions" in name:
                continue
            if name.endswith("layer_norm.weight") or name.endswith("layernorm_embedding.weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=generator))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(torch.randn(p.shape, generator=generator) / math.sqrt(p.shape[1]))
        model.final_logits_bias.copy_(0.1 * torch.randn(model.final_logits_bias.shape, generator=generator))
        if variant in ("bart", "mbart"):
            for stack in (model.model.encoder, model.model.decoder):
                stack.embed_positions.weight.zero_()
                stack.embed_positions.weight[2:] = sinusoids(MAX_POSITIONS, D)
    for stack in (model.model.encoder, model.model.decoder):
        stack.embed_positions.weight.requires_grad_(False)
    return model


def batch(start):
    S, T = max(map(len, SOURCES)), max(map(len, TARGETS))
    pad = lambda row, n: row + [PAD] * (n - len(row))
    return dict(
        input_ids=torch.tensor([pad(s, S) for s in SOURCES]),
        attention_mask=torch.tensor([[1] * len(s) + [0] * (S - len(s)) for s in SOURCES]),
        decoder_input_ids=torch.tensor([pad([start] + t[:-1], T) for t in TARGETS]),
        labels=torch.tensor([pad(t, T) for t in TARGETS]))


def trainable(model):
    return [(n, p) for n, p in model.named_parameters() if p.requires_grad]


def make(variant, spec, generator):
    out = os.path.join(ROOT, variant)
    shutil.rmtree(out, ignore_errors=True)
    model = build(variant, spec, generator)
    model.save_pretrained(out)
    b = batch(spec["start"])
    model.train()
    logits = model(input_ids=b["input_ids"], attention_mask=b["attention_mask"],
                   decoder_input_ids=b["decoder_input_ids"]).logits
    loss = F.cross_entropy(logits.reshape(-1, V), b["labels"].reshape(-1), ignore_index=PAD, label_smoothing=SMOOTHING)
    loss.backward()
    params = trainable(model)
    norm = torch.nn.utils.clip_grad_norm_([p for _, p in params], MAX_NORM)
    save_file({n: p.grad.detach().clone().contiguous() for n, p in params}, os.path.join(out, "gradients.safetensors"))
    optimizer = torch.optim.AdamW(
        [{"params": [p for n, p in params if not no_decay(n)]},
         {"params": [p for n, p in params if no_decay(n)], "weight_decay": 0.0}],
        lr=LR, betas=BETAS, eps=EPS, weight_decay=WEIGHT_DECAY)
    optimizer.step()
    save_file({n: p.detach().clone().contiguous() for n, p in params}, os.path.join(out, "updated.safetensors"))
    reference = {
        "torch": torch.__version__, "transformers": __import__("transformers").__version__,
        "source_ids": SOURCES, "target_ids": TARGETS, "decoder_start_token_id": spec["start"], "pad_token_id": PAD,
        "lr": LR, "beta1": BETAS[0], "beta2": BETAS[1], "eps": EPS, "weight_decay": WEIGHT_DECAY,
        "max_norm": MAX_NORM, "label_smoothing": SMOOTHING, "no_decay": [n for n, _ in params if no_decay(n)],
        "loss": float(loss.detach()), "grad_norm": float(norm),
        "logits_sum": float(logits.detach().double().sum()), "logits_abs_max": float(logits.detach().abs().max()),
    }
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
    print(f"{variant}: loss {reference['loss']:.6f}, grad norm {reference['grad_norm']:.4f}, "
          f"{sum(p.numel() for _, p in params)} parameters in {len(params)} tensors")


def main():
    generator = torch.Generator().manual_seed(2027)
    for variant, spec in VARIANTS.items():
        make(variant, spec, generator)


if __name__ == "__main__":
    main()
