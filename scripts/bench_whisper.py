#!/usr/bin/env python3
"""Whisper speed: Seq2Seq vs faster-whisper, float32 and int8 each, same threads, same audio.

Rows: model (tiny.en, base) x decoding (greedy, beam 5) x audio (the short clips of
scripts/fetch_speech_data.sh: 10 pocketsphinx WAVs + 27 pytest-audioeval clips; and a
~3-minute file made of the pocketsphinx WAVs repeated, written to .cache/speech/long-3min.wav).
Each engine runs in a fresh process under /usr/bin/time -v (peak RSS); inside it, one warm-up
transcription of the first file, then the timed pass (features + detection + decoding; file
reading not timed). faster-whisper runs with cpu_threads=T, temperature fallback and all
other options at their defaults, as does `seq2seq-bench whisper`.

Usage: scripts/bench_whisper.py [--threads 2] [--models tiny.en,base] [--beams 1,5] [--audio 'short clips,3-minute file']
"""
import argparse, glob, json, os, subprocess, sys, wave
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PS = "/usr/share/pocketsphinx/test/data"
BENCH = os.path.join(ROOT, ".build/release/seq2seq-bench")  # built by: swift build -c release --product seq2seq-bench

FW = r'''
import json, sys, time, struct
import numpy as np
from faster_whisper import WhisperModel
model_dir, compute, threads, beam, files = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
def read(path):
    b = open(path, "rb").read(); i = 12; fmt = data = None
    while i + 8 <= len(b):
        cid, n = b[i:i+4], struct.unpack("<I", b[i+4:i+8])[0]
        if cid == b"fmt ": fmt = struct.unpack("<HHIIHH", b[i+8:i+24])
        elif cid == b"data": data = b[i+8:i+8+n]
        i += 8 + n + (n & 1)
    if fmt[0] == 3: return np.frombuffer(data, "<f4").astype(np.float32)
    return np.frombuffer(data, "<i2").astype(np.float32) / 32768.0
model = WhisperModel(model_dir, device="cpu", compute_type=compute, cpu_threads=threads)
audio = [read(f) for f in files]
list(model.transcribe(audio[0], beam_size=beam)[0])
t = time.perf_counter()
for a in audio: list(model.transcribe(a, beam_size=beam)[0])
s = time.perf_counter() - t
n = sum(len(a) for a in audio) / 16000
print(json.dumps({"seconds": s, "audio_seconds": n, "real_time_factor": s / n}))
'''


def long_file():
    path = os.path.join(ROOT, ".cache/speech/long-3min.wav")
    if not os.path.exists(path):
        clips = sorted(glob.glob(PS + "/librivox/*.wav") + glob.glob(PS + "/cards/*.wav"))
        pcm = b"".join(wave.open(c).readframes(10**9) for c in clips)
        with wave.open(path, "wb") as w:
            w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
            w.writeframes(pcm * 5)
    return path


def measure(command):
    r = subprocess.run(["/usr/bin/time", "-v"] + command, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(r.stderr[-2000:])
    rss = next(int(l.split()[-1]) for l in r.stderr.splitlines() if "Maximum resident set size" in l)
    result = json.loads(r.stdout.strip().splitlines()[-1])
    result["peak_mb"] = rss / 1024
    return result


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--models", default="tiny.en,base")
    p.add_argument("--beams", default="1,5", help="beam sizes, comma-separated (1: greedy)")
    p.add_argument("--audio", default="short clips,3-minute file", help="inputs, comma-separated")
    a = p.parse_args()
    short = sorted(glob.glob(PS + "/librivox/*.wav") + glob.glob(PS + "/cards/*.wav")) + \
        sorted(glob.glob(os.path.join(ROOT, ".cache/speech/audioeval/*/*.wav")))
    inputs = {"short clips": short, "3-minute file": [long_file()]}
    print("| model | decoding | audio | Seq2Seq f32 RTF | faster-whisper f32 RTF | Seq2Seq int8 RTF | faster-whisper int8 RTF | "
          "int8: Seq2Seq / faster-whisper time | Seq2Seq f32 / int8 peak MB | faster-whisper f32 / int8 peak MB |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in a.models.split(","):
        model = os.path.join(ROOT, "models", "whisper-" + name)
        for beam in map(int, a.beams.split(",")):
            for label, files in inputs.items():
                if label not in a.audio.split(","):
                    continue
                ours = {ct: measure([BENCH, "whisper", "--model", model, "--beam-size", str(beam), "--threads", str(a.threads),
                                     "--compute-type", ct] + files) for ct in ("float32", "int8")}
                f32 = measure([sys.executable, "-c", FW, model, "float32", str(a.threads), str(beam)] + files)
                i8 = measure([sys.executable, "-c", FW, model, "int8", str(a.threads), str(beam)] + files)
                print("| %s | %s | %s (%.0f s) | %.3f | %.3f | %.3f | %.3f | %.2f× | %.0f / %.0f | %.0f / %.0f |" % (
                    name, "greedy" if beam == 1 else "beam 5", label, ours["float32"]["audio_seconds"],
                    ours["float32"]["real_time_factor"], f32["real_time_factor"], ours["int8"]["real_time_factor"],
                    i8["real_time_factor"], ours["int8"]["seconds"] / i8["seconds"],
                    ours["float32"]["peak_mb"], ours["int8"]["peak_mb"], f32["peak_mb"], i8["peak_mb"]), flush=True)


if __name__ == "__main__":
    main()
