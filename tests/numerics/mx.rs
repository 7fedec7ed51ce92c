//! Bit-exact MX checks against `tests/data/numerics/mx/`: block quantization of all six
//! MX formats (shared exponent, scale code, element codes, dequantized values; MXINT8 with
//! both clamp ranges), exact MX dot products, and MX decoding of special values.

use accelsim::numerics::mx::{
    mx_decode, mx_dequantize, mx_dot, mx_quantize, MxInt8Range, MxOptions, MxVector,
};
use accelsim::numerics::{Format, MxElem, Rounding};
use serde_json::Value;

fn load(rel: &str) -> Value {
    let path = format!("{}/tests/data/numerics/{rel}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn uints(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

fn elem_of(name: &str) -> (MxElem, usize) {
    match Format::parse(name).unwrap() {
        Format::Mx { elem, block } => (elem, block as usize),
        other => panic!("not MX: {other}"),
    }
}

fn bits_ok(got: f32, want: u64) -> bool {
    let w = f32::from_bits(want as u32);
    if w.is_nan() {
        got.is_nan()
    } else {
        got.to_bits() as u64 == want
    }
}

#[test]
fn mx_quantize_vectors() {
    for fmt in [
        "mxfp8_e4m3",
        "mxfp8_e5m2",
        "mxfp6_e2m3",
        "mxfp6_e3m2",
        "mxfp4_e2m1",
        "mxint8",
    ] {
        let d = load(&format!("mx/mx_{fmt}.json"));
        let (elem, block) = elem_of(d["format"].as_str().unwrap());
        assert_eq!(block as u64, d["block_size"].as_u64().unwrap());
        assert_eq!(elem.emax() as i64, d["emax_elem"].as_i64().unwrap());
        let elem_max: f64 = d["elem_max"].as_str().unwrap().parse().unwrap();
        assert_eq!(elem.max_value(), elem_max);
        let (mut pass, mut total, mut pass_sym, mut blocks) = (0, 0, 0, 0);
        for c in d["cases"].as_array().unwrap() {
            let x: Vec<f32> = uints(&c["x_bits"])
                .into_iter()
                .map(|b| f32::from_bits(b as u32))
                .collect();
            let nb = x.len().div_ceil(block);
            let mut scales = vec![0u8; nb];
            let mut elems = vec![0u8; x.len()];
            mx_quantize(
                elem,
                block,
                &x,
                MxOptions::default(),
                &mut scales,
                &mut elems,
            )
            .unwrap();
            let mut dq = vec![0f32; x.len()];
            mx_dequantize(elem, block, &scales, &elems, &mut dq).unwrap();
            let want_scale = uints(&c["scale_code"]);
            let want_exp: Vec<i64> = c["shared_exp"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            for b in 0..nb {
                blocks += 1;
                assert_eq!(
                    scales[b] as u64, want_scale[b],
                    "{fmt} {} scale of block {b}",
                    c["name"]
                );
                assert_eq!(scales[b] as i64 - 127, want_exp[b]);
            }
            let want_e = uints(&c["elem_codes"]);
            let want_dq = uints(&c["dq_f32_bits"]);
            for i in 0..x.len() {
                total += 1;
                if elems[i] as u64 == want_e[i] && bits_ok(dq[i], want_dq[i]) {
                    pass += 1;
                } else {
                    println!(
                        "{fmt} {} [{i}] x={:#x}: got {:#x}/{:#x}, want {:#x}/{:#x}",
                        c["name"],
                        x[i].to_bits(),
                        elems[i],
                        dq[i].to_bits(),
                        want_e[i],
                        want_dq[i]
                    );
                }
            }
            if elem == MxElem::Int8 {
                let opts = MxOptions {
                    int8_range: MxInt8Range::Symmetric,
                    ..Default::default()
                };
                mx_quantize(elem, block, &x, opts, &mut scales, &mut elems).unwrap();
                mx_dequantize(elem, block, &scales, &elems, &mut dq).unwrap();
                let we = uints(&c["elem_codes_sym"]);
                let wd = uints(&c["dq_sym_f32_bits"]);
                pass_sym += (0..x.len())
                    .filter(|&i| elems[i] as u64 == we[i] && bits_ok(dq[i], wd[i]))
                    .count();
            }
        }
        let sym = if elem == MxElem::Int8 {
            format!(", symmetric clamp {pass_sym}/{total} exact")
        } else {
            String::new()
        };
        println!("mx_{fmt}: {pass}/{total} elements exact ({blocks} blocks, scales exact){sym}");
        assert_eq!(pass, total, "{fmt}");
        if elem == MxElem::Int8 {
            assert_eq!(pass_sym, total);
        }
    }
}

#[test]
fn mx_dot_vectors() {
    let d = load("mx/mx_dot.json");
    let cases = d["cases"].as_array().unwrap();
    let (mut p32, mut p64) = (0, 0);
    for c in cases {
        let (ea, block) = elem_of(c["format_a"].as_str().unwrap());
        let (eb, _) = elem_of(c["format_b"].as_str().unwrap());
        let v = |k: &str| -> Vec<u8> { uints(&c[k]).into_iter().map(|x| x as u8).collect() };
        let (sa, xa, sb, xb) = (
            v("a_scale_codes"),
            v("a_elem_codes"),
            v("b_scale_codes"),
            v("b_elem_codes"),
        );
        let s = mx_dot(
            MxVector {
                elem: ea,
                block,
                scales: &sa,
                elems: &xa,
            },
            MxVector {
                elem: eb,
                block,
                scales: &sb,
                elems: &xb,
            },
        )
        .unwrap();
        let f32b = s.to_f32(Rounding::NearestEven).to_bits() as u64;
        let f64b = s.to_f64(Rounding::NearestEven).to_bits();
        p32 += (f32b == c["exact_rne_f32_bits"].as_u64().unwrap()) as usize;
        p64 += (f64b == c["ref_f64_bits"].as_u64().unwrap()) as usize;
    }
    println!(
        "mx_dot: {p32}/{} exact (f32), {p64}/{} exact (f64)",
        cases.len(),
        cases.len()
    );
    assert_eq!((p32, p64), (cases.len(), cases.len()));
}

#[test]
fn mx_decode_special_vectors() {
    let d = load("mx/mx_decode_special.json");
    let (mut pass, mut total) = (0, 0);
    for c in d["cases"].as_array().unwrap() {
        let (elem, _) = elem_of(c["format"].as_str().unwrap());
        let s = c["scale_code"].as_u64().unwrap() as u8;
        for (code, want) in uints(&c["elem_codes"])
            .into_iter()
            .zip(uints(&c["dq_f32_bits"]))
        {
            total += 1;
            pass += bits_ok(mx_decode(elem, s, code as u8), want) as usize;
        }
    }
    println!("mx_decode_special: {pass}/{total} exact");
    assert_eq!(pass, total);
}
