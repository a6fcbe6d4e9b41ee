#!/usr/bin/env bash
# One-time, idempotent set-up of a checkout: a virtualenv with the plugin and its test tools,
# BFCL v3's data and simulated APIs, and a local model served by llama.cpp (built once and
# cached under ~/.cache/pytest-llmeval; about 10 minutes in all on 2 cores the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
# The code benchmarks' sandbox: bubblewrap, and numpy for the system Python the sandbox runs
# (EvalPlus's tests import it). Installed from apt when missing and we may (root or sudo).
if ! command -v bwrap >/dev/null || ! /usr/bin/python3 -c "import numpy" 2>/dev/null; then
  if command -v apt-get >/dev/null; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
    { $SUDO apt-get install -y -q bubblewrap python3-numpy >/dev/null 2>&1 ||
      { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q bubblewrap python3-numpy >/dev/null; }; } ||
      echo "setup: could not install bubblewrap python3-numpy (code benchmarks will say so)" >&2
  fi
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
echo "set-up: python packages (pip; a minute or two the first time)"
.venv/bin/python -m pip install -q --upgrade pip
# PYTHONWARNINGS: setuptools' banner about editable installs, not ours to act on
PYTHONWARNINGS=ignore .venv/bin/python -m pip install -q -e ".[bfcl,dev]"
.venv/bin/python -m pip install -q --no-deps bfcl-eval==2025.8.6.2
.venv/bin/python -m pip install -q ninja  # builds llama-server faster than make
.venv/bin/python -m pip install -q --no-deps ./examples/llmeval-exact-match  # the example benchmark pack (tested installed)
echo "set-up: llama-server and the local model (built and fetched once, then cached)"
.venv/bin/python -m pytest_llmeval.local.setup
