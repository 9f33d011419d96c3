"""Runs folders exported by TransformerModel.export(to:) in transformers and compares logits.

    SEQ2SEQ_EXPORT_CHECK_DIR=/tmp/exports swift test -c release --filter ExportTests
    python3 scripts/check_training_export.py /tmp/exports

Each sub-folder holds an export and `expected.json` (source ids of varying lengths, decoder
input ids, and the training model's logits [B*T*V] in evaluation mode). The folder is loaded
with AutoModelForSeq2SeqLM (the class named by config.json), the sources padded with an
attention mask; prints the family, the class, the max |logit difference| and the tied-weight
state, and fails if a difference exceeds 1e-4.
"""
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch  # noqa: E402
from transformers import AutoModelForSeq2SeqLM  # noqa: E402


def check(folder):
    with open(os.path.join(folder, "expected.json")) as f:
        expected = json.load(f)
    model = AutoModelForSeq2SeqLM.from_pretrained(folder).eval()
    pad = model.config.pad_token_id
    sources = expected["source_ids"]
    S = max(map(len, sources))
    input_ids = torch.tensor([s + [pad] * (S - len(s)) for s in sources])
    mask = torch.tensor([[1] * len(s) + [0] * (S - len(s)) for s in sources])
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=mask,
                       decoder_input_ids=torch.tensor(expected["decoder_input_ids"])).logits
    want = torch.tensor(expected["logits"]).reshape(logits.shape)
    diff = float((logits - want).abs().max())
    embeddings = model.get_input_embeddings().weight
    head = model.get_output_embeddings().weight
    decoder_table = model.get_decoder().embed_tokens.weight
    print(f"{os.path.basename(folder):24s} {type(model).__name__:30s} max |diff| {diff:.3g}  "
          f"lm_head tied: {head.data_ptr() == decoder_table.data_ptr()}  "
          f"encoder/decoder tables shared: {embeddings.data_ptr() == decoder_table.data_ptr()}")
    return diff


def main():
    root = sys.argv[1]
    worst = max(check(os.path.join(root, d)) for d in sorted(os.listdir(root))
                if os.path.exists(os.path.join(root, d, "expected.json")))
    print("worst", worst)
    sys.exit(0 if worst < 1e-4 else 1)


if __name__ == "__main__":
    main()
