#!/usr/bin/env python3
"""Reference transcripts with the repetition penalty and no-repeat n-grams, from faster-whisper.

faster-whisper passes `repetition_penalty` and `no_repeat_ngram_size` to CTranslate2's search,
so these cases check that Seq2Seq applies them inside the same (CTranslate2-semantics) beam
search and sampling as every other Whisper option. Writes
Tests/Fixtures/whisper/penalties.NAME.jsonl: one line per case,
  {"clip", "options": {...faster-whisper keyword arguments...}, "text"}
Clip ids are those of scripts/make_whisper_reference.py (whose `samples` this script uses).

Usage: scripts/make_whisper_penalty_reference.py [tiny.en|base ...]
"""
import json, os, sys
from faster_whisper import WhisperModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_whisper_reference import ROOT, clips, samples  # noqa: E402

# Two short clips, and the long-form one (every librivox and cards clip one after the other,
# each window prompted with the previous text, which the penalties then see too).
SHORT = ["pocketsphinx:cards/002.wav", "pocketsphinx:librivox/sense_and_sensibility_01_austen_64kb-0880.wav"]
OPTIONS = [
    {"beam_size": 5, "repetition_penalty": 1.5},
    {"beam_size": 1, "repetition_penalty": 2.0},
    {"beam_size": 1, "no_repeat_ngram_size": 2},
    {"beam_size": 5, "repetition_penalty": 1.2, "no_repeat_ngram_size": 3},
]


def main():
    names = sys.argv[1:] or ["tiny.en", "base"]
    for name in names:
        model = WhisperModel(os.path.join(ROOT, "models", "whisper-" + name), device="cpu",
                             compute_type="float32", cpu_threads=2)
        out = os.path.join(ROOT, "Tests/Fixtures/whisper", "penalties.%s.jsonl" % name)
        with open(out, "w") as f:
            long_form = [c for c in clips() if c.startswith("concat:")]
            for clip in SHORT + long_form:
                for options in OPTIONS:
                    segs, _ = model.transcribe(samples(clip), temperature=0.0, **options)
                    text = "".join(s.text for s in segs)
                    f.write(json.dumps({"clip": clip, "options": options, "text": text}, ensure_ascii=False) + "\n")
                    print(name, clip[-30:], options, text[:60], file=sys.stderr)


if __name__ == "__main__":
    main()
