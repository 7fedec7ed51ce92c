#!/usr/bin/env python3
"""Run Timeloop's mapper (timeloop-mapper, v3.0.3) on the GEMMs of the accelsim mapper
comparison.

Not part of CI or the test suite: Timeloop is not a test dependency. See
scripts/compare/README.md for the build (Timeloop v3.0.3 from source, no ISL/barvinok) and
docs/mapping.md for the results. Standard library only.

Case:
  gemm  The SCALE-Sim config tests/data/scalesim/configs/user_bw10_128x128_os.cfg described
        in Timeloop's format (gemm_spec below) on the GEMMs of
        tests/data/scalesim/topologies/gemm_shapes.csv, as Timeloop's `cnn-layer` problem
        with P = M, K = N, C = K (R = S = Q = N = 1).

Search: `random-pruned` on 2 threads, `optimization-metrics: [delay, energy]` (latency first,
as accelsim's objective `latency` and ZigZag's `opt="latency"`), a victory condition of
--victory consecutive non-improving valid mappings per thread, and a wall-clock budget per
GEMM (--budget-s) after which the mapper is sent SIGINT and reports the best mapping found
so far: the usual way Timeloop's mapper is run, since its mapspace is far too large to
enumerate.

Output: one CSV row per GEMM (DRAM bytes per tensor, latency, energy, search time, how the
search stopped, the chosen loop nest), written to --out.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import DRAM_PJ_PER_64B, GEMM_CONFIG, GEMM_TOPOLOGY, MAC_INT8_PJ, SRAM_64KIB_PJ_PER_64B, os_array, write_rows

# Timeloop's nest analysis costs grow with the number of spatial instances it tracks; a
# 128×128 array of one-accumulator PEs takes ~1 s per evaluated mapping. The array is
# described as an 8×8 grid of 16×16 PE blocks instead (two spatial levels, same MACs, same
# per-PE accumulator): the buffers above see the same tiles, so DRAM and SRAM counts are
# unchanged, and an evaluation takes ~15 ms.
PE_BLOCK = 16


def spatial_split(dim: int, edge: int) -> tuple[int, int]:
    """The array edge's factor for a GEMM dimension, as (blocks, PEs per block)."""
    used = min(dim, edge)
    if dim % used:
        sys.exit(f"dimension {dim} does not divide the {edge}-wide array edge evenly")
    inner = min(used, PE_BLOCK)
    return used // inner, inner


def gemm_spec(cfg_path: Path, m: int, n: int, k: int, victory: int, threads: int) -> str:
    """The SCALE-Sim config and one GEMM as a Timeloop input (YAML).

    Levels, innermost first:
    - `PEAcc`: each PE's 32-bit accumulator (output stationary: the partial sum stays while
      C = K runs; only C loops may sit here), one 16×16 block of them per instance;
    - `FilterSRAM`, `IfmapSRAM`: the config's filter and ifmap SRAMs, each keeping only its
      tensor, double buffered (`multiple-buffering: 2`: half the capacity per tile, as
      SCALE-Sim, accelsim and the issue's reference assume);
    - `DRAM`: 1-byte words at the config's `Bandwidth` words per cycle, shared by reads and
      writes.
    Outputs bypass the ofmap SRAM: a 128×128 block of 32-bit sums is 64 KiB, twice the
    ofmap SRAM's half, so with the full array's output block that level could never hold
    them (the sums live in the PEs, as in accelsim's output-stationary rule); the level is
    left out.
    """
    cfg, rows, cols = os_array(cfg_path)
    a = cfg["architecture_presets"]
    if rows % PE_BLOCK or cols % PE_BLOCK:
        sys.exit(f"{cfg_path}: array edges must be multiples of {PE_BLOCK}")
    ifmap_b = int(float(a["IfmapSramSzkB"]) * 1024)
    filter_b = int(float(a["FilterSramSzkB"]) * 1024)
    bw = float(a["Bandwidth"])
    pm_o, pm_i = spatial_split(m, rows)
    pk_o, pk_i = spatial_split(n, cols)
    brow, bcol = rows // PE_BLOCK, cols // PE_BLOCK
    sram_e = SRAM_64KIB_PJ_PER_64B  # per 8 one-byte words (block-size 8)
    return f"""mapper:
  algorithm: random-pruned
  optimization-metrics: [delay, energy]
  num-threads: {threads}
  victory-condition: {victory}
  max-permutations-per-if-visit: 16
  timeout: 100000
  search-size: 0
  log-suboptimal: False
  live-status: False
arch:
  arithmetic:
    name: MACs
    instances: {rows * cols}
    meshX: {rows}
    word-bits: 8
    energy: 0
  storage:
  - name: PEAcc
    entries: {PE_BLOCK * PE_BLOCK}
    instances: {brow * bcol}
    meshX: {brow}
    word-bits: 32
    vector-access-energy: 0.0
  - name: FilterSRAM
    entries: {filter_b}
    instances: 1
    word-bits: 8
    block-size: 8
    multiple-buffering: 2
    vector-access-energy: {sram_e}
  - name: IfmapSRAM
    entries: {ifmap_b}
    instances: 1
    word-bits: 8
    block-size: 8
    multiple-buffering: 2
    vector-access-energy: {sram_e}
  - name: DRAM
    technology: DRAM
    instances: 1
    word-bits: 8
    block-size: 8
    shared_bandwidth: {bw:g}
    vector-access-energy: {DRAM_PJ_PER_64B}
mapspace:
  constraints:
  - {{target: PEAcc, type: datatype, keep: [Outputs], bypass: [Inputs, Weights]}}
  - {{target: FilterSRAM, type: datatype, keep: [Weights], bypass: [Inputs, Outputs]}}
  - {{target: IfmapSRAM, type: datatype, keep: [Inputs], bypass: [Weights, Outputs]}}
  - {{target: FilterSRAM, type: spatial, factors: P{pm_o} K{pk_o} C1 R1 S1 Q1 N1, permutation: PKCRSQN, split: 1}}
  - {{target: PEAcc, type: spatial, factors: P{pm_i} K{pk_i} C1 R1 S1 Q1 N1, permutation: PKCRSQN, split: 1}}
  - {{target: PEAcc, type: temporal, factors: P1 K1 R1 S1 Q1 N1, permutation: RSQNPK}}
  - {{target: FilterSRAM, type: temporal, factors: R1 S1 Q1 N1, permutation: RSQN}}
  - {{target: IfmapSRAM, type: temporal, factors: R1 S1 Q1 N1, permutation: RSQN}}
  - {{target: DRAM, type: temporal, factors: R1 S1 Q1 N1, permutation: RSQN}}
problem:
  shape: cnn-layer
  R: 1
  S: 1
  P: {m}
  Q: 1
  C: {k}
  K: {n}
  N: 1
"""


def dram_accesses(stats: str) -> dict[str, dict[str, int]]:
    """Scalar reads, fills and updates per tensor at the DRAM level (1-byte words)."""
    section = stats.split("=== DRAM ===", 1)[1].split("\nNetworks", 1)[0]
    out = {}
    for tensor in ("Weights", "Inputs", "Outputs"):
        body = section.split(f"    {tensor}:\n", 1)[1]
        body = re.split(r"\n    \w+:\n", body, maxsplit=1)[0]
        out[tensor] = {
            kind: int(re.search(rf"Scalar {kind} \(per-instance\)\s*: (\d+)", body).group(1))
            for kind in ("reads", "fills", "updates")
        }
    return out


def summary(stats: str, key: str) -> str:
    return re.search(rf"^{key}: (\S+)", stats.split("Summary Stats", 1)[1], re.M).group(1)


def level_energy_pj(stats: str, level: str) -> float:
    section = stats.split(f"=== {level} ===", 1)[1].split("\n=== ", 1)[0]
    return sum(float(x) for x in re.findall(r"  Energy \(total\)\s*: ([\d.e+-]+) pJ", section))


def loop_nest(map_txt: str) -> str:
    """timeloop-mapper.map.txt, outermost level first: `DRAM: P8 K8 C16 | IfmapSRAM: C64 | ...`
    (temporal loops outermost first; spatial ones suffixed X/Y; unit loops dropped)."""
    parts = []
    for block in re.split(r"\n(?=\w+ \[)", map_txt.strip()):
        name = block.split(" ", 1)[0]
        loops = []
        for lo, hi, sp in re.findall(r"for (\w) in \[0:(\d+)\)( \(Spatial-[XY]\))?", block):
            if int(hi) > 1:
                loops.append(f"{lo}{hi}{sp[-2] if sp else ''}")
        parts.append(f"{name}: {' '.join(loops) or '-'}")
    return " | ".join(parts)


def run_mapper(spec: str, mapper: Path, budget_s: float, workdir: Path) -> tuple[str, float, float, str]:
    """Runs timeloop-mapper on `spec` in `workdir`; SIGINT after `budget_s` seconds.
    Returns (its log, wall s, CPU s, how it stopped)."""
    (workdir / "in.yaml").write_text(spec)
    env = dict(os.environ)
    lib = mapper.resolve().parent.parent / "build"
    env["LD_LIBRARY_PATH"] = f"{lib}:{env.get('LD_LIBRARY_PATH', '')}"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(mapper), "in.yaml"], cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        log, _ = proc.communicate(timeout=budget_s)
        stop = "victory"
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        log, _ = proc.communicate()
        stop = f"budget {budget_s:g} s"
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0 and stop == "victory":
        sys.exit(f"timeloop-mapper failed ({proc.returncode}):\n{log[-2000:]}")
    if "no valid mappings found" in log:
        sys.exit(f"timeloop-mapper found no valid mapping:\n{log[-2000:]}")
    return log, wall, cpu, stop


def case_gemm(args) -> list[dict]:
    rows = []
    with open(args.topology) as f:
        shapes = [(r["Layer"].strip(), int(r["M"]), int(r["N"]), int(r["K"])) for r in csv.DictReader(f)]
    if args.only:
        shapes = [s for s in shapes if s[0] in args.only]
    for name, m, n, k in shapes:
        spec = gemm_spec(Path(args.config), m, n, k, args.victory, args.threads)
        with tempfile.TemporaryDirectory(prefix="timeloop_") as tmp:
            work = Path(tmp)
            log, wall, cpu, stop = run_mapper(spec, Path(args.mapper), args.budget_s, work)
            stats = (work / "timeloop-mapper.stats.txt").read_text()
            nest = loop_nest((work / "timeloop-mapper.map.txt").read_text())
            if args.dump_inputs:
                dst = Path(args.dump_inputs)
                dst.mkdir(parents=True, exist_ok=True)
                shutil.copy(work / "in.yaml", dst / f"{name}.yaml")
                shutil.copy(work / "timeloop-mapper.map.txt", dst / f"{name}.map.txt")
        dram = dram_accesses(stats)
        acc = {t: sum(v.values()) for t, v in dram.items()}
        # Timeloop v3 has one word width per storage level: DRAM's 1-byte words price the
        # partial sums it spills (updates beyond the one final write per output, and their
        # reads back) at 1 byte. Re-priced at the 32-bit accumulator width:
        spill = dram["Outputs"]["updates"] - m * n + dram["Outputs"]["reads"]
        c_psum32 = m * n + 4 * spill
        macs = m * n * k
        mac_pj = macs * MAC_INT8_PJ
        # Timeloop's summary energy is in µJ and its arithmetic energy is 0 here (its YAML
        # reader takes an integer `energy` first and rejects 0.3): the MACs are added at
        # accelsim's price.
        energy_pj = float(summary(stats, "Energy")) * 1e6 + mac_pj
        print(f"timeloop {name}: {wall:.1f} s wall, {cpu:.1f} s CPU, stopped by {stop}", file=sys.stderr)
        rows.append(
            {
                "layer": name,
                "gemm_mnk": f"{m}x{n}x{k}",
                "macs": macs,
                "dram_bytes_A": acc["Inputs"],
                "dram_bytes_B": acc["Weights"],
                "dram_bytes_C": acc["Outputs"],
                "dram_bytes": sum(acc.values()),
                "dram_bytes_C_psum32": c_psum32,
                "dram_bytes_psum32": acc["Inputs"] + acc["Weights"] + c_psum32,
                "latency_cycles": int(summary(stats, "Cycles")),
                "energy_pj": energy_pj,
                "dram_energy_pj": level_energy_pj(stats, "DRAM"),
                "mac_energy_pj": mac_pj,
                "search_wall_s": round(wall, 1),
                "search_cpu_s": round(cpu, 1),
                "stopped_by": stop,
                "temporal_mapping": nest,
            }
        )
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("case", choices=["gemm"])
    p.add_argument("--out", required=True, help="CSV to write")
    p.add_argument("--mapper", default=os.environ.get("TIMELOOP_MAPPER", "timeloop-mapper"),
                   help="the timeloop-mapper binary (default: $TIMELOOP_MAPPER)")
    p.add_argument("--config", default=str(GEMM_CONFIG))
    p.add_argument("--topology", default=str(GEMM_TOPOLOGY))
    p.add_argument("--only", nargs="*", help="only these GEMMs")
    p.add_argument("--budget-s", type=float, default=120.0, help="wall-clock budget per GEMM (SIGINT after it)")
    p.add_argument("--victory", type=int, default=500, help="victory condition per thread")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--dump-inputs", help="also write each GEMM's Timeloop input and chosen mapping here")
    args = p.parse_args()
    write_rows(args.out, case_gemm(args), "GEMMs")


if __name__ == "__main__":
    main()
