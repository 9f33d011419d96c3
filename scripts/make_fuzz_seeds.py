#!/usr/bin/env python3
"""Writes the small synthetic seeds of the fuzz targets that have no small fixture file
(Fuzz/seeds/<target>/): a Marian .bin with float, intgemm8 and text items, its YAML, a binary
lexical shortlist, a dictd index + text joined by a NUL byte (the `dictd` target's split), and a
safetensors file with an int8 weight and its per-row scale (`seq2seq convert --quantize int8`),
and request bodies for the server's routes (`http-body`: the first byte picks the route and the
content type, as Fuzz/seq2seq-fuzz/HTTPFuzz.swift reads it).
The layouts are those of docs/formats.md. The other targets start from fixture files
(FuzzTargets.swift lists them).

    python3 scripts/make_fuzz_seeds.py
"""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fuzz", "seeds")
YAML = "dim-emb: 2\ntransformer-postprocess: dan\ntransformer-preprocess: \"\"\ndim-vocabs:\n  - 3\n  - 3\nbeam-size: 4\nmax-length-factor: 2.5\n"


def padded(n):
    return (n + 255) // 256 * 256


def marian(items):
    header = struct.pack("<QQ", 1, len(items))
    for name, kind, shape, data in items:
        header += struct.pack("<QQQQ", len(name) + 1, kind, len(shape), padded(len(data)))
    for name, _, _, _ in items:
        header += name.encode() + b"\0"
    for _, _, shape, _ in items:
        header += b"".join(struct.pack("<i", d) for d in shape)
    pad = padded(len(header) + 8) - (len(header) + 8)
    out = header + struct.pack("<Q", pad) + b"\0" * pad
    for _, _, _, data in items:
        out += data + b"\0" * (padded(len(data)) - len(data))
    return out


def safetensors(tensors):
    """tensors: (name, dtype, shape, bytes), stored in name order."""
    import json
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, dtype, shape, data in sorted(tensors):
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, sort_keys=True).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(d for _, _, _, d in sorted(tensors))


def write(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data)


ROUTES = ["/translate", "/v1/translate", "/v1/generate", "/v1/score", "/v1/attention",
          "/v1/audio/transcriptions", "/v1/audio/translations"]
TYPES = ["json", "form", "multipart"]


def request(route, kind, body):
    return bytes([ROUTES.index(route) + len(ROUTES) * TYPES.index(kind)]) + body


def multipart(fields, files=()):
    out = b""
    for name, value in fields:
        out += b"--B\r\nContent-Disposition: form-data; name=\"" + name.encode() + b"\"\r\n\r\n" + value.encode() + b"\r\n"
    for name, filename, data in files:
        out += (b"--B\r\nContent-Disposition: form-data; name=\"" + name.encode() + b"\"; filename=\"" + filename.encode()
                + b"\"\r\nContent-Type: audio/wav\r\n\r\n" + data + b"\r\n")
    return out + b"--B--\r\n"


def wav(samples):
    data = struct.pack(f"<{len(samples)}h", *samples)
    return (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16)
            + b"data" + struct.pack("<I", len(data)) + data)


def http_body_seeds():
    tone = wav([int(8000 * ((i // 20) % 2 * 2 - 1)) for i in range(1600)])
    seeds = {
        "translate-json": request("/translate", "json", b'{"q": ["Hello", "world"], "source": "en", "target": "de", "format": "text"}'),
        "translate-form": request("/translate", "form", b"q=Hello+world&source=en&target=de&alternatives=2"),
        "native-translate": request("/v1/translate", "json", b'{"model": "en-de", "text": ["Hi there"], "num_beams": 2, "stream": false}'),
        "generate": request("/v1/generate", "json", b'{"model": "en-de", "input_ids": [[5, 6, 7], [8]], "max_new_tokens": 4, '
                            b'"num_beams": 2, "do_sample": false, "top_k": 3, "temperature": 0.7, "seed": 1}'),
        "generate-stream": request("/v1/generate", "json", b'{"model": "en-de", "text": "Hello", "max_new_tokens": 3, "stream": true}'),
        "score": request("/v1/score", "json", b'{"model": "en-de", "source_ids": [5, 6, 2], "target_ids": [7, 8, 2]}'),
        "attention": request("/v1/attention", "json", b'{"model": "en-de", "text": "Hello"}'),
        "transcribe": request("/v1/audio/transcriptions", "multipart", multipart(
            [("model", "whisper"), ("response_format", "verbose_json"), ("timestamp_granularities[]", "word")],
            [("file", "a.wav", tone)])),
        "translate-audio": request("/v1/audio/translations", "multipart", multipart([("model", "whisper"), ("temperature", "0")],
                                                                                     [("file", "a.wav", tone)])),
    }
    for name, data in seeds.items():
        write("http-body", name + ".bin", data)


def main():
    write("marian-bin", "seed.bin", marian([
        ("decoder_ff_logit_out_b", 0x404, [1, 3], struct.pack("<3f", 0.5, -1, 2)),
        ("Wemb", 0x4101, [3, 2], struct.pack("<6b", 127, -127, 2, 4, 0, -8) + struct.pack("<f", 2)),
        ("Wemb_QuantMultA", 0x404, [1, 1], struct.pack("<f", 14.5)),
        ("special:model.yml", 0x101, [len(YAML)], YAML.encode()),
    ]))
    write("marian-yaml", "seed.yml", YAML.encode())
    offsets, words = [0, 1, 1, 3], [5, 20, 9]
    write("shortlist", "seed.bin", struct.pack("<6Q", 0xF11A48D5013417F5, 0, 4, 2, len(offsets), len(words))
          + struct.pack(f"<{len(offsets)}Q", *offsets) + struct.pack(f"<{len(words)}I", *words))
    write("safetensors", "int8.safetensors", safetensors([
        ("w", "I8", [3, 4], struct.pack("<12b", 127, -3, 0, 5, -127, 1, 2, 3, 0, 0, 0, 0)),
        ("w_scale", "F32", [3], struct.pack("<3f", 0.01, 0.5, 0)),
        ("b", "F32", [3], struct.pack("<3f", 1, 2, 3)),
    ]))
    http_body_seeds()
    text = b"haus\n  house\nheim\n  home\n"
    write("dictd", "seed.dict", b"00-database-short\tA\tE\nhaus\tA\tN\nheim\tO\tL\n" + b"\0" + b"short" + text)


if __name__ == "__main__":
    main()
