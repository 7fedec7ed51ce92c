//! Number formats: identification, naming and storage width.
//!
//! A [`Format`] names a number representation (fp16, fp8_e4m3, int4, mxfp4_e2m1, ...).
//! This file owns the *identity* of formats (parsing names and aliases, bit widths,
//! exponent/mantissa layout); encoding, decoding and rounding live in sibling modules.

/// How a small float format treats the all-ones exponent field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FloatKind {
    /// IEEE 754 style: all-ones exponent encodes Inf (mantissa 0) and NaN (mantissa != 0).
    Ieee,
    /// OCP "fn" style (e.g. E4M3): no Inf; only the all-ones exponent *and* mantissa is NaN.
    FiniteNan,
    /// No Inf and no NaN at all (OCP FP6 / FP4): every code is a finite number.
    FiniteNoNan,
    /// "fnuz" (Graphcore/AMD FP8): no Inf, no negative zero; the pattern `0x80` (sign bit
    /// alone) is the single NaN, and the bias is `2^(exp_bits-1)` (one more than IEEE).
    Fnuz,
}

/// A binary floating-point format with `exp_bits` exponent and `man_bits` mantissa bits
/// (plus one sign bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FloatFormat {
    /// Width of the exponent field in bits.
    pub exp_bits: u32,
    /// Width of the explicit mantissa (fraction) field in bits.
    pub man_bits: u32,
    /// Treatment of the all-ones exponent.
    pub kind: FloatKind,
}

impl FloatFormat {
    /// IEEE binary32.
    pub const FP32: FloatFormat = FloatFormat::ieee(8, 23);
    /// IEEE binary16.
    pub const FP16: FloatFormat = FloatFormat::ieee(5, 10);
    /// bfloat16.
    pub const BF16: FloatFormat = FloatFormat::ieee(8, 7);
    /// OCP FP8 E4M3 (fn variant: max 448, no Inf).
    pub const FP8_E4M3: FloatFormat = FloatFormat::new(4, 3, FloatKind::FiniteNan);
    /// OCP FP8 E5M2 (IEEE-like, has Inf).
    pub const FP8_E5M2: FloatFormat = FloatFormat::ieee(5, 2);
    /// OCP FP6 E2M3.
    pub const FP6_E2M3: FloatFormat = FloatFormat::new(2, 3, FloatKind::FiniteNoNan);
    /// OCP FP6 E3M2.
    pub const FP6_E3M2: FloatFormat = FloatFormat::new(3, 2, FloatKind::FiniteNoNan);
    /// OCP FP4 E2M1.
    pub const FP4_E2M1: FloatFormat = FloatFormat::new(2, 1, FloatKind::FiniteNoNan);

    /// FP8 E4M3 "fnuz" (ml_dtypes `float8_e4m3fnuz`: bias 8, max 240, NaN = 0x80).
    pub const FP8_E4M3_FNUZ: FloatFormat = FloatFormat::new(4, 3, FloatKind::Fnuz);
    /// FP8 E5M2 "fnuz" (ml_dtypes `float8_e5m2fnuz`: bias 16, max 57344, NaN = 0x80).
    pub const FP8_E5M2_FNUZ: FloatFormat = FloatFormat::new(5, 2, FloatKind::Fnuz);

    /// A format with the given field widths and treatment of the all-ones exponent.
    pub const fn new(exp_bits: u32, man_bits: u32, kind: FloatKind) -> Self {
        FloatFormat {
            exp_bits,
            man_bits,
            kind,
        }
    }

    /// An IEEE-like format with the given field widths.
    pub const fn ieee(exp_bits: u32, man_bits: u32) -> Self {
        FloatFormat::new(exp_bits, man_bits, FloatKind::Ieee)
    }

    /// Total width in bits (sign + exponent + mantissa).
    pub const fn bits(&self) -> u32 {
        1 + self.exp_bits + self.man_bits
    }

    /// Exponent bias: `2^(exp_bits-1) - 1`, or `2^(exp_bits-1)` for [`FloatKind::Fnuz`].
    pub const fn bias(&self) -> i32 {
        match self.kind {
            FloatKind::Fnuz => 1 << (self.exp_bits - 1),
            _ => (1 << (self.exp_bits - 1)) - 1,
        }
    }

    /// Checks that the field widths make a usable format: at most fp32's widths (8
    /// exponent, 23 mantissa bits), IEEE-like formats need `exp_bits >= 2` and a mantissa
    /// (for the NaN codes), and the non-IEEE kinds need `exp_bits <= 7` so that every value
    /// stays exactly representable in f32.
    pub fn validate(&self) -> Result<(), String> {
        let FloatFormat {
            exp_bits: e,
            man_bits: m,
            kind,
        } = *self;
        if !(1..=8).contains(&e) || m > 23 {
            return Err(format!(
                "float format e{e}m{m}: exponent must be 1..=8 bits and mantissa 0..=23 bits"
            ));
        }
        match kind {
            FloatKind::Ieee if e < 2 || m < 1 => Err(format!(
                "IEEE-like format e{e}m{m} needs at least 2 exponent bits and 1 mantissa bit"
            )),
            FloatKind::Ieee => Ok(()),
            _ if e > 7 => Err(format!(
                "non-IEEE format e{e}m{m} may have at most 7 exponent bits (values must fit f32)"
            )),
            _ if e + m < 2 => Err(format!("format e{e}m{m} is too narrow")),
            _ => Ok(()),
        }
    }

    /// Mask of the sign bit of a code.
    pub const fn sign_mask(&self) -> u32 {
        1 << (self.exp_bits + self.man_bits)
    }

    /// Mask of the exponent and mantissa fields (the magnitude bits of a code).
    pub const fn magnitude_mask(&self) -> u32 {
        self.sign_mask() - 1
    }

    /// Unbiased exponent of the smallest normal number, `1 - bias`.
    pub const fn emin(&self) -> i32 {
        1 - self.bias()
    }

    /// Unbiased exponent of the largest finite binade.
    pub const fn emax(&self) -> i32 {
        let top = (1i32 << self.exp_bits) - 1;
        match self.kind {
            FloatKind::Ieee => top - 1 - self.bias(),
            _ => top - self.bias(),
        }
    }

    /// Magnitude code (sign bit clear) of the largest finite value.
    pub const fn max_finite_code(&self) -> u32 {
        let all = self.magnitude_mask();
        match self.kind {
            FloatKind::Ieee => all - (1 << self.man_bits),
            FloatKind::FiniteNan => all - 1,
            FloatKind::FiniteNoNan | FloatKind::Fnuz => all,
        }
    }

    /// True if the format encodes ±infinity.
    pub const fn has_inf(&self) -> bool {
        matches!(self.kind, FloatKind::Ieee)
    }

    /// True if the format has at least one NaN code.
    pub const fn has_nan(&self) -> bool {
        !matches!(self.kind, FloatKind::FiniteNoNan)
    }

    /// True if the format has a negative zero.
    pub const fn has_negative_zero(&self) -> bool {
        !matches!(self.kind, FloatKind::Fnuz)
    }

    /// The code of +Inf or -Inf, if the format has infinities.
    pub const fn inf_code(&self, negative: bool) -> Option<u32> {
        match self.kind {
            FloatKind::Ieee => {
                let s = if negative { self.sign_mask() } else { 0 };
                Some(s | (self.max_finite_code() + 1))
            }
            _ => None,
        }
    }

    /// The canonical NaN code with the given sign: quiet NaN for IEEE-like formats
    /// (`S.11..1.10..0`), `S.11..1.11..1` for "fn" formats and `0x80..` for fnuz (which has
    /// one NaN, whatever the sign). `None` for formats without NaN.
    pub const fn nan_code(&self, negative: bool) -> Option<u32> {
        let s = if negative { self.sign_mask() } else { 0 };
        match self.kind {
            FloatKind::Ieee => Some(s | (self.max_finite_code() + 1) | (1 << (self.man_bits - 1))),
            FloatKind::FiniteNan => Some(s | self.magnitude_mask()),
            FloatKind::Fnuz => Some(self.sign_mask()),
            FloatKind::FiniteNoNan => None,
        }
    }

    /// True if `code` encodes a NaN.
    pub const fn is_nan_code(&self, code: u32) -> bool {
        let mag = code & self.magnitude_mask();
        match self.kind {
            FloatKind::Ieee => mag > self.max_finite_code() + 1,
            FloatKind::FiniteNan => mag == self.magnitude_mask(),
            FloatKind::Fnuz => {
                code & (self.sign_mask() | self.magnitude_mask()) == self.sign_mask()
            }
            FloatKind::FiniteNoNan => false,
        }
    }

    /// True if `code` encodes ±infinity.
    pub const fn is_inf_code(&self, code: u32) -> bool {
        matches!(self.kind, FloatKind::Ieee)
            && code & self.magnitude_mask() == self.max_finite_code() + 1
    }

    /// The largest finite value.
    pub fn max_finite(&self) -> f64 {
        let m = self.man_bits as i32;
        let top = (self.max_finite_code() & ((1 << self.man_bits) - 1)) as f64 + (1u64 << m) as f64;
        top * pow2(self.emax() - m)
    }

    /// The smallest positive normal value, `2^emin`.
    pub fn min_normal(&self) -> f64 {
        pow2(self.emin())
    }

    /// The smallest positive subnormal value, `2^(emin - man_bits)`; `None` without a mantissa.
    pub fn min_subnormal(&self) -> Option<f64> {
        (self.man_bits > 0).then(|| pow2(self.emin() - self.man_bits as i32))
    }

    /// The largest subnormal value; `None` without a mantissa.
    pub fn max_subnormal(&self) -> Option<f64> {
        (self.man_bits > 0).then(|| {
            ((1u64 << self.man_bits) - 1) as f64 * pow2(self.emin() - self.man_bits as i32)
        })
    }
}

/// `2^e` as an f64 (exact for -1074 <= e <= 1023).
pub(crate) fn pow2(e: i32) -> f64 {
    if e >= -1022 {
        f64::from_bits(((e + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (e + 1074))
    }
}

/// A number format known to accelsim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// A scalar floating-point format.
    Float(FloatFormat),
    /// A two's-complement (signed) or unsigned integer of `bits` bits.
    Int {
        /// Width in bits (2..=32).
        bits: u32,
        /// Two's complement when true.
        signed: bool,
    },
    /// Binary ±1 (code 1 = +1, code 0 = -1); products are XNOR-popcount.
    Binary,
    /// OCP E8M0 scale format (unsigned power of two, 0xFF = NaN).
    E8M0,
    /// OCP Microscaling block format: `block` elements share one E8M0 scale.
    Mx {
        /// Element format.
        elem: MxElem,
        /// Elements per shared scale (32 in MX v1.0).
        block: u32,
    },
    /// Block floating point: `block` elements share an 8-bit exponent; each element is a
    /// signed `man_bits`-bit mantissa (QPyTorch's block floating point).
    BlockFp {
        /// Mantissa width per element, sign included.
        man_bits: u32,
        /// Elements per shared exponent.
        block: u32,
    },
    /// Signed fixed point with `word_bits` total bits and `frac_bits` fractional bits.
    Fixed {
        /// Total word length in bits.
        word_bits: u32,
        /// Fractional length in bits.
        frac_bits: u32,
    },
}

/// Element type of an MX block format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MxElem {
    /// A small float element (E4M3, E5M2, E2M3, E3M2, E2M1).
    Float(FloatFormat),
    /// MXINT8: 8-bit two's complement with an implied scale of 2^-6.
    Int8,
}

/// Error for a name that is not a known format; lists the valid names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown number format '{name}'; expected one of: {}", Format::canonical_names().join(", "))]
pub struct UnknownFormat {
    /// The name that failed to parse.
    pub name: String,
}

/// The named float formats (and E8M0), canonical names in listing order.
pub(crate) const NAMED_FLOATS: [&str; 11] = [
    "fp32",
    "fp16",
    "bf16",
    "fp8_e4m3",
    "fp8_e5m2",
    "fp6_e2m3",
    "fp6_e3m2",
    "fp4_e2m1",
    "e8m0",
    "fp8_e4m3fnuz",
    "fp8_e5m2fnuz",
];

/// The named integer and MX formats, canonical names in listing order.
pub(crate) const NAMED_OTHERS: [&str; 15] = [
    "int32",
    "int16",
    "int8",
    "uint8",
    "int4",
    "uint4",
    "int2",
    "uint2",
    "binary",
    "mxfp8_e4m3",
    "mxfp8_e5m2",
    "mxfp6_e2m3",
    "mxfp6_e3m2",
    "mxfp4_e2m1",
    "mxint8",
];

/// Default MX block size (OCP MX v1.0).
pub const MX_DEFAULT_BLOCK: u32 = 32;

impl Format {
    /// IEEE binary32.
    pub const FP32: Format = Format::Float(FloatFormat::FP32);
    /// IEEE binary16.
    pub const FP16: Format = Format::Float(FloatFormat::FP16);
    /// bfloat16.
    pub const BF16: Format = Format::Float(FloatFormat::BF16);
    /// OCP FP8 E4M3.
    pub const FP8_E4M3: Format = Format::Float(FloatFormat::FP8_E4M3);
    /// OCP FP8 E5M2.
    pub const FP8_E5M2: Format = Format::Float(FloatFormat::FP8_E5M2);
    /// Signed 8-bit integer.
    pub const INT8: Format = Format::int(8);
    /// Signed 4-bit integer.
    pub const INT4: Format = Format::int(4);
    /// Signed 16-bit integer.
    pub const INT16: Format = Format::int(16);
    /// Signed 32-bit integer (the usual integer accumulator).
    pub const INT32: Format = Format::int(32);

    /// The signed integer format of `bits` bits.
    pub const fn int(bits: u32) -> Format {
        Format::Int { bits, signed: true }
    }

    /// The canonical names accepted by [`Format::parse`] (parametric families shown as patterns).
    pub fn canonical_names() -> Vec<&'static str> {
        let patterns = [
            "fp_e{E}m{M}[_fn|_fnnonan|_fnuz]",
            "int{N}/uint{N}",
            "mx<elem>_b{N}",
            "bfp{M}_b{N}",
            "fixed{W}_{F}",
        ];
        [&NAMED_FLOATS[..], &NAMED_OTHERS[..], &patterns[..]].concat()
    }

    /// Parses a canonical name or an ml_dtypes/numpy alias (`float8_e4m3fn`, `float16`, ...).
    pub fn parse(name: &str) -> Result<Format, UnknownFormat> {
        let err = || UnknownFormat {
            name: name.to_string(),
        };
        let n = name.trim().to_ascii_lowercase();
        let simple = match n.as_str() {
            "fp32" | "float32" | "f32" | "float" => Some(Format::FP32),
            "fp16" | "float16" | "f16" | "half" => Some(Format::FP16),
            "bf16" | "bfloat16" => Some(Format::BF16),
            "fp8_e4m3" | "float8_e4m3fn" | "e4m3" | "fp8_e4m3fn" => Some(Format::FP8_E4M3),
            "fp8_e5m2" | "float8_e5m2" | "e5m2" => Some(Format::FP8_E5M2),
            "fp6_e2m3" | "float6_e2m3fn" | "fp6_e2m3fn" => {
                Some(Format::Float(FloatFormat::FP6_E2M3))
            }
            "fp6_e3m2" | "float6_e3m2fn" | "fp6_e3m2fn" => {
                Some(Format::Float(FloatFormat::FP6_E3M2))
            }
            "fp4_e2m1" | "float4_e2m1fn" | "fp4_e2m1fn" => {
                Some(Format::Float(FloatFormat::FP4_E2M1))
            }
            "e8m0" | "float8_e8m0fnu" | "fp8_e8m0" => Some(Format::E8M0),
            "fp8_e4m3fnuz" | "float8_e4m3fnuz" => Some(Format::Float(FloatFormat::FP8_E4M3_FNUZ)),
            "fp8_e5m2fnuz" | "float8_e5m2fnuz" => Some(Format::Float(FloatFormat::FP8_E5M2_FNUZ)),
            "binary" | "bin" | "int1" => Some(Format::Binary),
            "mxint8" => Some(Format::Mx {
                elem: MxElem::Int8,
                block: MX_DEFAULT_BLOCK,
            }),
            _ => None,
        };
        if let Some(f) = simple {
            return Ok(f);
        }
        // Integers: int{N} / uint{N}.
        let int = n
            .strip_prefix("uint")
            .map(|r| (r, false))
            .or_else(|| n.strip_prefix("int").map(|r| (r, true)));
        if let Some((rest, signed)) = int {
            let bits: u32 = rest.parse().map_err(|_| err())?;
            return if (2..=32).contains(&bits) {
                Ok(Format::Int { bits, signed })
            } else {
                Err(err())
            };
        }
        // Generic floats: fp_e{E}m{M}[_fn|_fnnonan|_fnuz].
        if let Some(rest) = n.strip_prefix("fp_e") {
            let (body, kind) = if let Some(b) = rest.strip_suffix("_fn") {
                (b, FloatKind::FiniteNan)
            } else if let Some(b) = rest.strip_suffix("_fnnonan") {
                (b, FloatKind::FiniteNoNan)
            } else if let Some(b) = rest.strip_suffix("_fnuz") {
                (b, FloatKind::Fnuz)
            } else {
                (rest, FloatKind::Ieee)
            };
            let (e, m) = body.split_once('m').ok_or_else(err)?;
            let exp_bits: u32 = e.parse().map_err(|_| err())?;
            let man_bits: u32 = m.parse().map_err(|_| err())?;
            let f = FloatFormat {
                exp_bits,
                man_bits,
                kind,
            };
            return match f.validate() {
                Ok(()) => Ok(Format::Float(f)),
                Err(_) => Err(err()),
            };
        }
        // MX with explicit block size: mxfp8_e4m3_b16.
        if let Some(rest) = n.strip_prefix("mx") {
            let (elem_name, block) = match rest.rsplit_once("_b") {
                Some((e, b)) if b.chars().all(|c| c.is_ascii_digit()) && !b.is_empty() => {
                    (e, b.parse::<u32>().map_err(|_| err())?)
                }
                _ => (rest, MX_DEFAULT_BLOCK),
            };
            if block == 0 {
                return Err(err());
            }
            let elem = match elem_name {
                "int8" => MxElem::Int8,
                "fp8_e4m3" => MxElem::Float(FloatFormat::FP8_E4M3),
                "fp8_e5m2" => MxElem::Float(FloatFormat::FP8_E5M2),
                "fp6_e2m3" => MxElem::Float(FloatFormat::FP6_E2M3),
                "fp6_e3m2" => MxElem::Float(FloatFormat::FP6_E3M2),
                "fp4_e2m1" => MxElem::Float(FloatFormat::FP4_E2M1),
                _ => return Err(err()),
            };
            return Ok(Format::Mx { elem, block });
        }
        // Block floating point: bfp{M}_b{N}.
        if let Some(rest) = n.strip_prefix("bfp") {
            let (m, b) = rest.split_once("_b").ok_or_else(err)?;
            let man_bits: u32 = m.parse().map_err(|_| err())?;
            let block: u32 = b.parse().map_err(|_| err())?;
            if !(2..=24).contains(&man_bits) || block == 0 {
                return Err(err());
            }
            return Ok(Format::BlockFp { man_bits, block });
        }
        // Fixed point: fixed{W}_{F}.
        if let Some(rest) = n.strip_prefix("fixed") {
            let (w, f) = rest.split_once('_').ok_or_else(err)?;
            let word_bits: u32 = w.parse().map_err(|_| err())?;
            let frac_bits: u32 = f.parse().map_err(|_| err())?;
            if !(2..=32).contains(&word_bits) || frac_bits >= word_bits + 32 {
                return Err(err());
            }
            return Ok(Format::Fixed {
                word_bits,
                frac_bits,
            });
        }
        Err(err())
    }

    /// Canonical name (round-trips through [`Format::parse`]).
    pub fn name(&self) -> String {
        match *self {
            Format::Float(f) => float_name(f),
            Format::Int { bits, signed } => {
                format!("{}int{}", if signed { "" } else { "u" }, bits)
            }
            Format::Binary => "binary".into(),
            Format::E8M0 => "e8m0".into(),
            Format::Mx { elem, block } => {
                let e = match elem {
                    MxElem::Int8 => "int8".to_string(),
                    MxElem::Float(f) => float_name(f),
                };
                if block == MX_DEFAULT_BLOCK {
                    format!("mx{e}")
                } else {
                    format!("mx{e}_b{block}")
                }
            }
            Format::BlockFp { man_bits, block } => format!("bfp{man_bits}_b{block}"),
            Format::Fixed {
                word_bits,
                frac_bits,
            } => format!("fixed{word_bits}_{frac_bits}"),
        }
    }

    /// Bits of one element's own code, excluding any shared block scale.
    pub fn element_bits(&self) -> u32 {
        match *self {
            Format::Float(f) => f.bits(),
            Format::Int { bits, .. } => bits,
            Format::Binary => 1,
            Format::E8M0 => 8,
            Format::Mx { elem, .. } => match elem {
                MxElem::Int8 => 8,
                MxElem::Float(f) => f.bits(),
            },
            Format::BlockFp { man_bits, .. } => man_bits,
            Format::Fixed { word_bits, .. } => word_bits,
        }
    }

    /// Storage bits per element, including the amortized shared scale of block formats
    /// (e.g. mxfp4_e2m1 = 4 + 8/32 = 4.25 bits).
    pub fn storage_bits(&self) -> f64 {
        match *self {
            Format::Mx { block, .. } => self.element_bits() as f64 + 8.0 / block as f64,
            Format::BlockFp { block, .. } => self.element_bits() as f64 + 8.0 / block as f64,
            _ => self.element_bits() as f64,
        }
    }

    /// Bytes needed to store `elements` values in this format, rounded up to whole bytes
    /// (block scales included for block formats).
    pub fn storage_bytes(&self, elements: u64) -> u64 {
        let elem_bits = (elements as u128) * self.element_bits() as u128;
        let scale_bits = match *self {
            Format::Mx { block, .. } | Format::BlockFp { block, .. } => {
                (elements as u128).div_ceil(block as u128) * 8
            }
            _ => 0,
        };
        let bytes = (elem_bits + scale_bits).div_ceil(8);
        u64::try_from(bytes).unwrap_or(u64::MAX)
    }

    /// True for scalar floats and float-element block formats.
    pub fn is_float(&self) -> bool {
        matches!(
            self,
            Format::Float(_)
                | Format::Mx {
                    elem: MxElem::Float(_),
                    ..
                }
                | Format::BlockFp { .. }
                | Format::E8M0
        )
    }

    /// True for integer, binary, MXINT8 and fixed-point formats (integer datapaths).
    pub fn is_integer(&self) -> bool {
        !self.is_float()
    }

    /// The accumulator format a MAC of this operand format uses by default:
    /// int32 for integer datapaths, fp32 for float ones.
    pub fn default_accumulator(&self) -> Format {
        if self.is_float() {
            Format::FP32
        } else {
            Format::INT32
        }
    }
}

fn float_name(f: FloatFormat) -> String {
    match f {
        FloatFormat::FP32 => "fp32".into(),
        FloatFormat::FP16 => "fp16".into(),
        FloatFormat::BF16 => "bf16".into(),
        FloatFormat::FP8_E4M3 => "fp8_e4m3".into(),
        FloatFormat::FP8_E5M2 => "fp8_e5m2".into(),
        FloatFormat::FP6_E2M3 => "fp6_e2m3".into(),
        FloatFormat::FP6_E3M2 => "fp6_e3m2".into(),
        FloatFormat::FP4_E2M1 => "fp4_e2m1".into(),
        FloatFormat::FP8_E4M3_FNUZ => "fp8_e4m3fnuz".into(),
        FloatFormat::FP8_E5M2_FNUZ => "fp8_e5m2fnuz".into(),
        FloatFormat {
            exp_bits,
            man_bits,
            kind,
        } => {
            let suffix = match kind {
                FloatKind::Ieee => "",
                FloatKind::FiniteNan => "_fn",
                FloatKind::FiniteNoNan => "_fnnonan",
                FloatKind::Fnuz => "_fnuz",
            };
            format!("fp_e{exp_bits}m{man_bits}{suffix}")
        }
    }
}

impl std::str::FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::parse(s)
    }
}

impl_by_name!(
    Format,
    format!(
        "A number format name, e.g. {}",
        Format::canonical_names().join(", ")
    )
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let examples = ["mxfp6_e3m2_b16", "fp_e4m2_fn"];
        let catalogue = Format::catalogue()
            .iter()
            .map(Format::name)
            .collect::<Vec<_>>();
        let names = NAMED_FLOATS.iter().chain(&NAMED_OTHERS).chain(&examples);
        for n in names.copied().chain(catalogue.iter().map(String::as_str)) {
            let f = Format::parse(n).unwrap();
            assert_eq!(f.name(), n);
        }
    }

    #[test]
    fn aliases() {
        assert_eq!(Format::parse("float8_e4m3fn").unwrap(), Format::FP8_E4M3);
        assert_eq!(Format::parse("bfloat16").unwrap(), Format::BF16);
        assert_eq!(Format::parse("fp_e5m10").unwrap(), Format::FP16);
    }

    #[test]
    fn storage() {
        assert_eq!(Format::INT4.storage_bytes(3), 2);
        assert_eq!(Format::Binary.storage_bytes(16), 2);
        assert_eq!(Format::parse("mxfp4_e2m1").unwrap().storage_bytes(64), 34);
        assert_eq!(Format::parse("mxfp4_e2m1").unwrap().storage_bits(), 4.25);
    }

    #[test]
    fn unknown_lists_valid() {
        let e = Format::parse("int9x").unwrap_err().to_string();
        assert!(e.contains("fp8_e4m3") && e.contains("int9x"));
    }
}
