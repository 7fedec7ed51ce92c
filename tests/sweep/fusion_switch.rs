//! The sweep's `fusion` switch (docs/sweep.md): `false` costs every point as written,
//! exactly as `run --no-fusion`; the default fuses, as `run`; `false` joins the
//! fingerprint so the two never share rows.

use std::path::{Path, PathBuf};

use accelsim::arch::Arch;
use accelsim::dse::{Metric, Sweep};
use accelsim::model::options::Fusion;
use accelsim::model::RunOptions;
use accelsim::sim::Engine;
use accelsim::workload::Workload;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

#[test]
fn sweep_fusion_switch_matches_run() {
    let dir = std::env::temp_dir().join(format!("accelsim_fusion_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let arch = root().join("arch_configs/edge_npu_32x32.json");
    let wl = root().join("workloads/resnet18.json");
    let (a, w) = (Arch::load(&arch).unwrap(), Workload::load(&wl).unwrap());
    let mut fingerprints = Vec::new();
    for (fusion, field) in [(Fusion::On, None), (Fusion::Off, Some(false))] {
        let mut spec = serde_json::json!({
            "name": "fusion",
            "arch": arch,
            "workload": wl,
            "axes": [ { "kind": "arch", "path": "clock_ghz", "values": [1.0] } ]
        });
        if let Some(f) = field {
            spec["fusion"] = serde_json::json!(f);
        }
        let path = dir.join(format!("{fusion:?}.json"));
        std::fs::write(&path, spec.to_string()).unwrap();
        let sweep = Sweep::load(&path).unwrap();
        let m = sweep.evaluate(0).metrics;
        let r = accelsim::run_with(
            &w,
            &a,
            Engine::Event,
            &RunOptions::default().with_fusion(fusion),
        )
        .unwrap();
        assert_eq!(
            m[Metric::LatencyS.index()],
            r.summary.latency_s,
            "{fusion:?}"
        );
        assert_eq!(
            m[Metric::DramBytes.index()],
            r.summary.dram_bytes,
            "{fusion:?}"
        );
        fingerprints.push(sweep.fingerprint().to_string());
    }
    assert_ne!(fingerprints[0], fingerprints[1]);
    std::fs::remove_dir_all(&dir).ok();
}
