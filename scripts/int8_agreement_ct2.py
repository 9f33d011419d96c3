#!/usr/bin/env python3
"""CTranslate2's own int8-vs-float32 agreement on the committed fixture families, to set
Seq2Seq's int8 agreement (Int8ComputeTests) beside the reference engine's on the same random
tiny models: each fixture is converted with CTranslate2's converter (float32 and int8), every
greedy reference case is decoded by both, and the best outputs are compared per source.

    pip install -r scripts/requirements-bench.txt
    python3 scripts/int8_agreement_ct2.py [--families bart,marian,...]
"""
import argparse
import json
import os
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
DEFAULT = "t5-v1_0,t5-v1_1,bart,mbart,marian,opus-mt,m2m100,nllb,pegasus"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", default=DEFAULT)
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    import ctranslate2
    from ctranslate2.converters import TransformersConverter
    from transformers import AutoTokenizer

    same_total = count_total = 0
    with tempfile.TemporaryDirectory() as scratch:
        for family in args.families.split(","):
            folder = os.path.join(FIXTURES, family)
            reference = json.load(open(os.path.join(folder, "reference.json")))
            tokenizer = AutoTokenizer.from_pretrained(folder)
            outputs = {}
            try:
                for quantization in ("float32", "int8"):
                    out = os.path.join(scratch, family, quantization)
                    TransformersConverter(folder).convert(out, quantization=quantization, force=True)
                    translator = ctranslate2.Translator(out, device="cpu", compute_type=quantization, intra_threads=1)
                    results = []
                    for case in reference["generation"]:
                        kwargs = case["kwargs"]
                        if kwargs.get("num_beams", 1) != 1 or kwargs.get("do_sample"):
                            continue
                        sources = [[i for i, m in zip(row, mask) if m] for row, mask in zip(case["source_ids"], case["attention_mask"])]
                        tokens = [tokenizer.convert_ids_to_tokens(s) for s in sources]
                        hyps = translator.translate_batch(tokens, beam_size=1, max_decoding_length=kwargs.get("max_new_tokens", 12),
                                                          min_decoding_length=kwargs.get("min_new_tokens", 0),
                                                          repetition_penalty=kwargs.get("repetition_penalty", 1.0))
                        results += [h.hypotheses[0] for h in hyps]
                    outputs[quantization] = results
            except Exception as error:  # a family CTranslate2 does not convert
                print(f"{family}: not converted by CTranslate2 ({type(error).__name__}: {str(error)[:120]})")
                continue
            same = sum(a == b for a, b in zip(outputs["float32"], outputs["int8"]))
            same_total += same
            count_total += len(outputs["int8"])
            print(f"{family}: CTranslate2 int8 greedy {same}/{len(outputs['int8'])} identical to its float32")
    print(f"total: {same_total}/{count_total} ({100 * same_total / max(count_total, 1):.0f}%)")


if __name__ == "__main__":
    sys.exit(main())
