#!/usr/bin/env python3
"""Side-by-side generation speed: seq2seq vs PyTorch (transformers) vs CTranslate2.

Builds random full-size checkpoints once (Marian base: d512, 6+6 layers, 8 heads, FFN 2048,
vocab 58101; T5-small: d512, 6+6, 8 heads, FFN 2048, vocab 32128) under .cache/bench-models,
converts them to CTranslate2 (float32 and int8), then times every engine (seq2seq and
seq2seq-int8 are `seq2seq-bench model` with `--compute-type float32|int8`) generating a fixed
number of tokens (EOS suppressed until then) for batch 1 and 16, greedy and beam 4. Each
measurement runs in its own process (best of N after a warm-up) and reports that process's
peak resident memory.

    pip install -r scripts/requirements-bench.txt
    python3 scripts/bench_models.py [--threads 2] [--new-tokens 64] [--repeats 3] [--models marian,t5-small]

Prints a Markdown table (tokens/s, ratios, peak MB) and the CPU model.
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CACHE = os.path.join(ROOT, ".cache", "bench-models")
SOURCE_LENGTH = 24
SPECIAL = {"marian": {0: "</s>", 1: "<unk>", 58100: "<pad>"}, "t5-small": {0: "<pad>", 1: "</s>", 2: "<unk>"}}


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def sources(name, batch, vocab):
    import random
    rng = random.Random(1234)
    eos = 0 if name == "marian" else 1
    return [[rng.randrange(10, vocab - 10) for _ in range(SOURCE_LENGTH - 1)] + [eos] for _ in range(batch)]


# ---------------------------------------------------------------------------------------
# Models


def build_models(names):
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from transformers import MarianConfig, MarianMTModel, T5Config, T5ForConditionalGeneration
    for name in names:
        folder = os.path.join(CACHE, name, "hf")
        if os.path.exists(os.path.join(folder, "model.safetensors")):
            continue
        torch.manual_seed(0)
        if name == "marian":
            config = MarianConfig(vocab_size=58101, decoder_vocab_size=58101, d_model=512, encoder_layers=6,
                                  decoder_layers=6, encoder_attention_heads=8, decoder_attention_heads=8,
                                  encoder_ffn_dim=2048, decoder_ffn_dim=2048, max_position_embeddings=512,
                                  activation_function="swish", scale_embedding=True, pad_token_id=58100,
                                  eos_token_id=0, decoder_start_token_id=58100)
            model = MarianMTModel(config)
        else:
            config = T5Config(vocab_size=32128, d_model=512, d_kv=64, num_heads=8, d_ff=2048, num_layers=6,
                              num_decoder_layers=6, feed_forward_proj="relu", pad_token_id=0, eos_token_id=1,
                              decoder_start_token_id=0)
            model = T5ForConditionalGeneration(config)
        model.save_pretrained(folder, safe_serialization=True)
        print(f"built {folder}", file=sys.stderr)
    for name in names:
        for quantization in ("float32", "int8"):
            out = os.path.join(CACHE, name, f"ct2-{quantization}")
            if not os.path.exists(os.path.join(out, "model.bin")):
                convert_ct2(name, os.path.join(CACHE, name, "hf"), out, quantization)


class _Tokenizer:
    """What CTranslate2's converter asks of a tokenizer, for a checkpoint that has none."""

    def __init__(self, name, vocab_size):
        special = SPECIAL[name]
        self.tokens = [special.get(i, f"t{i}") for i in range(vocab_size)]
        self.eos_token, self.unk_token = "</s>", "<unk>"
        self.pad_token, self.bos_token = "<pad>", None
        self.special_tokens_map = {}

    def get_vocab(self):
        return {t: i for i, t in enumerate(self.tokens)}

    def convert_ids_to_tokens(self, ids):
        return self.tokens[ids] if isinstance(ids, int) else [self.tokens[i] for i in ids]


def convert_ct2(name, hf_folder, out, quantization):
    from ctranslate2.converters import TransformersConverter
    vocab = 58101 if name == "marian" else 32128

    class Converter(TransformersConverter):
        def load_tokenizer(self, tokenizer_class, model_name_or_path, **kwargs):
            return _Tokenizer(name, vocab)

    Converter(hf_folder).convert(out, quantization=quantization, force=True)
    print(f"converted {out}", file=sys.stderr)


# ---------------------------------------------------------------------------------------
# Workers: one engine, one configuration, in this process.


def timed(run, repeats):
    run()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def worker_pytorch(name, batch, beams, new_tokens, threads, repeats):
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from transformers import AutoModelForSeq2SeqLM
    torch.set_num_threads(threads)
    model = AutoModelForSeq2SeqLM.from_pretrained(os.path.join(CACHE, name, "hf")).eval()
    ids = torch.tensor(sources(name, batch, model.config.vocab_size))

    def run():
        with torch.inference_mode():
            out = model.generate(input_ids=ids, num_beams=beams, do_sample=False, max_new_tokens=new_tokens,
                                 min_new_tokens=new_tokens, no_repeat_ngram_size=0, repetition_penalty=1.0)
        assert out.shape[1] == new_tokens + 1, out.shape
    return timed(run, repeats)


def worker_ct2(name, batch, beams, new_tokens, threads, repeats, quantization):
    import ctranslate2
    translator = ctranslate2.Translator(os.path.join(CACHE, name, f"ct2-{quantization}"), device="cpu",
                                        compute_type=quantization, inter_threads=1, intra_threads=threads)
    vocab = 58101 if name == "marian" else 32128
    tokenizer = _Tokenizer(name, vocab)
    batch_tokens = [tokenizer.convert_ids_to_tokens(s) for s in sources(name, batch, vocab)]

    def run():
        results = translator.translate_batch(batch_tokens, beam_size=beams, max_decoding_length=new_tokens,
                                             min_decoding_length=new_tokens, max_batch_size=batch)
        assert all(len(r.hypotheses[0]) == new_tokens for r in results), [len(r.hypotheses[0]) for r in results]
    return timed(run, repeats)


def worker(args):
    name, engine = args.model, args.engine
    if engine == "pytorch":
        seconds = worker_pytorch(name, args.batch, args.beams, args.new_tokens, args.threads, args.repeats)
    else:
        seconds = worker_ct2(name, args.batch, args.beams, args.new_tokens, args.threads, args.repeats,
                             engine.split("-", 1)[1])
    print(json.dumps({"seconds": seconds, "tokens_per_second": args.batch * args.new_tokens / seconds,
                      "peak_rss_mb": peak_rss_mb()}))


# ---------------------------------------------------------------------------------------
# Driver


def measure(engine, name, batch, beams, args):
    if engine.startswith("seq2seq"):
        compute_type = "int8" if engine == "seq2seq-int8" else "float32"
        command = [os.path.join(ROOT, ".build", "release", "seq2seq-bench"), "model", "--compute-type", compute_type,
                   "--model", os.path.join(CACHE, name, "hf"), "--batch", str(batch), "--beams", str(beams),
                   "--new-tokens", str(args.new_tokens), "--source-length", str(SOURCE_LENGTH),
                   "--threads", str(args.threads), "--repeats", str(args.repeats)]
    else:
        command = [sys.executable, os.path.abspath(__file__), "--worker", "--engine", engine, "--model", name,
                   "--batch", str(batch), "--beams", str(beams), "--new-tokens", str(args.new_tokens),
                   "--threads", str(args.threads), "--repeats", str(args.repeats)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{engine} {name} b{batch} k{beams} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--engine")
    parser.add_argument("--model")
    parser.add_argument("--models", default="marian,t5-small")
    parser.add_argument("--engines", default="seq2seq,pytorch,ct2-float32,ct2-int8")
    parser.add_argument("--base", default="seq2seq", help="the engine the ratio columns divide by the others")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--beams", type=int, default=1)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    names = args.models.split(",")
    engines = args.engines.split(",")
    build_models(names)
    if any(e.startswith("seq2seq") for e in engines):
        subprocess.run(["swift", "build", "-c", "release", "--product", "seq2seq-bench"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    print(f"CPU: {cpu_model()}; threads {args.threads}; source length {SOURCE_LENGTH}; "
          f"{args.new_tokens} new tokens per sequence; best of {args.repeats} after a warm-up\n")
    base = args.base
    others = [e for e in engines if e != base]
    header = "| model | batch | beams | " + " | ".join(f"{e} tok/s" for e in engines)
    header += "".join(f" | {base} / {e}" for e in others if base in engines)
    header += " | " + " | ".join(f"{e} peak MB" for e in engines) + " |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for name in names:
        for beams in (1, 4):
            for batch in (1, 16):
                r = {e: measure(e, name, batch, beams, args) for e in engines}
                row = f"| {name} | {batch} | {beams} | " + " | ".join(f"{r[e]['tokens_per_second']:.1f}" for e in engines)
                if base in engines:
                    row += "".join(f" | {r[base]['tokens_per_second'] / r[e]['tokens_per_second']:.2f}×" for e in others)
                row += " | " + " | ".join(f"{r[e]['peak_rss_mb']:.0f}" for e in engines) + " |"
                print(row, flush=True)


if __name__ == "__main__":
    main()
