#!/usr/bin/env bash
# Records every bundled preset x workload report (both engines), the trace path, the
# bundled sweeps and the validate outputs into a folder, or compares against one.
#
#   scripts/compare_reports.sh record DIR    # write reports into DIR
#   scripts/compare_reports.sh compare DIR   # re-run into a temp dir and diff against DIR
#
# Uses target/release/accelsim (build it first). Errors are recorded too (stderr + exit code).
set -u
mode=${1:?record|compare}
ref=${2:?DIR}
bin=${ACCELSIM:-target/release/accelsim}
if [ "$mode" = compare ]; then out=$(mktemp -d); else out=$ref; mkdir -p "$out"; fi

rec() { # name, command...
  local name=$1; shift
  "$@" >"$out/$name.out" 2>"$out/$name.err"
  echo "$?" >"$out/$name.rc"
}

for a in arch_configs/*.json; do
  an=$(basename "$a" .json)
  for w in workloads/*.json; do
    wn=$(basename "$w" .json)
    for e in event analytic; do
      rec "run.$an.$wn.$e" "$bin" run "$a" "$w" --json --engine "$e"
    done
    rec "trace.$an.$wn" "$bin" run "$a" "$w" --json --trace "$out/trace.$an.$wn.trace.json"
  done
done
for s in sweeps/*.json; do
  sn=$(basename "$s" .json)
  rm -rf "$out/sweep.$sn.d"
  # stderr names the output folder and the sweep's speed: keep only the exit code.
  "$bin" sweep "$s" -o "$out/sweep.$sn.d" --threads 2 >/dev/null 2>&1
  echo "$?" >"$out/sweep.$sn.rc"
done
rec validate.h100 "$bin" validate h100 --json
rec validate.a100 "$bin" validate a100-mlp --json

if [ "$mode" = compare ]; then
  if diff -r -q "$ref" "$out" >/dev/null; then
    echo "identical ($(ls "$ref" | wc -l) entries)"; rm -rf "$out"
  else
    diff -r -q "$ref" "$out"; echo "differences; new outputs kept in $out"; exit 1
  fi
fi
