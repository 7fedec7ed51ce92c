//! The analytic schedule: ops run one at a time in topological order, each as if alone on
//! the machine. An op's time is its step pipeline run alone, from the same steps, bytes
//! and retention decisions as the event engine ([`super::steps`], [`super::residency`]),
//! with each of its cores getting an equal share of the DRAM channel:
//!
//! - tiled ops: each core's steps scheduled exactly under the event engine's per-core rules
//!   ([`super::pipeline`]: buffer slots, in-order DMA engines, whole-cycle compute), so a
//!   single op takes the same cycles in both engines when its cores move in lockstep;
//! - GPU kernels: compute and HBM traffic side by side (the longer, HBM after one request
//!   latency), at least the host dispatch time.
//!
//! The two engines therefore differ only by overlap between ops and contention for DRAM.

use super::pipeline::Pipeline;
use super::residency::{is_view, op_dram, Residency};
use super::steps::{op_plan, step_work, Buffers, StepWork};
use super::{ceil_cycles, OpTiming, SimOptions, StallReason, Timeline};
use crate::arch::Arch;
use crate::model::{OpCost, Unit};
use crate::workload::Workload;

/// Runs the analytic schedule.
pub fn run(workload: &Workload, arch: &Arch, costs: &[OpCost], options: &SimOptions) -> Timeline {
    // The DRAM channel, capped by the global buffer's port as in the event engine.
    let dram_bpc = match &arch.memory.global_buffer {
        Some(g) => arch.dram_bytes_per_cycle().min(g.bytes_per_cycle),
        None => arch.dram_bytes_per_cycle(),
    };
    let bufs = Buffers::of(arch);
    let latency = arch.memory.dram.latency_ns * arch.clock_ghz;
    let overlap = arch.gpu().is_some();
    let static_pj_per_cycle = arch.static_power().total_w() / arch.clock_hz() * 1e12;
    let mut residency = Residency::new(workload, arch, costs);
    let mut onchip_peak: f64 = 0.0;
    let mut ops = vec![None; costs.len()];
    let mut now: u64 = 0;
    for &i in &workload.topo_order {
        let c = &costs[i];
        let view = c.unit == Unit::None || is_view(workload.ops[i].kind);
        if view {
            ops[i] = Some(timing(c, now, 0, (0, 0), StallReason::None, 0.0, 1));
            continue;
        }
        let on_chip = residency.admit_output(workload, i);
        let dram = op_dram(workload, c, i, &residency, on_chip);
        let k = c.cores_used.max(1) as f64;
        let plan = op_plan(arch, c, k, options.steps, overlap, &bufs);
        let steps = step_work(c, &plan, &dram, k, &bufs);
        let pipe = Pipeline {
            bw: dram_bpc / k,
            latency,
            depth: bufs.depth,
            dma_engines: arch.memory.dma_engines_per_core.max(1) as usize,
        };
        let busy = if overlap {
            kernel(&pipe, &steps)
        } else {
            pipe.run(&steps)
        };
        let working = c.tiling.map(|t| t.peak_buffer_bytes).unwrap_or(0.0) * c.cores_used as f64;
        onchip_peak = onchip_peak.max(residency.resident_bytes() + working);
        residency.release_inputs(workload, i);
        let sram: u64 = steps.iter().map(|s| s.busy - s.cycles).sum();
        let compute = c.compute_cycles;
        let (duration, reason, stalls) = if c.host_overhead_cycles > busy {
            // The host dispatches ops one after another while the device runs earlier ones.
            (c.host_overhead_cycles, StallReason::HostBound, (0, 0))
        } else {
            let stall = busy.saturating_sub(compute);
            let sram = sram.min(stall);
            let dram_stall = stall - sram;
            (
                busy,
                StallReason::dominant(dram_stall, sram, 0),
                (dram_stall, sram),
            )
        };
        let mut t = timing(
            c,
            now,
            duration,
            stalls,
            reason,
            duration as f64 * static_pj_per_cycle,
            steps.len() as u64,
        );
        t.dram_read_bytes = dram.read();
        t.dram_write_bytes = dram.stores;
        t.kept_on_chip_bytes = dram.kept();
        t.output_on_chip = on_chip;
        ops[i] = Some(t);
        now += duration;
    }
    Timeline {
        ops: ops
            .into_iter()
            .map(|o| o.expect("every op scheduled"))
            .collect(),
        cycles: now,
        engine: "analytic",
        events: 0,
        onchip_peak_bytes: onchip_peak,
        trace: None,
    }
}

/// An op's timing record starting at `start` and lasting `duration`.
fn timing(
    c: &OpCost,
    start: u64,
    duration: u64,
    (stall_dram, stall_sram): (u64, u64),
    reason: StallReason,
    static_pj: f64,
    tiles: u64,
) -> OpTiming {
    OpTiming {
        start_cycle: start,
        end_cycle: start + duration,
        compute_cycles: c.compute_cycles,
        stall_cycles: duration.saturating_sub(c.compute_cycles),
        stall_reason: reason,
        static_pj,
        ready_cycle: start,
        wait_cycles: 0,
        stall_dram_cycles: stall_dram,
        stall_sram_cycles: stall_sram,
        cores: (0..c.cores_used).collect(),
        tiles,
        dram_read_bytes: 0.0,
        dram_write_bytes: 0.0,
        kept_on_chip_bytes: 0.0,
        output_on_chip: false,
        buffer_peak_bytes: c.tiling.map(|t| t.peak_buffer_bytes).unwrap_or(0.0),
    }
}

/// A GPU kernel alone: its transfers stream beside its compute (HBM after one request
/// latency), the longer of the two.
fn kernel(p: &Pipeline, steps: &[StepWork]) -> u64 {
    let busy: u64 = steps.iter().map(|s| s.busy).sum();
    let bytes: f64 = steps.iter().map(|s| s.load[0] + s.load[1] + s.store).sum();
    if bytes > 0.0 {
        busy.max(ceil_cycles(p.latency + bytes / p.bw))
    } else {
        busy
    }
}
