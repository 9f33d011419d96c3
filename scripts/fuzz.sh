#!/usr/bin/env bash
# Fuzzes every parser of outside data with libFuzzer (Fuzz/seq2seq-fuzz): builds the fuzz
# product with AddressSanitizer and coverage instrumentation into .build-fuzz, seeds each
# target's corpus (.fuzz/corpus/TARGET) from its fixture files and Fuzz/seeds/TARGET, runs it
# for SECONDS, and prints a table: target, executions, seconds, crashes (inputs in
# .fuzz/crashes/TARGET), corpus size (also appended to .fuzz/results.tsv). Exit status 1 when
# any target crashed.
#
#     scripts/fuzz.sh [SECONDS per target, default 60] [TARGET …]
#
# An allocation over 2 GB (-malloc_limit_mb), 4 GB resident, or one input running past 10 s is
# reported as a crash: sizes read from files must be checked before they are allocated.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
runtime=$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")/lib/clang
fuzzer=$(ls "$runtime"/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | head -1)
if [ -z "$fuzzer" ]; then
    echo "fuzz.sh: no libclang_rt.fuzzer_no_main in the Swift toolchain ($runtime)" >&2
    exit 2
fi
swift build -c release --product seq2seq-fuzz --build-path .build-fuzz \
    -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
    -Xlinker -u -Xlinker LLVMFuzzerRunDriver -Xlinker "$fuzzer" -Xlinker -E -Xlinker -lstdc++ 2>&1 \
    | grep -v "Cannot export local symbol\|found 1 file(s) which are unhandled" || true
binary=.build-fuzz/release/seq2seq-fuzz
[ -x "$binary" ] || { echo "fuzz.sh: the fuzz build failed" >&2; exit 2; }
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <("$binary" --list | cut -f1)
export SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=0
mkdir -p .fuzz
results=$(mktemp)
status=0
for target in "${targets[@]}"; do
    corpus=.fuzz/corpus/$target crashes=.fuzz/crashes/$target
    mkdir -p "$corpus" "$crashes"
    "$binary" --seeds | awk -v t="$target" '$1 == t { print $2 }' | while read -r seed; do
        [ -f "$seed" ] && cp "$seed" "$corpus/seed-$(basename "$(dirname "$seed")")-$(basename "$seed")"
    done
    [ -d "Fuzz/seeds/$target" ] && cp Fuzz/seeds/"$target"/* "$corpus/"
    log=.fuzz/$target.log
    started=$(date +%s)
    "$binary" "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -malloc_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" > "$log" 2>&1 || true
    elapsed=$(( $(date +%s) - started ))
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    found=$(find "$crashes" -type f | wc -l)
    size=$(find "$corpus" -type f | wc -l)
    printf '%s\t%s\t%s\t%s\t%s\n' "$target" "${runs:-0}" "$elapsed" "$found" "$size" | tee -a "$results"
    [ "$found" -eq 0 ] || status=1
done
awk -F'\t' '{ runs += $2; crashes += $4 } END { printf "total\t%d executions\t%d crashes\n", runs, crashes }' "$results"
cat "$results" >> .fuzz/results.tsv  # every run's rows, for the record
rm -f "$results"
exit $status
