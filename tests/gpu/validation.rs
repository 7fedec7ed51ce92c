//! The H100 preset against the calibration measurements (tests/data/h100/, provenance in
//! its README) — the acceptance criteria — and VALIDATION.md kept in sync with the model.

use accelsim::arch::Arch;
use accelsim::numerics::Format;
use accelsim::validate::calibration::Calibration;
use accelsim::validate::h100::{validate, H100Validation, ACCEPTANCE_PRECISIONS};
use accelsim::validate::{render, sweep};

fn run() -> H100Validation {
    let root = env!("CARGO_MANIFEST_DIR");
    let arch = Arch::load(format!("{root}/arch_configs/h100_sxm.json").as_ref()).unwrap();
    let cal =
        Calibration::load(format!("{root}/tests/data/h100/calibration.json").as_ref()).unwrap();
    validate(&arch, &cal).unwrap()
}

#[test]
fn median_latency_error_at_1024_and_above_is_within_15_percent() {
    let v = run();
    for p in ACCEPTANCE_PRECISIONS {
        let s = v.stats_of(p).unwrap();
        println!(
            "{p}: median |error| {:.1}% over {} points (max {:.1}%)",
            100.0 * s.median_abs_latency_error,
            s.points,
            100.0 * s.max_abs_latency_error
        );
        assert_eq!(s.points, 5);
        assert!(s.median_abs_latency_error <= 0.15, "{p}");
    }
}

#[test]
fn precisions_are_ordered_as_measured() {
    // Every pair of precisions on different datapaths (fp8, int8, 16-bit) is ordered as
    // measured at every size. fp16 and bf16 share one datapath: the model separates them
    // only through bf16's cheaper multiplier under the power cap (bf16 faster at capped
    // sizes, a tie below) — matching 4096³ and 16384³ but not 8192³, where the measured
    // bf16 median is 13% slower than fp16 (VALIDATION.md discusses it).
    let v = run();
    for o in &v.ordering {
        println!(
            "{}: measured {:?}, predicted {:?}, contradicted {:?}",
            o.size, o.measured, o.predicted, o.pairs_contradicted
        );
        for (a, b) in &o.pairs_contradicted {
            let pair = [a.as_str(), b.as_str()];
            assert!(
                pair.contains(&"fp16") && pair.contains(&"bf16"),
                "{}: {a}/{b} ordered against the measurement",
                o.size
            );
        }
        assert!(o.pairs_within_noise.is_empty());
    }
    let exact = v
        .ordering
        .iter()
        .filter(|o| o.measured == o.predicted)
        .count();
    println!(
        "{exact}/{} sizes in exactly the measured order",
        v.ordering.len()
    );
    assert!(exact >= 4);
}

#[test]
fn energy_per_mac_at_8192_within_25_percent() {
    let v = run();
    let mut n = 0;
    for r in v.rows.iter().filter(|r| r.m == 8192) {
        let e = r.energy_error.unwrap();
        println!(
            "{}: {:.3} pJ/MAC predicted vs {:.3} measured ({:+.1}%)",
            r.precision,
            r.predicted_pj_per_mac,
            r.measured_pj_per_mac.unwrap(),
            100.0 * e
        );
        assert!(e.abs() <= 0.25, "{}", r.precision);
        n += 1;
    }
    assert_eq!(n, 6);
}

#[test]
fn validation_md_shows_the_current_model() {
    let root = env!("CARGO_MANIFEST_DIR");
    let doc = std::fs::read_to_string(format!("{root}/VALIDATION.md")).unwrap();
    let v = run();
    assert!(
        doc.contains(&render::h100_markdown(&v)),
        "VALIDATION.md is stale: paste the tables of `accelsim validate h100`"
    );
    let h100 = Arch::load(format!("{root}/arch_configs/h100_sxm.json").as_ref()).unwrap();
    let cap = accelsim::validate::cap::cap_effect(&h100, 8192, &ACCEPTANCE_PRECISIONS).unwrap();
    assert!(
        doc.contains(&render::cap_markdown(&cap)),
        "VALIDATION.md is stale: paste the power-cap table of `accelsim validate h100`"
    );
    let arch = Arch::load(format!("{root}/arch_configs/a100_sxm.json").as_ref()).unwrap();
    let spec =
        accelsim::error::load_json_file(format!("{root}/workloads/mlp6.json").as_ref()).unwrap();
    let rows =
        sweep::precision_sweep(&arch, &spec, &[Format::FP16, Format::INT8, Format::INT4]).unwrap();
    assert!(
        doc.contains(&render::sweep_markdown(&rows)),
        "VALIDATION.md is stale: paste the table of `accelsim validate a100-mlp`"
    );
    let wide = sweep::precision_sweep_with(
        &arch,
        &spec,
        &[Format::FP16, Format::INT8, Format::INT4],
        sweep::Epilogue::Accumulator,
        &accelsim::model::RunOptions::default(),
    )
    .unwrap();
    let outputs: Vec<&str> = wide.iter().map(|r| r.output.as_str()).collect();
    assert_eq!(outputs, ["fp32", "int32", "int32"]);
    assert!(
        doc.contains(&render::sweep_markdown(&wide)),
        "VALIDATION.md is stale: paste the table of `accelsim validate a100-mlp --epilogue accumulator`"
    );
}
