//! The description of an accumulator — format, summation order, overflow policy, rounding
//! and product fusion — as it appears in architecture files. The arithmetic that obeys it
//! lives in [`crate::numerics::dot`].
//!
//! ```json
//! { "format": "fp32", "order": "sequential" }
//! { "format": "fp32", "order": { "chunked": { "size": 16 } }, "fused": true }
//! { "format": "int32", "overflow": "wrap" }
//! { "format": "exact" }
//! ```

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::format::{FloatFormat, Format};
use super::rounding::{Overflow, Rounding};
use super::NumericsError;

/// The number format of an accumulator register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccFormat {
    /// Exact accumulation (a Kulisch register), rounded once when read.
    Exact,
    /// A float register (fp32, fp16, bf16, or any `fp_e{E}m{M}`).
    Float(FloatFormat),
    /// A two's-complement integer register of `bits` bits (2..=64). The width is part of
    /// the name: `int32`, `int24`, `int16`, ...
    Int {
        /// Register width in bits.
        bits: u32,
    },
}

impl AccFormat {
    /// The fp32 accumulator.
    pub const FP32: AccFormat = AccFormat::Float(FloatFormat::FP32);
    /// The int32 accumulator.
    pub const INT32: AccFormat = AccFormat::Int { bits: 32 };

    /// Parses `exact`, `int{N}` (N in 2..=64) or any float format name.
    pub fn parse(name: &str) -> Result<AccFormat, NumericsError> {
        let n = name.trim().to_ascii_lowercase();
        if n == "exact" {
            return Ok(AccFormat::Exact);
        }
        if let Some(bits) = n.strip_prefix("int").and_then(|b| b.parse::<u32>().ok()) {
            if (2..=64).contains(&bits) {
                return Ok(AccFormat::Int { bits });
            }
        }
        match Format::parse(&n) {
            Ok(Format::Float(f)) => Ok(AccFormat::Float(f)),
            Ok(other) => Err(NumericsError::WrongFormat {
                format: other.name(),
                reason: "an accumulator is 'exact', 'int{N}' (N in 2..=64) or a float format".into(),
            }),
            Err(_) => Err(NumericsError::InvalidOption(format!(
                "unknown accumulator format '{name}': expected 'exact', 'int{{N}}' (N in 2..=64) or a float format such as fp32, fp16, bf16, fp_e8m10"
            ))),
        }
    }

    /// Canonical name (round-trips through [`AccFormat::parse`]).
    pub fn name(&self) -> String {
        match self {
            AccFormat::Exact => "exact".into(),
            AccFormat::Float(f) => Format::Float(*f).name(),
            AccFormat::Int { bits } => format!("int{bits}"),
        }
    }
}

impl_by_name!(
    AccFormat,
    "Accumulator format: 'exact', 'int{N}' (N in 2..=64, e.g. int32) or a float format name (fp32, fp16, bf16, fp_e{E}m{M})"
);

/// The order in which the k products of a dot product are added. The result of a
/// rounding accumulator depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AccOrder {
    /// `acc = +0; for k in 0..K { acc = R(acc + p_k) }` — one chain (CPU FMA loops, ORT).
    #[default]
    Sequential,
    /// Pairwise tree: level by level, `R(t_0 + t_1), R(t_2 + t_3), ...`; an odd last term
    /// moves up unchanged; the final single term is rounded to the register format.
    Pairwise,
    /// Tensor-core style: each run of `size` consecutive products is summed exactly and
    /// rounded once, then added to the running register: `acc = R(acc + R(Σ chunk))`.
    Chunked {
        /// Products per chunk (>= 1).
        size: u32,
    },
    /// K split into blocks of `size`: a sequential chain from +0 per block, then
    /// `acc = R(acc + block_sum)` (ONNX Runtime with a prepacked B uses 256).
    Blocked {
        /// Products per block (>= 1).
        size: u32,
    },
    /// `lanes` interleaved partial sums (lane l takes k = l, l+lanes, ...) over the first
    /// `K - K mod lanes` terms, combined as a tree (lane i += lane i+half, halving), then the
    /// leftover terms added in order. `lanes` must be a power of two; 4 reproduces ORT's
    /// f32 GlobalAveragePool.
    Lanes {
        /// Number of lanes (a power of two).
        lanes: u32,
    },
}

fn default_true() -> bool {
    true
}

/// A complete accumulator description. Integer registers ignore `rounding` and `fused`;
/// the exact register ignores `order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Accumulator {
    /// Register format (`exact`, `int{N}` or a float format name); the integer width is
    /// part of the name.
    pub format: AccFormat,
    /// Summation order (default `sequential`).
    #[serde(default)]
    pub order: AccOrder,
    /// Overflow policy: `ieee` (floats: Inf; integers: saturate), `saturate`, or `wrap`
    /// (integers only). Default `ieee`.
    #[serde(default)]
    pub overflow: Overflow,
    /// Rounding of every register update (float registers; default `rne`; `stochastic`
    /// is not supported here).
    #[serde(default)]
    pub rounding: Rounding,
    /// True (default): products enter the adder unrounded (FMA). False: each product is
    /// first rounded to the register format.
    #[serde(default = "default_true")]
    pub fused: bool,
}

impl Accumulator {
    /// An fp32 register, sequential order, RNE, fused (a CPU FMA chain).
    pub const FP32_SEQ: Accumulator = Accumulator::new(AccFormat::FP32);
    /// An exact register.
    pub const EXACT: Accumulator = Accumulator::new(AccFormat::Exact);
    /// A wrapping int32 register.
    pub const INT32_WRAP: Accumulator = Accumulator {
        format: AccFormat::INT32,
        order: AccOrder::Sequential,
        overflow: Overflow::Wrap,
        rounding: Rounding::NearestEven,
        fused: true,
    };

    /// A register of the given format with the defaults (sequential, IEEE overflow, RNE,
    /// fused).
    pub const fn new(format: AccFormat) -> Accumulator {
        Accumulator {
            format,
            order: AccOrder::Sequential,
            overflow: Overflow::Ieee,
            rounding: Rounding::NearestEven,
            fused: true,
        }
    }

    /// The same accumulator with another order.
    pub const fn with_order(self, order: AccOrder) -> Accumulator {
        Accumulator { order, ..self }
    }

    /// The same accumulator with another overflow policy.
    pub const fn with_overflow(self, overflow: Overflow) -> Accumulator {
        Accumulator { overflow, ..self }
    }

    /// Checks the combination of fields.
    pub fn validate(&self) -> Result<(), NumericsError> {
        let bad = |m: String| Err(NumericsError::InvalidOption(m));
        match self.order {
            AccOrder::Chunked { size: 0 } | AccOrder::Blocked { size: 0 } => {
                return bad("accumulator chunk/block size must be at least 1".into())
            }
            AccOrder::Lanes { lanes } if lanes == 0 || !lanes.is_power_of_two() => {
                return bad(format!(
                    "accumulator lanes must be a power of two, got {lanes}"
                ))
            }
            _ => {}
        }
        match self.format {
            AccFormat::Float(f) => {
                f.validate().map_err(NumericsError::InvalidFormat)?;
                if self.overflow == Overflow::Wrap {
                    return bad(format!(
                        "overflow 'wrap' is for integer accumulators, not {}",
                        self.format
                    ));
                }
                if self.rounding == Rounding::Stochastic {
                    return bad("stochastic rounding is not supported in accumulators".into());
                }
            }
            AccFormat::Int { bits } if !(2..=64).contains(&bits) => {
                return bad(format!("integer accumulator width {bits} (must be 2..=64)"))
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_round_trip() {
        let a: Accumulator = serde_json::from_str(
            r#"{"format":"fp16","order":{"chunked":{"size":16}},"fused":false}"#,
        )
        .unwrap();
        assert_eq!(a.format, AccFormat::Float(FloatFormat::FP16));
        assert_eq!(a.order, AccOrder::Chunked { size: 16 });
        assert!(!a.fused);
        let j = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<Accumulator>(&j).unwrap(), a);
        let i: Accumulator =
            serde_json::from_str(r#"{"format":"int24","overflow":"wrap"}"#).unwrap();
        assert_eq!(i.format, AccFormat::Int { bits: 24 });
        assert!(serde_json::from_str::<Accumulator>(r#"{"format":"fp32","width":3}"#).is_err());
        assert!(serde_json::from_str::<Accumulator>(r#"{"format":"mxint8"}"#).is_err());
        assert!(Accumulator::new(AccFormat::FP32)
            .with_order(AccOrder::Lanes { lanes: 3 })
            .validate()
            .is_err());
        let schema = schemars::schema_for!(Accumulator);
        assert!(serde_json::to_string(&schema).unwrap().contains("chunked"));
    }
}
