#!/usr/bin/env python3
"""Writes the small synthetic seeds of the fuzz targets that have no small fixture file
(Fuzz/seeds/<target>/): a Marian .bin with float, intgemm8 and text items, its YAML, a binary
lexical shortlist, a dictd index + text joined by a NUL byte (the `dictd` target's split), and a
safetensors file with an int8 weight and its per-row scale (`seq2seq convert --quantize int8`).
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
    text = b"haus\n  house\nheim\n  home\n"
    write("dictd", "seed.dict", b"00-database-short\tA\tE\nhaus\tA\tN\nheim\tO\tL\n" + b"\0" + b"short" + text)


if __name__ == "__main__":
    main()
