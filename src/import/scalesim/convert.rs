//! SCALE-Sim config → [`Arch`], topology → [`WorkloadSpec`] / [`Workload`].
//!
//! Conventions (see `docs/scalesim.md`):
//! - SCALE-Sim counts every operand as one word of unspecified width: the import uses
//!   int8 (1-byte words) on an array whose only precision is int8 at 1 MAC/PE/cycle with an
//!   int32 accumulator, so SCALE-Sim's fold formulas apply unchanged.
//! - SCALE-Sim has no clock: 1 GHz is assumed, so `Bandwidth` words/cycle × 1 byte/word ×
//!   1 GHz = the same number in GB/s.
//! - Each layer becomes an independent op with its own graph input (SCALE-Sim simulates
//!   layers independently, and its topologies do not chain shapes).
//! - Conv output sizes follow SCALE-Sim's `ceil((ifmap − filt + stride) / stride)`. Where
//!   that differs from the usual `floor((ifmap − filt) / stride) + 1` (when `stride` does
//!   not divide `ifmap − filt`), the conv gets `stride − (ifmap − filt) mod stride` rows
//!   (columns) of zero padding at the bottom (right): exactly the positions SCALE-Sim's
//!   last window reads past the edge. The input tensor keeps SCALE-Sim's size.

use std::collections::BTreeMap;

use super::config::{InterfaceBandwidth, ScaleSimConfig};
use super::topology::{LayerDims, Topology, TopologyKind};
use crate::arch::{
    Arch, ArrayConfig, Buffer, CoreBuffers, Dram, EnergyConfig, Memory, PrecisionSupport,
    VectorUnit,
};
use crate::error::InputResult;
use crate::numerics::Format;
use crate::workload::{OpKind, OpSpec, PrecisionSpec, TensorSpec, Workload, WorkloadSpec};

/// The clock the import assumes (SCALE-Sim counts cycles only).
pub const ASSUMED_CLOCK_GHZ: f64 = 1.0;
/// Bytes per SCALE-Sim word (int8).
pub const BYTES_PER_WORD: f64 = 1.0;

/// Bytes per cycle each imported buffer can move: SCALE-Sim's SRAMs have no port limit, so
/// the import makes them wide enough never to limit the array under accelsim's traffic
/// model (array-side reads plus DRAM fills; int32 partial sums for the ofmap buffer).
pub fn buffer_bytes_per_cycle(rows: u64, cols: u64) -> [f64; 3] {
    let edge = (rows + cols) as f64;
    [4.0 * edge, 4.0 * edge, 16.0 * edge]
}

/// The architecture equivalent to a SCALE-Sim config. `source` names the config file in the
/// description and provenance notes.
pub fn to_arch(cfg: &ScaleSimConfig, source: &str) -> Arch {
    let (rows, cols) = (cfg.array_height, cfg.array_width);
    let bw_words = cfg.total_bandwidth_words_per_cycle();
    let bandwidth_gbps = bw_words as f64 * BYTES_PER_WORD * ASSUMED_CLOCK_GHZ;
    let [bpc_if, bpc_fi, bpc_of] = buffer_bytes_per_cycle(rows, cols);
    let banks = cfg.memory_banks as u32;
    let buffer = |kib: u64, bytes_per_cycle: f64| Buffer {
        capacity_kib: kib as f64,
        bytes_per_cycle,
        banks,
        energy_pj_per_64b: None,
        leakage_w: 0.0,
    };
    let name = if cfg.run_name.is_empty() {
        format!("scalesim_{rows}x{cols}_{}", cfg.dataflow.name())
    } else {
        cfg.run_name.clone()
    };
    let mode = match cfg.interface_bandwidth {
        InterfaceBandwidth::Calc => "CALC",
        InterfaceBandwidth::User => "USER",
    };
    let mut sources = BTreeMap::new();
    sources.insert(
        "array".to_string(),
        format!(
            "SCALE-Sim config {source}: ArrayHeight {rows}, ArrayWidth {cols}, Dataflow {}",
            cfg.dataflow.name()
        ),
    );
    sources.insert(
        "precisions".to_string(),
        "SCALE-Sim counts every operand as one word: int8 (1-byte words) at 1 MAC/PE/cycle"
            .to_string(),
    );
    sources.insert(
        "clock_ghz".to_string(),
        "assumption: SCALE-Sim has no clock; 1 GHz makes words/cycle equal GB/s".to_string(),
    );
    sources.insert(
        "memory.core_buffers".to_string(),
        format!(
            "SCALE-Sim config {source}: IfmapSramSzkB {}, FilterSramSzkB {}, OfmapSramSzkB {} \
             (KiB, double-buffered as in SCALE-Sim); bytes_per_cycle sized so the SRAMs never \
             limit the array (SCALE-Sim models no SRAM port limit)",
            cfg.ifmap_sram_kib, cfg.filter_sram_kib, cfg.ofmap_sram_kib
        ),
    );
    sources.insert(
        "memory.dram".to_string(),
        format!(
            "SCALE-Sim config {source}: Bandwidth {bw_words} words/cycle × 1 byte × 1 GHz \
             (InterfaceBandwidth {mode}; accelsim always applies the bandwidth)"
        ),
    );
    sources.insert(
        "vector_unit".to_string(),
        "assumption: SCALE-Sim has no vector unit; one lane per array column".to_string(),
    );
    sources.insert(
        "static_power_w".to_string(),
        "assumption: SCALE-Sim has no power model; 0 W static".to_string(),
    );
    Arch {
        sparsity: None,
        technology: None,
        idle_power: None,
        pe_level: None,
        power: None,
        name,
        description: Some(format!(
            "Imported from SCALE-Sim config {source}: {rows}x{cols} {} systolic array, \
             {}/{}/{} KiB ifmap/filter/ofmap SRAMs, {bw_words} words/cycle DRAM; int8 words, 1 GHz assumed.",
            cfg.dataflow.name(),
            cfg.ifmap_sram_kib,
            cfg.filter_sram_kib,
            cfg.ofmap_sram_kib
        )),
        clock_ghz: ASSUMED_CLOCK_GHZ,
        cores: 1,
        array: ArrayConfig::Systolic {
            rows,
            cols,
            dataflow: cfg.dataflow,
        },
        precisions: vec![PrecisionSupport {
            format: Format::INT8,
            macs_per_pe_per_cycle: 1.0,
            accumulator: Some(Format::INT32),
            gpu: None,
            accumulation: None,
        }],
        precision_fallback: false,
        vector_unit: VectorUnit {
            lanes: cols,
            ops_per_lane_per_cycle: 1.0,
        },
        memory: Memory {
            dram: Dram {
                bandwidth_gbps,
                latency_ns: 0.0,
                kind: None,
                energy_pj_per_bit: None,
                capacity_gib: None,
                background_w: 0.0,
            },
            global_buffer: None,
            core_buffers: CoreBuffers::Split {
                ifmap: buffer(cfg.ifmap_sram_kib, bpc_if),
                filter: buffer(cfg.filter_sram_kib, bpc_fi),
                ofmap: buffer(cfg.ofmap_sram_kib, bpc_of),
            },
            double_buffering: true,
            dma_engines_per_core: 1,
            layer_pipelining: true,
            mapping_objective: Default::default(),
        },
        static_power_w: 0.0,
        energy: EnergyConfig::default(),
        // SCALE-Sim models the array and its buffers only: no post-processing path.
        epilogue: None,
        sources,
    }
}

/// Zero rows (columns) to append at the bottom (right) so that the standard floor output
/// size equals SCALE-Sim's ceil convention: `(stride − (ifmap − filt) mod stride) mod stride`.
pub fn ceil_padding(ifmap: u64, filt: u64, stride: u64) -> u64 {
    let stride = stride.max(1);
    let r = ifmap.saturating_sub(filt) % stride;
    if r == 0 {
        0
    } else {
        stride - r
    }
}

/// The workload file equivalent to a SCALE-Sim topology: one int8 op per layer (conv2d or
/// matmul), each fed by its own graph input. `source` names the topology file.
pub fn to_workload_spec(topo: &Topology, source: &str) -> WorkloadSpec {
    let mut inputs = Vec::with_capacity(topo.layers.len());
    let mut ops = Vec::with_capacity(topo.layers.len());
    for l in &topo.layers {
        match l.dims {
            LayerDims::Conv(c) => {
                let ifmap = ("ifmap", vec![1, c.channels, c.ifmap_h, c.ifmap_w]);
                let mut op = layer_op(&mut inputs, &l.name, OpKind::Conv2d, ifmap, "ofmap");
                op.out_channels = Some(c.num_filt);
                op.kernel = Some([c.filt_h, c.filt_w]);
                op.stride = Some([c.stride_h, c.stride_w]);
                let pb = ceil_padding(c.ifmap_h, c.filt_h, c.stride_h);
                let pr = ceil_padding(c.ifmap_w, c.filt_w, c.stride_w);
                if pb > 0 || pr > 0 {
                    op.padding = Some(vec![0, 0, pb, pr]);
                }
                ops.push(op);
            }
            LayerDims::Gemm { m, n, k } => {
                let mut op = layer_op(&mut inputs, &l.name, OpKind::Matmul, ("a", vec![m, k]), "c");
                op.out_features = Some(n);
                ops.push(op);
            }
        }
    }
    let kind = match topo.kind {
        TopologyKind::Conv => "conv",
        TopologyKind::Gemm => "GEMM",
    };
    WorkloadSpec {
        name: topo.name.clone(),
        description: Some(format!(
            "Imported from SCALE-Sim {kind} topology {source}: one independent int8 op per layer \
             (1-byte words); conv output sizes follow SCALE-Sim's ceil((ifmap - filt + stride) / stride) \
             through zero padding at the bottom/right where it differs from floor."
        )),
        inputs,
        weights: Vec::new(),
        ops,
        outputs: Vec::new(),
        numerics: None,
        batch: None,
    }
}

/// The int8 op of `kind` of layer `layer` on a new graph input `{layer}.{name}` of shape
/// `shape` (`input`, appended to `inputs`), writing `{layer}.{output}`.
fn layer_op(
    inputs: &mut Vec<TensorSpec>,
    layer: &str,
    kind: OpKind,
    (name, shape): (&str, Vec<u64>),
    output: &str,
) -> OpSpec {
    let x = format!("{layer}.{name}");
    inputs.push(TensorSpec {
        sparsity: None,
        name: x.clone(),
        shape,
        format: Format::INT8,
        file: None,
    });
    let mut op = OpSpec::new(
        layer.to_string(),
        kind,
        vec![x],
        format!("{layer}.{output}"),
    );
    op.precision = Some(PrecisionSpec::Uniform(Format::INT8));
    op
}

/// The validated workload equivalent to a SCALE-Sim topology.
pub fn to_workload(topo: &Topology, source: &str) -> InputResult<Workload> {
    Workload::from_spec(to_workload_spec(topo, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceil_padding_reproduces_scalesim_output_size() {
        // SCALE-Sim's formula, written independently in floating point.
        let scalesim_ofmap = |i: u64, f: u64, s: u64| ((i - f + s) as f64 / s as f64).ceil() as u64;
        for ifmap in 1..40u64 {
            for filt in 1..=ifmap.min(9) {
                for stride in 1..5u64 {
                    let pad = ceil_padding(ifmap, filt, stride);
                    let floor_out = (ifmap + pad - filt) / stride + 1;
                    assert_eq!(floor_out, scalesim_ofmap(ifmap, filt, stride));
                    assert!(pad < stride);
                }
            }
        }
        // README example: 224, 7, stride 2 -> 110 needs one padded row.
        assert_eq!(ceil_padding(224, 7, 2), 1);
        assert_eq!((224 + 1 - 7) / 2 + 1, 110);
    }
}
