//! CSV of the per-layer table (one header row, one row per op, file order).

use super::Report;

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Renders the layers as CSV; column names carry units.
pub fn layers_csv(r: &Report) -> String {
    let mut out = String::from(
        "name,op,precision,mac_format,macs,vector_ops,cycles,compute_cycles,stall_cycles,stall_reason,start_cycle,end_cycle,utilization,cores_used,dram_bytes,sram_bytes,energy_pj,mac_pj,vector_pj,sram_pj,dram_pj,static_pj,ready_cycle,wait_cycles,stall_dram_cycles,stall_sram_cycles,dram_read_bytes,dram_write_bytes,kept_on_chip_bytes,achieved_dram_gbps,buffer_peak_bytes,tiles,clock_pj,sm_overhead_pj,l2_pj,register_file_pj,noc_pj,global_buffer_pj\n",
    );
    for l in &r.layers {
        let e = &l.energy_breakdown_pj;
        let reason = serde_json::to_value(l.stall_reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            quote(&l.name),
            quote(&l.op),
            quote(&l.precision),
            quote(l.mac_format.as_deref().unwrap_or("")),
            l.macs,
            l.vector_ops,
            l.cycles,
            l.compute_cycles,
            l.stall_cycles,
            reason,
            l.start_cycle,
            l.end_cycle,
            l.utilization,
            l.cores_used,
            l.dram_bytes,
            l.sram_bytes,
            l.energy_pj,
            e.mac,
            e.vector,
            e.sram,
            e.dram,
            e.static_,
            l.ready_cycle,
            l.wait_cycles,
            l.stall_dram_cycles,
            l.stall_sram_cycles,
            l.dram_read_bytes,
            l.dram_write_bytes,
            l.kept_on_chip_bytes,
            l.achieved_dram_gbps,
            l.buffer_peak_bytes,
            l.tiles,
            e.clock,
            e.sm_overhead,
            e.l2,
            e.register_file,
            e.noc,
            e.global_buffer
        ));
    }
    out
}
