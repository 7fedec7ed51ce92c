"""accelsim.cast / encode / decode: bit for bit equal to `accelsim cast` and to the
shared oracle vectors (tests/data/numerics, generated with ml_dtypes)."""

import json
import subprocess

import numpy as np
import pytest

import accelsim

CAST_FILES = [
    "float8_e4m3fn", "float8_e5m2", "float6_e2m3fn", "float6_e3m2fn",
    "float4_e2m1fn", "float16", "bfloat16", "float8_e8m0fnu",
    "float8_e4m3fnuz", "float8_e5m2fnuz",
]


def cli_cast(cli, fmt, x_bits, *extra):
    text = "".join(f"0x{b:08x}\n" for b in x_bits)
    out = subprocess.run(
        [cli, "cast", "--to", fmt, *extra], input=text, check=True,
        capture_output=True, text=True,
    ).stdout
    return [json.loads(l) for l in out.splitlines()]


def vectors(root, fmt):
    return json.loads((root / f"tests/data/numerics/cast/cast_{fmt}.json").read_text())


@pytest.mark.parametrize("fmt", CAST_FILES)
@pytest.mark.parametrize("saturate", [False, True])
def test_cast_equals_cli_bit_for_bit(root, cli, fmt, saturate):
    cases = vectors(root, fmt)["cases"]
    x_bits = np.array([c["x_bits"] for c in cases], dtype=np.uint32)
    x = x_bits.view(np.float32)
    extra = ["--saturate"] if saturate else []
    ref = cli_cast(cli, fmt, x_bits, *extra)
    values = accelsim.cast(x, fmt, saturate=saturate)
    codes = accelsim.encode(x, fmt, saturate=saturate)
    assert values.dtype == np.float32 and values.shape == x.shape
    assert [r["value_bits"] for r in ref] == values.view(np.uint32).tolist()
    assert [r["code"] for r in ref] == codes.astype(np.uint32).tolist()
    back = accelsim.decode(codes, fmt)
    assert back.view(np.uint32).tolist() == values.view(np.uint32).tolist()


@pytest.mark.parametrize("fmt", CAST_FILES)
def test_cast_matches_oracle_codes(root, fmt):
    v = vectors(root, fmt)
    cases = [c for c in v["cases"] if not c.get("impl_defined")]
    x = np.array([c["x_bits"] for c in cases], dtype=np.uint32).view(np.float32)
    codes = accelsim.encode(x, fmt).astype(np.int64)
    values = accelsim.cast(x, fmt)
    for c, code, val in zip(cases, codes, values):
        if c["y_is_nan"]:
            assert np.isnan(val), c
        else:
            assert code == c["y_code"], c
            assert val.view(np.uint32) == c["y_f32_bits"], c


@pytest.mark.parametrize("fmt", ["int8", "uint8", "int4", "mxfp8_e4m3", "mxfp4_e2m1_b16", "bfp8_b16", "fixed8_4"])
@pytest.mark.parametrize("rounding", ["rne", "rtz", "stochastic"])
def test_other_formats_and_roundings_equal_cli(cli, fmt, rounding):
    x = np.random.default_rng(7).standard_normal(203).astype(np.float32) * 9
    ref = cli_cast(cli, fmt, x.view(np.uint32), "--rounding", rounding, "--seed", "11")
    got = accelsim.cast(x, fmt, rounding=rounding, seed=11)
    assert [r["value_bits"] for r in ref] == got.view(np.uint32).tolist()
    if fmt.startswith("mx"):
        codes, scales = accelsim.encode(x, fmt, rounding=rounding, seed=11)
        assert [r["code"] for r in ref] == codes.tolist()
        block = 16 if fmt.endswith("_b16") else 32
        assert [r["scale_code"] for r in ref][::block] == scales.tolist()
        assert accelsim.decode(codes, fmt, scales).view(np.uint32).tolist() == got.view(np.uint32).tolist()


def test_shape_kept_and_inputs_converted():
    x = np.arange(24, dtype=np.float64).reshape(2, 3, 4)[:, ::-1] / 7
    y = accelsim.cast(x, "int4")
    assert y.shape == (2, 3, 4) and y.dtype == np.float32
    np.testing.assert_array_equal(y, np.clip(np.round(x.astype(np.float32)), -8, 7))
    assert accelsim.code_bits("fp16") == 16 and accelsim.code_bits("int4") == 8
    assert accelsim.encode(np.float32([1.0]), "fp16").dtype == np.uint16


def test_bad_format_and_rounding_raise():
    with pytest.raises(accelsim.AccelsimError, match="fp9"):
        accelsim.cast(np.zeros(3), "fp9")
    with pytest.raises(accelsim.AccelsimError, match="rounding"):
        accelsim.cast(np.zeros(3), "int8", rounding="banana")
    with pytest.raises(accelsim.AccelsimError, match="scales"):
        accelsim.decode(np.zeros(3, np.uint8), "mxfp8_e4m3")
