#!/usr/bin/env bash
# Regenerates every figure registered in docs/figures.json (README.md, VALIDATION.md and
# docs/*.md) from fresh runs of the release binary and the library: quoted passages are
# rewritten in place, generated blocks (between `<!-- fig:NAME -->` and
# `<!-- /fig:NAME -->`) replaced whole, including the entries marked `slow` that the test
# suite skips (e.g. the 100,000-point ResNet-18 sweep). Idempotent: a second run changes
# nothing. Then shows what changed. Rerun after any change that moves a modelled figure
# (energy, latency, cycles, DRAM bytes, area). The check without rewriting is
# `cargo test --release --test doc_figures`, part of the suite: a stale figure fails it
# with the fresh text, and a figure in a table or output block that is neither registered
# nor exempted (with its reason) fails it too.
#
#   scripts/regen_docs_figures.sh           # everything, slow entries included
#   FAST=1 scripts/regen_docs_figures.sh    # without the slow entries
#
# To register another quoted figure, add an entry to docs/figures.json (format: the doc
# comment of tests/doc_figures/main.rs) and run this script.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${FAST:-}" ]; then
    export ACCELSIM_DOCS_SLOW=1
fi
ACCELSIM_REGEN_DOCS=1 cargo test --release --test doc_figures registered_doc_figures_match_fresh_runs
git --no-pager diff --stat -- README.md VALIDATION.md docs/
