#!/usr/bin/env bash
# The README's "run the demo": on Debian 12, as root, install what the demo needs (apt, .venv),
# then run `bitaqa demo` — the virtual card, the agent and the example portal — until Ctrl-C.
# Idempotent: a second run reuses .venv and the installed packages.  Arguments go to `bitaqa demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh

install_system_packages demo
install_python_environment demo
exec .venv/bin/bitaqa demo "$@"
