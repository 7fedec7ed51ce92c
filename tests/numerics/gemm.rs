//! Bit-exact GEMM checks against `tests/data/numerics/gemm/*.json`: integer GEMMs in int32,
//! binary XNOR-popcount, and float GEMMs with the sequential fp32 chain, the exact sum
//! rounded once to f32, and the exact sum rounded once to f64.

use accelsim::numerics::dot::binary_matches_packed;
use accelsim::numerics::{
    exact_dot_f32, pack_binary, AccFormat, Accumulator, FloatFormat, Format, Overflow, Rounding,
};
use serde_json::Value;

fn load(rel: &str) -> Value {
    let path = format!("{}/tests/data/numerics/{rel}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

fn uints(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

fn dims(c: &Value) -> (usize, usize, usize) {
    let g = |k: &str| c[k].as_u64().unwrap() as usize;
    (g("m"), g("n"), g("k"))
}

/// Column j of a row-major k×n matrix, packed contiguously.
fn col<T: Copy>(b: &[T], k: usize, n: usize, j: usize) -> Vec<T> {
    (0..k).map(|kk| b[kk * n + j]).collect()
}

#[test]
fn gemm_int8_int4() {
    for (file, bits) in [("gemm_int8", 8u32), ("gemm_int4", 4)] {
        let d = load(&format!("gemm/{file}.json"));
        let acc = Accumulator::INT32_WRAP;
        let sat = Accumulator::new(AccFormat::INT32).with_overflow(Overflow::Saturate);
        let (mut pass, mut total) = (0, 0);
        for c in d["cases"].as_array().unwrap() {
            let (m, n, k) = dims(c);
            let a: Vec<i32> = ints(&c["a"]).into_iter().map(|v| v as i32).collect();
            let b: Vec<i32> = ints(&c["b"]).into_iter().map(|v| v as i32).collect();
            let want = ints(&c["c"]);
            // The values are codes of the format: encode/decode round-trips them.
            let fmt = Format::Int { bits, signed: true };
            let caster = accelsim::numerics::Caster::new(fmt, Default::default()).unwrap();
            for &v in a.iter().chain(&b) {
                let code = (v as u32) & ((1 << bits) - 1);
                assert_eq!(caster.decode_f32(code), v as f32);
            }
            let a8: Vec<i8> = a.iter().map(|&v| v as i8).collect();
            for i in 0..m {
                let row = &a[i * k..(i + 1) * k];
                for j in 0..n {
                    let colj = col(&b, k, n, j);
                    let got = acc.dot_i32(row, &colj).unwrap();
                    let got_sat = sat.dot_i32(row, &colj).unwrap();
                    let col8: Vec<i8> = colj.iter().map(|&v| v as i8).collect();
                    let got8 = accelsim::numerics::dot_i8(&a8[i * k..(i + 1) * k], &col8).unwrap();
                    total += 1;
                    if got == want[i * n + j] && got_sat == got && got8 as i64 == got {
                        pass += 1;
                    }
                }
            }
        }
        println!("{file}: {pass}/{total} exact");
        assert_eq!(pass, total, "{file}");
    }
}

#[test]
fn gemm_binary() {
    let d = load("gemm/gemm_binary.json");
    let (mut pass, mut total) = (0, 0);
    for c in d["cases"].as_array().unwrap() {
        let (m, n, k) = dims(c);
        let a: Vec<u8> = uints(&c["a_bits"]).into_iter().map(|v| v as u8).collect();
        let b: Vec<u8> = uints(&c["b_bits"]).into_iter().map(|v| v as u8).collect();
        let want = ints(&c["c"]);
        let want_match = ints(&c["c_match"]);
        let rows: Vec<Vec<u64>> = (0..m)
            .map(|i| pack_binary(&a[i * k..(i + 1) * k]))
            .collect();
        let cols: Vec<Vec<u64>> = (0..n).map(|j| pack_binary(&col(&b, k, n, j))).collect();
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(r, &uints(&c["a_rows_packed_u64"][i]), "packing row {i}");
        }
        for (j, cc) in cols.iter().enumerate() {
            assert_eq!(cc, &uints(&c["b_cols_packed_u64"][j]), "packing col {j}");
        }
        for i in 0..m {
            for j in 0..n {
                let mt = binary_matches_packed(&rows[i], &cols[j], k).unwrap() as i64;
                let dotv = accelsim::numerics::binary_dot_packed(&rows[i], &cols[j], k).unwrap();
                total += 1;
                if mt == want_match[i * n + j] && dotv == want[i * n + j] {
                    pass += 1;
                }
            }
        }
    }
    println!("gemm_binary: {pass}/{total} exact");
    assert_eq!(pass, total);
}

#[test]
fn gemm_float() {
    for file in ["gemm_fp8_e4m3", "gemm_fp8_e5m2", "gemm_fp16", "gemm_bf16"] {
        let d = load(&format!("gemm/{file}.json"));
        let fa = match Format::parse(d["a_format"].as_str().unwrap()).unwrap() {
            Format::Float(f) => f,
            other => panic!("{other}"),
        };
        let fb = match Format::parse(d["b_format"].as_str().unwrap()).unwrap() {
            Format::Float(f) => f,
            other => panic!("{other}"),
        };
        let decode = |f: FloatFormat, v: &Value| -> Vec<f32> {
            uints(v)
                .into_iter()
                .map(|c| f.decode_f32(c as u32))
                .collect()
        };
        let seq = Accumulator::FP32_SEQ;
        // The same chain through the generic (non-fast-path) engine.
        let seq_generic = Accumulator::FP32_SEQ
            .with_order(accelsim::numerics::AccOrder::Blocked { size: u32::MAX });
        let exact = Accumulator::EXACT;
        let (mut p_seq, mut p_exact, mut p_f64, mut total, mut n_diff) = (0, 0, 0, 0, 0);
        for c in d["cases"].as_array().unwrap() {
            let (m, n, k) = dims(c);
            let a = decode(fa, &c["a"]);
            let b = decode(fb, &c["b"]);
            let want_seq = uints(&c["c_seq_f32_bits"]);
            let want_exact = uints(&c["c_exact_rne_f32_bits"]);
            let want_f64 = uints(&c["c_ref_f64_bits"]);
            for i in 0..m {
                let row = &a[i * k..(i + 1) * k];
                for j in 0..n {
                    let colj = col(&b, k, n, j);
                    let e = i * n + j;
                    total += 1;
                    let s = seq.dot_f32(row, &colj).unwrap();
                    let sg = seq_generic.dot_f32(row, &colj).unwrap();
                    p_seq +=
                        (s.to_bits() as u64 == want_seq[e] && sg.to_bits() == s.to_bits()) as usize;
                    let x = exact.dot_f32(row, &colj).unwrap();
                    p_exact += (x.to_bits() as u64 == want_exact[e]) as usize;
                    n_diff += (s.to_bits() != x.to_bits()) as usize;
                    let s64 = exact_dot_f32(row, &colj)
                        .unwrap()
                        .to_f64(Rounding::NearestEven);
                    p_f64 += (s64.to_bits() == want_f64[e]) as usize;
                }
            }
        }
        println!(
            "{file}: c_seq_f32 {p_seq}/{total} exact, c_exact_rne_f32 {p_exact}/{total} exact, c_ref_f64 {p_f64}/{total} exact ({n_diff} elements where order matters)"
        );
        assert_eq!((p_seq, p_exact, p_f64), (total, total, total), "{file}");
    }
}
