#!/usr/bin/env python3
"""Reference transcripts for the Whisper parity tests, from faster-whisper 1.2.1.

Runs faster-whisper (CTranslate2, compute_type float32, 2 threads) on every clip of
scripts/fetch_speech_data.sh with greedy decoding and no temperature fallback
(beam_size=1, temperature=0), other options at their defaults, and writes one JSON line per
clip to Tests/Fixtures/whisper/reference.<model>.jsonl:
  {"clip", "language", "language_probability", "text", "segments": [{start, end, text, tokens}],
   "words": [{word, start, end, probability}]   (a second run with word_timestamps=True),
   "text_beam5": the transcript with beam_size=5 (a third run)}

Clip ids (the Swift test builds the same samples):
  pocketsphinx:<path>   a file under /usr/share/pocketsphinx/test/data (.wav, or .raw s16le 16 kHz)
  audioeval:<lang>/<name>.wav   under .cache/speech/audioeval
  concat:<id>|<id>|…    the samples of those clips one after the other (long-form, > 30 s)
  silence:<seconds>     zeros
Audio is read here without resampling (every clip is 16 kHz mono): int16 / 32768, float32 as stored.

Usage: scripts/make_whisper_reference.py [tiny.en|base ...] [--prompted-only]
"""
import json, os, struct, sys
import numpy as np
from faster_whisper import WhisperModel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PS = "/usr/share/pocketsphinx/test/data"
AE = os.path.join(ROOT, ".cache/speech/audioeval")


def read_wav(path):
    b = open(path, "rb").read()
    i, fmt, data = 12, None, None
    while i + 8 <= len(b):
        cid, n = b[i:i + 4], struct.unpack("<I", b[i + 4:i + 8])[0]
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", b[i + 8:i + 24])
        elif cid == b"data":
            data = b[i + 8:i + 8 + n]
        i += 8 + n + (n & 1)
    tag, channels, rate, _, _, bits = fmt
    assert rate == 16000 and channels == 1, path
    if tag == 3 and bits == 32:
        return np.frombuffer(data, dtype="<f4").astype(np.float32)
    assert tag == 1 and bits == 16, path
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def samples(clip):
    kind, _, rest = clip.partition(":")
    if kind == "pocketsphinx":
        path = os.path.join(PS, rest)
        if path.endswith(".raw"):
            return np.fromfile(path, dtype="<i2").astype(np.float32) / 32768.0
        return read_wav(path)
    if kind == "audioeval":
        return read_wav(os.path.join(AE, rest))
    if kind == "concat":
        return np.concatenate([samples(c) for c in rest.split("|")])
    if kind == "silence":
        return np.zeros(int(float(rest) * 16000), dtype=np.float32)
    raise ValueError(clip)


def clips():
    ps = sorted("pocketsphinx:" + os.path.relpath(os.path.join(d, f), PS)
                for d in (os.path.join(PS, "librivox"), os.path.join(PS, "cards"))
                for f in os.listdir(d) if f.endswith(".wav"))
    raw = sorted("pocketsphinx:" + f for f in os.listdir(PS) if f.endswith(".raw"))
    ae = sorted("audioeval:" + os.path.join(lang, f) for lang in os.listdir(AE)
                for f in os.listdir(os.path.join(AE, lang)) if f.endswith(".wav"))
    return ps + raw + ae + ["concat:" + "|".join(ps), "silence:10"]


def run(model, audio, words, beam_size=1):
    segments, info = model.transcribe(audio, beam_size=beam_size, temperature=0.0, word_timestamps=words)
    return list(segments), info


# Prompting cases: an initial prompt (spelling and style the first window should follow), and
# long audio without conditioning on the previous text.
PROMPTED = [
    ("pocketsphinx:cards/001.wav", {"initial_prompt": "Ten of Clubs. Four of Diamonds. Queen of Hearts."}),
    ("pocketsphinx:cards/002.wav", {"initial_prompt": "Ten of Clubs. Four of Diamonds. Queen of Hearts."}),
    ("pocketsphinx:cards/003.wav", {"initial_prompt": "Ten of Clubs. Four of Diamonds. Queen of Hearts."}),
    ("pocketsphinx:librivox/sense_and_sensibility_01_austen_64kb-0870.wav",
     {"initial_prompt": "A chapter of Sense and Sensibility by Jane Austen, read for LibriVox."}),
]


def prompted(name, model):
    """Tests/Fixtures/whisper/prompted.NAME.jsonl: greedy transcripts with the PROMPTED options,
    and the concatenated long clip with condition_on_previous_text=False."""
    ps = [c for c in clips() if c.startswith("pocketsphinx:") and c.endswith(".wav")]
    cases = PROMPTED + [("concat:" + "|".join(ps), {"condition_on_previous_text": False})]
    out = os.path.join(ROOT, "Tests/Fixtures/whisper", "prompted.%s.jsonl" % name)
    with open(out, "w") as f:
        for clip, options in cases:
            segs, _ = model.transcribe(samples(clip), beam_size=1, temperature=0.0, **options)
            text = "".join(s.text for s in segs)
            f.write(json.dumps({"clip": clip, "options": options, "text": text}, ensure_ascii=False) + "\n")
            print(name, clip, options, text[:70], file=sys.stderr)


def main():
    only_prompted = "--prompted-only" in sys.argv
    names = [a for a in sys.argv[1:] if not a.startswith("--")] or ["tiny.en", "base"]
    for name in names:
        model = WhisperModel(os.path.join(ROOT, "models", "whisper-" + name), device="cpu",
                             compute_type="float32", cpu_threads=2)
        prompted(name, model)
        if only_prompted:
            continue
        out = os.path.join(ROOT, "Tests/Fixtures/whisper", "reference.%s.jsonl" % name)
        with open(out, "w") as f:
            for clip in clips():
                audio = samples(clip)
                segs, info = run(model, audio, False)
                wsegs, _ = run(model, audio, True)
                record = {
                    "clip": clip, "language": info.language,
                    "language_probability": round(float(info.language_probability), 6),
                    "text": "".join(s.text for s in segs),
                    "segments": [{"start": s.start, "end": s.end, "text": s.text, "tokens": s.tokens} for s in segs],
                    "words": [{"word": w.word, "start": w.start, "end": w.end, "probability": round(w.probability, 6)}
                              for s in wsegs for w in s.words],
                }
                beam, _ = run(model, audio, False, beam_size=5)
                record["text_beam5"] = "".join(s.text for s in beam)
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
                print(name, clip, record["language"], record["text"][:70], file=sys.stderr)


if __name__ == "__main__":
    main()
