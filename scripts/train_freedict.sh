#!/usr/bin/env bash
# The FreeDict German→English benchmark of BENCHMARKS.md: extracts the sentence pairs
# (scripts/fetch_freedict.sh), trains a small Transformer from scratch with `seq2seq train`,
# then scores greedy and beam-4 translations of the held-out test split with sacreBLEU-
# compatible BLEU, chrF and TER (`seq2seq evaluate`). Extra arguments go to `seq2seq train`
# (e.g. --max-steps 3000, --threads 2); the run folder is runs/freedict-de-en (git-ignored).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/fetch_freedict.sh
swift build -c release --product seq2seq
bin=.build/release/seq2seq
data=data/freedict
run=runs/freedict-de-en
rm -rf "$run"
/usr/bin/time -f "train wall %e s, peak %M KB" "$bin" train --train "$data/train.tsv" --valid "$data/valid.tsv" --out "$run" \
    --preset small --vocab-size 4000 --max-steps 4000 --batch-tokens 4096 --lr 1e-3 --warmup 400 --dropout 0.3 \
    --save-every 250 --log-every 50 --valid-bleu-lines 500 --patience 4 --average-last 3 "$@"
cut -f1 "$data/test.tsv" > "$run/test.de"
cut -f2 "$data/test.tsv" > "$run/test.en"
for model in "$run" "$run/averaged"; do
    [ -f "$model/config.json" ] || continue
    for beam in 1 4; do
        echo "$model, beam $beam:"
        "$bin" evaluate --model "$model" --source "$run/test.de" --reference "$run/test.en" --beam-size "$beam" \
            --metric bleu chrf ter --width 2
    done
done
