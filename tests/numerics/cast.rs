//! Bit-exact checks of f32 → format casts and exhaustive decodes against the reference
//! vectors in `tests/data/numerics/` (see its README). Each test prints a count per file.

use accelsim::numerics::{CastOptions, Caster, FloatClass, FloatFormat, Format};
use serde_json::Value;

fn load(rel: &str) -> Value {
    let path = format!("{}/tests/data/numerics/{rel}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn u(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("not an unsigned integer: {v}"))
}

/// NaN-aware comparison of codes (any NaN code matches an expected NaN).
fn code_ok(fmt: Format, got: u32, want: u32, want_nan: bool) -> bool {
    if want_nan {
        match fmt {
            Format::Float(f) => f.is_nan_code(got),
            Format::E8M0 => got == 0xff,
            _ => false,
        }
    } else {
        got == want
    }
}

fn f32_bits_ok(got: f32, want_bits: u32) -> bool {
    let want = f32::from_bits(want_bits);
    if want.is_nan() {
        got.is_nan()
    } else {
        got.to_bits() == want_bits
    }
}

fn check_params(fmt: Format, p: &Value) {
    let Format::Float(f) = fmt else {
        assert_eq!(u(&p["max_finite_code"]), 254);
        return;
    };
    assert_eq!(f.bits() as u64, u(&p["bits"]));
    assert_eq!(f.exp_bits as u64, u(&p["exp_bits"]));
    assert_eq!(f.man_bits as u64, u(&p["man_bits"]));
    assert_eq!(f.bias() as i64, p["bias"].as_i64().unwrap());
    assert_eq!(f.has_inf(), p["has_inf"].as_bool().unwrap());
    assert_eq!(f.has_nan(), p["has_nan"].as_bool().unwrap());
    assert_eq!(
        f.has_negative_zero(),
        p["has_negative_zero"].as_bool().unwrap()
    );
    assert_eq!(f.max_finite_code() as u64, u(&p["max_finite_code"]));
    let dec = |k: &str| p[k].as_str().unwrap().parse::<f64>().unwrap();
    assert_eq!(f.max_finite(), dec("max_finite"));
    assert_eq!(f.min_normal(), dec("min_normal"));
    assert_eq!(f.min_subnormal(), Some(dec("min_subnormal")));
    assert_eq!(f.max_subnormal(), Some(dec("max_subnormal")));
    if let Some(nans) = p["nan_codes"].as_array() {
        let n = nans.len() as u32;
        let all = (0..1u32 << f.bits()).filter(|&c| f.is_nan_code(c)).count() as u32;
        assert_eq!(all, n);
        for c in nans {
            assert!(f.is_nan_code(u(c) as u32));
        }
    }
}

struct Tally {
    pass: usize,
    total: usize,
    skipped: usize,
    fails: Vec<String>,
}

impl Tally {
    fn new() -> Self {
        Tally {
            pass: 0,
            total: 0,
            skipped: 0,
            fails: Vec::new(),
        }
    }
    fn check(&mut self, ok: bool, msg: impl FnOnce() -> String) {
        self.total += 1;
        if ok {
            self.pass += 1;
        } else if self.fails.len() < 20 {
            self.fails.push(msg());
        }
    }
}

fn run_cast_file(file: &str) -> (usize, usize) {
    let d = load(&format!("cast/cast_{file}.json"));
    let fmt = Format::parse(d["format"].as_str().unwrap()).unwrap();
    check_params(fmt, &d["format_params"]);
    let cases = d["cases"].as_array().unwrap();
    assert_eq!(cases.len() as u64, u(&d["n_cases"]));
    let has_nan = match fmt {
        Format::Float(f) => f.has_nan(),
        _ => true,
    };
    let mut ieee = Caster::new(fmt, CastOptions::RNE).unwrap();
    let mut sat = Caster::new(fmt, CastOptions::RNE_SAT).unwrap();
    // The slice API (table / bit-manipulation fast paths) on all inputs at once.
    let xs: Vec<f32> = cases
        .iter()
        .map(|c| f32::from_bits(u(&c["x_bits"]) as u32))
        .collect();
    let mut slice_codes = vec![0u32; xs.len()];
    ieee.cast_slice(&xs, &mut slice_codes).unwrap();
    let mut slice_sat = vec![0u32; xs.len()];
    sat.cast_slice(&xs, &mut slice_sat).unwrap();

    let mut t = Tally::new();
    let (mut sat_pass, mut sat_total, mut n_traps, mut impl_agree) = (0, 0, 0, 0);
    for (i, c) in cases.iter().enumerate() {
        let x = xs[i];
        let want = u(&c["y_code"]) as u32;
        let want_nan = c["y_is_nan"].as_bool().unwrap();
        let impl_defined = c["impl_defined"].as_bool().unwrap();
        n_traps += c["double_rounding_trap"].as_bool().unwrap() as usize;
        let got = ieee.encode_f32(x);
        let got64 = ieee.encode_f64(x as f64);
        let kind = c["kind"].as_str().unwrap();
        if impl_defined {
            if x.is_nan() && has_nan {
                t.check(code_ok(fmt, got, want, true), || {
                    format!("{kind} NaN {x:?}")
                });
            } else {
                t.skipped += 1;
                impl_agree += code_ok(fmt, got, want, want_nan) as usize;
            }
        } else {
            let ok = code_ok(fmt, got, want, want_nan)
                && code_ok(fmt, got64, want, want_nan)
                && code_ok(fmt, slice_codes[i], want, want_nan);
            t.check(ok, || {
                format!(
                    "{kind} x={:#010x}: got {got:#x}/{got64:#x}/{:#x}, want {want:#x}",
                    x.to_bits(),
                    slice_codes[i]
                )
            });
            // Decoding the expected code gives the expected f32.
            let dec = ieee.decode_f32(want);
            assert!(
                f32_bits_ok(dec, u(&c["y_f32_bits"]) as u32),
                "decode {want:#x} of {file}"
            );
        }
        if let Some(ws) = c["y_code_sat"].as_u64() {
            sat_total += 1;
            let gs = sat.encode_f32(x);
            let ws = ws as u32;
            let sat_nan = match fmt {
                Format::Float(f) => f.is_nan_code(ws),
                _ => ws == 0xff,
            };
            if code_ok(fmt, gs, ws, sat_nan) && code_ok(fmt, slice_sat[i], ws, sat_nan) {
                sat_pass += 1;
            } else {
                t.fails.push(format!(
                    "sat {kind} x={:#010x}: got {gs:#x}, want {ws:#x}",
                    x.to_bits()
                ));
            }
        }
    }
    let skipped = if t.skipped > 0 {
        format!(
            "; {} impl-defined skipped, {impl_agree} of them agree with ml_dtypes anyway",
            t.skipped
        )
    } else {
        String::new()
    };
    println!(
        "cast_{file}: {}/{} exact (y_code{skipped}), {sat_pass}/{sat_total} exact (y_code_sat), {n_traps} double-rounding traps included",
        t.pass, t.total
    );
    assert!(
        t.fails.is_empty(),
        "cast_{file} mismatches:\n{}",
        t.fails.join("\n")
    );
    assert_eq!(sat_pass, sat_total);
    (t.pass, t.total)
}

#[test]
fn cast_vectors_all_formats() {
    let files = [
        "float16",
        "bfloat16",
        "float8_e4m3fn",
        "float8_e5m2",
        "float6_e2m3fn",
        "float6_e3m2fn",
        "float4_e2m1fn",
        "float8_e8m0fnu",
        "float8_e4m3fnuz",
        "float8_e5m2fnuz",
    ];
    let mut bad = Vec::new();
    for f in files {
        let r = std::panic::catch_unwind(|| run_cast_file(f));
        if r.is_err() {
            bad.push(f);
        }
    }
    assert!(bad.is_empty(), "failing files: {bad:?}");
}

#[test]
fn decode_tables_exhaustive() {
    let d = load("decode_tables.json");
    for (name, t) in d["float_formats"].as_object().unwrap() {
        let fmt = Format::parse(name).unwrap();
        check_params(fmt, &t["format_params"]);
        let entries = t["entries"].as_array().unwrap();
        let caster = Caster::new(fmt, CastOptions::RNE).unwrap();
        let mut pass = 0;
        for e in entries {
            let code = u(&e["code"]) as u32;
            let got = caster.decode_f32(code);
            let class = e["class"].as_str().unwrap();
            let class_ok = match fmt {
                Format::Float(f) => f.classify(code).name() == class,
                _ => (code == 0xff) == (class == "nan"),
            };
            if f32_bits_ok(got, u(&e["f32_bits"]) as u32) && class_ok {
                pass += 1;
            } else {
                println!(
                    "{name} code {code:#x}: got {:#x} class {class}",
                    got.to_bits()
                );
            }
        }
        // Slice decode agrees with scalar decode.
        let codes: Vec<u8> = (0..entries.len()).map(|c| c as u8).collect();
        let mut out = vec![0f32; codes.len()];
        caster.decode_slice(&codes, &mut out).unwrap();
        for (c, v) in codes.iter().zip(&out) {
            let s = caster.decode_f32(*c as u32);
            assert!(v.to_bits() == s.to_bits() || (v.is_nan() && s.is_nan()));
        }
        println!("decode_{name}: {pass}/{} exact", entries.len());
        assert_eq!(pass, entries.len(), "{name}");
    }
    for (name, t) in d["int_formats"].as_object().unwrap() {
        let fmt = Format::parse(name).unwrap();
        let caster = Caster::new(fmt, CastOptions::RNE).unwrap();
        let entries = t["entries"].as_array().unwrap();
        let mut pass = 0;
        for e in entries {
            let code = u(&e["code"]) as u32;
            let value = e["value"].as_i64().unwrap();
            let got = caster.decode_f32(code);
            let mut enc = Caster::new(fmt, CastOptions::RNE).unwrap();
            if got as i64 == value
                && got.to_bits() == u(&e["f32_bits"]) as u32
                && enc.encode_f32(value as f32) == code
            {
                pass += 1;
            }
        }
        println!("decode_{name}: {pass}/{} exact", entries.len());
        assert_eq!(pass, entries.len(), "{name}");
    }
}

#[test]
fn classify_names() {
    assert_eq!(FloatFormat::FP8_E5M2.classify(0x7c), FloatClass::Inf);
    assert_eq!(FloatFormat::FP8_E4M3_FNUZ.classify(0x80), FloatClass::Nan);
}
