#!/usr/bin/env python3
"""Expected outputs of one-row MX matmuls, computed with exact rational arithmetic.

Reads the OCP MX quantization vectors (tests/data/numerics/mx/mx_<format>.json: inputs
`x_bits` and their dequantized values `dq_f32_bits`, produced by ml_dtypes/gfloat) and
writes tests/data/func/mx_matmul.json: for pairs of inputs (A = one case's x, B = another
case's x with the same number of blocks, or B = all ones), the exact dot product of the
*reference* dequantized values, rounded once to f32 (an `exact` accumulator), and the
result of adding each block's exact dot product to an fp32 register with one
round-to-nearest-even per block (a sequential fp32 accumulator). Independent of accelsim:
only the vector files' dequantized values and Python's Fraction are used.

    python3 scripts/gen_mx_matmul.py
"""
import json
import math
import struct
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ["mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e2m3", "mxfp6_e3m2", "mxfp4_e2m1", "mxint8"]


def f32(bits):
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def rne_f32(v):
    """Fraction -> f32 bits, round to nearest even, overflow to infinity."""
    if v == 0:
        return 0
    sign = 0x80000000 if v < 0 else 0
    a = abs(v)
    e = math.floor(math.log2(a.numerator) - math.log2(a.denominator))
    # Correct the estimate.
    while Fraction(2) ** e > a:
        e -= 1
    while Fraction(2) ** (e + 1) <= a:
        e += 1
    e = max(e, -126)
    quantum = Fraction(2) ** (e - 23)
    q = round(a / quantum)  # Fraction.__round__ rounds half to even
    r = q * quantum
    if r >= Fraction(2) ** 128:
        return sign | 0x7F800000
    bits = struct.unpack("<I", struct.pack("<f", float(r)))[0]
    assert Fraction(f32(bits)) == r
    return sign | bits


def frac(bits):
    x = f32(bits)
    return None if math.isnan(x) or math.isinf(x) else Fraction(x)


def expected(dq_a, dq_b, block):
    """(exact_bits, seq_fp32_bits); None entries mean NaN."""
    if any(v is None for v in dq_a + dq_b):
        return None, None
    blocks = []
    for b0 in range(0, len(dq_a), block):
        blocks.append(sum(x * y for x, y in zip(dq_a[b0 : b0 + block], dq_b[b0 : b0 + block])))
    exact = rne_f32(sum(blocks, Fraction(0)))
    reg = 0
    for s in blocks:
        reg = rne_f32(Fraction(f32(reg)) + s) if not math.isinf(f32(reg)) else reg
    return exact, reg


def main():
    out = {
        "schema": "mx_matmul.v1",
        "definition": "y = sum_b (sum_{t in block b} dqA[t]*dqB[t]) with dq the reference "
        "dequantized values; exact_f32_bits: rounded once (RNE) to f32; seq_fp32_bits: each "
        "block sum added to an fp32 register with one RNE rounding, blocks in order",
        "generator": "scripts/gen_mx_matmul.py (Python fractions)",
        "cases": [],
    }
    for fmt in FORMATS:
        d = json.loads((ROOT / f"tests/data/numerics/mx/mx_{fmt}.json").read_text())
        block = d["block_size"]
        cases = d["cases"]
        ones = [0x3F800000] * block
        for c in cases:
            dq = [frac(b) for b in c["dq_f32_bits"]]
            if c["n_blocks"] == 1:
                e, s = expected(dq, [Fraction(1)] * block, block)
                out["cases"].append(
                    {"format": fmt, "name": f"{c['name']}__x__ones", "a_bits": c["x_bits"],
                     "b_bits": ones, "exact_f32_bits": e, "seq_fp32_bits": s}
                )
        multi = [c for c in cases if c["n_blocks"] > 1]
        for ca, cb in zip(multi, multi[1:]):
            if ca["n_blocks"] != cb["n_blocks"]:
                continue
            e, s = expected([frac(b) for b in ca["dq_f32_bits"]], [frac(b) for b in cb["dq_f32_bits"]], block)
            out["cases"].append(
                {"format": fmt, "name": f"{ca['name']}__x__{cb['name']}", "a_bits": ca["x_bits"],
                 "b_bits": cb["x_bits"], "exact_f32_bits": e, "seq_fp32_bits": s}
            )
    path = ROOT / "tests/data/func/mx_matmul.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path} ({len(out['cases'])} cases)")


if __name__ == "__main__":
    main()
