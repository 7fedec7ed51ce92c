//! The analytic schedule: ops run one at a time in topological order, each as if alone on
//! the machine. An op's time is its pipeline run in closed form, from the same steps,
//! bytes and retention decisions as the event engine ([`super::steps`],
//! [`super::residency`]), with each of its cores getting an equal share of the DRAM
//! channel:
//!
//! - double buffered: the longer of the compute path (the first step's loads, every step's
//!   busy cycles, the last step's stores) and the DRAM path (every byte at the core's share
//!   of the bandwidth after one request latency, then the last step's compute and store);
//! - single buffered: every step loads (after the previous step's store), computes, and
//!   the last one stores, in turn;
//! - GPU kernels: compute and HBM traffic side by side (the longer, HBM after one request
//!   latency), at least the host dispatch time.
//!
//! The two engines therefore differ only by overlap between ops and contention for DRAM.

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
        let pipe = Pipe {
            bw: dram_bpc / k,
            latency,
            depth: bufs.depth,
        };
        let busy = if overlap {
            pipe.kernel(&steps)
        } else {
            pipe.isolated(&steps)
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

/// One core's view of the DRAM channel when its op runs alone.
struct Pipe {
    /// Bytes per cycle of this core's share.
    bw: f64,
    /// Request latency, cycles.
    latency: f64,
    /// Buffer slots per operand.
    depth: usize,
}

impl Pipe {
    /// Whole cycles until `bytes` requested now have arrived (0 for no bytes).
    fn transfer(&self, bytes: f64) -> u64 {
        if bytes > 0.0 {
            ceil_cycles(self.latency + bytes / self.bw)
        } else {
            0
        }
    }

    /// A GPU kernel: its transfers stream beside its compute.
    fn kernel(&self, steps: &[StepWork]) -> u64 {
        let busy: u64 = steps.iter().map(|s| s.busy).sum();
        let bytes: f64 = steps.iter().map(|s| s.load[0] + s.load[1] + s.store).sum();
        busy.max(self.transfer(bytes))
    }

    /// Load → compute → store steps.
    fn isolated(&self, steps: &[StepWork]) -> u64 {
        let Some((first, last)) = steps.first().zip(steps.last()) else {
            return 0;
        };
        if self.depth < 2 {
            let mut t = 0;
            let mut prev_store = 0.0;
            for s in steps {
                t += self.transfer(prev_store + s.load[0] + s.load[1]) + s.busy;
                prev_store = s.store;
            }
            return t + self.transfer(prev_store);
        }
        // The last step computes once the first step's loads are in and every earlier
        // step has computed, and once every load is in.
        let busy: u64 = steps.iter().map(|s| s.busy).sum();
        let loads: f64 = steps.iter().map(|s| s.load[0] + s.load[1]).sum();
        let stores: f64 = steps.iter().map(|s| s.store).sum();
        let computed = (self.transfer(first.load[0] + first.load[1]) + busy)
            .max(self.transfer(loads) + last.busy);
        if last.store <= 0.0 {
            return computed.max(self.transfer(loads + stores));
        }
        // Its store streams after its request latency and after every earlier transfer.
        let start = (computed as f64 + self.latency)
            .max(self.latency + (loads + stores - last.store) / self.bw);
        ceil_cycles(start + last.store / self.bw)
    }
}
