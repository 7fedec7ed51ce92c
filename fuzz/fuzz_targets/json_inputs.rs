//! Arch, workload and sweep JSON: parse, validate and (when valid) run; errors are fine,
//! panics and non-finite figures are not.
#![no_main]

use accelsim::arch::Arch;
use accelsim::sim::Engine;
use accelsim::workload::Workload;
use libfuzzer_sys::fuzz_target;

const EDGE: &str = include_str!("../../arch_configs/edge_npu_32x32.json");
const TINY: &str = include_str!("../../workloads/tiny_cnn.json");

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let arch = Arch::from_json(text).ok();
    let workload = Workload::from_json(text).ok();
    let _ = accelsim::dse::Sweep::from_json(text, std::path::Path::new("."));
    let run = |w: &Workload, a: &Arch| {
        for engine in [Engine::Event, Engine::Analytic] {
            if let Ok(r) = accelsim::run(w, a, engine) {
                assert!(r.summary.latency_s.is_finite() && r.summary.energy_pj.is_finite());
            }
        }
    };
    if let Some(a) = &arch {
        run(&Workload::from_json(TINY).unwrap(), a);
    }
    if let Some(w) = &workload {
        run(w, &Arch::from_json(EDGE).unwrap());
    }
});
