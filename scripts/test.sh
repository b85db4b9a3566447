#!/usr/bin/env bash
# Runs the test suite with the venv scripts/install.sh made (`--dev` for the test tools):
#   bash scripts/install.sh --dev && bash scripts/test.sh [pytest arguments]
# The venv's bin goes first on PATH, so the tools the tests call (lint-imports, ruff, mypy)
# are the venv's too. FUELTUI_VENV selects another venv, as it does for install.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then
    venv=${FUELTUI_VENV:-/opt/fueltui/venv}
else
    venv=${FUELTUI_VENV:-${XDG_DATA_HOME:-$HOME/.local/share}/fueltui/venv}
fi
if ! "$venv/bin/python" -I -c 'import pytest, fueltui' 2>/dev/null; then
    echo "test.sh: no test tools in $venv: run 'bash scripts/install.sh --dev' first" >&2
    exit 2
fi
here=$("$venv/bin/python" -I -c 'import fueltui, pathlib; print(pathlib.Path(fueltui.__file__).parent.parent)')
if [ "$here" != "$PWD" ]; then
    echo "test.sh: $venv runs the checkout in $here, not this one: run 'bash scripts/install.sh --dev' here" >&2
    exit 2
fi
export PATH="$venv/bin:$PATH"
exec "$venv/bin/python" -m pytest "$@"
