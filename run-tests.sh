#!/usr/bin/env bash
# Run the tests as a fresh install would: build a new virtualenv in .venv-test/ (deleted and made
# again on every run, without the system's site-packages), install the package with its test extras
# there, install Debian's Chromium and CJK fonts for the browser tests when they are missing, then lint
# with ruff and run the default test suite from that virtualenv. An import that pyproject.toml does
# not declare therefore fails here. Extra arguments go to pytest (./run-tests.sh -m slow).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
VENV=.venv-test
DEBIAN_PACKAGES=(chromium fonts-noto-cjk)

apt_install() {
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then
    apt_install "${DEBIAN_PACKAGES[@]}"
fi
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
    apt_install python3-venv
fi

rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'

"$VENV/bin/python" -m ruff check --quiet .
exec "$VENV/bin/python" -m pytest "$@"
