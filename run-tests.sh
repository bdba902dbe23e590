#!/usr/bin/env bash
# Install what the tests need (the package with its test extras; Chromium and CJK fonts for the
# browser tests when absent), lint with ruff and run the whole default test suite. Extra arguments
# go to pytest.
set -euo pipefail
cd "$(dirname "$0")"

python -m pip install --quiet --disable-pip-version-check -e '.[test]'

if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi

python -m ruff check --quiet .
exec python -m pytest "$@"
