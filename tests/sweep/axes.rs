//! Axis application and constraints, checked against values worked out independently of
//! the sweep code: ids decode in mixed radix (first axis outermost), arch axes land in
//! the arch (PEs = rows × cols, SRAM = the three buffers), batch and precision-group axes
//! land in the workload, and `pruned` / `infeasible` follow the bounds exactly.

use std::path::{Path, PathBuf};

use accelsim::dse::{Metric, PointResult, Shard, Status, Sweep};
use serde_json::{json, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn all(sweep: &Sweep) -> Vec<PointResult> {
    let ids = sweep.points().shard_ids(Shard::WHOLE);
    let out = std::sync::Mutex::new(Vec::new());
    sweep.evaluate_many(&ids, |r| out.lock().unwrap().push(r));
    let mut v = out.into_inner().unwrap();
    v.sort_by_key(|r| r.id);
    v
}

#[test]
fn cnn_small_axes_and_constraints() {
    let sweep = Sweep::load(&root().join("tests/data/sweep/cnn_small.json")).unwrap();
    assert_eq!(sweep.space_size(), 3 * 3 * 2 * 2 * 2 * 2);
    let res = all(&sweep);
    assert_eq!(res.len(), 100);
    let arrays = [8u64, 16, 32];
    let dataflows = ["os", "ws", "is"];
    let bws = [12.8, 25.6];
    let ifmaps = [64u64, 256];
    let precs = ["int8", "int4"];
    let batches = [1u64, 4];
    let (mut pruned, mut infeasible, mut ok) = (0, 0, 0);
    for r in &res {
        // Mixed radix [3, 3, 2, 2, 2, 2], first axis most significant.
        let mut x = r.id;
        let b = (x % 2) as usize;
        x /= 2;
        let p = (x % 2) as usize;
        x /= 2;
        let i = (x % 2) as usize;
        x /= 2;
        let w = (x % 2) as usize;
        x /= 2;
        let d = (x % 3) as usize;
        x /= 3;
        let a = x as usize;
        assert_eq!(
            r.params,
            vec![
                json!(arrays[a]),
                json!(dataflows[d]),
                json!(bws[w]),
                json!(ifmaps[i]),
                json!(precs[p]),
                json!(batches[b])
            ],
            "point {}",
            r.id
        );
        let m = |k: Metric| r.metrics[k.index()];
        assert_eq!(m(Metric::Pes), (arrays[a] * arrays[a]) as f64);
        // ifmap (varied) + filter 128 + ofmap 128 KiB.
        let sram = (ifmaps[i] + 128 + 128) as f64;
        assert_eq!(m(Metric::SramKib), sram);
        if sram > 400.0 {
            assert_eq!(r.status, Status::Pruned, "point {}", r.id);
            assert!(m(Metric::LatencyS).is_nan(), "pruned points are not run");
            pruned += 1;
        } else if m(Metric::LatencyS) > 2.0e-5 {
            assert_eq!(r.status, Status::Infeasible, "point {}", r.id);
            infeasible += 1;
        } else {
            assert_eq!(r.status, Status::Ok, "point {}", r.id);
            ok += 1;
        }
    }
    println!("{ok} ok, {pruned} pruned, {infeasible} infeasible of 100 sampled points");
    assert!(ok > 0 && pruned > 0 && infeasible > 0);
}

fn mlp_sweep(axes: Value, extra: impl FnOnce(&mut Value)) -> Sweep {
    let mut s = json!({
        "name": "t",
        "arch": "arch_configs/edge_npu_32x32.json",
        "workload": "workloads/mlp6.json",
        "axes": axes
    });
    extra(&mut s);
    Sweep::from_json(&s.to_string(), &root()).unwrap()
}

#[test]
fn batch_axis_scales_the_work_not_the_capacity() {
    let sweep = mlp_sweep(json!([{ "kind": "batch", "values": [1, 2048] }]), |_| {});
    let res = all(&sweep);
    let cap = |r: &PointResult| r.metrics[Metric::CapacityBits.index()];
    // All int8: (16384 + 8192 + 4096 + 2048 + 1024 + 32768) × 8 bits at any batch.
    assert_eq!(cap(&res[0]), 64512.0 * 8.0);
    assert_eq!(cap(&res[1]), 64512.0 * 8.0);
    // MACs per run: TOPS/W × energy / 2 = batch × Σ in × out.
    let macs = |r: &PointResult| {
        r.metrics[Metric::TopsPerW.index()] * r.metrics[Metric::EnergyPj.index()] / 2.0
    };
    let per_sample =
        (32768u64 * 16384 + 16384 * 8192 + 8192 * 4096 + 4096 * 2048 + 2048 * 1024 + 1024 * 32768)
            as f64;
    assert!((macs(&res[0]) / per_sample - 1.0).abs() < 1e-9);
    assert!((macs(&res[1]) / (2048.0 * per_sample) - 1.0).abs() < 1e-9);
}

#[test]
fn precisions_axis_and_fixed_edits() {
    // Vary which precisions the arch supports; int4 layers fall back to int8 when the
    // arch has no int4 (via "set"), so the int4-only-missing variant runs slower.
    let sweep = mlp_sweep(
        json!([
            { "kind": "arch", "name": "supports", "path": "precisions", "values": [
                [ { "format": "int8", "macs_per_pe_per_cycle": 1 }, { "format": "int4", "macs_per_pe_per_cycle": 2 } ],
                [ { "format": "int8", "macs_per_pe_per_cycle": 1 } ]
            ] },
            { "kind": "precision", "layers": ["fc*"], "mode": "group", "values": ["int4"] }
        ]),
        |s| s["set"] = json!({ "precision_fallback": true, "clock_ghz": 2.0 }),
    );
    assert_eq!(sweep.param_columns(), vec!["supports", "fc*"]);
    let res = all(&sweep);
    let lat = |r: &PointResult| r.metrics[Metric::LatencyS.index()];
    assert!(res.iter().all(|r| r.status == Status::Ok));
    assert!(lat(&res[1]) > lat(&res[0]));
    // Both store int4 activations, so the capacity is the same.
    assert_eq!(res[0].metrics[Metric::CapacityBits.index()], 64512.0 * 4.0);
    assert_eq!(
        res[1].metrics[Metric::CapacityBits.index()],
        res[0].metrics[Metric::CapacityBits.index()]
    );
}

#[test]
fn regex_and_glob_groups_select_the_right_layers() {
    let sweep = mlp_sweep(
        json!([
            { "kind": "precision", "name": "outer", "layers": ["fc1", "*6"], "mode": "group", "values": ["int8", "fp16"] },
            { "kind": "precision", "name": "inner", "layers": ["re:fc[2-5]"], "mode": "group", "values": ["int4"] }
        ]),
        |_| {},
    );
    let res = all(&sweep);
    // Point 1: fc1 and fc6 at fp16 (16384 + 32768 wide), fc2..fc5 at int4.
    let expect = (16384.0 + 32768.0) * 16.0 + (8192.0 + 4096.0 + 2048.0 + 1024.0) * 4.0;
    assert_eq!(res[1].metrics[Metric::CapacityBits.index()], expect);
}
