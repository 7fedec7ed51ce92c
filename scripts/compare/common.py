"""What the mapper-comparison scripts share: the repository's paths, the GEMM case's inputs,
accelsim's prices for the imported SCALE-Sim arch, and the CSV writer. Standard library only."""

from __future__ import annotations

import configparser
import csv
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The config and GEMMs (the `gemm` case of every script).
GEMM_CONFIG = REPO / "tests/data/scalesim/configs/user_bw10_128x128_os.cfg"
GEMM_TOPOLOGY = REPO / "tests/data/scalesim/topologies/gemm_shapes.csv"

# accelsim's prices for the imported SCALE-Sim arch (horowitz_45nm table, `accelsim
# energy-table`): DRAM 1300 pJ per 64 bits, a 64 KiB SRAM 36 pJ per 64 bits, an int8 MAC
# with an int32 accumulator 0.3 pJ. The other tools' descriptions use the same prices so
# that energy differences come from access counts, not price tables.
DRAM_PJ_PER_64B = 1300.0
SRAM_64KIB_PJ_PER_64B = 36.0
MAC_INT8_PJ = 0.3


def load_config(cfg_path: Path) -> configparser.ConfigParser:
    """A SCALE-Sim config file."""
    cfg = configparser.ConfigParser()
    cfg.read(cfg_path)
    return cfg


def os_array(cfg_path: Path) -> tuple[configparser.ConfigParser, int, int]:
    """A SCALE-Sim config with an output-stationary array: (config, rows, cols). Exits on any
    other dataflow (the comparison scripts describe only this one)."""
    cfg = load_config(cfg_path)
    a = cfg["architecture_presets"]
    if a["Dataflow"].strip() != "os":
        sys.exit(f"{cfg_path}: only the output-stationary dataflow is described here")
    return cfg, int(a["ArrayHeight"]), int(a["ArrayWidth"])


def dram_bytes_per_cycle(cfg_path: Path = GEMM_CONFIG) -> float:
    """A SCALE-Sim config's DRAM bandwidth (`Bandwidth`, 1-byte words per cycle)."""
    return float(load_config(cfg_path)["architecture_presets"]["Bandwidth"])


def write_rows(path: str, rows: list[dict], what: str) -> None:
    """Writes one CSV row per dict (the first row's keys are the header)."""
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {path} ({len(rows)} {what})", file=sys.stderr)
