//! Human-facing format properties: the [`FormatInfo`] of every format and the catalogue
//! listed by `accelsim formats`.

use super::format::{pow2, FloatFormat, Format, MxElem, NAMED_FLOATS, NAMED_OTHERS};

/// The properties of one format, as shown by `accelsim formats`.
#[derive(Debug, Clone, PartialEq)]
pub struct FormatInfo {
    /// Canonical name.
    pub name: String,
    /// Other accepted names (ml_dtypes / numpy).
    pub aliases: Vec<&'static str>,
    /// Bits of one element code.
    pub bits: u32,
    /// Storage bits per element including amortized block scales.
    pub storage_bits: f64,
    /// Exponent field width (floats).
    pub exp_bits: Option<u32>,
    /// Mantissa field width (floats), or the mantissa width of block formats.
    pub man_bits: Option<u32>,
    /// Exponent bias (floats).
    pub bias: Option<i32>,
    /// Largest finite value (for block formats: of the element at scale 1).
    pub max_finite: f64,
    /// Smallest positive normal value (integers and fixed point: the step).
    pub min_normal: Option<f64>,
    /// Smallest positive subnormal value.
    pub min_subnormal: Option<f64>,
    /// Has ±Inf.
    pub has_inf: bool,
    /// Has NaN.
    pub has_nan: bool,
    /// Has -0.
    pub has_neg_zero: bool,
    /// Short remarks (shared scales, conventions).
    pub notes: String,
}

fn aliases(name: &str) -> Vec<&'static str> {
    match name {
        "fp32" => vec!["float32", "f32"],
        "fp16" => vec!["float16", "half"],
        "bf16" => vec!["bfloat16"],
        "fp8_e4m3" => vec!["float8_e4m3fn", "e4m3"],
        "fp8_e5m2" => vec!["float8_e5m2", "e5m2"],
        "fp6_e2m3" => vec!["float6_e2m3fn"],
        "fp6_e3m2" => vec!["float6_e3m2fn"],
        "fp4_e2m1" => vec!["float4_e2m1fn"],
        "e8m0" => vec!["float8_e8m0fnu"],
        "fp8_e4m3fnuz" => vec!["float8_e4m3fnuz"],
        "fp8_e5m2fnuz" => vec!["float8_e5m2fnuz"],
        "binary" => vec!["bin", "int1"],
        _ => vec![],
    }
}

fn float_info(name: String, f: FloatFormat, notes: &str) -> FormatInfo {
    FormatInfo {
        aliases: aliases(&name),
        name,
        bits: f.bits(),
        storage_bits: f.bits() as f64,
        exp_bits: Some(f.exp_bits),
        man_bits: Some(f.man_bits),
        bias: Some(f.bias()),
        max_finite: f.max_finite(),
        min_normal: Some(f.min_normal()),
        min_subnormal: f.min_subnormal(),
        has_inf: f.has_inf(),
        has_nan: f.has_nan(),
        has_neg_zero: f.has_negative_zero(),
        notes: notes.into(),
    }
}

impl Format {
    /// The properties of this format.
    pub fn info(&self) -> FormatInfo {
        let name = self.name();
        match *self {
            Format::Float(f) => {
                let notes = match f.kind {
                    super::format::FloatKind::Ieee => "IEEE-like",
                    super::format::FloatKind::FiniteNan => "no Inf; NaN = S.1111.111",
                    super::format::FloatKind::FiniteNoNan => "no Inf, no NaN",
                    super::format::FloatKind::Fnuz => "no Inf, no -0; NaN = 0x80",
                };
                float_info(name, f, notes)
            }
            Format::E8M0 => FormatInfo {
                aliases: aliases(&name),
                name,
                bits: 8,
                storage_bits: 8.0,
                exp_bits: Some(8),
                man_bits: Some(0),
                bias: Some(127),
                max_finite: pow2(127),
                min_normal: Some(pow2(-127)),
                min_subnormal: None,
                has_inf: false,
                has_nan: true,
                has_neg_zero: false,
                notes: "unsigned power of two, no zero; 0xFF = NaN (MX scale)".into(),
            },
            Format::Int { bits, signed } => FormatInfo {
                aliases: aliases(&name),
                name,
                bits,
                storage_bits: bits as f64,
                exp_bits: None,
                man_bits: None,
                bias: None,
                max_finite: super::int::int_max(bits, signed) as f64,
                min_normal: Some(1.0),
                min_subnormal: None,
                has_inf: false,
                has_nan: false,
                has_neg_zero: false,
                notes: if signed {
                    "two's complement".into()
                } else {
                    "unsigned".into()
                },
            },
            Format::Binary => FormatInfo {
                aliases: aliases(&name),
                name,
                bits: 1,
                storage_bits: 1.0,
                exp_bits: None,
                man_bits: None,
                bias: None,
                max_finite: 1.0,
                min_normal: Some(1.0),
                min_subnormal: None,
                has_inf: false,
                has_nan: false,
                has_neg_zero: false,
                notes: "±1: code 1 = +1, code 0 = -1 (XNOR-popcount)".into(),
            },
            Format::Mx { elem, block } => {
                let mut i = match elem {
                    MxElem::Float(f) => float_info(name.clone(), f, ""),
                    MxElem::Int8 => FormatInfo {
                        aliases: vec![],
                        name: name.clone(),
                        bits: 8,
                        storage_bits: 8.0,
                        exp_bits: None,
                        man_bits: Some(6),
                        bias: None,
                        max_finite: 127.0 / 64.0,
                        min_normal: Some(1.0 / 64.0),
                        min_subnormal: None,
                        has_inf: false,
                        has_nan: false,
                        has_neg_zero: false,
                        notes: String::new(),
                    },
                };
                i.aliases = vec![];
                i.storage_bits = self.storage_bits();
                i.notes = format!(
                    "{block} elements share an E8M0 scale 2^-127..2^127 (values shown at scale 1)"
                );
                i
            }
            Format::BlockFp { man_bits, block } => FormatInfo {
                aliases: vec![],
                name,
                bits: man_bits,
                storage_bits: self.storage_bits(),
                exp_bits: None,
                man_bits: Some(man_bits),
                bias: None,
                max_finite: ((1u64 << (man_bits - 1)) - 1) as f64 * pow2(2 - man_bits as i32 + 127),
                min_normal: None,
                min_subnormal: Some(pow2(-127 - man_bits as i32 + 2)),
                has_inf: false,
                has_nan: false,
                has_neg_zero: false,
                notes: format!("{block} signed {man_bits}-bit mantissas share an 8-bit exponent"),
            },
            Format::Fixed {
                word_bits,
                frac_bits,
            } => FormatInfo {
                aliases: vec![],
                name,
                bits: word_bits,
                storage_bits: word_bits as f64,
                exp_bits: None,
                man_bits: None,
                bias: None,
                max_finite: ((1u64 << (word_bits - 1)) - 1) as f64 * pow2(-(frac_bits as i32)),
                min_normal: Some(pow2(-(frac_bits as i32))),
                min_subnormal: None,
                has_inf: false,
                has_nan: false,
                has_neg_zero: false,
                notes: format!("two's complement, {frac_bits} fractional bits"),
            },
        }
    }

    /// The formats listed by `accelsim formats`: every named format plus one example of
    /// each parametric family.
    pub fn catalogue() -> Vec<Format> {
        let (floats, others) = (&NAMED_FLOATS[..], &NAMED_OTHERS[..]);
        [floats, &["fp_e3m4"], others, &["bfp8_b16", "fixed16_8"]]
            .concat()
            .iter()
            .filter_map(|n| Format::parse(n).ok())
            .collect()
    }
}

/// Renders a value compactly: small integers plainly, powers of two as `2^k`, others in
/// shortest f32-style scientific notation.
pub fn fmt_value(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if v.fract() == 0.0 && v.abs() < 1e10 {
        return format!("{v}");
    }
    let b = v.to_bits();
    if b & 0x000f_ffff_ffff_ffff == 0 && v > 0.0 {
        let e = ((b >> 52) & 0x7ff) as i32 - 1023;
        return format!("2^{e}");
    }
    if (1e-3..1e7).contains(&v.abs()) {
        return format!("{}", v as f32);
    }
    format!("{:e}", v as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(fmt_value(448.0), "448");
        assert_eq!(fmt_value(pow2(-9)), "2^-9");
        assert_eq!(fmt_value(FloatFormat::FP32.max_finite()), "3.4028235e38");
        assert_eq!(fmt_value(7.5), "7.5");
        let i = Format::FP8_E4M3.info();
        assert_eq!((i.max_finite, i.bias, i.has_inf), (448.0, Some(7), false));
        assert_eq!(Format::catalogue().len(), 29);
    }
}
