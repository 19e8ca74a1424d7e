#!/usr/bin/env bash
# Install everything the test suite needs on Debian 12 (as root) and run the whole suite.
# Idempotent: a second run reuses .venv and the installed packages.  CI calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh

install_system_packages test
install_python_environment test
install_js_dependencies

echo "== static checks"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy protocol/src/bitaqa/protocol protocol/src/bitaqa/validator
.venv/bin/lint-imports

echo "== tests"
run_js_tests
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
