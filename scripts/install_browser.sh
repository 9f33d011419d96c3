#!/usr/bin/env bash
# A real browser for AttentionServeTests: headless Chromium (Debian's `chromium`) for the
# explorer page, and chromedriver (`chromium-driver`) + Selenium (PyPI `selenium`) for the
# page's upload path (scripts/browser_upload.py). Installs only what is missing.
set -euo pipefail
if ! { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; } \
   || ! command -v chromedriver >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core
fi
python3 -c "import selenium" 2>/dev/null || python3 -m pip install --quiet "selenium==4.50.0"
