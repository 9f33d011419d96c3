"""PyTorch reference for the Seq2SeqTraining optimiser and loss tests.

Writes Tests/Fixtures/training/reference.json:
  - "adamw": parameters and two sets of gradients; the global norm and the gradients after
    torch.nn.utils.clip_grad_norm_ (step 1 only), then the parameters after each of two
    torch.optim.AdamW steps (two parameter groups: decayed, and weight_decay=0).
  - "cross_entropy": logits, targets with padding, and the loss and d loss/d logits of
    torch.nn.functional.cross_entropy(ignore_index=PAD, label_smoothing=EPS).

    python3 scripts/make_training_reference.py

Needs torch (CPU is enough). Every number is a float32 value written exactly as a double.
"""
import json
import os

import torch

torch.manual_seed(2026)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "training", "reference.json")


def values(t):
    return [float(x) for x in t.detach().to(torch.float32).reshape(-1).tolist()]


def adamw_case():
    lr, betas, eps, wd, max_norm = 1e-2, (0.9, 0.98), 1e-9, 0.1, 1.0
    shapes = {"weight": [3, 4], "bias": [4], "embedding": [5, 3]}
    params = {k: torch.randn(s, dtype=torch.float32).requires_grad_() for k, s in shapes.items()}
    grads = [{k: torch.randn(s, dtype=torch.float32) * 0.7 for k, s in shapes.items()} for _ in range(2)]
    case = {"lr": lr, "beta1": betas[0], "beta2": betas[1], "eps": eps, "weight_decay": wd, "max_norm": max_norm,
            "no_decay": ["bias"], "names": list(shapes), "shapes": shapes,
            "params": {k: values(p) for k, p in params.items()},
            "grads": [{k: values(g) for k, g in step.items()} for step in grads], "after": []}
    optimizer = torch.optim.AdamW(
        [{"params": [params["weight"], params["embedding"]]},
         {"params": [params["bias"]], "weight_decay": 0.0}],
        lr=lr, betas=betas, eps=eps, weight_decay=wd)
    for step, step_grads in enumerate(grads):
        for k, p in params.items():
            p.grad = step_grads[k].clone()
        if step == 0:
            norm = torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm)
            case["clip_norm"] = float(norm)
            case["clipped_grads"] = {k: values(p.grad) for k, p in params.items()}
        optimizer.step()
        case["after"].append({k: values(p) for k, p in params.items()})
    return case


def cross_entropy_case():
    n, v, pad, eps = 6, 7, 0, 0.1
    logits = (torch.randn(n, v, dtype=torch.float32) * 2).requires_grad_()
    targets = torch.tensor([3, 0, 6, 1, 0, 2])
    loss = torch.nn.functional.cross_entropy(logits, targets, ignore_index=pad, label_smoothing=eps)
    loss.backward()
    return {"rows": n, "vocab": v, "pad": pad, "label_smoothing": eps, "logits": values(logits),
            "targets": targets.tolist(), "loss": float(loss.detach()), "grad": values(logits.grad)}


def main():
    fixture = {"torch": torch.__version__, "adamw": adamw_case(), "cross_entropy": cross_entropy_case()}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1)
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
