#!/usr/bin/env python3
"""Tests/Fixtures/whisper-hf-ct2-int8/: the whisper-hf fixture converted by CTranslate2's own
converter with quantization="int8" (int8 weights with a `NAME_scale` per row, as
faster-whisper's int8 conversions store them), to test that such files load as int8 as stored.

    pip install -r scripts/requirements-fixtures.txt ctranslate2==4.8.5
    python3 scripts/make_ct2_int8_fixture.py
"""
import os

from make_whisper_hf_fixture import ROOT, ct2_conversion


def main():
    version = ct2_conversion(os.path.join(ROOT, "whisper-hf"), name="whisper-hf-ct2-int8", quantization="int8")
    folder = os.path.join(ROOT, "whisper-hf-ct2-int8")
    size = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder) if not os.path.islink(os.path.join(folder, f)))
    print(f"whisper-hf-ct2-int8: converted with ctranslate2 {version}, {size} bytes")


if __name__ == "__main__":
    main()
