//! Every arch preset × every example workload runs through the binary, and its `--json`
//! report is self-consistent: achieved ≤ peak TOPS, utilization in (0, 1], energy > 0, and
//! per-layer figures sum to the summary (energy, MACs, DRAM bytes, and cycles for the
//! analytic engine, whose ops run back to back).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn json_files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v
}

fn run_json(arch: &Path, workload: &Path, threads: Option<&str>) -> (Value, Vec<u8>) {
    run_json_engine(arch, workload, threads, "analytic")
}

fn run_json_engine(
    arch: &Path,
    workload: &Path,
    threads: Option<&str>,
    engine: &str,
) -> (Value, Vec<u8>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_accelsim"));
    cmd.arg("run")
        .arg(arch)
        .arg(workload)
        .arg("--json")
        .arg("--engine")
        .arg(engine);
    if let Some(t) = threads {
        cmd.env("RAYON_NUM_THREADS", t);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{} × {}: {}",
        arch.display(),
        workload.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (serde_json::from_slice(&out.stdout).unwrap(), out.stdout)
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn every_preset_runs_every_example_workload_consistently() {
    let archs = json_files("arch_configs");
    let workloads = json_files("workloads");
    assert!(archs.len() >= 4, "expected the presets in arch_configs/");
    assert!(workloads.len() >= 5, "expected the example workloads");
    let mut checked = 0;
    let mut incompatible = 0;
    for arch in &archs {
        for wl in &workloads {
            let name = format!(
                "{} × {}",
                arch.file_name().unwrap().to_string_lossy(),
                wl.file_name().unwrap().to_string_lossy()
            );
            // A pair runs when the arch has MACs for every compute op's format (the
            // README's preset table says which formats each preset has); other pairs must
            // fail cleanly, which core_bad_input covers.
            let a = accelsim::arch::Arch::load(arch).unwrap();
            let w = accelsim::workload::Workload::load(wl).unwrap();
            let compatible = w
                .ops
                .iter()
                .filter(|o| o.gemm.is_some())
                .all(|o| a.mac_mode(o.precision.mac_format()).is_ok());
            if !compatible {
                incompatible += 1;
                continue;
            }
            let (r, _) = run_json(arch, wl, None);
            let s = &r["summary"];
            let layers = r["layers"].as_array().unwrap();
            assert!(!layers.is_empty(), "{name}: no layers");

            let (achieved, peak) = (f(&s["achieved_tops"]), f(&s["peak_tops"]));
            assert!(achieved > 0.0, "{name}: achieved {achieved}");
            assert!(
                achieved <= peak * (1.0 + 1e-12),
                "{name}: achieved {achieved} > peak {peak}"
            );
            let util = f(&s["utilization"]);
            assert!(util > 0.0 && util <= 1.0, "{name}: utilization {util}");
            let energy = f(&s["energy_pj"]);
            assert!(energy > 0.0, "{name}: energy {energy}");

            // Per-layer sums equal the summary.
            let sum_f = |k: &str| layers.iter().map(|l| f(&l[k])).sum::<f64>();
            let sum_u = |k: &str| layers.iter().map(|l| u(&l[k])).sum::<u64>();
            assert!(
                close(sum_f("energy_pj"), energy),
                "{name}: layer energy {} ≠ {energy}",
                sum_f("energy_pj")
            );
            assert_eq!(sum_u("macs"), u(&s["macs"]), "{name}: MACs");
            assert!(
                close(sum_f("dram_bytes"), f(&s["dram_bytes"])),
                "{name}: DRAM bytes"
            );
            assert!(
                close(sum_f("sram_bytes"), f(&s["sram_bytes"])),
                "{name}: SRAM bytes"
            );
            assert_eq!(s["engine"], "analytic");
            assert_eq!(sum_u("cycles"), u(&s["cycles"]), "{name}: cycles");
            // The event engine (the default) overlaps ops: its makespan is the last end
            // cycle, and energy, MACs and bytes still add up per layer.
            let (ev, _) = run_json_engine(arch, wl, None, "event");
            let ev_layers = ev["layers"].as_array().unwrap();
            let last_end = ev_layers.iter().map(|l| u(&l["end_cycle"])).max().unwrap();
            assert_eq!(
                u(&ev["summary"]["cycles"]),
                last_end,
                "{name}: event makespan"
            );
            let ev_energy: f64 = ev_layers.iter().map(|l| f(&l["energy_pj"])).sum();
            assert!(
                close(ev_energy, f(&ev["summary"]["energy_pj"])),
                "{name}: event energy"
            );
            let ev_macs: u64 = ev_layers.iter().map(|l| u(&l["macs"])).sum();
            assert_eq!(ev_macs, u(&ev["summary"]["macs"]), "{name}: event MACs");
            assert_eq!(
                sum_u("compute_cycles"),
                u(&s["compute_cycles"]),
                "{name}: compute cycles"
            );
            assert_eq!(
                sum_u("stall_cycles"),
                u(&s["stall_cycles"]),
                "{name}: stall cycles"
            );
            // The breakdown adds up, per layer and in the summary.
            // Every bucket the breakdown carries (absent ones are zero).
            let bsum = |b: &Value| {
                b.as_object()
                    .expect("breakdown object")
                    .values()
                    .map(f)
                    .sum::<f64>()
            };
            assert!(close(bsum(&s["energy_breakdown_pj"]), energy), "{name}");
            for l in layers {
                assert!(
                    close(bsum(&l["energy_breakdown_pj"]), f(&l["energy_pj"])),
                    "{name}: layer {} breakdown",
                    l["name"]
                );
                assert_eq!(
                    u(&l["cycles"]),
                    u(&l["compute_cycles"]) + u(&l["stall_cycles"]),
                    "{name}: layer {}",
                    l["name"]
                );
                let lu = f(&l["utilization"]);
                assert!((0.0..=1.0 + 1e-12).contains(&lu), "{name}: {lu}");
            }
            // Ops run back to back: each starts when another ends, covering [0, cycles).
            let mut spans: Vec<(u64, u64)> = layers
                .iter()
                .map(|l| (u(&l["start_cycle"]), u(&l["end_cycle"])))
                .collect();
            spans.sort();
            assert_eq!(spans[0].0, 0, "{name}");
            for w in spans.windows(2) {
                assert_eq!(w[0].1, w[1].0, "{name}: gap or overlap");
            }
            assert_eq!(spans.last().unwrap().1, u(&s["cycles"]), "{name}");
            checked += 1;
        }
    }
    println!("core presets: {checked}/{checked} compatible arch × workload runs consistent ({incompatible} pairs lack a MAC format and were skipped)");
    assert!(checked >= 20, "expected at least the 20 core pairs to run");
}

#[test]
fn output_is_byte_identical_across_thread_counts() {
    let arch = root().join("arch_configs/tpu_v1.json");
    let wl = root().join("workloads/resnet50.json");
    let (_, one) = run_json(&arch, &wl, Some("1"));
    let (_, two) = run_json(&arch, &wl, Some("2"));
    let (_, again) = run_json(&arch, &wl, None);
    assert_eq!(one, two);
    assert_eq!(one, again);
}
