//! Roofline: sweeping the arithmetic intensity of a GEMM on one arch, the simulated
//! throughput follows min(peak, DRAM bandwidth × intensity) within 5% away from the knee.
//!
//! The sweep runs square int8 GEMMs s × s × s (intensity ≈ 2s/3 ops per byte when each
//! operand moves once) on a 32×32 output-stationary array at 1 GHz with 16 MiB buffers and
//! 4 GB/s of DRAM. Intensity is 2·MACs over the DRAM bytes the run moved; "peak" is the
//! array model's ideal-memory throughput for the shape (2·MACs / compute cycles: the
//! compute roof including fill/drain, 2.048 TOPS × s / (s + 62) here), and the memory roof
//! is bandwidth × intensity. Points within a factor of two of their knee are printed, not
//! checked; no point may beat the roof.

use crate::engine_util;

use accelsim::sim::Engine;
use engine_util::*;
use serde_json::json;

#[test]
fn gemm_throughput_follows_the_roofline() {
    let mut spec = base_arch();
    for b in ["ifmap", "filter", "ofmap"] {
        set(
            &mut spec,
            &format!("memory.core_buffers.{b}.capacity_kib"),
            json!(16384),
        );
    }
    set(&mut spec, "memory.dram.bandwidth_gbps", json!(4.0));
    let a = arch(&spec);
    let bw_bytes_per_s = a.memory.dram.bandwidth_gbps * 1e9;
    let clock = a.clock_hz();
    let mut checked = (0, 0);
    let mut rows = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    for s in [
        96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096,
    ] {
        let r = run(&gemm_workload(s, s, s), &a, Engine::Event);
        let l = &r.layers[0];
        let ops = 2.0 * l.macs as f64;
        let intensity = ops / l.dram_bytes;
        let peak = ops / (l.compute_cycles as f64 / clock);
        let roof = peak.min(bw_bytes_per_s * intensity);
        let sim = ops / (r.summary.cycles as f64 / clock);
        let knee = peak / bw_bytes_per_s;
        let err = sim / roof - 1.0;
        let near_knee = intensity > knee / 2.0 && intensity < knee * 2.0;
        rows.push(format!(
            "s={s:5} intensity {intensity:8.2} ops/B (knee {knee:6.1}): sim {:.4} TOPS, roof {:.4} TOPS, {:+.2}%{}",
            sim / 1e12,
            roof / 1e12,
            100.0 * err,
            if near_knee { " (near knee)" } else { "" }
        ));
        if sim > roof * 1.000_001 || (!near_knee && err.abs() > 0.05) {
            failures.push(rows.last().unwrap().clone());
        }
        if !near_knee {
            if intensity < knee {
                checked.0 += 1;
            } else {
                checked.1 += 1;
            }
        }
    }
    println!("{}", rows.join("\n"));
    assert!(
        failures.is_empty(),
        "off the roofline:\n{}",
        failures.join("\n")
    );
    assert!(
        checked.0 >= 3 && checked.1 >= 3,
        "too few points away from the knee: {checked:?}"
    );
    println!(
        "{} memory-bound and {} compute-bound points within 5% of the roofline",
        checked.0, checked.1
    );
}
