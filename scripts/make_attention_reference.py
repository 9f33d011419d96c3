#!/usr/bin/env python3
"""Attention weights of the tiny fixture checkpoints from transformers, for AttentionTests.

For each of Tests/Fixtures/{bart,marian,t5-v1_0,mbart}: one fixed source and one fixed
teacher-forced decoder input (start token first) run through
`model(input_ids, decoder_input_ids, output_attentions=True)` in float32, and every layer and
head of `encoder_attentions` [L][H][S][S], `decoder_attentions` [L][H][T][T] and
`cross_attentions` [L][H][T][S] written to Tests/Fixtures/attention/reference.json.

    python3 scripts/make_attention_reference.py

The Swift tests only read the committed file; this script is not part of CI.
"""
import json
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoModelForSeq2SeqLM  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures")


def rounded(tensor):
    return [[[[round(float(x), 7) for x in row] for row in head] for head in layer] for layer in tensor]


def main():
    out = {"transformers": transformers.__version__, "torch": torch.__version__, "models": {}}
    for name in ["bart", "marian", "t5-v1_0", "mbart"]:
        folder = os.path.join(ROOT, name)
        model = AutoModelForSeq2SeqLM.from_pretrained(folder, attn_implementation="eager").float().eval()
        config = model.config
        source = [5, 17, 23, 42, 8, 99, 13, config.eos_token_id]
        decoder = [config.decoder_start_token_id, 11, 31, 7, 64, 12, 3]
        with torch.no_grad():
            result = model(input_ids=torch.tensor([source]), decoder_input_ids=torch.tensor([decoder]), output_attentions=True)
        out["models"][name] = {
            "source_ids": source,
            "decoder_input_ids": decoder,
            "encoder_self": rounded([a[0] for a in result.encoder_attentions]),
            "decoder_self": rounded([a[0] for a in result.decoder_attentions]),
            "cross": rounded([a[0] for a in result.cross_attentions]),
        }
    path = os.path.join(ROOT, "attention", "reference.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
