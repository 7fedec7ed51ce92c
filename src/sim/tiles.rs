//! Cutting one op into the steps the event engine schedules on one core.
//!
//! A compute op's per-core GEMM is walked in the loop order of its DRAM tiling
//! ([`crate::model::tiling::Tiling`]): instance groups, then the outer and inner output-tile
//! dimension, then `K` slices. Each step says how much of the op's A, B and C traffic it
//! moves (relative weights; the engine scales them to the op's DRAM bytes) and how many
//! ideal-memory cycles it computes:
//!
//! | reuse | outer, inner | A loaded | B loaded | C stored |
//! |---|---|---|---|---|
//! | `weights_resident` | n, m | every step | first m-tile of each n-tile | last K slice |
//! | `inputs_resident` | m, n | first n-tile of each m-tile | every step | last K slice |
//! | `output_stationary` | m, n | every step | every step | last K slice |
//! | `partial_sum_spill` | m, n | every step | every step | every K slice |
//!
//! Cycles: each step's GEMM block is costed by the array model
//! ([`crate::model::gemm_cycles_one_core`]) and the op's exact ideal-memory cycles are then split
//! in proportion by [`split_exact`], so the steps' cycles always sum to the op's
//! `compute_cycles` (fold-aligned blocks split it exactly as the array model would; blocks
//! that cut the streaming dimension, e.g. `M` under `ws`, keep the op's SCALE-Sim total).
//!
//! Step counts are kept between [`StepLimits::min`] (so loads overlap compute even for
//! ops whose tiling is a single tile) and [`StepLimits::max`] (so a huge op stays a few
//! dozen events). Merging takes `K` slices first, then the inner dimension, the outer one
//! and instances. Cutting (down to the array granule) takes the outer dimension first for
//! the resident schedules, so the resident panel is loaded one outer block at a time
//! alongside the compute, then the inner one and `K`; `K` first for output stationary.
//! Cutting or merging changes how the op's traffic is spread over steps, never its total:
//! the engine scales each operand's shares to the op's DRAM bytes from the model.

use crate::arch::Arch;
use crate::workload::GemmView;

use crate::model::tiling::Reuse;
use crate::model::{gemm_cycles_one_core, OpCost, Unit};

/// Bounds on the number of steps of one core's share of an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepLimits {
    /// Cut tiles further (down to the array's granule) until there are at least this many.
    pub min: u64,
    /// Merge tiles until there are at most this many.
    pub max: u64,
    /// Stop cutting before a step would last fewer cycles than this (estimated as the
    /// op's compute or DRAM time, whichever is longer, over the steps): a double-buffered
    /// step can only hide a transfer latency as long as itself. `None`: the arch's DRAM
    /// latency.
    pub min_step_cycles: Option<u64>,
}

impl Default for StepLimits {
    fn default() -> Self {
        StepLimits {
            min: 16,
            max: 64,
            min_step_cycles: None,
        }
    }
}

impl StepLimits {
    /// The shortest step worth cutting to on `arch`.
    pub fn min_step_cycles(&self, arch: &Arch) -> u64 {
        self.min_step_cycles
            .unwrap_or_else(|| (arch.memory.dram.latency_ns * arch.clock_ghz).ceil() as u64)
    }
}

/// Estimated cycles of one core's share of an op alone: its compute cycles or its DRAM
/// bytes at the full DRAM bandwidth, whichever is longer.
pub fn estimated_cycles(arch: &Arch, cost: &OpCost) -> u64 {
    let dram =
        cost.traffic.dram_bytes() / cost.cores_used.max(1) as f64 / arch.dram_bytes_per_cycle();
    cost.compute_cycles
        .max(dram.ceil().min(u64::MAX as f64) as u64)
}

/// One step of one core's share of an op.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Ideal-memory compute cycles of the step.
    pub cycles: u64,
    /// Relative share of the op's A (first input) DRAM traffic loaded before the step.
    pub a: f64,
    /// Relative share of the op's B (weight / second input) traffic loaded before it.
    pub b: f64,
    /// Relative share of the op's C (output) traffic stored after it.
    pub c: f64,
}

/// The steps of one core's share of an op.
#[derive(Debug, Clone, PartialEq)]
pub struct StepPlan {
    /// Steps in execution order.
    pub steps: Vec<Step>,
    /// `[instances, m, n, k]` of a full step (compute ops).
    pub block: Option<[u64; 4]>,
}

/// Splits `total` into parts proportional to `weights` whose sum is exactly `total`
/// (cumulative rounding: part i = ⌊total·Wᵢ/W⌋ − ⌊total·Wᵢ₋₁/W⌋ with Wᵢ the running sum).
/// All-zero weights split evenly.
pub fn split_exact(weights: &[u64], total: u64) -> Vec<u64> {
    let sum: u128 = weights.iter().map(|&w| w as u128).sum();
    let even = sum == 0;
    let sum = if even { weights.len() as u128 } else { sum };
    let mut out = Vec::with_capacity(weights.len());
    let mut cum: u128 = 0;
    let mut prev: u128 = 0;
    for &w in weights {
        cum += if even { 1 } else { w as u128 };
        let upto = (total as u128 * cum) / sum;
        out.push((upto - prev) as u64);
        prev = upto;
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dim {
    Inst,
    M,
    N,
    K,
}

/// Block sizes of the walk.
#[derive(Clone, Copy)]
struct Blocks {
    cg: u64,
    mt: u64,
    nt: u64,
    kt: u64,
}

impl Blocks {
    fn get(&self, d: Dim) -> u64 {
        match d {
            Dim::Inst => self.cg,
            Dim::M => self.mt,
            Dim::N => self.nt,
            Dim::K => self.kt,
        }
    }
    fn set(&mut self, d: Dim, v: u64) {
        match d {
            Dim::Inst => self.cg = v,
            Dim::M => self.mt = v,
            Dim::N => self.nt = v,
            Dim::K => self.kt = v,
        }
    }
    fn count(&self, g: &GemmView) -> u128 {
        g.count.div_ceil(self.cg) as u128
            * g.m.div_ceil(self.mt) as u128
            * g.n.div_ceil(self.nt) as u128
            * g.k.div_ceil(self.kt) as u128
    }
}

fn dim_of(g: &GemmView, d: Dim) -> u64 {
    match d {
        Dim::Inst => g.count,
        Dim::M => g.m,
        Dim::N => g.n,
        Dim::K => g.k,
    }
}

/// The granules blocks are aligned to along M, N and K (array rows/cols, reduction fold).
fn granules(arch: &Arch, macs_per_pe_per_cycle: f64) -> (u64, u64, u64) {
    let [m, n, k] = crate::model::array::of(&arch.array).granules(macs_per_pe_per_cycle);
    (m, n, k)
}

/// Steps of one core's share of a compute (array) op: its per-core GEMM walked in the
/// tiling's loop order. Returns `None` for ops without a GEMM plan (vector ops, views).
pub fn compute_steps(arch: &Arch, cost: &OpCost, limits: StepLimits) -> Option<StepPlan> {
    let (g, t, mac) = (cost.per_core_gemm?, cost.tiling?, cost.mac.as_ref()?);
    if g.count == 0 || g.m == 0 || g.n == 0 || g.k == 0 {
        return None;
    }
    let (ga, gb, gk) = granules(arch, mac.macs_per_pe_per_cycle);
    let mut b = Blocks {
        cg: 1,
        mt: t.mt.clamp(1, g.m),
        nt: t.nt.clamp(1, g.n),
        kt: t.kt.clamp(1, g.k),
    };
    let (outer, inner) = match t.reuse {
        Reuse::WeightsResident => (Dim::N, Dim::M),
        _ => (Dim::M, Dim::N),
    };
    let coarsen = [Dim::K, inner, outer, Dim::Inst];
    // Cutting the outer dimension first spreads the resident panel's loads over the op
    // (one panel per outer block) instead of loading it all before the first inner pass.
    let refine: [Dim; 3] = match t.reuse {
        Reuse::WeightsResident | Reuse::InputsResident => [outer, inner, Dim::K],
        _ => [Dim::K, inner, outer],
    };
    let max = limits.max.max(1) as u128;
    while b.count(&g) > max {
        let Some(&d) = coarsen.iter().find(|&&d| b.get(d) < dim_of(&g, d)) else {
            break;
        };
        b.set(d, b.get(d).saturating_mul(2).min(dim_of(&g, d)));
    }
    let min = limits.min.min(limits.max).max(1) as u128;
    let granule = |d: Dim| match d {
        Dim::M => ga,
        Dim::N => gb,
        Dim::K => gk,
        Dim::Inst => 1,
    };
    let span = estimated_cycles(arch, cost) as u128;
    let shortest = limits.min_step_cycles(arch).max(1) as u128;
    while b.count(&g) < min && span / (b.count(&g) * 2) >= shortest {
        let shrunk = refine.iter().find_map(|&d| {
            let cur = b.get(d);
            let gr = granule(d).max(1);
            let half = cur.div_ceil(2).div_ceil(gr) * gr;
            let mut cut = b;
            cut.set(d, half);
            (half < cur && cut.count(&g) <= max).then_some((d, half))
        });
        let Some((d, v)) = shrunk else { break };
        b.set(d, v);
    }
    // Even out the blocks (same count, sizes rounded up to the granule) so steps are alike
    // and no short step has to hide a long transfer.
    for d in [Dim::Inst, Dim::M, Dim::N, Dim::K] {
        let (full, gr) = (dim_of(&g, d), granule(d).max(1));
        let blocks = full.div_ceil(b.get(d));
        b.set(
            d,
            full.div_ceil(blocks)
                .div_ceil(gr)
                .saturating_mul(gr)
                .min(full),
        );
    }
    Some(walk(arch, &g, b, t.reuse, outer, mac, cost.compute_cycles))
}

fn walk(
    arch: &Arch,
    g: &GemmView,
    b: Blocks,
    reuse: Reuse,
    outer: Dim,
    mac: &crate::arch::MacMode,
    op_cycles: u64,
) -> StepPlan {
    let n_inst = g.count.div_ceil(b.cg);
    let (n_outer, n_inner) = if outer == Dim::N {
        (g.n.div_ceil(b.nt), g.m.div_ceil(b.mt))
    } else {
        (g.m.div_ceil(b.mt), g.n.div_ceil(b.nt))
    };
    let n_k = g.k.div_ceil(b.kt);
    let total = (n_inst * n_outer * n_inner * n_k) as usize;
    let size = |full: u64, blk: u64, idx: u64| (full - idx * blk).min(blk);
    // Array-model cycles depend only on whether each block is an edge block: memoise.
    let mut memo: [Option<u64>; 16] = [None; 16];
    let mut weights = Vec::with_capacity(total);
    let mut shares = Vec::with_capacity(total);
    for ii in 0..n_inst {
        let cg = size(g.count, b.cg, ii);
        for oi in 0..n_outer {
            for ni in 0..n_inner {
                let (mi, nj) = if outer == Dim::N { (ni, oi) } else { (oi, ni) };
                let (mt, nt) = (size(g.m, b.mt, mi), size(g.n, b.nt, nj));
                for ki in 0..n_k {
                    let kt = size(g.k, b.kt, ki);
                    let key = (cg != b.cg) as usize
                        | ((mt != b.mt) as usize) << 1
                        | ((nt != b.nt) as usize) << 2
                        | ((kt != b.kt) as usize) << 3;
                    let w = *memo[key].get_or_insert_with(|| {
                        let sub = GemmView {
                            count: cg,
                            m: mt,
                            n: nt,
                            k: kt,
                        };
                        gemm_cycles_one_core(arch, sub, mac)
                            .cycles()
                            .saturating_add(1)
                    });
                    weights.push(w);
                    let a_el = (cg * mt * kt) as f64;
                    let b_el = (cg * kt * nt) as f64;
                    let c_el = (cg * mt * nt) as f64;
                    let last_k = ki + 1 == n_k;
                    let (a, bb, c) = match reuse {
                        Reuse::WeightsResident => (
                            a_el,
                            if ni == 0 { b_el } else { 0.0 },
                            c_el * last_k as u8 as f64,
                        ),
                        Reuse::InputsResident => (
                            if ni == 0 { a_el } else { 0.0 },
                            b_el,
                            c_el * last_k as u8 as f64,
                        ),
                        Reuse::OutputStationary => (a_el, b_el, c_el * last_k as u8 as f64),
                        Reuse::PartialSumSpill => (a_el, b_el, c_el),
                    };
                    shares.push((a, bb, c));
                }
            }
        }
    }
    let cycles = split_exact(&weights, op_cycles);
    StepPlan {
        steps: cycles
            .into_iter()
            .zip(shares)
            .map(|(cycles, (a, b, c))| Step { cycles, a, b, c })
            .collect(),
        block: Some([b.cg, b.mt, b.nt, b.kt]),
    }
}

/// Steps of one core's share of a vector op: `bytes_per_core` (inputs + output) streamed
/// in equal chunks of at most `usable_bytes`, between the limits' bounds, never more steps
/// than compute cycles and none shorter than the limits' shortest step unless the buffer
/// requires it.
pub fn vector_steps(
    arch: &Arch,
    cost: &OpCost,
    bytes_per_core: f64,
    usable_bytes: f64,
    limits: StepLimits,
) -> StepPlan {
    if cost.unit != Unit::Vector {
        return StepPlan {
            steps: Vec::new(),
            block: None,
        };
    }
    let by_capacity = if usable_bytes > 0.0 {
        (bytes_per_core / usable_bytes).ceil().min(1e9) as u64
    } else {
        1
    };
    let worth = estimated_cycles(arch, cost) / limits.min_step_cycles(arch).max(1);
    let n = by_capacity
        .clamp(limits.min.min(limits.max).max(1), limits.max.max(1))
        .min(cost.compute_cycles.max(1))
        .min(worth.max(1))
        .max(by_capacity.min(limits.max.max(1)));
    let cycles = split_exact(&vec![1; n as usize], cost.compute_cycles);
    StepPlan {
        steps: cycles
            .into_iter()
            .map(|cycles| Step {
                cycles,
                a: 1.0,
                b: 0.0,
                c: 1.0,
            })
            .collect(),
        block: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arch(df: &str, latency_ns: u32) -> Arch {
        Arch::from_json(&format!(
            r#"{{"name":"t","clock_ghz":1,"array":{{"kind":"systolic","rows":32,"cols":32,"dataflow":"{df}"}},
            "precisions":[{{"format":"int8","macs_per_pe_per_cycle":1}}],"vector_unit":{{"lanes":32}},
            "memory":{{"dram":{{"bandwidth_gbps":25.6,"latency_ns":{latency_ns}}},
            "core_buffers":{{"kind":"unified","buffer":{{"capacity_kib":1024,"bytes_per_cycle":64}}}}}},
            "static_power_w":0}}"#
        ))
        .unwrap()
    }

    fn cost(a: &Arch, m: u64, n: u64, k: u64) -> OpCost {
        let w = crate::workload::Workload::from_json(&format!(
            r#"{{"name":"g","inputs":[{{"name":"x","shape":[{m},{k}],"format":"int8"}}],
            "ops":[{{"name":"g","op":"matmul","inputs":["x"],"output":"y","out_features":{n}}}]}}"#
        ))
        .unwrap();
        crate::model::plan(&w, a).unwrap().remove(0)
    }

    #[test]
    fn fold_aligned_steps_are_whole_folds() {
        // 128×128×64 on 32×32 os: 4 × 4 folds of 32 + 32 + 64 − 2 = 126 cycles, 2015 in
        // all. Cut to 16 one-fold steps (125 ≥ 80 cycles of latency per step; 32 would
        // be 62): every step is one fold, the first one cycle short.
        let a = arch("os", 80);
        let c = cost(&a, 128, 128, 64);
        assert_eq!(c.compute_cycles, 2015);
        let p = compute_steps(&a, &c, StepLimits::default()).unwrap();
        let cycles: Vec<u64> = p.steps.iter().map(|s| s.cycles).collect();
        assert_eq!(cycles.len(), 16);
        assert_eq!(cycles[0], 125);
        assert!(cycles[1..].iter().all(|&c| c == 126));
        assert_eq!(p.block, Some([1, 32, 32, 64]));
    }

    #[test]
    fn step_cycles_always_sum_to_the_op() {
        for df in ["os", "ws", "is"] {
            let a = arch(df, 0);
            for (m, n, k) in [
                (1, 10, 512),
                (100, 70, 300),
                (3136, 64, 576),
                (2048, 4096, 4096),
            ] {
                let c = cost(&a, m, n, k);
                for limits in [
                    StepLimits::default(),
                    StepLimits {
                        min: 1,
                        max: 1,
                        min_step_cycles: None,
                    },
                    StepLimits {
                        min: 200,
                        max: 300,
                        min_step_cycles: Some(0),
                    },
                ] {
                    let p = compute_steps(&a, &c, limits).unwrap();
                    let sum: u64 = p.steps.iter().map(|s| s.cycles).sum();
                    assert_eq!(sum, c.compute_cycles, "{df} {m}x{n}x{k} {limits:?}");
                    assert!(
                        p.steps.len() as u64 <= limits.max.max(1),
                        "{df} {m}x{n}x{k} {limits:?} {} {:?} {:?}",
                        p.steps.len(),
                        c.tiling,
                        p.block
                    );
                    let (sa, sb, sc) = p
                        .steps
                        .iter()
                        .fold((0.0, 0.0, 0.0), |t, s| (t.0 + s.a, t.1 + s.b, t.2 + s.c));
                    assert!(
                        sa > 0.0 && sb > 0.0 && sc > 0.0,
                        "{df} {m}x{n}x{k} {:?} {:?}",
                        c.tiling,
                        p.block
                    );
                }
            }
        }
    }

    #[test]
    fn split_exact_sums_and_proportions() {
        assert_eq!(split_exact(&[1, 1, 1], 10), vec![3, 3, 4]);
        assert_eq!(split_exact(&[2, 1, 1], 8), vec![4, 2, 2]);
        assert_eq!(split_exact(&[0, 0], 5), vec![2, 3]);
        // Systolic steps weigh folds × cycles-per-fold and the op total is one less.
        assert_eq!(split_exact(&[100, 100, 50], 249), vec![99, 100, 50]);
        let w: Vec<u64> = (1..200).map(|i| i * 7919 % 1013).collect();
        assert_eq!(
            split_exact(&w, 123_456_789).iter().sum::<u64>(),
            123_456_789
        );
    }
}
