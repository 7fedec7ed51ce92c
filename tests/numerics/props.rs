//! Property tests of the numerics codecs: nearest-representable results, monotonicity,
//! directed-mode bounds, round trips of every code, unbiased stochastic rounding, and
//! exact/order-aware accumulation invariants.

use accelsim::numerics::{
    exact_dot_f32, AccOrder, Accumulator, CastOptions, Caster, FloatFormat, FloatKind, Format,
    Overflow, Rounding, SplitMix64,
};
use proptest::prelude::*;

const SMALL: [FloatFormat; 9] = [
    FloatFormat::FP8_E4M3,
    FloatFormat::FP8_E5M2,
    FloatFormat::FP6_E2M3,
    FloatFormat::FP6_E3M2,
    FloatFormat::FP4_E2M1,
    FloatFormat::FP8_E4M3_FNUZ,
    FloatFormat::FP16,
    FloatFormat::BF16,
    FloatFormat {
        exp_bits: 3,
        man_bits: 4,
        kind: FloatKind::Ieee,
    },
];

/// All finite values of a format, sorted, with their codes.
fn finite_values(f: FloatFormat) -> Vec<(f64, u32)> {
    let mut v: Vec<(f64, u32)> = (0..1u32 << f.bits())
        .map(|c| (f.decode_f64(c), c))
        .filter(|(x, _)| x.is_finite())
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v
}

fn any_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        any::<u32>().prop_map(f32::from_bits),
        (-40.0f64..40.0, any::<bool>()).prop_map(|(e, s)| {
            let v = 2f64.powf(e) as f32;
            if s {
                -v
            } else {
                v
            }
        }),
    ]
}

fn fmt_strategy() -> impl Strategy<Value = FloatFormat> {
    (0..SMALL.len()).prop_map(|i| SMALL[i])
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 3000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// RNE gives the nearest representable value (ties to the even code), or the overflow
    /// result beyond the rounding threshold.
    #[test]
    fn rne_is_nearest(f in fmt_strategy(), x in any_f32()) {
        prop_assume!(x.is_finite());
        let c = f.encode_f32(x, Rounding::NearestEven, Overflow::Saturate, 0);
        let d = f.decode_f64(c);
        let xv = x as f64;
        let max = f.max_finite();
        if xv.abs() > max {
            prop_assert_eq!(d.abs(), max);
            return Ok(());
        }
        let vals = finite_values(f);
        let best = vals.iter().map(|(v, _)| (v - xv).abs()).fold(f64::INFINITY, f64::min);
        prop_assert_eq!((d - xv).abs(), best, "x={} got {}", x, d);
        // Ties: the chosen code has an even mantissa.
        let ties = vals.iter().filter(|(v, _)| (v - xv).abs() == best && *v != 0.0).count();
        if ties > 1 {
            prop_assert_eq!(c & 1, 0);
        }
    }

    /// Directed modes bound the input and are the closest value on their side.
    #[test]
    fn directed_modes(f in fmt_strategy(), x in any_f32()) {
        prop_assume!(!x.is_nan());
        // Fold the input into the finite range (keeps the bit-pattern distribution).
        let x = if x.is_finite() { ((x as f64) % f.max_finite()) as f32 } else { 0.0 };
        let xv = x as f64;
        let vals = finite_values(f);
        let down = f.decode_f64(f.encode_f32(x, Rounding::TowardNegative, Overflow::Ieee, 0));
        let up = f.decode_f64(f.encode_f32(x, Rounding::TowardPositive, Overflow::Ieee, 0));
        let tz = f.decode_f64(f.encode_f32(x, Rounding::TowardZero, Overflow::Ieee, 0));
        prop_assert!(down <= xv && up >= xv);
        prop_assert!(tz.abs() <= xv.abs());
        let below = vals.iter().map(|v| v.0).filter(|v| *v <= xv).fold(f64::NEG_INFINITY, f64::max);
        let above = vals.iter().map(|v| v.0).filter(|v| *v >= xv).fold(f64::INFINITY, f64::min);
        prop_assert_eq!(down, below);
        prop_assert_eq!(up, above);
        let rna = f.decode_f64(f.encode_f32(x, Rounding::NearestAway, Overflow::Ieee, 0));
        let rne = f.decode_f64(f.encode_f32(x, Rounding::NearestEven, Overflow::Ieee, 0));
        prop_assert!(rna == rne || (rna - xv).abs() == (rne - xv).abs());
    }

    /// Encoding is monotonic in every deterministic mode.
    #[test]
    fn monotonic(f in fmt_strategy(), a in any_f32(), b in any_f32(), m in 0usize..5) {
        prop_assume!(!a.is_nan() && !b.is_nan());
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let r = Rounding::ALL[m];
        for o in [Overflow::Ieee, Overflow::Saturate] {
            let dl = f.decode_f64(f.encode_f32(lo, r, o, 0));
            let dh = f.decode_f64(f.encode_f32(hi, r, o, 0));
            if !dl.is_nan() && !dh.is_nan() {
                prop_assert!(dl <= dh, "{lo} -> {dl}, {hi} -> {dh}");
            }
        }
    }

    /// f64 input gives the same result as its exact f32 (no hidden double rounding), and
    /// f64 -> fp32 equals Rust's `as f32` (RNE).
    #[test]
    fn f64_paths(f in fmt_strategy(), bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        prop_assume!(!x.is_nan());
        let x32 = x as f32;
        if x32 as f64 == x {
            prop_assert_eq!(
                f.encode_f64(x, Rounding::NearestEven, Overflow::Ieee, 0),
                f.encode_f32(x32, Rounding::NearestEven, Overflow::Ieee, 0)
            );
        }
        prop_assert_eq!(
            FloatFormat::FP32.encode_f64(x, Rounding::NearestEven, Overflow::Ieee, 0),
            x32.to_bits()
        );
    }

    /// Random generic formats: every code round-trips through decode and encode.
    #[test]
    fn generic_formats_round_trip(e in 1u32..=7, m in 0u32..=6, k in 0usize..4) {
        let kind = [FloatKind::Ieee, FloatKind::FiniteNan, FloatKind::FiniteNoNan, FloatKind::Fnuz][k];
        let f = FloatFormat { exp_bits: e, man_bits: m, kind };
        prop_assume!(f.validate().is_ok());
        let name = Format::Float(f).name();
        prop_assert_eq!(Format::parse(&name).unwrap(), Format::Float(f));
        for c in 0..1u32 << f.bits() {
            let v = f.decode_f32(c);
            let back = f.encode_f32(v, Rounding::NearestEven, Overflow::Ieee, 0);
            if v.is_nan() {
                prop_assert!(f.is_nan_code(back));
            } else {
                prop_assert_eq!(back, c, "{} code {:#x} value {}", name, c, v);
            }
        }
    }

    /// `encode_sum` (TwoSum + sticky tail) rounds `a + b` exactly once: it agrees with the
    /// exact accumulator rounded once, in every deterministic mode and several formats.
    #[test]
    fn encode_sum_is_single_rounding(
        a in any_f32(), b1 in any_f32(), b2 in any_f32(), m in 0usize..5, fi in 0usize..4
    ) {
        prop_assume!(a.is_finite() && b1.is_finite() && b2.is_finite());
        let f = [FloatFormat::FP32, FloatFormat::FP16, FloatFormat::BF16, FloatFormat::FP8_E4M3][fi];
        let b = b1 as f64 * b2 as f64; // an exact product, up to 48 bits
        let r = Rounding::ALL[m];
        let mut s = accelsim::numerics::ExactSum::new();
        s.add_f64(a as f64);
        s.add_f64(b);
        for o in [Overflow::Ieee, Overflow::Saturate] {
            let got = f.encode_sum(a as f64, b, r, o, 0);
            let want = s.encode(&f, r, o, 0);
            let zero = f.decode_f64(got) == 0.0 && f.decode_f64(want) == 0.0;
            prop_assert!(got == want || zero || (f.is_nan_code(got) && f.is_nan_code(want)),
                "{:?} {:?} a={} b={}: {:#x} vs {:#x}", f, r, a, b, got, want);
        }
    }

    /// The exact sum is order-independent, chunk size 1 equals the unfused sequential chain,
    /// and one chunk holding everything is the exact sum rounded once.
    #[test]
    fn accumulation_invariants(v in prop::collection::vec((-1e6f32..1e6, -1e3f32..1e3), 1..80), seed in any::<u64>()) {
        let (a, b): (Vec<f32>, Vec<f32>) = v.into_iter().unzip();
        let s1 = exact_dot_f32(&a, &b).unwrap().to_f64(Rounding::NearestEven);
        let mut idx: Vec<usize> = (0..a.len()).collect();
        let mut g = SplitMix64::new(seed);
        for i in (1..idx.len()).rev() {
            idx.swap(i, (g.next_u64() % (i as u64 + 1)) as usize);
        }
        let ap: Vec<f32> = idx.iter().map(|&i| a[i]).collect();
        let bp: Vec<f32> = idx.iter().map(|&i| b[i]).collect();
        prop_assert_eq!(s1, exact_dot_f32(&ap, &bp).unwrap().to_f64(Rounding::NearestEven));
        let unfused = Accumulator { fused: false, ..Accumulator::FP32_SEQ };
        let seq = unfused.dot_f32(&a, &b).unwrap();
        let ch1 = Accumulator::FP32_SEQ.with_order(AccOrder::Chunked { size: 1 }).dot_f32(&a, &b).unwrap();
        prop_assert_eq!(seq.to_bits(), ch1.to_bits());
        // Blocked with one block is the fused sequential chain (generic engine vs fast path).
        let fused = Accumulator::FP32_SEQ.dot_f32(&a, &b).unwrap();
        let bl = Accumulator::FP32_SEQ.with_order(AccOrder::Blocked { size: 1000 }).dot_f32(&a, &b).unwrap();
        prop_assert_eq!(fused.to_bits(), bl.to_bits());
        // fp16 register: the generic engine matches a by-hand chain of single roundings.
        let h = Accumulator::new(accelsim::numerics::AccFormat::Float(FloatFormat::FP16));
        let mut acc = 0f64;
        for (x, y) in a.iter().zip(&b) {
            let c = FloatFormat::FP16.encode_sum(acc, *x as f64 * *y as f64, Rounding::NearestEven, Overflow::Ieee, 0);
            acc = FloatFormat::FP16.decode_f64(c);
        }
        prop_assert_eq!(h.dot_f32(&a, &b).unwrap().to_bits(), (acc as f32).to_bits());
        let big = Accumulator::FP32_SEQ.with_order(AccOrder::Chunked { size: 1000 }).dot_f32(&a, &b).unwrap();
        prop_assert_eq!(big, s1 as f32);
    }
}

/// Every code of every format of 16 bits or fewer round-trips (exhaustive).
#[test]
fn every_code_round_trips() {
    for f in SMALL {
        let mut n = 0;
        for c in 0..1u32 << f.bits() {
            let v = f.decode_f32(c);
            let back = f.encode_f32(v, Rounding::NearestEven, Overflow::Ieee, 0);
            if v.is_nan() {
                assert!(f.is_nan_code(back));
            } else {
                assert_eq!(back, c, "{f:?} {c:#x}");
            }
            n += 1;
        }
        println!("round trip {}: {n}/{n} codes", Format::Float(f).name());
    }
    for name in [
        "int8", "uint8", "int4", "uint4", "int2", "uint2", "binary", "e8m0", "fixed8_3",
    ] {
        let fmt = Format::parse(name).unwrap();
        let mut c = Caster::new(fmt, CastOptions::RNE).unwrap();
        for code in 0..1u32 << fmt.element_bits() {
            if fmt == Format::E8M0 && code == 0xff {
                continue;
            }
            let v = c.decode_f32(code);
            assert_eq!(c.encode_f32(v), code, "{name} {code:#x}");
        }
    }
}

/// Stochastic rounding is unbiased: the mean of many roundings of x converges to x, and
/// the probability of rounding up is the discarded fraction (5-sigma bounds).
#[test]
fn stochastic_rounding_is_unbiased() {
    let n = 40_000u32;
    let mut g = SplitMix64::new(1);
    for f in [
        FloatFormat::FP8_E4M3,
        FloatFormat::FP4_E2M1,
        FloatFormat::BF16,
        FloatFormat::FP8_E5M2,
    ] {
        for _ in 0..12 {
            // A value strictly inside the range, including subnormals.
            let mag = f.min_subnormal().unwrap()
                * 2f64.powf((g.next_u64() % 1000) as f64 / 1000.0 * 10.0 + 0.5);
            let mag = mag.min(f.max_finite() * 0.9);
            let x = if g.next_u64() & 1 == 1 { -mag } else { mag } as f32;
            let xv = x as f64;
            let lo = f.decode_f64(f.encode_f32(x, Rounding::TowardNegative, Overflow::Ieee, 0));
            let hi = f.decode_f64(f.encode_f32(x, Rounding::TowardPositive, Overflow::Ieee, 0));
            let mut c = Caster::new(
                Format::Float(f),
                CastOptions::new(Rounding::Stochastic, Overflow::Ieee).with_seed(g.next_u64()),
            )
            .unwrap();
            let mut sum = 0f64;
            let mut ups = 0u32;
            for _ in 0..n {
                let v = f.decode_f64(c.encode_f32(x));
                assert!(v == lo || v == hi);
                ups += (v == hi && hi != lo) as u32;
                sum += v;
            }
            if hi == lo {
                assert_eq!(sum / n as f64, xv);
                continue;
            }
            let p = (xv - lo) / (hi - lo);
            let sigma = (p * (1.0 - p) / n as f64).sqrt();
            let phat = ups as f64 / n as f64;
            assert!(
                (phat - p).abs() <= 5.0 * sigma + 1e-12,
                "{f:?} x={x}: p={p} phat={phat}"
            );
            let mean_err = sum / n as f64 - xv;
            assert!(
                mean_err.abs() <= 5.0 * sigma * (hi - lo) + 1e-300,
                "{f:?} x={x}: bias {mean_err}"
            );
        }
    }
    // Deterministic for a given seed.
    let opts = CastOptions::new(Rounding::Stochastic, Overflow::Ieee).with_seed(99);
    let xs: Vec<f32> = (0..1000).map(|i| i as f32 * 0.0137).collect();
    let mut a = vec![0u8; xs.len()];
    let mut b = vec![0u8; xs.len()];
    accelsim::numerics::cast_slice(Format::FP8_E4M3, opts, &xs, &mut a).unwrap();
    accelsim::numerics::cast_slice(Format::FP8_E4M3, opts, &xs, &mut b).unwrap();
    assert_eq!(a, b);
}

/// The 64K-entry tables equal the generic codec for every upper half, at the boundary
/// pattern and at several interior patterns, for many formats of 8 bits or fewer, every
/// deterministic mode and both overflow policies.
#[test]
fn tables_equal_generic_codec() {
    let names = [
        "fp8_e4m3",
        "fp8_e5m2",
        "fp6_e2m3",
        "fp6_e3m2",
        "fp4_e2m1",
        "e8m0",
        "fp8_e4m3fnuz",
        "fp8_e5m2fnuz",
        "fp_e1m6_fn",
        "fp_e2m5",
        "fp_e3m4_fnnonan",
        "fp_e7m0_fn",
        "fp_e2m0_fnuz",
    ];
    let mut g = SplitMix64::new(5);
    let mut checked = 0u64;
    for name in names {
        let fmt = Format::parse(name).unwrap();
        for m in 0..5 {
            for o in [Overflow::Ieee, Overflow::Saturate] {
                let opts = CastOptions::new(Rounding::ALL[m], o);
                let xs: Vec<f32> = (0..65536u32)
                    .flat_map(|h| {
                        let r = (g.next_u64() as u32 & 0xffff) | 1;
                        [0u32, 1, 0x8000, 0xffff, r].map(move |lo| f32::from_bits((h << 16) | lo))
                    })
                    .collect();
                let mut fast = vec![0u8; xs.len()];
                accelsim::numerics::cast_slice(fmt, opts, &xs, &mut fast).unwrap();
                let mut scalar = Caster::new(fmt, opts).unwrap();
                for (x, f) in xs.iter().zip(&fast) {
                    let want = scalar.encode_f64(*x as f64);
                    assert_eq!(*f as u32, want, "{name} {opts:?} {:#x}", x.to_bits());
                }
                checked += xs.len() as u64;
            }
        }
    }
    println!("tables: {checked}/{checked} inputs equal the generic codec");
}
