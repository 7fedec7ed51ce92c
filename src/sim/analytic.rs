//! The analytic schedule: ops run one at a time in topological order; each takes the
//! longest of its compute cycles, its DRAM transfer time and its busiest buffer's transfer
//! time (loads overlap compute when double buffering is on; without it they add up).

use super::{OpTiming, StallReason, Timeline};
use crate::arch::{Arch, CoreBuffers};
use crate::model::OpCost;
use crate::workload::Workload;

/// Runs the analytic schedule.
pub fn run(workload: &Workload, arch: &Arch, costs: &[OpCost]) -> Timeline {
    let dram_bpc = arch.dram_bytes_per_cycle();
    let (bpc_if, bpc_fi, bpc_of) = match &arch.memory.core_buffers {
        CoreBuffers::Unified { buffer } => (
            buffer.bytes_per_cycle,
            buffer.bytes_per_cycle,
            buffer.bytes_per_cycle,
        ),
        CoreBuffers::Split {
            ifmap,
            filter,
            ofmap,
        } => (
            ifmap.bytes_per_cycle,
            filter.bytes_per_cycle,
            ofmap.bytes_per_cycle,
        ),
    };
    let unified = matches!(arch.memory.core_buffers, CoreBuffers::Unified { .. });
    let static_pj_per_cycle = arch.static_power().total_w() / arch.clock_hz() * 1e12;
    let mut ops = vec![None; costs.len()];
    let mut now: u64 = 0;
    for &i in &workload.topo_order {
        let c = &costs[i];
        let t = &c.traffic;
        let cores = c.cores_used.max(1) as f64;
        let dram = (t.dram_bytes() / dram_bpc).ceil() as u64;
        let sram = if unified {
            (t.sram_bytes() / (bpc_if * cores)).ceil() as u64
        } else {
            [
                t.ifmap_sram_bytes / (bpc_if * cores),
                t.filter_sram_bytes / (bpc_fi * cores),
                t.ofmap_sram_bytes / (bpc_of * cores),
            ]
            .into_iter()
            .fold(0.0f64, f64::max)
            .ceil() as u64
        };
        let (duration, reason) = if arch.memory.double_buffering {
            let d = c.compute_cycles.max(dram).max(sram);
            let reason = if d == c.compute_cycles {
                StallReason::None
            } else if dram >= sram {
                StallReason::DramBound
            } else {
                StallReason::SramBound
            };
            (d, reason)
        } else {
            let d = c.compute_cycles + dram.max(sram);
            let reason = if d == c.compute_cycles {
                StallReason::None
            } else if dram >= sram {
                StallReason::DramBound
            } else {
                StallReason::SramBound
            };
            (d, reason)
        };
        // The host dispatches ops one after another while the device runs earlier ones.
        let (duration, reason) = if c.host_overhead_cycles > duration {
            (c.host_overhead_cycles, StallReason::HostBound)
        } else {
            (duration, reason)
        };
        let stall = duration - c.compute_cycles;
        let (stall_dram, stall_sram) = match reason {
            StallReason::SramBound => (0, stall),
            StallReason::HostBound => (0, 0),
            _ => (stall, 0),
        };
        ops[i] = Some(OpTiming {
            start_cycle: now,
            end_cycle: now + duration,
            compute_cycles: c.compute_cycles,
            stall_cycles: stall,
            stall_reason: reason,
            static_pj: duration as f64 * static_pj_per_cycle,
            ready_cycle: now,
            wait_cycles: 0,
            stall_dram_cycles: stall_dram,
            stall_sram_cycles: stall_sram,
            cores: (0..c.cores_used).collect(),
            tiles: 1,
            dram_read_bytes: t.dram_read_bytes,
            dram_write_bytes: t.dram_write_bytes,
            kept_on_chip_bytes: 0.0,
            output_on_chip: false,
            buffer_peak_bytes: c.tiling.map(|t| t.peak_buffer_bytes).unwrap_or(0.0),
        });
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
        onchip_peak_bytes: costs
            .iter()
            .filter_map(|c| c.tiling.map(|t| t.peak_buffer_bytes * c.cores_used as f64))
            .fold(0.0, f64::max),
        trace: None,
    }
}
