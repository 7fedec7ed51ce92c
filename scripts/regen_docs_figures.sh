#!/usr/bin/env bash
# Regenerates every figure registered in docs/figures.json (README.md and docs/*.md) from
# fresh runs of the release binary, rewriting each quoted passage in place; then shows what
# changed. Rerun after any change that moves a modelled figure (energy, latency, cycles, DRAM
# bytes). The check without rewriting is `cargo test --release --test doc_figures`, part of
# the suite: a stale figure fails it with the fresh text.
#
#   scripts/regen_docs_figures.sh
#
# To register another quoted figure, add an entry to docs/figures.json (format: the doc
# comment of tests/doc_figures.rs) and run this script.
set -euo pipefail
cd "$(dirname "$0")/.."
ACCELSIM_REGEN_DOCS=1 cargo test --release --test doc_figures -- --test-threads 1
git --no-pager diff --stat -- README.md docs/
