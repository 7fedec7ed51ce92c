"""Shared fixtures: the repository root and the `accelsim` binary the tests compare with.

The binary is target/release/accelsim (built by `cargo test --release`, or by this file
with `cargo build --release --bin accelsim` when it is missing); ACCELSIM_BIN overrides.
"""

import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT


@pytest.fixture(scope="session")
def cli() -> str:
    path = os.environ.get("ACCELSIM_BIN") or str(ROOT / "target" / "release" / "accelsim")
    if not os.path.exists(path):
        subprocess.run(
            ["cargo", "build", "--release", "--bin", "accelsim"], cwd=ROOT, check=True
        )
    return path
