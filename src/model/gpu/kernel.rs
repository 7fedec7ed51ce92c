//! The GPU GEMM kernel model: a pure function of the GEMM shape and the machine.
//!
//! For a CTA tile `bm × bn` with K slice `bk` (= `cta_k_bytes` / operand bytes):
//!
//! - occupancy `occ` = min(max CTAs per SM, ⌊shared memory / (stages·(bm·a + bn·b)·bk)⌋,
//!   ⌊register file / 2 / (bm·bn·acc)⌋); the tile is not a candidate when `occ` is 0;
//! - tiles `t = count·⌈M/bm⌉·⌈N/bn⌉·s` for split-K `s` (tried only when the tiles without
//!   split do not fill the SMs), each covering `kc = ⌈⌈K/s⌉/bk⌉·bk` of the reduction;
//! - waves `w = ⌈t / (SMs·occ)⌉` — the last partial wave costs a full tile time;
//! - tile time `= max(bm·bn·kc / (R·σ/occ · η), 2·(bm·a + bn·b)·kc / (B_smem/occ)) + t_fix`
//!   with R the SM's MACs per cycle in the format, η the library efficiency, σ the
//!   reduction speedup of sparse data (2 for 2:4 weights on sparse tensor cores, 1 dense)
//!   and B_smem the shared-memory bytes per cycle (operands written by the copy engine,
//!   read by the tensor cores);
//! - L2 traffic = `t·(bm·a + bn·b)·kc / multicast` + outputs (+ split-K partial sums
//!   written and read back);
//! - sparse storage ([`GemmShape::storage`]) scales each operand's bytes per element: `a`,
//!   `b` and `c` above are the stored bytes on chip (e.g. 2:4 fp16 weights: half the values
//!   plus 2 metadata bits each, 0.5625 × 2 bytes), and HBM traffic uses the stored bytes in
//!   DRAM. The K slice `bk` and the register tile are those of the dense element size;
//! - device cycles `= launch + max(w · tile time, L2 bytes / B_L2)`, and the op is also
//!   bounded by HBM bytes / B_HBM (applied by the scheduler through the op's DRAM traffic).
//!
//! The candidate (tile, split) with the lowest `max(device, HBM)` cycles wins; ties go to
//! less L2 traffic, then to the earlier tile in the list.

use serde::Serialize;

use super::traffic;
use crate::model::sparsity::StorageRatio;

/// Machine and format parameters of the kernel model (all per-cycle figures at the core
/// clock).
#[derive(Debug, Clone, PartialEq)]
pub struct GpuParams {
    /// Streaming multiprocessors (the arch's cores).
    pub sms: u64,
    /// Tensor-core MACs per SM per cycle in this format (peak).
    pub macs_per_sm_per_cycle: f64,
    /// Fraction of the peak the library's main loop sustains (0, 1].
    pub efficiency: f64,
    /// CTA tile candidates `[rows, cols]`.
    pub cta_tiles: Vec<[u64; 2]>,
    /// Bytes of each operand's K slice per stage.
    pub cta_k_bytes: u64,
    /// Pipeline stages in shared memory.
    pub pipeline_stages: u32,
    /// Upper bound on resident CTAs per SM.
    pub max_ctas_per_sm: u32,
    /// Register file bytes per SM.
    pub register_file_bytes: f64,
    /// Shared-memory capacity per SM, bytes.
    pub smem_bytes: f64,
    /// Shared-memory bandwidth per SM, bytes per cycle.
    pub smem_bytes_per_cycle: f64,
    /// L2 capacity, bytes (0: no L2).
    pub l2_bytes: f64,
    /// L2 bandwidth of the whole chip, bytes per cycle (infinite: no L2 bound).
    pub l2_bytes_per_cycle: f64,
    /// Operand multicast factor within a thread-block cluster (≥ 1).
    pub cluster_multicast: f64,
    /// HBM bandwidth, bytes per cycle.
    pub hbm_bytes_per_cycle: f64,
    /// Largest split-K.
    pub max_split_k: u32,
    /// Fixed cycles per tile.
    pub tile_overhead_cycles: f64,
    /// Kernel launch latency, cycles.
    pub launch_latency_cycles: f64,
}

/// A GEMM `count × (M × K) · (K × N)` with element sizes in bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GemmShape {
    /// Independent GEMMs (batch × groups).
    pub count: u64,
    /// Output rows.
    pub m: u64,
    /// Output columns.
    pub n: u64,
    /// Reduction depth.
    pub k: u64,
    /// Bytes per A element (activations).
    pub a_bytes: f64,
    /// Bytes per B element (weights).
    pub b_bytes: f64,
    /// Bytes per output element.
    pub c_bytes: f64,
    /// Bytes per accumulator element.
    pub acc_bytes: f64,
    /// Unique A bytes in DRAM over the GEMM's A view (< 1 for convolutions, whose im2col
    /// view repeats input pixels).
    pub a_unique_ratio: f64,
    /// Stored over dense bytes of A, B and C (sparse data: N:M kept values plus metadata, or
    /// a compressed format); `dram` scales HBM bytes, `sram` L2 and shared-memory bytes.
    /// [`StorageRatio::DENSE`] for dense data.
    pub storage: [StorageRatio; 3],
    /// Tensor-core throughput multiplier along the reduction: the dense K over the K the
    /// tensor cores issue (2 for 2:4 structured weights on sparse tensor cores); 1 dense.
    pub reduction_speedup: f64,
}

impl GemmShape {
    /// A dense GEMM (no sparse storage, no reduction speedup).
    #[allow(clippy::too_many_arguments)]
    pub fn dense(
        count: u64,
        m: u64,
        n: u64,
        k: u64,
        a_bytes: f64,
        b_bytes: f64,
        c_bytes: f64,
        acc_bytes: f64,
    ) -> GemmShape {
        GemmShape {
            count,
            m,
            n,
            k,
            a_bytes,
            b_bytes,
            c_bytes,
            acc_bytes,
            a_unique_ratio: 1.0,
            storage: [StorageRatio::DENSE; 3],
            reduction_speedup: 1.0,
        }
    }

    /// Stored bytes per A, B and C element on chip (L2, shared memory).
    pub fn chip_bytes(&self) -> [f64; 3] {
        [
            self.a_bytes * self.storage[0].sram,
            self.b_bytes * self.storage[1].sram,
            self.c_bytes * self.storage[2].sram,
        ]
    }

    /// Useful MACs.
    pub fn macs(&self) -> f64 {
        self.count as f64 * self.m as f64 * self.n as f64 * self.k as f64
    }
}

/// What limits a GPU kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GpuBound {
    /// Tensor-core main loop.
    Compute,
    /// Shared-memory operand bandwidth.
    SharedMemory,
    /// L2 bandwidth.
    L2,
    /// HBM bandwidth.
    Hbm,
    /// Kernel launch latency (tiny kernels).
    Launch,
}

/// The chosen schedule of one GEMM kernel and its costs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GpuCost {
    /// CTA tile `[rows, cols, k slice]`.
    pub cta: [u64; 3],
    /// Split-K factor.
    pub split_k: u64,
    /// CTAs launched.
    pub ctas: u64,
    /// CTAs resident per SM.
    pub ctas_per_sm: u64,
    /// Waves of CTAs (last one possibly partial, costed in full).
    pub waves: u64,
    /// SMs that receive work.
    pub sms_used: u64,
    /// Cycles of one tile (main loop or shared-memory bound, plus the fixed overhead).
    pub tile_cycles: f64,
    /// Device cycles: launch + max(waves × tile, L2 bound).
    pub device_cycles: u64,
    /// HBM-bound cycles (bytes / bandwidth); the op's time is max(device, this).
    pub hbm_cycles: u64,
    /// HBM bytes read.
    pub hbm_read_bytes: f64,
    /// HBM bytes written.
    pub hbm_write_bytes: f64,
    /// L2 → SM (and output/partial-sum) bytes.
    pub l2_bytes: f64,
    /// Shared-memory bytes (written by copies, read by the tensor cores, epilogue staging).
    pub smem_bytes: f64,
    /// SM-cycles of tensor-core main loop summed over CTAs (energy of active SMs).
    pub active_sm_cycles: f64,
    /// Tensor-core cycles of one tile's main loop (`bm·bn·kc / (R·σ/occ·η)`, before the
    /// shared-memory bound and the fixed overhead).
    pub mma_cycles: f64,
    /// Useful MACs over MAC slots of the launched tiles.
    pub mapping_efficiency: f64,
    /// Dominant limit.
    pub bound: GpuBound,
}

impl GpuCost {
    /// Cycles of the op ignoring host overhead: max(device, HBM).
    pub fn cycles(&self) -> u64 {
        self.device_cycles.max(self.hbm_cycles)
    }
}

/// Costs one GEMM kernel: tries every tile candidate and split-K, returns the fastest.
/// Returns None when no tile fits in shared memory and registers.
pub fn gemm_cost(g: &GemmShape, p: &GpuParams) -> Option<GpuCost> {
    let mut best: Option<(f64, f64, GpuCost)> = None;
    let elem = g.a_bytes.max(g.b_bytes).max(1.0 / 8.0);
    let bk = ((p.cta_k_bytes as f64 / elem).floor() as u64).max(1);
    for &[bm, bn] in &p.cta_tiles {
        let Some(occ) = occupancy(bm, bn, bk, g, p) else {
            continue;
        };
        let tiles = g
            .count
            .saturating_mul(g.m.div_ceil(bm))
            .saturating_mul(g.n.div_ceil(bn));
        let slots = p.sms.saturating_mul(occ).max(1);
        let k_slices = g.k.div_ceil(bk).max(1);
        let mut s = 1u64;
        loop {
            let c = candidate(g, p, bm, bn, bk, occ, s);
            let key = (c.cycles() as f64, c.l2_bytes);
            let better = match &best {
                None => true,
                Some((t, l2, _)) => key.0 < *t || (key.0 == *t && key.1 < *l2),
            };
            if better {
                best = Some((key.0, key.1, c));
            }
            s *= 2;
            if s > p.max_split_k as u64 || s > k_slices || tiles.saturating_mul(s / 2) >= slots {
                break;
            }
        }
    }
    best.map(|(_, _, c)| c)
}

/// The schedule a kernel was given — its CTA tile, K slice, CTAs per SM and split-K —
/// fixed when an op is planned and re-costed at another clock ([`pinned_kernel`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelChoice {
    cta: [u64; 3],
    ctas_per_sm: u64,
    split_k: u64,
    /// Chosen among the unconstrained fallback tile ([`fallback_params`]).
    fallback: bool,
}

/// The parameters of the fallback kernel used when no listed tile fits: one 16×16 tile per
/// SM with unbounded shared memory and registers.
fn fallback_params(p: &GpuParams) -> GpuParams {
    let mut q = p.clone();
    q.cta_tiles = vec![[16, 16]];
    q.max_ctas_per_sm = 1;
    q.smem_bytes = f64::INFINITY;
    q.register_file_bytes = f64::INFINITY;
    q
}

/// The fastest kernel of `g` on `p` ([`gemm_cost`]), or the fallback tile when no listed
/// tile fits (a tile always fits for sane arch files), with the choice made.
pub fn choose_kernel(g: &GemmShape, p: &GpuParams) -> (GpuCost, KernelChoice) {
    let (cost, fallback) = match gemm_cost(g, p) {
        Some(c) => (c, false),
        None => (
            gemm_cost(g, &fallback_params(p)).expect("an unconstrained 16x16 tile always fits"),
            true,
        ),
    };
    let choice = KernelChoice {
        cta: cost.cta,
        ctas_per_sm: cost.ctas_per_sm,
        split_k: cost.split_k,
        fallback,
    };
    (cost, choice)
}

/// The kernel `choice` (made on other parameters, e.g. another clock) costed on `p`: the
/// same figures [`gemm_cost`] computes for that tile and split-K.
pub fn pinned_kernel(g: &GemmShape, p: &GpuParams, choice: &KernelChoice) -> GpuCost {
    let [bm, bn, bk] = choice.cta;
    let (occ, s) = (choice.ctas_per_sm, choice.split_k);
    if choice.fallback {
        candidate(g, &fallback_params(p), bm, bn, bk, occ, s)
    } else {
        candidate(g, p, bm, bn, bk, occ, s)
    }
}

fn occupancy(bm: u64, bn: u64, bk: u64, g: &GemmShape, p: &GpuParams) -> Option<u64> {
    let [a, b, _] = g.chip_bytes();
    let smem_per_cta = p.pipeline_stages as f64 * (bm as f64 * a + bn as f64 * b) * bk as f64;
    let by_smem = (p.smem_bytes / smem_per_cta).floor();
    let by_rf = (p.register_file_bytes / 2.0 / (bm as f64 * bn as f64 * g.acc_bytes)).floor();
    let occ = by_smem.min(by_rf).min(p.max_ctas_per_sm as f64);
    (occ >= 1.0).then_some(occ as u64)
}

fn candidate(g: &GemmShape, p: &GpuParams, bm: u64, bn: u64, bk: u64, occ: u64, s: u64) -> GpuCost {
    let (tm, tn) = (g.m.div_ceil(bm), g.n.div_ceil(bn));
    let kc = g.k.div_ceil(s).div_ceil(bk) * bk;
    let ctas = g
        .count
        .saturating_mul(tm)
        .saturating_mul(tn)
        .saturating_mul(s);
    let slots = p.sms * occ;
    let waves = ctas.div_ceil(slots);
    let (bmf, bnf, kcf) = (bm as f64, bn as f64, kc as f64);
    let [a_chip, b_chip, c_chip] = g.chip_bytes();
    let per_sm_rate = p.macs_per_sm_per_cycle * g.reduction_speedup * p.efficiency / occ as f64;
    let mma = bmf * bnf * kcf / per_sm_rate;
    let operand_bytes = (bmf * a_chip + bnf * b_chip) * kcf;
    let smem_cycles = 2.0 * operand_bytes / (p.smem_bytes_per_cycle / occ as f64);
    let tile_cycles = mma.max(smem_cycles) + p.tile_overhead_cycles;
    let main = waves as f64 * tile_cycles;
    let out_bytes = g.count as f64 * g.m as f64 * g.n as f64 * c_chip;
    let partials = if s > 1 {
        2.0 * s as f64 * g.count as f64 * g.m as f64 * g.n as f64 * g.acc_bytes
    } else {
        0.0
    };
    let l2_bytes = ctas as f64 * operand_bytes / p.cluster_multicast + out_bytes + partials;
    let l2_cycles = if p.l2_bytes_per_cycle.is_finite() {
        l2_bytes / p.l2_bytes_per_cycle
    } else {
        0.0
    };
    let (hbm_read, hbm_write) = traffic::hbm_bytes(
        g,
        traffic::Schedule {
            bm,
            bn,
            split_k: s,
            concurrent_ctas: ctas.min(slots),
            l2_bytes: p.l2_bytes,
        },
    );
    let hbm_cycles = ((hbm_read + hbm_write) / p.hbm_bytes_per_cycle).ceil();
    let device = p.launch_latency_cycles + main.max(l2_cycles);
    let bound = if hbm_cycles > device {
        GpuBound::Hbm
    } else if l2_cycles > main {
        GpuBound::L2
    } else if p.launch_latency_cycles > main {
        GpuBound::Launch
    } else if smem_cycles > mma {
        GpuBound::SharedMemory
    } else {
        GpuBound::Compute
    };
    let slots_macs = ctas as f64 * bmf * bnf * kcf;
    GpuCost {
        cta: [bm, bn, bk],
        split_k: s,
        ctas,
        ctas_per_sm: occ,
        waves,
        sms_used: p.sms.min(ctas.div_ceil(occ)),
        tile_cycles,
        device_cycles: device.ceil() as u64,
        hbm_cycles: hbm_cycles as u64,
        hbm_read_bytes: hbm_read,
        hbm_write_bytes: hbm_write,
        l2_bytes,
        smem_bytes: 2.0 * ctas as f64 * operand_bytes + out_bytes,
        active_sm_cycles: slots_macs
            / (p.macs_per_sm_per_cycle * g.reduction_speedup * p.efficiency),
        mma_cycles: mma,
        mapping_efficiency: if slots_macs > 0.0 {
            g.macs() / slots_macs
        } else {
            0.0
        },
        bound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> GpuParams {
        GpuParams {
            sms: 4,
            macs_per_sm_per_cycle: 1024.0,
            efficiency: 1.0,
            cta_tiles: vec![[128, 128]],
            cta_k_bytes: 128,
            pipeline_stages: 2,
            max_ctas_per_sm: 1,
            register_file_bytes: 256.0 * 1024.0,
            smem_bytes: 228.0 * 1024.0,
            smem_bytes_per_cycle: 1e9,
            l2_bytes: 1e12,
            l2_bytes_per_cycle: f64::INFINITY,
            cluster_multicast: 1.0,
            hbm_bytes_per_cycle: 1e12,
            max_split_k: 1,
            tile_overhead_cycles: 0.0,
            launch_latency_cycles: 0.0,
        }
    }

    fn shape(m: u64, n: u64, k: u64) -> GemmShape {
        GemmShape::dense(1, m, n, k, 2.0, 2.0, 2.0, 4.0)
    }

    #[test]
    fn one_full_wave() {
        // 256×256 output = 4 tiles of 128×128 on 4 SMs: one wave of 128·128·64/1024 = 1024
        // cycles (K = 64 = one 128-byte slice of fp16).
        let c = gemm_cost(&shape(256, 256, 64), &params()).unwrap();
        assert_eq!((c.ctas, c.waves, c.cta), (4, 1, [128, 128, 64]));
        assert_eq!(c.device_cycles, 1024);
    }

    #[test]
    fn partial_wave_costs_a_full_tile() {
        // 5 tiles on 4 SMs: two waves.
        let c = gemm_cost(&shape(640, 128, 64), &params()).unwrap();
        assert_eq!((c.ctas, c.waves), (5, 2));
        assert_eq!(c.device_cycles, 2048);
    }
}
