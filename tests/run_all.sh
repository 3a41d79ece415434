#!/usr/bin/env bash
# The project's test command: every notebook's tests, then the end-to-end tests in tests/.
set -euo pipefail
cd "$(dirname "$0")/.."
nbdev_test --n_workers 2 --timing
# Two pytest workers, each test file on one worker (pytest-xdist --dist loadfile): the study's smoke profile
# (tests/test_study.py, about half the serial time) is named first so it starts at once on one worker while the
# other runs every other file. -rs: skipped tests with their reasons; --durations: the slowest tests with their times.
python -m pytest -q -rs --durations=8 -n 2 --dist loadfile tests/test_study.py tests
