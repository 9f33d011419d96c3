"""PyTorch reference for the Seq2SeqTraining optimiser and loss tests.

Writes Tests/Fixtures/training/reference.json:
  - "adamw": parameters and two sets of gradients; the global norm and the gradients after
    torch.nn.utils.clip_grad_norm_ (step 1 only), then the parameters after each of two
    torch.optim.AdamW steps (two parameter groups: decayed, and weight_decay=0).
  - "ops": for each op, its inputs, a seed w of the output's shape, the output and the
    gradients of sum(w * output) with respect to every input (forward and backward parity).
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


def mask_values(t):
    """An additive mask with -inf written as null (JSON has no infinity)."""
    return [None if x == float("-inf") else x for x in values(t)]


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


def op_case(name, inputs, forward, **extra):
    """inputs: name -> tensor (all get gradients); forward(**inputs) -> output."""
    leaves = {k: v.clone().requires_grad_() for k, v in inputs.items()}
    out = forward(**leaves)
    w = torch.randn(out.shape, dtype=torch.float32)
    (out * w).sum().backward()
    return {"name": name, "shapes": {k: list(v.shape) for k, v in leaves.items()},
            "inputs": {k: values(v) for k, v in leaves.items()}, "seed": values(w), "output": values(out),
            "output_shape": list(out.shape), "grads": {k: values(v.grad) for k, v in leaves.items()}, **extra}


def attention(q, k, v, heads, mask):
    """[B, T, D] queries over [B, S, D] keys/values, heads as column blocks; mask [B, 1, S] additive."""
    b, t, d = q.shape
    s = k.shape[1]
    split = lambda x, n: x.view(b, n, heads, d // heads).transpose(1, 2)
    out = torch.nn.functional.scaled_dot_product_attention(split(q, t), split(k, s), split(v, s),
                                                           attn_mask=mask.unsqueeze(1))
    return out.transpose(1, 2).reshape(b, t, d)


def ops_cases():
    r = lambda *shape: torch.randn(*shape, dtype=torch.float32)
    pad_mask = torch.zeros(2, 1, 5)
    pad_mask[1, 0, 3:] = float("-inf")
    causal = torch.triu(torch.full((3, 4), float("-inf")), diagonal=2)
    ids = [1, 4, 1, 0, 5, 2]
    return [
        op_case("linear", {"x": r(2, 3, 5), "weight": r(4, 5), "bias": r(4)},
                lambda x, weight, bias: torch.nn.functional.linear(x, weight, bias)),
        op_case("layer_norm", {"x": r(2, 3, 6) * 2, "gamma": r(6), "beta": r(6)},
                lambda x, gamma, beta: torch.nn.functional.layer_norm(x, (6,), gamma, beta, 1e-5)),
        op_case("gelu", {"x": r(4, 5) * 2}, lambda x: torch.nn.functional.gelu(x)),
        op_case("gelu_tanh", {"x": r(4, 5) * 2}, lambda x: torch.nn.functional.gelu(x, approximate="tanh")),
        op_case("softmax_causal", {"x": r(2, 3, 4)}, lambda x: torch.softmax(x + causal, dim=-1),
                mask=mask_values(causal)),
        op_case("embedding", {"table": r(6, 4)},
                lambda table: torch.nn.functional.embedding(torch.tensor(ids).view(2, 3), table), ids=ids),
        op_case("attention", {"q": r(2, 3, 8), "k": r(2, 5, 8), "v": r(2, 5, 8)},
                lambda q, k, v: attention(q, k, v, 2, pad_mask), heads=2, mask=mask_values(pad_mask)),
    ]


def main():
    fixture = {"torch": torch.__version__, "adamw": adamw_case(), "cross_entropy": cross_entropy_case(),
               "ops": ops_cases()}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1)
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
