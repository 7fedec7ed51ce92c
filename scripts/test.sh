#!/usr/bin/env bash
# The whole test suite, Rust and Python (README.md gives this command; .ci/run runs it):
#   1. the Rust tests (cargo test --release; it also builds target/release/accelsim, which
#      the Python tests compare against);
#   2. the Python package: a virtual environment in .venv (ignored by git; PYTHON picks the
#      interpreter, default python3 ≥ 3.9), `pip install .[test]` from PyPI plus this
#      clone (the extension shares cargo's release profile and target/), then pytest
#      python/tests (including a sweep on a local 2-worker Dask cluster);
#   3. a reduced smoke run of the co-design example (examples/codesign, --smoke).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release
VENV=${ACCELSIM_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet ".[test,codesign]"
"$VENV/bin/python" -m pytest -q python/tests
"$VENV/bin/python" examples/codesign/codesign.py --smoke --out target/codesign-smoke
