#!/usr/bin/env python3
"""Builds docs/mapping.md's side-by-side tables from the raw outputs in docs/compare/
(accelsim_*.csv from accelsim_run.py, zigzag_*.csv from zigzag_run.py, timeloop_*.csv from
timeloop_run.py).

  python3 scripts/compare/tables.py           print the tables
  python3 scripts/compare/tables.py --write   rewrite the block between the markers in docs/mapping.md
  python3 scripts/compare/tables.py --check   exit 1 if that block is stale

Standard library only. A ratio is accelsim / the other tool; one off by more than 10 % is in
bold and explained in docs/mapping.md.
"""

from __future__ import annotations

import argparse
import csv
import sys

from common import DRAM_PJ_PER_64B, REPO, dram_bytes_per_cycle

DOC = REPO / "docs/mapping.md"
RAW = REPO / "docs/compare"
BEGIN = "<!-- compare-tables:begin (scripts/compare/tables.py --write) -->"
END = "<!-- compare-tables:end -->"


def load(name: str) -> dict[str, dict]:
    with open(RAW / name) as f:
        return {r["layer"]: r for r in csv.DictReader(f)}


def si(x: float, unit: str) -> str:
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"), (1e-6, "µ")):
        if abs(x) >= scale:
            return f"{x / scale:.3g} {prefix}{unit}"
    return f"{x * 1e9:.3g} n{unit}"


def ratio(a: float, b: float) -> str:
    r = a / b if b else float("inf")
    text = f"{r:.2f}"
    return f"**{text}**" if abs(r - 1.0) > 0.10 else text


def secs(s: float) -> str:
    return f"{s * 1e6:.0f} µs" if s < 1e-3 else f"{s * 1e3:.0f} ms" if s < 1 else f"{s:.1f} s"


def table(acc: dict[str, dict], zz: dict[str, dict], totals: bool, tool: str = "ZigZag") -> list[str]:
    """One row per layer: accelsim against `tool` (whose CSV has the same columns for DRAM
    bytes, latency and energy, and its search's CPU seconds)."""
    missing = set(acc) ^ set(zz)
    if missing:
        sys.exit(f"layers in one CSV only: {sorted(missing)}")
    lines = [
        f"| layer | GEMM M×N×K | DRAM accelsim | DRAM {tool} | ratio | latency accelsim | latency {tool} | ratio"
        f" | energy accelsim | energy {tool} | ratio | search accelsim | search {tool} (CPU) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    tot = {k: 0.0 for k in ("ad", "zd", "al", "zl", "ae", "ze", "at", "zt")}
    for name, a in acc.items():
        z = zz[name]
        ad, zd = float(a["dram_bytes"]), float(z["dram_bytes"])
        al, zl = float(a["latency_cycles"]), float(z["latency_cycles"])
        ae, ze = float(a["energy_pj"]), float(z["energy_pj"])
        at, zt = float(a["search_us_median"]) * 1e-6, float(z["search_cpu_s"])
        for k, v in zip(tot, (ad, zd, al, zl, ae, ze, at, zt)):
            tot[k] += v
        lines.append(
            f"| {name} | {a['gemm_mnk'].replace('x', '×')} | {si(ad, 'B')} | {si(zd, 'B')} | {ratio(ad, zd)}"
            f" | {al:,.0f} | {zl:,.0f} | {ratio(al, zl)}"
            f" | {si(ae * 1e-12, 'J')} | {si(ze * 1e-12, 'J')} | {ratio(ae, ze)}"
            f" | {secs(at)} | {secs(zt)} |"
        )
    if totals:
        t = tot
        lines.append(
            f"| **all** | | {si(t['ad'], 'B')} | {si(t['zd'], 'B')} | {ratio(t['ad'], t['zd'])}"
            f" | {t['al']:,.0f} | {t['zl']:,.0f} | {ratio(t['al'], t['zl'])}"
            f" | {si(t['ae'] * 1e-12, 'J')} | {si(t['ze'] * 1e-12, 'J')} | {ratio(t['ae'], t['ze'])}"
            f" | {secs(t['at'])} | {secs(t['zt'])} |"
        )
    return lines


GEMM_DRAM_PJ_PER_BYTE = DRAM_PJ_PER_64B / 8


def psum32(tl: dict[str, dict]) -> dict[str, dict]:
    """Timeloop's GEMM rows with its spilled partial sums priced at 32 bits: Timeloop v3 has
    one word width per storage level, so its 1-byte DRAM words carry the spilled sums at
    1 byte. timeloop_run.py re-prices the bytes (`dram_bytes_psum32`); here the latency
    (never below bytes / bandwidth) and the DRAM energy follow."""
    bandwidth = dram_bytes_per_cycle()
    out = {}
    for name, r in tl.items():
        extra = float(r["dram_bytes_psum32"]) - float(r["dram_bytes"])
        r = dict(r)
        r["dram_bytes"] = r["dram_bytes_psum32"]
        r["latency_cycles"] = max(float(r["latency_cycles"]), float(r["dram_bytes"]) / bandwidth)
        r["energy_pj"] = float(r["energy_pj"]) + extra * GEMM_DRAM_PJ_PER_BYTE
        out[name] = r
    return out


def block() -> str:
    out = [BEGIN, ""]
    out.append("**ResNet-18 on ZigZag's TPU-like example** (`docs/compare/zigzag_tpu_like.json`;")
    out.append("raw: `docs/compare/{accelsim,zigzag}_resnet18.csv`)")
    out.append("")
    out += table(load("accelsim_resnet18.csv"), load("zigzag_resnet18.csv"), True)
    out.append("")
    out.append("**GEMMs on `user_bw10_128x128_os`** (raw: `docs/compare/{accelsim,zigzag}_gemm.csv`)")
    out.append("")
    out += table(load("accelsim_gemm.csv"), load("zigzag_gemm.csv"), False)
    out.append("")
    out.append("**The same GEMMs, accelsim against Timeloop's mapper**, Timeloop's spilled partial sums priced")
    out.append("at 32 bits (raw: `docs/compare/timeloop_gemm.csv`; inputs and chosen mappings:")
    out.append("`docs/compare/timeloop_gemm_inputs/`)")
    out.append("")
    out += table(load("accelsim_gemm.csv"), psum32(load("timeloop_gemm.csv")), False, "Timeloop")
    out += ["", END]
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--write", action="store_true")
    g.add_argument("--check", action="store_true")
    args = p.parse_args()
    new = block()
    if not (args.write or args.check):
        print(new)
        return
    text = DOC.read_text()
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        sys.exit(f"{DOC}: markers not found")
    updated = text[:start] + new + text[end + len(END) :]
    if args.check:
        if updated != text:
            sys.exit(f"{DOC}: the comparison tables are stale; run scripts/compare/tables.py --write")
        return
    DOC.write_text(updated)


if __name__ == "__main__":
    main()
