#!/usr/bin/env python3
"""Builds the audio fixtures in Tests/Fixtures/audio/ and their expected values.

Small synthetic WAVs (a chirp, low noise and a silence gap) in several encodings, written
byte by byte here so every header field is known; `expected.json` holds what decoding each
must give (mono = mean of channels, integers scaled by 2^(bits-1), 8-bit offset by 128);
the 16 kHz files get reference Whisper log-mel features from faster-whisper's
`FeatureExtractor.__call__` (the numpy port of openai/whisper `audio.log_mel_spectrogram`
and of transformers' WhisperFeatureExtractor), and `mel_filters_80.npy` is
`FeatureExtractor.get_mel_filters(16000, 400, 80)` (its port of librosa.filters.mel,
Slaney scale and norm).

    pip install faster-whisper==1.2.1 numpy
    python3 scripts/make_audio_fixtures.py

The Swift tests only read the committed files; this script is not part of CI.
"""
import json
import os
import struct

import faster_whisper
import numpy as np
from faster_whisper.feature_extractor import FeatureExtractor

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "audio")
rng = np.random.default_rng(20240611)


def signal(rate, seconds, channels):
    """A 200 Hz → 0.45·rate chirp, noise at about −50 dB, and 0.2 s of exact silence; float64 [frames, channels]."""
    n = int(rate * seconds)
    t = np.arange(n) / rate
    f0, f1 = 200.0, 0.45 * rate
    phase = 2 * np.pi * (f0 * t + (f1 - f0) * t * t / (2 * seconds))
    out = np.empty((n, channels))
    for c in range(channels):
        out[:, c] = 0.6 * np.sin(phase + c) * (0.7 + 0.3 * np.cos(2 * np.pi * 1.5 * t)) + 0.003 * rng.standard_normal(n)
    gap = slice(int(0.4 * n), int(0.4 * n) + int(0.2 * rate))
    out[gap] = 0
    return out


def quantize(x, kind, bits):
    """Stored integers (or floats) for a float signal in [-1, 1)."""
    if kind == "float":
        return x.astype(np.float32 if bits == 32 else np.float64)
    scale = 2 ** (bits - 1)
    q = np.clip(np.round(x * scale), -scale, scale - 1).astype(np.int64)
    return q + 128 if bits == 8 else q


def decode(stored, kind, bits):
    """What a reader must return: float32 mono."""
    if kind == "float":
        per_channel = stored.astype(np.float32)
    elif bits == 8:
        per_channel = ((stored - 128) / 128).astype(np.float32)
    else:
        per_channel = (stored / 2 ** (bits - 1)).astype(np.float32)
    return per_channel.mean(axis=1, dtype=np.float64).astype(np.float32)


def sample_bytes(stored, kind, bits):
    flat = stored.reshape(-1)
    if kind == "float":
        return flat.astype("<f4" if bits == 32 else "<f8").tobytes()
    if bits == 8:
        return flat.astype(np.uint8).tobytes()
    if bits == 24:
        u = (flat & 0xFFFFFF).astype(np.uint32)
        return np.stack([u & 0xFF, (u >> 8) & 0xFF, (u >> 16) & 0xFF], axis=1).astype(np.uint8).tobytes()
    return flat.astype("<i2" if bits == 16 else "<i4").tobytes()


def chunk(tag, payload):
    return tag + struct.pack("<I", len(payload)) + payload + (b"\0" if len(payload) % 2 else b"")


def wav_bytes(data, rate, channels, kind, bits, extensible=False, extra_chunks=()):
    tag = 3 if kind == "float" else 1
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 0xFFFE if extensible else tag, channels, rate, rate * block, block, bits)
    if extensible:
        guid = struct.pack("<H", tag) + bytes([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71])
        fmt += struct.pack("<HHI", 22, bits, (1 << channels) - 1) + guid
    elif kind == "float":
        fmt += struct.pack("<H", 0)
    body = b"WAVE" + b"".join(chunk(t, p) for t, p in extra_chunks[:1]) + chunk(b"fmt ", fmt)
    body += b"".join(chunk(t, p) for t, p in extra_chunks[1:]) + chunk(b"data", data)
    return b"RIFF" + struct.pack("<I", len(body)) + body


FILES = [
    # name, rate, seconds, channels, kind, bits, extensible, extra chunks (first goes before fmt)
    ("pcm16_mono_16k.wav", 16000, 2.0, 1, "pcm", 16, False, ()),
    ("pcm24_stereo_44k.wav", 44100, 1.0, 2, "pcm", 24, False, ((b"JUNK", b"\0" * 28), (b"LIST", b"INFOISFT\x05\0\0\0test\0"))),
    ("float32_48k.wav", 48000, 1.0, 1, "float", 32, False, ((b"bext", b"odd"), (b"fact", struct.pack("<I", 48000)))),
    ("pcm8_8k.wav", 8000, 1.0, 1, "pcm", 8, False, ()),
    ("extensible_s32_stereo_16k.wav", 16000, 1.0, 2, "pcm", 32, True, ()),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    decoded = {}
    expected = {"faster_whisper": faster_whisper.__version__, "numpy": np.__version__, "files": {}}
    for name, rate, seconds, channels, kind, bits, extensible, extra in FILES:
        stored = quantize(signal(rate, seconds, channels), kind, bits)
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(wav_bytes(sample_bytes(stored, kind, bits), rate, channels, kind, bits, extensible, extra))
        mono = decoded[name] = decode(stored, kind, bits)
        entry = {
            "sample_rate": rate, "channels": channels, "bits": bits, "encoding": kind, "frames": int(len(mono)),
            "first": [float(v) for v in mono[:16]], "last": [float(v) for v in mono[-16:]],
            "sum": float(mono.astype(np.float64).sum()), "sum_squares": float((mono.astype(np.float64) ** 2).sum()),
        }
        if rate == 16000:
            stem = name[:-4]
            for mels in (80, 128):
                reference = FeatureExtractor(feature_size=mels)(mono)  # padding=160, as faster-whisper transcribes
                np.save(os.path.join(OUT, f"{stem}.mel{mels}.npy"), reference.astype(np.float32))
                exact = reference_float64(mono, mels)
                entry[f"mel{mels}_frames"] = int(reference.shape[1])
                entry[f"mel{mels}_float32_vs_float64"] = float(np.abs(reference - exact).max())
        expected["files"][name] = entry
        print(name, entry["frames"], "frames", {k: v for k, v in entry.items() if "float64" in k})

    # One 30 s window as transformers / CTranslate2 build it: zero-padded to 480,000 samples, no extra padding.
    mono = decoded["pcm16_mono_16k.wav"]
    window = FeatureExtractor(feature_size=80)(np.pad(mono, (0, 480000 - len(mono))), padding=0)
    assert window.shape == (80, 3000), window.shape
    np.save(os.path.join(OUT, "pcm16_mono_16k.window80.first208.npy"), window[:, :208].astype(np.float32))
    expected["window80"] = {"frames": 3000, "stored_frames": 208, "tail_value": float(window[:, 208:].max()),
                            "tail_min": float(window[:, 208:].min())}
    filters = FeatureExtractor.get_mel_filters(16000, 400, n_mels=80).astype(np.float32)
    np.save(os.path.join(OUT, "mel_filters_80.npy"), filters)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"total {total / 1024:.0f} KiB in {OUT}")


def reference_float64(mono, mels):
    """The same log-mel in float64 throughout, to show the float32 reference is well conditioned."""
    fe = FeatureExtractor(feature_size=mels)
    x = np.pad(mono.astype(np.float64), (0, 160))
    x = np.pad(x, (200, 200), mode="reflect")
    frames = 1 + (len(x) - 400) // 160
    idx = np.arange(400)[None, :] + 160 * np.arange(frames)[:, None]
    window = np.hanning(401)[:-1]
    power = np.abs(np.fft.rfft(x[idx] * window, axis=1)) ** 2
    mel = FeatureExtractor.get_mel_filters(16000, 400, n_mels=mels) @ power[:-1].T
    log_spec = np.log10(np.maximum(mel, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return (log_spec + 4.0) / 4.0


if __name__ == "__main__":
    main()
