#!/usr/bin/env python3
"""Run ZigZag's mapper (LOMA) on the layers of the accelsim mapper comparison.

Not part of CI or the test suite: ZigZag is not a test dependency. See
scripts/compare/README.md for the setup (a venv with zigzag-dse 3.9.1) and docs/mapping.md
for the results.

Cases:
  resnet18  ZigZag's bundled TPU-like example (inputs/hardware/tpu_like.yaml,
            inputs/mapping/tpu_like.yaml) on its bundled ResNet-18 (inputs/workload/resnet18.onnx),
            exactly as shipped.
  gemm      The SCALE-Sim config tests/data/scalesim/configs/user_bw10_128x128_os.cfg described
            in ZigZag's format (gemm_hardware below) on the GEMMs of
            tests/data/scalesim/topologies/gemm_shapes.csv.

Output: one CSV row per layer (DRAM bytes per operand, latency, energy, search time), written
to --out.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml
import zigzag
from zigzag.api import get_hardware_performance_zigzag
from zigzag.mapping.data_movement import DataMoveAttr

from common import DRAM_PJ_PER_64B, GEMM_CONFIG, GEMM_TOPOLOGY, MAC_INT8_PJ, SRAM_64KIB_PJ_PER_64B, os_array, write_rows

DIRECTIONS = ("rd_out_to_low", "wr_in_by_low", "rd_out_to_high", "wr_in_by_high")


class LayerTimer(logging.Handler):
    """Times each layer from ZigZag's own log lines ("Processing <layer>..." then
    "Saved CostModelEvaluation(<layer>, ...)"): the spatial/temporal mapping search and the
    cost-model evaluations of that layer, in wall and CPU seconds."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.start: tuple[float, float] | None = None
        self.times: list[tuple[float, float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        now = (time.perf_counter(), time.process_time())
        if msg.startswith("Processing "):
            self.start = now
        elif msg.startswith("Saved CostModelEvaluation(") and self.start is not None:
            self.times.append((now[0] - self.start[0], now[1] - self.start[1]))
            self.start = None


def dram_bytes(cme) -> dict[str, float]:
    """Bytes each operand moves at its top memory level (DRAM), all four directions, from
    ZigZag's data-movement counts (elements × precision × periods × instances)."""
    out = {}
    for lop in cme.layer.layer_operands:
        top = cme.mapping.mem_level[lop] - 1
        mv = cme.mapping.unit_mem_data_movement[lop][top]
        amount = mv.get_attribute(DataMoveAttr.DATA_TRANS_AMOUNT_PER_PERIOD)
        prec = mv.get_attribute(DataMoveAttr.DATA_PRECISION)
        count = mv.get_attribute(DataMoveAttr.DATA_TRANS_PERIOD_COUNT)
        bits = sum(amount.get(d) * prec.get(d) * count.get(d) for d in DIRECTIONS)
        out[str(lop)] = bits * cme.mapping.spatial_mapping.unit_count[lop][top + 1] / 8
    return out


def dram_energy(cme) -> float:
    """pJ charged at each operand's top memory level (DRAM)."""
    return sum(levels[-1] for levels in cme.mem_energy_breakdown.values())


def loop_nest(cme) -> str:
    """ZigZag's temporal mapping, innermost loop first, per operand and memory level."""
    parts = []
    for lop, levels in cme.temporal_mapping.mapping_dic_origin.items():
        lv = " | ".join(" ".join(f"{d}{f:g}" for d, f in level) for level in levels)
        parts.append(f"{lop}: {lv}")
    return "; ".join(parts)


def row(cme, name: str, secs: tuple[float, float]) -> dict:
    b = dram_bytes(cme)
    dims = {str(k): v for k, v in cme.layer.layer_dim_sizes.items()}
    return {
        "layer": name,
        "dims": " ".join(f"{k}{v}" for k, v in dims.items() if v != 1),
        "macs": cme.layer.total_mac_count,
        "dram_bytes_I": b.get("I", 0.0),
        "dram_bytes_W": b.get("W", 0.0),
        "dram_bytes_O": b.get("O", 0.0),
        "dram_bytes": sum(b.values()),
        "latency_cycles": cme.latency_total2,
        "compute_cycles": cme.ideal_temporal_cycle,
        "stall_cycles": cme.stall_slack_comb,
        "onloading_cycles": cme.data_onloading_cycle,
        "offloading_cycles": cme.data_offloading_cycle,
        "energy_pj": cme.energy_total,
        "dram_energy_pj": dram_energy(cme),
        "mac_energy_pj": cme.mac_energy,
        "search_wall_s": secs[0],
        "search_cpu_s": secs[1],
        "temporal_mapping": loop_nest(cme),
    }


def accelsim_name(zz: str) -> str:
    """ZigZag's ONNX node name → the layer name in workloads/resnet18.json
    (`/layer2/layer2.0/downsample/downsample.0/Conv` → `layer2.0.downsample`)."""
    parts = zz.strip("/").split("/")[:-1]
    if parts and parts[-1] == "downsample.0":
        parts = parts[:-1]
    return ".".join(parts[1:] if len(parts) > 1 else parts)


def run_zigzag(workload, accelerator: str, mapping: str, dump: str, lpf_limit: int):
    timer = LayerTimer()
    logging.getLogger().addHandler(timer)
    t0 = time.perf_counter()
    _, _, cmes = get_hardware_performance_zigzag(
        workload,
        accelerator,
        mapping,
        opt="latency",
        dump_folder=dump,
        lpf_limit=lpf_limit,
        loma_show_progress_bar=False,
    )
    total = time.perf_counter() - t0
    logging.getLogger().removeHandler(timer)
    layers = [c for c, _ in cmes[0][1]]
    if len(timer.times) != len(layers):
        sys.exit(f"timed {len(timer.times)} layers, ZigZag returned {len(layers)}")
    return layers, timer.times, total


def case_resnet18(args) -> list[dict]:
    base = Path(zigzag.__file__).parent / "inputs"
    layers, times, total = run_zigzag(
        str(base / "workload/resnet18.onnx"),
        str(base / "hardware/tpu_like.yaml"),
        str(base / "mapping/tpu_like.yaml"),
        args.dump,
        args.lpf_limit,
    )
    print(f"zigzag resnet18: {len(layers)} layers in {total:.1f} s wall", file=sys.stderr)
    return [row(c, accelsim_name(c.layer.name), t) for c, t in zip(layers, times)]


def port(name: str, kind: str, bits: int, alloc: list[str], bw_min: int | None = None) -> dict:
    return {
        "name": name,
        "type": kind,
        "bandwidth_min": bw_min if bw_min is not None else bits,
        "bandwidth_max": bits,
        "allocation": alloc,
    }


def sram(operand: str, kib: float, bytes_per_cycle: int, writes_down: bool) -> dict:
    """One SCALE-Sim SRAM (64-bit minimum access, `bytes_per_cycle` wide at most), double
    buffered as SCALE-Sim and accelsim assume (ZigZag's `force_double_buffering`: a tile
    that is not the whole tensor takes twice its size)."""
    bits = bytes_per_cycle * 8
    reads = [f"{operand}, tl"] + ([f"{operand}, th"] if writes_down else [])
    writes = [f"{operand}, fh"] + ([f"{operand}, fl"] if writes_down else [])
    return {
        "size": int(kib * 1024 * 8),
        "r_cost": SRAM_64KIB_PJ_PER_64B * bits / 64,
        "w_cost": SRAM_64KIB_PJ_PER_64B * bits / 64,
        "area": 0,
        "latency": 1,
        "operands": [operand],
        "ports": [
            port("r_port_1", "read", bits, reads, 64),
            port("w_port_1", "write", bits, writes, 64),
        ],
        "served_dimensions": ["D1", "D2"],
        "force_double_buffering": True,
    }


def gemm_hardware(cfg_path: Path) -> tuple[dict, dict]:
    """The SCALE-Sim config as a ZigZag accelerator and mapping: an R×C output-stationary
    array (D1 = rows = M, D2 = cols = N), a 32-bit accumulator per PE (the partial sum stays
    in the PE while K runs: output stationary), the three SRAMs, and DRAM at the config's
    words per cycle (1-byte words). SRAM widths are the ones `accelsim import scalesim`
    gives (4, 4 and 16 bytes per cycle per array edge PE: wide enough never to limit the array)."""
    cfg, rows, cols = os_array(cfg_path)
    a = cfg["architecture_presets"]
    dram_bits = int(a["Bandwidth"]) * 8
    acc = 32
    edge = rows + cols  # accelsim's import::scalesim::buffer_bytes_per_cycle
    hw = {
        "name": cfg["general"]["run_name"].strip(),
        "memories": {
            "reg_O": {
                "size": acc,
                "r_cost": 0.0,
                "w_cost": 0.0,
                "area": 0,
                "latency": 1,
                "operands": ["O"],
                "ports": [
                    port("r_port_1", "read", acc, ["O, tl"]),
                    port("r_port_2", "read", acc, ["O, th"]),
                    port("w_port_1", "write", acc, ["O, fh"]),
                    port("w_port_2", "write", acc, ["O, fl"]),
                ],
                "served_dimensions": [],
            },
            "ifmap_sram": sram("I1", float(a["IfmapSramSzkB"]), 4 * edge, False),
            "filter_sram": sram("I2", float(a["FilterSramSzkB"]), 4 * edge, False),
            "ofmap_sram": sram("O", float(a["OfmapSramSzkB"]), 16 * edge, True),
            "dram": {
                "size": 10**12,
                "r_cost": DRAM_PJ_PER_64B * dram_bits / 64,
                "w_cost": DRAM_PJ_PER_64B * dram_bits / 64,
                "area": 0,
                "latency": 1,
                "operands": ["I1", "I2", "O"],
                "ports": [
                    port(
                        "rw_port_1",
                        "read_write",
                        dram_bits,
                        [f"{o}, {d}" for o in ("I1", "I2", "O") for d in ("fh", "tl", "fl", "th")],
                    )
                ],
                "served_dimensions": ["D1", "D2"],
            },
        },
        "operational_array": {
            "unit_energy": MAC_INT8_PJ,
            "unit_area": 1,
            "dimensions": ["D1", "D2"],
            "sizes": [rows, cols],
            "systolic_dimensions": ["D1", "D2"],
        },
    }
    mapping = [
        {
            "name": "default",
            "spatial_mapping": {"D1": [f"D, {rows}"], "D2": [f"K, {cols}"]},
            "memory_operand_links": {"O": "O", "W": "I2", "I": "I1"},
        }
    ]
    return hw, mapping


def gemm_workload(topology: Path) -> list[dict]:
    """SCALE-Sim GEMM rows (Layer, M, N, K) as ZigZag layers O[d][k] += I[d][c] * W[c][k]:
    D = M, K = N, C = K; int8 operands and outputs, 32-bit partial sums."""
    layers = []
    with open(topology) as f:
        for i, r in enumerate(csv.DictReader(f)):
            m, n, k = int(r["M"]), int(r["N"]), int(r["K"])
            layers.append(
                {
                    "id": i,
                    "name": r["Layer"].strip(),
                    "operator_type": "Gemm",
                    "equation": "O[d][k]+=I[d][c]*W[c][k]",
                    "loop_dims": ["D", "C", "K"],
                    "loop_sizes": [m, k, n],
                    "operand_precision": {"I": 8, "W": 8, "O": 32, "O_final": 8},
                    "operand_source": {"I": i},
                }
            )
    return layers


def case_gemm(args) -> list[dict]:
    hw, mapping = gemm_hardware(Path(args.config))
    work = gemm_workload(Path(args.topology))
    if args.only:
        work = [layer for layer in work if layer["name"] in args.only]
    with tempfile.TemporaryDirectory() as tmp:
        hw_path, map_path = os.path.join(tmp, "hw.yaml"), os.path.join(tmp, "map.yaml")
        with open(hw_path, "w") as f:
            yaml.safe_dump(hw, f, sort_keys=False)
        with open(map_path, "w") as f:
            yaml.safe_dump(mapping, f, sort_keys=False)
        if args.dump_inputs:
            Path(args.dump_inputs).mkdir(parents=True, exist_ok=True)
            for src, dst in ((hw_path, "hardware.yaml"), (map_path, "mapping.yaml")):
                Path(args.dump_inputs, dst).write_text(Path(src).read_text())
        rows = []
        # One layer per call: ZigZag's ONNX-free workloads take a list of layers, but a
        # call per layer keeps one slow layer from hiding the others' times.
        for layer in work:
            layer = dict(layer, id=0, operand_source={"I": 0})
            layers, times, total = run_zigzag([layer], hw_path, map_path, args.dump, args.lpf_limit)
            print(f"zigzag {layer['name']}: {total:.1f} s wall", file=sys.stderr)
            rows.append(row(layers[0], layer["name"], times[0]))
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("case", choices=["resnet18", "gemm"])
    p.add_argument("--out", required=True, help="CSV to write")
    p.add_argument("--config", default=str(GEMM_CONFIG))
    p.add_argument("--topology", default=str(GEMM_TOPOLOGY))
    p.add_argument("--only", nargs="*", help="gemm: only these layers")
    p.add_argument("--lpf-limit", type=int, default=6, help="LOMA's loop-prime-factor limit (ZigZag's default 6)")
    p.add_argument("--dump", default=tempfile.mkdtemp(prefix="zigzag_"), help="ZigZag's own output folder")
    p.add_argument("--dump-inputs", help="gemm: also write the generated hardware/mapping YAML here")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    rows = case_resnet18(args) if args.case == "resnet18" else case_gemm(args)
    write_rows(args.out, rows, "layers")


if __name__ == "__main__":
    main()
