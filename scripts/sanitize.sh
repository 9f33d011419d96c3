#!/usr/bin/env bash
# Runs the test suite's library tests under ThreadSanitizer and AddressSanitizer: release builds
# (debug Swift is too slow for the numeric tests) into .build-tsan and .build-asan. Any report
# fails the run (TSan exits 66, ASan aborts).
#
#     scripts/sanitize.sh [thread] [address]                 # both by default
#     SANITIZE_FILTER='GradientTests' scripts/sanitize.sh thread
#
# The default subset is the layers with threads and raw pointers: tensors, kernels and the thread
# pool, generation, tokenizers, I/O, audio, training (parallel ops), the models' parity tests —
# but Whisper's real-model parity (over 24 minutes for one test under TSan on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
filter=${SANITIZE_FILTER:-'Seq2SeqTensorTests|Seq2SeqIOTests|Seq2SeqGenerationTests|Seq2SeqTokenizersTests|Seq2SeqAudioTests|Seq2SeqTrainingTests|Seq2SeqModelsTests'}
export SWIFT_BACKTRACE=enable=no TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0} ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
for sanitizer in "${@:-thread address}"; do
    for one in $sanitizer; do
        echo "== $one sanitizer: swift test -c release --sanitize=$one --filter '$filter'"
        swift test -c release --build-path ".build-${one:0:1}san" --sanitize="$one" --filter "$filter" \
            --skip "${SANITIZE_SKIP:-WhisperParityTests}" 2>&1 \
            | grep -v "found 1 file(s) which are unhandled\|Cannot export local symbol"
    done
done
