"""Training-step speed: seq2seq-bench train-step against PyTorch on the same model and shapes.

    swift build -c release --product seq2seq-bench
    python3 scripts/bench_training.py --preset small --batch-tokens 4096 --threads 2

Runs `seq2seq-bench train-step` (which also exports its initial model), then loads that
folder with transformers (MarianMTModel for the post-norm presets) and times the same step in
PyTorch with torch.set_num_threads(T): forward on a random batch of the same shape (B pairs of
L source and L target tokens, dropout as configured, training mode), label-smoothed
cross-entropy ignoring padding, backward, clip_grad_norm_(1.0), torch.optim.AdamW. Prints
both JSON records and the ratio of tokens/s (ours / PyTorch). The first step of each warms up.

Both engines run with glibc keeping freed memory (GLIBC_TUNABLES mmap_max 0 and no trimming,
what `TrainingMemory.keepFreedMemory()` sets in Swift; the script re-executes itself with it),
so neither pays a page fault per 4 KiB of every step's fresh tensors; `--default-malloc`
runs both with glibc's defaults instead.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

TUNABLES = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=2147483647"
if "--default-malloc" not in sys.argv and os.environ.get("GLIBC_TUNABLES") != TUNABLES:
    os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, GLIBC_TUNABLES=TUNABLES))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from transformers import AutoModelForSeq2SeqLM  # noqa: E402


def cpu_model():
    with open("/proc/cpuinfo") as f:
        return next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), platform.machine())


def pytorch_steps(folder, batch, length, steps, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(7)
    model = AutoModelForSeq2SeqLM.from_pretrained(folder, attn_implementation="eager")
    model.train()
    config = model.config
    vocab, pad, start = config.vocab_size, config.pad_token_id, config.decoder_start_token_id
    smoothing = getattr(config, "label_smoothing", 0.1)
    params = [p for p in model.parameters() if p.requires_grad]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and
                (n.endswith(".bias") or "layer_norm" in n or "layernorm" in n)]
    decay = [p for p in params if all(p is not q for q in no_decay)]
    optimizer = torch.optim.AdamW([{"params": decay}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=1e-4, betas=(0.9, 0.98), eps=1e-9, weight_decay=0.01)
    times = []
    for _ in range(steps + 1):
        sources = torch.randint(2, vocab, (batch, length))
        targets = torch.randint(2, vocab, (batch, length))
        sources[:, -1] = config.eos_token_id
        targets[:, -1] = config.eos_token_id
        decoder_inputs = torch.cat([torch.full((batch, 1), start), targets[:, :-1]], dim=1)
        t0 = time.perf_counter()
        logits = model(input_ids=sources, attention_mask=torch.ones_like(sources), decoder_input_ids=decoder_inputs).logits
        loss = F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1), ignore_index=pad, label_smoothing=smoothing)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        times.append((t1 - t0, t2 - t1, time.perf_counter() - t2))
    timed = times[1:]
    mean = lambda i: sum(t[i] for t in timed) / len(timed)
    step = mean(0) + mean(1) + mean(2)
    return {"engine": "pytorch", "torch": torch.__version__, "batch": batch, "length": length, "vocab": vocab,
            "target_tokens": batch * length, "threads": threads, "steps": steps, "seconds_per_step": step,
            "tokens_per_second": batch * length / step, "forward_seconds": mean(0), "backward_seconds": mean(1),
            "optimizer_seconds": mean(2), "model_class": type(model).__name__, "cpu": cpu_model()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="small")
    parser.add_argument("--batch-tokens", type=int, default=4096)
    parser.add_argument("--length", type=int, default=32)
    parser.add_argument("--vocab", type=int, default=8000)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--default-malloc", action="store_true")
    parser.add_argument("--bench", default=os.path.join(os.path.dirname(__file__), "..", ".build", "release", "seq2seq-bench"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        command = [args.bench, "train-step", "--preset", args.preset, "--batch-tokens", str(args.batch_tokens),
                   "--length", str(args.length), "--vocab", str(args.vocab), "--steps", str(args.steps),
                   "--threads", str(args.threads), "--save-model", folder,
                   "--keep-freed-memory", "off" if args.default_malloc else "on"]
        ours = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        print(json.dumps(ours))
        theirs = pytorch_steps(folder, ours["batch"], args.length, args.steps, args.threads)
        print(json.dumps(theirs))
    print(json.dumps({"tokens_per_second_ratio_seq2seq_over_pytorch": ours["tokens_per_second"] / theirs["tokens_per_second"]}))


if __name__ == "__main__":
    main()
