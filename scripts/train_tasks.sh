#!/usr/bin/env bash
# The "Training with its defaults" table of BENCHMARKS.md: trains each task of
# scripts/make_training_tasks.py twice — with no flag but --train/--valid/--out/--max-steps
# (the defaults choose the model, vocabulary, warmup, dropout and learning rate), and with
# flags tuned by hand — then scores greedy decoding of the held-out test split: exact match
# (the whole output equal to the reference) and sacreBLEU-compatible BLEU / chrF.
#
#   scripts/train_tasks.sh [--threads N] [default|tuned|finetune] [normalization reversal freedict normalization-shifted]
#
# normalization-shifted is the fine-tuning check (`--init-from`): the normalization model
# (runs/tasks/normalization-default, trained first) scored on the shifted task's test split as
# it is, then fine-tuned on its 3,000 pairs ("finetune"), beside a model trained from scratch
# on them with the defaults ("default").
#
# Runs go to runs/tasks/<task>-<kind> (git-ignored); one summary line per run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
threads=()
kinds=()
tasks=()
while [ $# -gt 0 ]; do
    case "$1" in
        --threads) threads=(--threads "$2"); shift 2 ;;
        default|tuned|finetune) kinds+=("$1"); shift ;;
        *) tasks+=("$1"); shift ;;
    esac
done
[ ${#kinds[@]} -gt 0 ] || kinds=(default tuned)
[ ${#tasks[@]} -gt 0 ] || tasks=(normalization reversal freedict)
for task in "${tasks[@]}"; do
    if [ "$task" = freedict ]; then scripts/fetch_freedict.sh; fi
done
python3 scripts/make_training_tasks.py --out data/tasks
swift build -c release --product seq2seq
bin=.build/release/seq2seq
mkdir -p runs/tasks

# Steps of each task, and the flags a user would tune by hand (the issue's and BENCHMARKS.md's).
steps() { case "$1" in normalization) echo 4000 ;; reversal) echo 3000 ;; freedict) echo 4000 ;; normalization-shifted) echo 500 ;; esac; }
tuned() {
    case "$1" in
        normalization) echo --preset tiny --vocab-size 600 --warmup 400 --lr 5e-4 ;;
        reversal) echo --preset tiny --pre-norm --dropout 0 --lr 2e-3 --warmup 300 ;;
        freedict) echo --preset small --vocab-size 4000 --lr 1e-3 --warmup 400 --dropout 0.3 ;;
        normalization-shifted) echo --preset tiny --vocab-size 600 --warmup 50 --lr 5e-4 ;;
    esac
}

# Greedy decoding of the test split by MODEL: "exact match N%, BLEU x chrF2 y".
score() {
    local model=$1 data=$2 prefix=$3
    cut -f1 "$data/test.tsv" > "$prefix.test.src"
    cut -f2 "$data/test.tsv" > "$prefix.test.ref"
    "$bin" translate --model "$model" --beam-size 1 --batch-size 64 ${threads[@]+"${threads[@]}"} < "$prefix.test.src" > "$prefix.test.hyp"
    local exact
    exact=$(paste "$prefix.test.hyp" "$prefix.test.ref" | awk -F'\t' '$1 == $2 { n++ } END { printf "%.1f", 100 * n / NR }')
    echo "test exact match $exact%, $("$bin" evaluate --hypotheses "$prefix.test.hyp" --reference "$prefix.test.ref" --metric bleu chrf --json |
        python3 -c 'import json,sys; print(" ".join("%s %.2f" % (m["name"], m["score"]) for m in json.load(sys.stdin)))')"
}

for task in "${tasks[@]}"; do
    data=data/tasks/$task
    if [ "$task" = normalization-shifted ]; then
        base=runs/tasks/normalization-default
        [ -f "$base/config.json" ] || { echo "train normalization default first (runs/tasks/normalization-default)"; exit 1; }
        mkdir -p runs/tasks
        echo "$task before: the normalization model as it is: $(score "$base" "$data" runs/tasks/$task-before)"
    fi
    for kind in "${kinds[@]}"; do
        run=runs/tasks/$task-$kind
        flags=()
        case "$kind" in
            tuned) read -r -a flags <<< "$(tuned "$task")" ;;
            finetune)
                [ "$task" = normalization-shifted ] || continue
                flags=(--init-from runs/tasks/normalization-default) ;;
        esac
        rm -rf "$run"
        start=$(date +%s)
        "$bin" train --train "$data/train.tsv" --valid "$data/valid.tsv" --out "$run" --max-steps "$(steps "$task")" \
            ${flags[@]+"${flags[@]}"} ${threads[@]+"${threads[@]}"} 2> "$run.log" > "$run.summary" || { cat "$run.log"; exit 1; }
        seconds=$(( $(date +%s) - start ))
        chose=$(grep -E '^(learned|chose|warmup|fine-tuning)' "$run.log" | tr '\n' ' ')
        echo "$task $kind: $(score "$run" "$data" "$run"); ${seconds} s; flags: ${flags[*]:-none}; $chose"
        cat "$run.summary"
    done
done
