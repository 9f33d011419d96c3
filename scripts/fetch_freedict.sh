#!/usr/bin/env bash
# German→English training data from the FreeDict dictionary (Debian `dict-freedict-deu-eng`):
#   data/freedict/train.tsv valid.tsv test.tsv   sentence pairs, fixed seeded held-out split
#   data/freedict/words.tsv                      word/phrase pairs              (git-ignored)
# Installs the package when absent (as root: apt-get; otherwise apt-get download + dpkg -x
# into .cache/freedict/), builds seq2seq-bench in release and runs `seq2seq-bench freedict`.
# Extra arguments go to that command (e.g. --examples, --seed 2, --test 1000).
# Idempotent: does nothing when data/freedict was made from the same package version with the
# same arguments.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.cache/freedict"
out="$root/data/freedict"
package=dict-freedict-deu-eng
dictionary=/usr/share/dictd/freedict-deu-eng

if [ ! -f "$dictionary.index" ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y -qq "$package" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$package"; }
    else
        dictionary="$cache/root/usr/share/dictd/freedict-deu-eng"
        if [ ! -f "$dictionary.index" ]; then
            mkdir -p "$cache"
            (cd "$cache" && ls "$package"_*.deb >/dev/null 2>&1 || apt-get download "$package")
            dpkg -x "$(ls "$cache/$package"_*.deb | head -n 1)" "$cache/root"
        fi
    fi
fi
if [ "$dictionary" = /usr/share/dictd/freedict-deu-eng ]; then
    version="$(dpkg-query -W -f '${Version}' "$package" 2>/dev/null || echo unknown)"
else
    version="$(dpkg-deb -f "$(ls "$cache/$package"_*.deb | head -n 1)" Version)"
fi
stamp="$package $version $*"
if [ -f "$out/.made-from" ] && [ "$(cat "$out/.made-from")" = "$stamp" ] &&
   [ -f "$out/train.tsv" ] && [ -f "$out/valid.tsv" ] && [ -f "$out/test.tsv" ] && [ -f "$out/words.tsv" ]; then
    echo "FreeDict data already in $out ($stamp)"
    exit 0
fi
(cd "$root" && swift build -c release --product seq2seq-bench)
mkdir -p "$out"
rm -f "$out/.made-from"
"$root/.build/release/seq2seq-bench" freedict --dictionary "$dictionary" --out "$out" "$@"
echo "$stamp" > "$out/.made-from"
