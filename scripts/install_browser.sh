#!/usr/bin/env bash
# Headless Chromium for AttentionServeTests' browser test of the explorer page (Debian's
# `chromium` package). Does nothing when a Chromium is already installed.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
