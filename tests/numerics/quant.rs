//! Bit-exact integer quantization checks against `tests/data/numerics/quant/quant_int.json`:
//! the f32 quotient, `q_rne`, `q_rna` and both dequantizations, per-tensor and per-channel,
//! full and narrow ranges, symmetric and affine.

use accelsim::numerics::quant::{
    dequantize_tensor, quantize_tensor, Granularity, QuantParams, QuantRange,
};
use accelsim::numerics::Rounding;
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

#[test]
fn quant_int_vectors() {
    let d = load("quant/quant_int.json");
    let (mut total, mut p_rne, mut p_rna, mut p_t, mut p_dq) = (0, 0, 0, 0, 0);
    for s in d["sets"].as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        let shape: Vec<usize> = ints(&s["shape"]).into_iter().map(|v| v as usize).collect();
        let g = match s["channel_axis"].as_u64() {
            Some(axis) => Granularity::PerChannel {
                axis: axis as usize,
            },
            None => Granularity::PerTensor,
        };
        let range = QuantRange {
            qmin: s["qmin"].as_i64().unwrap() as i32,
            qmax: s["qmax"].as_i64().unwrap() as i32,
        };
        let dtype = accelsim::numerics::Format::parse(s["dtype"].as_str().unwrap()).unwrap();
        let narrow = range.qmin == QuantRange::of_format(dtype, true).unwrap().qmin
            && range != QuantRange::of_format(dtype, false).unwrap();
        assert_eq!(
            range,
            QuantRange::of_format(dtype, narrow).unwrap(),
            "{name}"
        );
        let params: Vec<QuantParams> = ints(&s["scale_bits"])
            .into_iter()
            .zip(ints(&s["zero_point"]))
            .map(|(b, z)| QuantParams {
                scale: f32::from_bits(b as u32),
                zero_point: z as i32,
            })
            .collect();
        let x: Vec<f32> = ints(&s["x_bits"])
            .into_iter()
            .map(|b| f32::from_bits(b as u32))
            .collect();
        let k = x.len() / params.len();
        // The quotient t (debug field) is the f32 division.
        for (i, t) in ints(&s["t_f32_bits"]).into_iter().enumerate() {
            total += 1;
            p_t += ((x[i] / params[i / k].scale).to_bits() as i64 == t) as usize;
        }
        let mut q = vec![0i32; x.len()];
        let mut dq = vec![0f32; x.len()];
        for (r, qk, dqk, pass) in [
            (
                Rounding::NearestEven,
                "q_rne",
                "dq_rne_f32_bits",
                &mut p_rne,
            ),
            (
                Rounding::NearestAway,
                "q_rna",
                "dq_rna_f32_bits",
                &mut p_rna,
            ),
        ] {
            quantize_tensor(&x, &shape, g, &params, range, r, 0, &mut q).unwrap();
            dequantize_tensor(&q, &shape, g, &params, &mut dq).unwrap();
            let want = ints(&s[qk]);
            let want_dq = ints(&s[dqk]);
            for i in 0..x.len() {
                if q[i] as i64 == want[i] {
                    *pass += 1;
                } else {
                    println!(
                        "{name} {qk}[{i}] x={:#x} kind={}: got {}, want {}",
                        x[i].to_bits(),
                        s["kind"][i],
                        q[i],
                        want[i]
                    );
                }
                p_dq += (dq[i].to_bits() as i64 == want_dq[i]) as usize;
            }
        }
    }
    println!("quant_int q_rne: {p_rne}/{total} exact");
    println!("quant_int q_rna: {p_rna}/{total} exact");
    println!(
        "quant_int t (f32 quotient): {p_t}/{total} exact; dq_rne+dq_rna: {p_dq}/{} exact",
        2 * total
    );
    assert_eq!((p_rne, p_rna, p_t, p_dq), (total, total, total, 2 * total));
}
