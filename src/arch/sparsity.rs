//! The arch file's optional `sparsity` block: which sparsity features the design has.
//! Absent means none: sparse data then gains nothing. Knows nothing about workloads; the
//! cost of each feature is computed in `model::sparsity`.
//!
//! ```json
//! "sparsity": {
//!   "structured": { "operand": "weights", "patterns": [ { "n": 2, "m": 4, "speedup": 2.0,
//!                   "metadata_bits_per_kept_value": 2 } ], "formats": ["fp16", "int8"] },
//!   "zero_gating": { "operands": ["activations"], "residual_energy_fraction": 0.0 },
//!   "zero_skipping": { "operands": ["weights"], "skip_efficiency": 0.9,
//!                      "sync_lanes": 16, "sync_block": 16 },
//!   "compression": { "operands": ["activations"], "dram": { "kind": "run_length", "run_bits": 5 } }
//! }
//! ```

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{InputError, InputResult};
use crate::numerics::Format;

/// The sparsity features of a design.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SparsitySupport {
    /// N:M structured sparsity on one operand (e.g. NVIDIA's 2:4 sparse tensor cores):
    /// the array skips the pruned positions, so the reduction runs `speedup` × faster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured: Option<StructuredSparsity>,
    /// MACs with a zero operand are clock-gated: no MAC energy, same cycles (Eyeriss).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zero_gating: Option<ZeroGating>,
    /// Zero operands are skipped: neither their cycles nor their energy are spent
    /// (Cnvlutin, SCNN), up to the skip efficiency and lockstep load imbalance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zero_skipping: Option<ZeroSkipping>,
    /// Sparse tensors are stored compressed in DRAM and/or on chip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<Compression>,
}

/// A GEMM operand, as the hardware sees it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Operand {
    /// The weight (B) operand: a layer's weight, or the second input of an
    /// activation × activation matmul.
    Weights,
    /// The activation (A) operand, and activation tensors in general (op outputs).
    Activations,
}

impl Operand {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Operand::Weights => "weights",
            Operand::Activations => "activations",
        }
    }
}

/// N:M structured-sparsity support.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StructuredSparsity {
    /// The operand that may be N:M sparse (default `weights`).
    #[serde(default = "weights")]
    pub operand: Operand,
    /// The patterns the array accelerates.
    pub patterns: Vec<StructuredPattern>,
    /// MAC formats with sparse support (default: every format of the array).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub formats: Vec<Format>,
}

fn weights() -> Operand {
    Operand::Weights
}

/// One supported N:M pattern.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StructuredPattern {
    /// Kept values per group (N).
    pub n: u32,
    /// Group size along the reduction axis (M).
    pub m: u32,
    /// Throughput multiplier over dense on the reduction (default M/N, e.g. 2 for 2:4);
    /// lower it to model overheads. 1 ≤ speedup ≤ M/N.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speedup: Option<f64>,
    /// Index metadata stored with every kept value, bits (default ceil(log2 M): 2 for 2:4,
    /// as NVIDIA's sparse tensor cores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_bits_per_kept_value: Option<f64>,
}

impl StructuredPattern {
    /// The speedup, defaulted.
    pub fn speedup(&self) -> f64 {
        self.speedup.unwrap_or(self.m as f64 / self.n as f64)
    }
    /// The metadata bits per kept value, defaulted.
    pub fn metadata_bits(&self) -> f64 {
        self.metadata_bits_per_kept_value
            .unwrap_or_else(|| (self.m as f64).log2().ceil())
    }
}

/// Zero gating: a MAC whose operand (in `operands`) is zero spends only
/// `residual_energy_fraction` of a MAC's energy; cycles are unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ZeroGating {
    /// Operands whose zeros gate the MAC.
    pub operands: Vec<Operand>,
    /// Energy a gated MAC still spends, as a fraction of a MAC (default 0).
    #[serde(default)]
    pub residual_energy_fraction: f64,
}

/// Zero skipping: the array does not spend cycles or energy on zeros of `operands`.
///
/// Work along the reduction shrinks to the fraction of non-zeros, degraded by lockstep:
/// `sync_lanes` lanes each walk `sync_block` reduction elements between synchronisations
/// and the group waits for the lane with the most non-zeros (expected maximum of
/// binomials); `skip_efficiency` is the fraction of zeros the hardware manages to skip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ZeroSkipping {
    /// Operands whose zeros are skipped.
    pub operands: Vec<Operand>,
    /// Fraction of zeros actually skipped, in [0, 1] (default 1).
    #[serde(default = "one")]
    pub skip_efficiency: f64,
    /// Lanes advancing in lockstep (default 1: no load imbalance).
    #[serde(default = "one_u64")]
    pub sync_lanes: u64,
    /// Reduction elements each lane processes between synchronisations (default 1).
    #[serde(default = "one_u64")]
    pub sync_block: u64,
}

fn one() -> f64 {
    1.0
}

fn one_u64() -> u64 {
    1
}

fn yes() -> bool {
    true
}

/// Compressed storage of sparse tensors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Compression {
    /// Which tensors are stored compressed.
    pub operands: Vec<Operand>,
    /// Format in DRAM (absent: dense).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dram: Option<StorageFormat>,
    /// Format in the on-chip buffers (absent: dense; data is decompressed on the way in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sram: Option<StorageFormat>,
    /// Store a tensor dense when its compressed form would be larger (default true).
    #[serde(default = "yes")]
    pub dense_fallback: bool,
}

/// A compressed storage format and its metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StorageFormat {
    /// The non-zero values plus a 1-bit presence mask per element.
    Bitmap,
    /// Eyeriss-style run-length coding: each non-zero with a `run_bits` count of the zeros
    /// before it; longer runs need an extra (zero-valued) entry per 2^run_bits positions.
    RunLength {
        /// Bits of the zero-run field (Eyeriss: 5).
        run_bits: u32,
    },
    /// CSR-like: each non-zero with its column index, plus a row pointer per row (rows run
    /// along the tensor's last axis).
    Csr {
        /// Bits per column index (default ceil(log2(row length))).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index_bits: Option<u32>,
        /// Bits per row pointer (default 32).
        #[serde(default = "thirty_two")]
        pointer_bits: u32,
    },
}

fn thirty_two() -> u32 {
    32
}

impl SparsitySupport {
    /// Checks every value; errors name the JSON path under `sparsity`. `formats` are the
    /// array's MAC formats.
    pub fn validate(&self, formats: &[Format]) -> InputResult<()> {
        let base = "sparsity";
        if let Some(s) = &self.structured {
            let p = format!("{base}.structured");
            if s.patterns.is_empty() {
                return Err(InputError::at(
                    format!("{p}.patterns"),
                    "expected at least one pattern, e.g. {\"n\": 2, \"m\": 4}",
                ));
            }
            for (i, pat) in s.patterns.iter().enumerate() {
                let pp = format!("{p}.patterns[{i}]");
                if pat.m < 2 || pat.m > 256 || pat.n == 0 || pat.n >= pat.m {
                    return Err(InputError::at(
                        pp,
                        format!("expected 1 ≤ n < m ≤ 256, got n = {}, m = {}", pat.n, pat.m),
                    ));
                }
                let max = pat.m as f64 / pat.n as f64;
                let sp = pat.speedup();
                if !(sp.is_finite() && (1.0..=max + 1e-12).contains(&sp)) {
                    return Err(InputError::at(
                        format!("{pp}.speedup"),
                        format!("expected a speedup in [1, m/n = {max}], got {sp}"),
                    ));
                }
                let mb = pat.metadata_bits();
                if !(mb.is_finite() && mb >= 0.0) {
                    return Err(InputError::at(
                        format!("{pp}.metadata_bits_per_kept_value"),
                        format!("expected a finite number ≥ 0, got {mb}"),
                    ));
                }
                if s.patterns[..i].iter().any(|q| (q.n, q.m) == (pat.n, pat.m)) {
                    return Err(InputError::at(
                        pp,
                        format!("pattern {}:{} is listed twice", pat.n, pat.m),
                    ));
                }
            }
            for (i, f) in s.formats.iter().enumerate() {
                if !formats.contains(f) {
                    return Err(InputError::at(
                        format!("{p}.formats[{i}]"),
                        format!("'{f}' is not one of the array's precisions"),
                    ));
                }
            }
        }
        if let Some(g) = &self.zero_gating {
            let p = format!("{base}.zero_gating");
            operands(&format!("{p}.operands"), &g.operands)?;
            fraction(
                &format!("{p}.residual_energy_fraction"),
                g.residual_energy_fraction,
            )?;
        }
        if let Some(z) = &self.zero_skipping {
            let p = format!("{base}.zero_skipping");
            operands(&format!("{p}.operands"), &z.operands)?;
            fraction(&format!("{p}.skip_efficiency"), z.skip_efficiency)?;
            for (name, v) in [("sync_lanes", z.sync_lanes), ("sync_block", z.sync_block)] {
                if v == 0 || v > 65536 {
                    return Err(InputError::at(
                        format!("{p}.{name}"),
                        format!("expected an integer in [1, 65536], got {v}"),
                    ));
                }
            }
            if let Some(g) = &self.zero_gating {
                if let Some(o) = z.operands.iter().find(|o| g.operands.contains(o)) {
                    return Err(InputError::at(
                        format!("{p}.operands"),
                        format!(
                            "'{}' is listed under both zero_gating and zero_skipping; skipping already saves the energy of the zeros it skips, so list each operand once",
                            o.name()
                        ),
                    ));
                }
            }
        }
        if let Some(c) = &self.compression {
            let p = format!("{base}.compression");
            operands(&format!("{p}.operands"), &c.operands)?;
            for (level, f) in [("dram", &c.dram), ("sram", &c.sram)] {
                match f {
                    Some(StorageFormat::RunLength { run_bits }) if !(1..=32).contains(run_bits) => {
                        return Err(InputError::at(
                            format!("{p}.{level}.run_bits"),
                            format!("expected 1 to 32 bits, got {run_bits}"),
                        ))
                    }
                    Some(StorageFormat::Csr {
                        index_bits,
                        pointer_bits,
                    }) => {
                        if matches!(index_bits, Some(b) if !(1..=64).contains(b)) {
                            return Err(InputError::at(
                                format!("{p}.{level}.index_bits"),
                                "expected 1 to 64 bits",
                            ));
                        }
                        if !(1..=64).contains(pointer_bits) {
                            return Err(InputError::at(
                                format!("{p}.{level}.pointer_bits"),
                                "expected 1 to 64 bits",
                            ));
                        }
                    }
                    _ => {}
                }
            }
            if c.dram.is_none() && c.sram.is_none() {
                return Err(InputError::at(
                    p,
                    "expected a \"dram\" and/or \"sram\" storage format, e.g. {\"kind\": \"bitmap\"}",
                ));
            }
        }
        Ok(())
    }
}

fn operands(path: &str, ops: &[Operand]) -> InputResult<()> {
    if ops.is_empty() {
        return Err(InputError::at(
            path,
            "expected at least one of \"weights\", \"activations\"",
        ));
    }
    if let Some(i) = (1..ops.len()).find(|&i| ops[..i].contains(&ops[i])) {
        return Err(InputError::at(
            format!("{path}[{i}]"),
            format!("'{}' is listed twice", ops[i].name()),
        ));
    }
    Ok(())
}

fn fraction(path: &str, v: f64) -> InputResult<()> {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(InputError::at(
            path,
            format!("expected a fraction in [0, 1], got {v}"),
        ))
    }
}
