#!/usr/bin/env python3
"""accelsim's side of the mapper comparison (docs/mapping.md): runs the release binary on
the same layers and hardware as scripts/compare/zigzag_run.py and writes one CSV row per
compute layer (DRAM bytes per tensor from the searched mapping, latency, energy, search time).

Cases:
  resnet18  docs/compare/zigzag_tpu_like.json (ZigZag's TPU-like example in accelsim's
            format) on workloads/resnet18.json.
  gemm      tests/data/scalesim/configs/user_bw10_128x128_os.cfg and
            tests/data/scalesim/topologies/gemm_shapes.csv imported with
            `accelsim import scalesim`.

Needs target/release/accelsim and target/release/examples/search_time
(`cargo build --release --bin accelsim --example search_time`). Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import GEMM_CONFIG, GEMM_TOPOLOGY, REPO, write_rows

BIN = REPO / "target/release/accelsim"
SEARCH_TIME = REPO / "target/release/examples/search_time"


def accelsim(*args: str) -> str:
    r = subprocess.run([str(BIN), *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"accelsim {' '.join(args)} failed ({r.returncode}):\n{r.stderr}")
    return r.stdout


def search_times(arch: Path, workload: Path, reps: int) -> dict[str, dict]:
    r = subprocess.run(
        [str(SEARCH_TIME), str(arch), str(workload), str(reps)], capture_output=True, text=True
    )
    if r.returncode != 0:
        sys.exit(f"search_time failed ({r.returncode}):\n{r.stderr}")
    return {row["layer"]: row for row in csv.DictReader(io.StringIO(r.stdout))}


def loop_nest(tm: dict) -> str:
    return " / ".join(tm["loop_nest"])


def rows(arch: Path, workload: Path, reps: int) -> list[dict]:
    report = json.loads(accelsim("run", str(arch), str(workload), "--engine", "analytic", "--json"))
    times = search_times(arch, workload, reps)
    out = []
    for layer in report["layers"]:
        tm = layer.get("temporal_mapping")
        if tm is None or layer["unit"] != "array":
            continue
        dram = tm["levels"][0]
        per_tensor = [r + u for r, u in zip(dram["reads"], dram["updates"])]
        e = layer["energy_breakdown_pj"]
        t = times[layer["name"]]
        out.append(
            {
                "layer": layer["name"],
                "gemm_mnk": "x".join(str(x) for x in layer["gemm"][1:]),
                "macs": layer["macs"],
                "dram_bytes_A": per_tensor[0],
                "dram_bytes_B": per_tensor[1],
                "dram_bytes_C": per_tensor[2],
                "dram_bytes": tm["dram_bytes"],
                "dram_bytes_charged": layer["dram_bytes"],
                "lower_bound_bytes": tm["dram_lower_bound_bytes"],
                "latency_cycles": layer["cycles"],
                "compute_cycles": layer["compute_cycles"],
                "stall_cycles": layer["stall_cycles"],
                "energy_pj": layer["energy_pj"],
                "dram_energy_pj": e["dram"],
                "mac_energy_pj": e["mac"],
                "sram_energy_pj": e["sram"],
                "mappings_evaluated": t["mappings_evaluated"],
                "search_us_median": t["search_us_median"],
                "temporal_mapping": loop_nest(tm),
            }
        )
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("case", choices=["resnet18", "gemm"])
    p.add_argument("--out", required=True, help="CSV to write")
    p.add_argument("--reps", type=int, default=20, help="cold searches per layer for the timing")
    args = p.parse_args()
    if args.case == "resnet18":
        data = rows(REPO / "docs/compare/zigzag_tpu_like.json", REPO / "workloads/resnet18.json", args.reps)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            accelsim(
                "import",
                "scalesim",
                "--config",
                str(GEMM_CONFIG),
                "--topology",
                str(GEMM_TOPOLOGY),
                "--out-dir",
                tmp,
            )
            data = rows(Path(tmp, "arch.json"), Path(tmp, "workload.json"), args.reps)
    write_rows(args.out, data, "layers")


if __name__ == "__main__":
    main()
