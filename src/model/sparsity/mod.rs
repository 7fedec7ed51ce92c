//! What sparse data buys on an architecture: the sparsity the arch can exploit, and only
//! that. Pure functions from (op, tensor sparsity, arch `sparsity` block) to adjustments of
//! one op's cost:
//!
//! - **structured N:M** (on the arch's sparse operand, when the tensor's pattern implies a
//!   supported one): the reduction runs `speedup` × faster, K shrinks to
//!   `window · ⌈⌈K_axis / M⌉ · M / speedup⌉`; only N/M of the MACs are issued; the operand
//!   is stored as kept values plus metadata, (N/M)(b + μ)/b of its dense bytes, in DRAM and
//!   on chip;
//! - **zero skipping** (operands S, density D_S = Π d): the reduction work shrinks to
//!   f = 1 − e·(1 − W) where W is the lockstep work fraction ([`imbalance`]); K becomes
//!   ⌈K·f⌉; a skipped MAC costs nothing;
//! - **zero gating** (operands G, D_G = Π d): cycles unchanged; a MAC with a zero in G costs
//!   `residual_energy_fraction` of a MAC;
//! - **compression** (tensors by role): DRAM and/or SRAM bytes scale by the format's ratio
//!   ([`storage`]), never above dense when `dense_fallback` is on.
//!
//! MAC energy fraction = (issued fraction) · (1 − e(1 − D_S)) · (D_G + r(1 − D_G)), zeros
//! independent across operands; within a structured operand its density is d / (N/M).
//! Dense data, or an arch without a `sparsity` block, gives the identity.

pub mod imbalance;
pub mod storage;

use serde::Serialize;

use super::{OpCost, OpEnergy};
use crate::arch::sparsity::{Operand, SparsitySupport, StructuredPattern};
use crate::arch::Arch;
use crate::error::InputResult;
use crate::numerics::Format;
use crate::workload::sparsity::{gemm_reduction_split, NmPattern, SparsitySource, TensorSparsity};
use crate::workload::{GemmView, Op, Tensor, TensorRole, Workload};

/// Stored bytes over dense bytes of one operand at each level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StorageRatio {
    /// In DRAM.
    pub dram: f64,
    /// In the on-chip buffers.
    pub sram: f64,
}

impl StorageRatio {
    /// Dense storage (1, 1).
    pub const DENSE: StorageRatio = StorageRatio {
        dram: 1.0,
        sram: 1.0,
    };
    /// DRAM bytes per on-chip byte of the same data.
    pub fn dram_per_sram(&self) -> f64 {
        self.dram / self.sram
    }
}

/// How sparsity changes one GEMM's cost (the identity for dense data).
#[derive(Debug, Clone, PartialEq)]
pub struct GemmSparsity {
    /// The GEMM the array actually runs: K shrunk by structured sparsity and skipping.
    pub compute_gemm: GemmView,
    /// Activation (A) operand storage.
    pub a: StorageRatio,
    /// Weight (B) operand storage.
    pub b: StorageRatio,
    /// Output (C) storage.
    pub c: StorageRatio,
    /// Fraction of the dense MAC energy spent.
    pub mac_energy_fraction: f64,
    /// Short names of the features that changed the cost (`2:4 structured`, ...).
    pub features: Vec<String>,
    /// What the arch exploits, in words.
    pub exploited: Vec<String>,
    /// Sparsity present but not exploited, and why.
    pub not_exploited: Vec<String>,
}

impl GemmSparsity {
    /// No change to `g`'s dense cost.
    pub fn dense(g: GemmView) -> GemmSparsity {
        GemmSparsity {
            compute_gemm: g,
            a: StorageRatio::DENSE,
            b: StorageRatio::DENSE,
            c: StorageRatio::DENSE,
            mac_energy_fraction: 1.0,
            features: Vec::new(),
            exploited: Vec::new(),
            not_exploited: Vec::new(),
        }
    }

    /// True when nothing changes.
    pub fn is_identity(&self, g: GemmView) -> bool {
        self.compute_gemm == g
            && [self.a, self.b, self.c] == [StorageRatio::DENSE; 3]
            && self.mac_energy_fraction == 1.0
    }
}

/// Bytes of a vector op's inputs and output at each level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VectorIo {
    /// Inputs, DRAM bytes.
    pub in_dram: f64,
    /// Inputs, on-chip bytes.
    pub in_sram: f64,
    /// Output, DRAM bytes.
    pub out_dram: f64,
    /// Output, on-chip bytes.
    pub out_sram: f64,
}

impl VectorIo {
    /// Dense bytes of the op's tensors.
    pub fn dense(op: &Op, w: &Workload) -> VectorIo {
        let in_bytes: f64 = op.inputs.iter().map(|&t| w.tensors[t].bytes() as f64).sum();
        let out_bytes = w.tensors[op.output].bytes() as f64;
        VectorIo {
            in_dram: in_bytes,
            in_sram: in_bytes,
            out_dram: out_bytes,
            out_sram: out_bytes,
        }
    }
}

/// Per-op record of the sparsity seen and what it bought, for reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SparsityEffect {
    /// Density of the activation (first) input, if declared or measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub density_activations: Option<f64>,
    /// Density of the weight (second) operand, if declared or measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub density_weights: Option<f64>,
    /// N:M pattern of the weight operand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern_weights: Option<NmPattern>,
    /// Density of the output, if declared or measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub density_output: Option<f64>,
    /// `functional` when the densities above were measured on the values functional
    /// execution computed (absent: declared in the workload, or measured at import).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub density_source: Option<SparsitySource>,
    /// Sparsity the workload declared that functional execution measured otherwise, and
    /// the figures that replaced it, in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replaced: Vec<String>,
    /// Short names of the features that changed the cost (`2:4 structured`,
    /// `zero skipping`, `zero gating`, `compressed`).
    pub features: Vec<String>,
    /// What each feature did, in words.
    pub exploited: Vec<String>,
    /// Sparsity the arch could not use, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_exploited: Vec<String>,
    /// Compute cycles of the same op on dense data.
    pub dense_compute_cycles: u64,
    /// dense / sparse compute cycles.
    pub compute_speedup: f64,
    /// Dense-equivalent peak multiplier of the array on this op (dense K / issued K);
    /// reports scale the op's peak by it, as "sparse TOPS" figures do.
    pub peak_multiplier: f64,
    /// Fraction of the dense MAC energy spent.
    pub mac_energy_fraction: f64,
    /// DRAM bytes of the same op on dense data.
    pub dense_dram_bytes: f64,
    /// DRAM bytes saved.
    pub dram_bytes_saved: f64,
    /// On-chip buffer bytes saved.
    pub sram_bytes_saved: f64,
    /// Dynamic energy of the same op on dense data, pJ.
    pub dense_dynamic_energy_pj: f64,
    /// Dynamic energy saved, pJ (static energy follows the schedule's time).
    pub energy_saved_pj: f64,
}

fn sparsity_of(t: Option<&Tensor>) -> Option<TensorSparsity> {
    t.and_then(|t| t.sparsity)
}

/// The A (first input), B (weight or second input) and C (output) tensors of a compute op.
fn gemm_tensors<'w>(op: &Op, w: &'w Workload) -> [Option<&'w Tensor>; 3] {
    [
        op.inputs.first().map(|&t| &w.tensors[t]),
        op.weight
            .or_else(|| op.inputs.get(1).copied())
            .map(|t| &w.tensors[t]),
        Some(&w.tensors[op.output]),
    ]
}

fn role_operand(t: &Tensor) -> Operand {
    if t.role == TensorRole::Weight {
        Operand::Weights
    } else {
        Operand::Activations
    }
}

fn fmt_density(d: f64) -> String {
    format!("{:.3}", d)
}

/// Storage ratio of a tensor under the arch's compression (structured handled by caller).
fn compressed_ratio(
    support: &SparsitySupport,
    t: &Tensor,
    value_format: Format,
    notes: &mut Vec<String>,
    features: &mut Vec<String>,
) -> StorageRatio {
    let (Some(c), Some(s)) = (&support.compression, t.sparsity) else {
        return StorageRatio::DENSE;
    };
    if !c.operands.contains(&role_operand(t)) {
        return StorageRatio::DENSE;
    }
    let bits = value_format.storage_bits();
    let row = t.shape.last().copied().unwrap_or(1);
    let level = |f: &Option<crate::arch::sparsity::StorageFormat>| -> f64 {
        match f {
            None => 1.0,
            Some(f) => {
                let r = storage::ratio(f, s.density, bits, row);
                if c.dense_fallback {
                    r.min(1.0)
                } else {
                    r
                }
            }
        }
    };
    let r = StorageRatio {
        dram: level(&c.dram),
        sram: level(&c.sram),
    };
    if r != StorageRatio::DENSE {
        if !features.iter().any(|f| f == "compressed") {
            features.push("compressed".into());
        }
        notes.push(format!(
            "compressed '{}' (density {}): DRAM ×{:.3}, SRAM ×{:.3}",
            t.name,
            fmt_density(s.density),
            r.dram,
            r.sram
        ));
    }
    r
}

/// The structured pattern the arch applies to this op, if any: (hardware pattern, operand).
fn structured_choice<'a>(
    support: &'a SparsitySupport,
    op: &Op,
    g: GemmView,
    mac_format: Format,
    sp: [Option<TensorSparsity>; 2],
    not_exploited: &mut Vec<String>,
) -> Option<(&'a StructuredPattern, Operand)> {
    let st = support.structured.as_ref();
    for (i, s) in sp.iter().enumerate() {
        let Some(tp) = s.and_then(|s| s.pattern) else {
            continue;
        };
        let operand = if i == 0 {
            Operand::Activations
        } else {
            Operand::Weights
        };
        let Some(st) = st else {
            not_exploited.push(format!(
                "{} are {tp}: the architecture has no structured-sparsity support",
                operand.name()
            ));
            continue;
        };
        if st.operand != operand {
            not_exploited.push(format!(
                "{} are {tp}: the array's structured sparsity applies to {}",
                operand.name(),
                st.operand.name()
            ));
            continue;
        }
        if !st.formats.is_empty() && !st.formats.contains(&mac_format) {
            let f: Vec<String> = st.formats.iter().map(|f| f.name()).collect();
            not_exploited.push(format!(
                "{} are {tp}: sparse {mac_format} MACs are not supported (sparse formats: {})",
                operand.name(),
                f.join(", ")
            ));
            continue;
        }
        let best = st
            .patterns
            .iter()
            .filter(|hp| tp.implies(&NmPattern { n: hp.n, m: hp.m }))
            .max_by(|a, b| a.speedup().total_cmp(&b.speedup()));
        let Some(hp) = best else {
            let list: Vec<String> = st
                .patterns
                .iter()
                .map(|p| format!("{}:{}", p.n, p.m))
                .collect();
            not_exploited.push(format!(
                "{} are {tp}, which implies none of the supported patterns ({})",
                operand.name(),
                list.join(", ")
            ));
            continue;
        };
        let (axis, _) = gemm_reduction_split(op).unwrap_or((g.k, 1));
        if axis < hp.m as u64 {
            not_exploited.push(format!(
                "{} are {tp} but the reduction axis has {axis} elements, fewer than a group of {}",
                operand.name(),
                hp.m
            ));
            continue;
        }
        return Some((hp, operand));
    }
    None
}

/// The compressed-storage ratios of a GEMM's operands (A and B unless stored structured;
/// C always) under the arch's compression.
fn compressed_storage(
    out: &mut GemmSparsity,
    support: &SparsitySupport,
    op: &Op,
    [ta, tb, tc]: [Option<&Tensor>; 3],
) {
    let formats = [
        op.precision.activations,
        op.precision.weights,
        op.precision.output,
    ];
    if out.a == StorageRatio::DENSE {
        if let Some(t) = ta {
            out.a = compressed_ratio(
                support,
                t,
                formats[0],
                &mut out.exploited,
                &mut out.features,
            );
        }
    }
    if out.b == StorageRatio::DENSE {
        if let Some(t) = tb {
            out.b = compressed_ratio(
                support,
                t,
                formats[1],
                &mut out.exploited,
                &mut out.features,
            );
        }
    }
    if let Some(t) = tc {
        out.c = compressed_ratio(
            support,
            t,
            formats[2],
            &mut out.exploited,
            &mut out.features,
        );
    }
}

/// How the arch's sparsity features change a compute op's GEMM `g`, given the op's
/// tensors' sparsity. `mac_format` is the format the array computes in.
pub fn plan_gemm(
    op: &Op,
    g: GemmView,
    w: &Workload,
    arch: &Arch,
    mac_format: Format,
) -> GemmSparsity {
    let [ta, tb, tc] = gemm_tensors(op, w);
    let (sa, sb) = (sparsity_of(ta), sparsity_of(tb));
    let mut out = GemmSparsity::dense(g);
    let Some(support) = &arch.sparsity else {
        if [sa, sb, sparsity_of(tc)]
            .iter()
            .any(|s| s.is_some_and(|s| s.density < 1.0))
        {
            out.not_exploited.push(format!(
                "the architecture '{}' has no sparsity support",
                arch.name
            ));
        }
        return out;
    };
    // Densities per operand port: [activations (A), weights (B)].
    let mut dens = [sa.map_or(1.0, |s| s.density), sb.map_or(1.0, |s| s.density)];
    let port = |o: Operand| usize::from(o == Operand::Weights);

    // Structured N:M.
    let mut k_struct = g.k;
    let mut issued = 1.0;
    if let Some((hp, operand)) =
        structured_choice(support, op, g, mac_format, [sa, sb], &mut out.not_exploited)
    {
        let kept = hp.n as f64 / hp.m as f64;
        let (axis, window) = gemm_reduction_split(op).unwrap_or((g.k, 1));
        let groups = axis.div_ceil(hp.m as u64);
        let per_window = ((groups * hp.m as u64) as f64 / hp.speedup()).ceil() as u64;
        k_struct = window.saturating_mul(per_window).clamp(1, g.k);
        issued = kept;
        let i = port(operand);
        dens[i] = (dens[i] / kept).min(1.0);
        let (t, f) = if operand == Operand::Weights {
            (tb, op.precision.weights)
        } else {
            (ta, op.precision.activations)
        };
        let r = storage::structured_ratio(hp.n, hp.m, f.storage_bits(), hp.metadata_bits());
        let ratio = StorageRatio { dram: r, sram: r };
        if operand == Operand::Weights {
            out.b = ratio;
        } else {
            out.a = ratio;
        }
        out.features.push(format!("{}:{} structured", hp.n, hp.m));
        out.exploited.push(format!(
            "structured {}:{} on {} '{}': ×{} reduction throughput, stored ×{:.3} with {} metadata bits per kept value",
            hp.n,
            hp.m,
            operand.name(),
            t.map(|t| t.name.as_str()).unwrap_or("?"),
            hp.speedup(),
            r,
            hp.metadata_bits()
        ));
    }

    // Zero skipping.
    let mut work = 1.0;
    let mut exec = 1.0;
    if let Some(z) = &support.zero_skipping {
        let d_s: f64 = z.operands.iter().map(|&o| dens[port(o)]).product();
        if d_s < 1.0 {
            let lockstep = imbalance::lockstep_work_fraction(d_s, z.sync_lanes, z.sync_block);
            work = 1.0 - z.skip_efficiency * (1.0 - lockstep);
            exec = 1.0 - z.skip_efficiency * (1.0 - d_s);
            let names: Vec<&str> = z.operands.iter().map(|o| o.name()).collect();
            out.features.push("zero skipping".into());
            out.exploited.push(format!(
                "zero skipping on {} (density {}): reduction work ×{:.3}, MACs executed ×{:.3}",
                names.join(" × "),
                fmt_density(d_s),
                work,
                exec
            ));
        }
    }
    let k_eff = if work < 1.0 {
        ((k_struct as f64 * work).ceil() as u64).max(1)
    } else {
        k_struct
    };
    out.compute_gemm = GemmView { k: k_eff, ..g };

    // Zero gating.
    let mut gate = 1.0;
    if let Some(zg) = &support.zero_gating {
        let d_g: f64 = zg.operands.iter().map(|&o| dens[port(o)]).product();
        if d_g < 1.0 {
            gate = d_g + zg.residual_energy_fraction * (1.0 - d_g);
            let names: Vec<&str> = zg.operands.iter().map(|o| o.name()).collect();
            out.features.push("zero gating".into());
            out.exploited.push(format!(
                "zero gating on {} (density {}): MAC energy ×{:.3}",
                names.join(" × "),
                fmt_density(d_g),
                gate
            ));
        }
    }
    out.mac_energy_fraction = issued * exec * gate;

    // Compressed storage of the operands not stored structured.
    compressed_storage(&mut out, support, op, [ta, tb, tc]);
    if out.is_identity(g)
        && out.not_exploited.is_empty()
        && [sa, sb, sparsity_of(tc)]
            .iter()
            .any(|s| s.is_some_and(|s| s.density < 1.0))
    {
        out.not_exploited.push(
            "no sparsity feature of the architecture applies to this op's sparse tensors".into(),
        );
    }
    out
}

/// Bytes of a vector op's tensors under the arch's compression.
pub fn plan_vector(op: &Op, w: &Workload, arch: &Arch) -> (VectorIo, Vec<String>) {
    let mut io = VectorIo::dense(op, w);
    let mut notes = Vec::new();
    let mut features = Vec::new();
    let Some(support) = &arch.sparsity else {
        return (io, notes);
    };
    let mut in_dram = 0.0;
    let mut in_sram = 0.0;
    for &t in &op.inputs {
        let t = &w.tensors[t];
        let r = compressed_ratio(support, t, t.format, &mut notes, &mut features);
        in_dram += t.bytes() as f64 * r.dram;
        in_sram += t.bytes() as f64 * r.sram;
    }
    let out = &w.tensors[op.output];
    let r = compressed_ratio(support, out, out.format, &mut notes, &mut features);
    if !notes.is_empty() {
        io = VectorIo {
            in_dram,
            in_sram,
            out_dram: out.bytes() as f64 * r.dram,
            out_sram: out.bytes() as f64 * r.sram,
        };
    }
    (io, notes)
}

fn any_sparse(tensors: &[Option<&Tensor>]) -> bool {
    tensors
        .iter()
        .any(|t| t.is_some_and(|t| t.sparsity.is_some()))
}

fn dynamic(e: &OpEnergy) -> f64 {
    e.dynamic_pj()
}

fn figures(density: f64, pattern: Option<NmPattern>) -> String {
    match pattern {
        Some(p) => format!("density {} ({p})", fmt_density(density)),
        None => format!("density {}", fmt_density(density)),
    }
}

/// Where an op's densities come from (`Functional` when functional execution measured any
/// of them), and the declarations that measurement replaced, once per tensor.
fn provenance(tensors: &[Option<&Tensor>]) -> (Option<SparsitySource>, Vec<String>) {
    let mut source = None;
    let mut replaced = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for t in tensors.iter().flatten() {
        let Some(s) = t.sparsity else { continue };
        if s.source == SparsitySource::Functional {
            source = Some(SparsitySource::Functional);
        }
        let Some(old) = s.replaces else { continue };
        if seen.contains(&t.name.as_str()) {
            continue;
        }
        seen.push(&t.name);
        replaced.push(format!(
            "'{}': {} {} replaced by {} {}",
            t.name,
            old.source.describe(),
            figures(old.density, old.pattern),
            figures(s.density, s.pattern),
            s.source.describe()
        ));
    }
    (source, replaced)
}

#[allow(clippy::too_many_arguments)]
fn effect(
    tensors: &[Option<&Tensor>],
    densities: [Option<f64>; 3],
    pattern_weights: Option<NmPattern>,
    features: Vec<String>,
    exploited: Vec<String>,
    not_exploited: Vec<String>,
    peak_multiplier: f64,
    mac_energy_fraction: f64,
    dense: &OpCost,
    sparse: &OpCost,
) -> SparsityEffect {
    let (density_source, replaced) = provenance(tensors);
    SparsityEffect {
        density_activations: densities[0],
        density_weights: densities[1],
        pattern_weights,
        density_output: densities[2],
        density_source,
        replaced,
        features,
        exploited,
        not_exploited,
        dense_compute_cycles: dense.compute_cycles,
        compute_speedup: if sparse.compute_cycles > 0 {
            dense.compute_cycles as f64 / sparse.compute_cycles as f64
        } else {
            1.0
        },
        peak_multiplier,
        mac_energy_fraction,
        dense_dram_bytes: dense.traffic.dram_bytes(),
        dram_bytes_saved: dense.traffic.dram_bytes() - sparse.traffic.dram_bytes(),
        sram_bytes_saved: dense.traffic.sram_bytes() - sparse.traffic.sram_bytes(),
        dense_dynamic_energy_pj: dynamic(&dense.energy),
        energy_saved_pj: dynamic(&dense.energy) - dynamic(&sparse.energy),
    }
}

/// The compute-op hook: given the op's dense cost, plans its sparsity and, when anything
/// changes, recosts it with `recost` (the model's GEMM costing under a [`GemmSparsity`]).
/// Ops with no sparse tensor return `dense` untouched; ops with sparse tensors carry a
/// [`SparsityEffect`] (speedup 1 and nothing saved when the arch cannot exploit them).
pub fn apply_gemm(
    op: &Op,
    g: GemmView,
    w: &Workload,
    arch: &Arch,
    dense: OpCost,
    recost: impl FnOnce(&GemmSparsity) -> InputResult<OpCost>,
) -> InputResult<OpCost> {
    let tensors = gemm_tensors(op, w);
    let Some(mac) = &dense.mac else {
        return Ok(dense);
    };
    if !any_sparse(&tensors) {
        return Ok(dense);
    }
    let sp = plan_gemm(op, g, w, arch, mac.format);
    let mut sparse = if sp.is_identity(g) {
        dense.clone()
    } else {
        recost(&sp)?
    };
    let densities = tensors.map(|t| sparsity_of(t).map(|s| s.density));
    let peak_multiplier = g.k as f64 / sp.compute_gemm.k.max(1) as f64;
    sparse.sparsity = Some(effect(
        &tensors,
        densities,
        sparsity_of(tensors[1]).and_then(|s| s.pattern),
        sp.features,
        sp.exploited,
        sp.not_exploited,
        peak_multiplier,
        sp.mac_energy_fraction,
        &dense,
        &sparse,
    ));
    Ok(sparse)
}

/// The vector-op hook: like [`apply_gemm`] for compressed inputs and outputs.
pub fn apply_vector(
    op: &Op,
    w: &Workload,
    arch: &Arch,
    dense: OpCost,
    recost: impl FnOnce(&VectorIo) -> OpCost,
) -> OpCost {
    let ins: Vec<Option<&Tensor>> = op
        .inputs
        .iter()
        .map(|&t| Some(&w.tensors[t]))
        .chain(std::iter::once(Some(&w.tensors[op.output])))
        .collect();
    if !any_sparse(&ins) {
        return dense;
    }
    let (io, notes) = plan_vector(op, w, arch);
    let mut sparse = if notes.is_empty() {
        dense.clone()
    } else {
        recost(&io)
    };
    let mut not_exploited = Vec::new();
    if notes.is_empty()
        && ins
            .iter()
            .any(|t| t.is_some_and(|t| t.sparsity.is_some_and(|s| s.density < 1.0)))
    {
        not_exploited.push(match &arch.sparsity {
            None => format!("the architecture '{}' has no sparsity support", arch.name),
            Some(_) => "the architecture stores these tensors dense".to_string(),
        });
    }
    let densities = [
        op.inputs
            .first()
            .and_then(|&t| w.tensors[t].sparsity.map(|s| s.density)),
        None,
        w.tensors[op.output].sparsity.map(|s| s.density),
    ];
    let features = if notes.is_empty() {
        Vec::new()
    } else {
        vec!["compressed".to_string()]
    };
    sparse.sparsity = Some(effect(
        &ins,
        densities,
        None,
        features,
        notes,
        not_exploited,
        1.0,
        1.0,
        &dense,
        &sparse,
    ));
    sparse
}
