#!/usr/bin/env bash
# The project's test command: every notebook's tests, then the end-to-end tests in tests/.
set -euo pipefail
cd "$(dirname "$0")/.."
nbdev_test --n_workers 2 --timing
python -m pytest -q -rs --durations=8 tests  # skipped tests with their reasons, and the slowest tests with their times
