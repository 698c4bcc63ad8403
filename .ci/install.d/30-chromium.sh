#!/usr/bin/env bash
# Debian's chromium, for the report's headless browser test (tests/pipelines/test_report.py).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
