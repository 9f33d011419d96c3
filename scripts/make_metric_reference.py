"""sacreBLEU and jiwer reference for the Seq2SeqEvaluation tests.

Reads the hand-written corpus in Tests/Fixtures/metrics/ (hyp.txt, ref.txt, ref2.txt: one
segment a line, line n of each file belonging together) and writes
Tests/Fixtures/metrics/reference.json with:
  - "tokenized_13a": sacreBLEU's 13a tokenization of every line of every file;
  - "bleu": corpus BLEU with the default options (13a, exp smoothing, order 4) against ref.txt
    and against both references, corpus BLEU with the other smoothing methods, and
    sentence BLEU (sacrebleu.sentence_bleu: exp smoothing, effective order) of every line;
  - "chrf": corpus chrF (sacreBLEU defaults) and chrF++ (word order 2), single and two
    references, with and without eps smoothing, and the sentence score of every line;
  - "ter": corpus TER (sacreBLEU defaults, and case-sensitive), single and two references,
    the sentence score of every line, and "shift_cases": seeded random word sequences whose
    hypotheses are their references with blocks moved, words replaced, dropped and added
    (lengths 0-130, so the shift distance, the beam and the candidate limit all come into
    play);
  - "cli": what sacreBLEU's own command line prints (`sacrebleu REF… -i hyp.txt -m … -f text`)
    for several metric and width combinations, byte for byte;
  - "wer": jiwer.process_words over the whole corpus and line by line, with jiwer's default
    transform and with the normalisation WordErrorRate(normalize: true) documents
    (lowercase, remove Unicode punctuation, whitespace runs to one space, strip); and
    "alignment_cases": random short word sequences over a four-word alphabet (seeded), whose
    substitution / deletion / insertion split shows how equal-cost alignments are broken.

    python3 scripts/make_metric_reference.py

Installs sacrebleu and jiwer (the pinned versions) with pip when they are missing. Lines are
read as sacreBLEU's command line reads them (UTF-8, split on "\\n" only) but not stripped,
so the library sees leading and trailing whitespace too.
"""
import importlib
import importlib.metadata
import json
import logging
import os
import random
import subprocess
import sys

SACREBLEU, JIWER = "2.6.0", "4.0.0"
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "metrics")


def ensure(module, version):
    try:
        if importlib.metadata.version(module) == version:
            return importlib.import_module(module)
    except importlib.metadata.PackageNotFoundError:
        pass
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", f"{module}=={version}"])
    importlib.invalidate_caches()
    return importlib.import_module(module)


sacrebleu = ensure("sacrebleu", SACREBLEU)
jiwer = ensure("jiwer", JIWER)
from sacrebleu.metrics import BLEU, CHRF, TER  # noqa: E402
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a  # noqa: E402

logging.getLogger("sacrebleu").setLevel(logging.ERROR)  # sentence BLEU without effective order warns per line


def read_lines(name):
    with open(os.path.join(HERE, name), encoding="utf-8", newline="\n") as f:
        text = f.read()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def bleu_record(score):
    return {"score": score.score, "counts": list(score.counts), "totals": list(score.totals),
            "precisions": list(score.precisions), "bp": score.bp, "ratio": score.ratio,
            "hyp_len": score.sys_len, "ref_len": score.ref_len, "line": str(score)}


def chrf_record(score):
    return {"score": score.score, "line": str(score)}


def ter_record(score):
    return {"score": score.score, "num_edits": score.num_edits, "ref_length": score.ref_length, "line": str(score)}


def ter_shift_cases(count=240, seed=2026):
    rng = random.Random(seed)
    vocabulary = "the a cat dog sat on mat and ran home it was red big".split()
    cases = []
    for k in range(count):
        n = rng.choice([0, 1, 2, 3, 5, 8, 12, 20, 30, 45, 60, 80, 130]) if k % 4 else rng.randint(0, 15)
        ref = [rng.choice(vocabulary[: rng.randint(3, len(vocabulary))]) for _ in range(n)]
        hyp = list(ref)
        for _ in range(rng.randint(0, 4)):  # move blocks
            if len(hyp) < 2:
                break
            a = rng.randrange(len(hyp)); b = min(len(hyp), a + rng.randint(1, 6))
            block, rest = hyp[a:b], hyp[:a] + hyp[b:]
            t = rng.randint(0, len(rest))
            hyp = rest[:t] + block + rest[t:]
        for _ in range(rng.randint(0, 3)):  # substitute, delete, insert
            op = rng.choice("sdi")
            if op == "i" or not hyp:
                hyp.insert(rng.randint(0, len(hyp)), rng.choice(vocabulary))
            elif op == "s":
                hyp[rng.randrange(len(hyp))] = rng.choice(vocabulary)
            else:
                del hyp[rng.randrange(len(hyp))]
        if k % 37 == 5:  # very different lengths: the beam widens
            hyp = hyp[:3]
        if k % 11 == 3:
            hyp = [w.upper() if rng.random() < 0.3 else w for w in hyp]
        h, r = " ".join(hyp), " ".join(ref)
        stats = TER().corpus_score([h], [[r]])
        cases.append({"hypothesis": h, "reference": r, "num_edits": stats.num_edits, "ref_length": stats.ref_length})
    return cases


CLI_CASES = [
    (["ref.txt"], ["-m", "bleu", "chrf", "ter"]),
    (["ref.txt", "ref2.txt"], ["-m", "bleu", "chrf", "ter"]),
    (["ref.txt"], ["-m", "bleu"]),
    (["ref.txt"], ["-m", "ter", "-w", "2"]),
    (["ref.txt"], ["-m", "chrf", "--chrf-word-order", "2", "-w", "3"]),
    (["ref.txt", "ref2.txt"], ["-m", "bleu", "ter", "-w", "2"]),
]


def cli_cases():
    cases = []
    for refs, args in CLI_CASES:
        command = [sys.executable, "-m", "sacrebleu", *refs, "-i", "hyp.txt", *args, "-f", "text"]
        out = subprocess.run(command, cwd=HERE, check=True, capture_output=True, text=True, encoding="utf-8").stdout
        cases.append({"references": refs, "arguments": args, "stdout": out})
    return cases


def wer_record(output):
    return {"wer": output.wer, "hits": output.hits, "substitutions": output.substitutions,
            "deletions": output.deletions, "insertions": output.insertions}


NORMALIZE = jiwer.Compose([
    jiwer.ToLowerCase(),
    jiwer.RemovePunctuation(),
    jiwer.SubstituteRegexes({r"\s+": " "}),
    jiwer.Strip(),
    jiwer.ReduceToListOfListOfWords(),
])


def wer_cases(hyps, refs, transform):
    kwargs = {} if transform is None else {"reference_transform": transform, "hypothesis_transform": transform}
    return {"corpus": wer_record(jiwer.process_words(refs, hyps, **kwargs)),
            "sentences": [wer_record(jiwer.process_words(r, h, **kwargs)) for h, r in zip(hyps, refs)]}


def alignment_cases(count=300, seed=2026):
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        ref = " ".join(rng.choice("abcd") for _ in range(rng.randint(0, 9)))
        hyp = " ".join(rng.choice("abcd") for _ in range(rng.randint(0, 9)))
        cases.append({"reference": ref, "hypothesis": hyp, **wer_record(jiwer.process_words(ref, hyp))})
    return cases


def main():
    hyps, ref1, ref2 = read_lines("hyp.txt"), read_lines("ref.txt"), read_lines("ref2.txt")
    assert len(hyps) == len(ref1) == len(ref2)
    tok = Tokenizer13a()
    tokenized = {name: [tok(line) for line in lines]
                 for name, lines in (("hyp", hyps), ("ref", ref1), ("ref2", ref2))}

    sentence_bleu = BLEU(effective_order=True)
    bleu = {
        "corpus": bleu_record(BLEU().corpus_score(hyps, [ref1])),
        "corpus_two_refs": bleu_record(BLEU().corpus_score(hyps, [ref1, ref2])),
        "corpus_smoothing": {method: bleu_record(BLEU(smooth_method=method).corpus_score(hyps, [ref1]))
                             for method in ("none", "floor", "add-k")},
        "corpus_effective_order": bleu_record(BLEU(effective_order=True).corpus_score(hyps, [ref1])),
        "sentences": [bleu_record(sacrebleu.sentence_bleu(h, [r])) for h, r in zip(hyps, ref1)],
        "sentences_two_refs": [bleu_record(sentence_bleu.sentence_score(h, [r, s]))
                               for h, r, s in zip(hyps, ref1, ref2)],
        "sentences_no_effective_order": [bleu_record(BLEU().sentence_score(h, [r])) for h, r in zip(hyps, ref1)],
    }

    chrf = {}
    for name, kwargs in (("chrf", {}), ("chrf++", {"word_order": 2}), ("chrf_eps", {"eps_smoothing": True}),
                         ("chrf++_eps", {"word_order": 2, "eps_smoothing": True})):
        metric = CHRF(**kwargs)
        chrf[name] = {
            "corpus": chrf_record(metric.corpus_score(hyps, [ref1])),
            "corpus_two_refs": chrf_record(metric.corpus_score(hyps, [ref1, ref2])),
            "sentences": [chrf_record(metric.sentence_score(h, [r])) for h, r in zip(hyps, ref1)],
            "sentences_two_refs": [chrf_record(metric.sentence_score(h, [r, s])) for h, r, s in zip(hyps, ref1, ref2)],
        }

    ter = {
        "corpus": ter_record(TER().corpus_score(hyps, [ref1])),
        "corpus_two_refs": ter_record(TER().corpus_score(hyps, [ref1, ref2])),
        "corpus_case_sensitive": ter_record(TER(case_sensitive=True).corpus_score(hyps, [ref1])),
        "sentences": [ter_record(TER().sentence_score(h, [r])) for h, r in zip(hyps, ref1)],
        "sentences_two_refs": [ter_record(TER().sentence_score(h, [r, s])) for h, r, s in zip(hyps, ref1, ref2)],
        "shift_cases": ter_shift_cases(),
    }

    wer = {"default": wer_cases(hyps, ref1, None), "normalized": wer_cases(hyps, ref1, NORMALIZE),
           "alignment_cases": alignment_cases()}

    out = {"versions": {"sacrebleu": sacrebleu.__version__, "jiwer": importlib.metadata.version("jiwer"), "python": sys.version.split()[0]},
           "lines": len(hyps), "tokenized_13a": tokenized, "bleu": bleu, "chrf": chrf, "ter": ter, "wer": wer,
           "cli": cli_cases()}
    with open(os.path.join(HERE, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(hyps)} lines; {out['bleu']['corpus']['line']}; {out['chrf']['chrf']['corpus']['line']}; "
          f"WER {out['wer']['default']['corpus']['wer']:.4f}")


if __name__ == "__main__":
    main()
