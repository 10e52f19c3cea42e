#!/usr/bin/env bash
# Install the headless browser the report tests render HTML with (Debian's chromium) and a
# CJK font (without one, Chinese renders as boxes). Idempotent: does nothing when both are
# present. Needs root for apt-get; otherwise says so and exits 0, and the browser test skips.
set -euo pipefail

have_font() { fc-list 2>/dev/null | grep -qi 'wenquanyi\|wqy' ; }

if command -v chromium >/dev/null 2>&1 && have_font; then
    echo "install-browser: chromium and a CJK font are already installed"
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "install-browser: not root, cannot apt-get install chromium fonts-wqy-microhei; the browser test will skip"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei >/dev/null
echo "install-browser: $(chromium --version 2>/dev/null || echo 'chromium installed')"
