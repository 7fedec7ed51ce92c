//! The JSON examples in README.md are valid: the first is an arch, the second a workload,
//! and together they run.

use accelsim::{arch::Arch, sim::Engine, workload::Workload};

fn json_blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("```json\n") {
        let body = &rest[start + 8..];
        let end = body.find("```").expect("closed code block");
        out.push(body[..end].to_string());
        rest = &body[end + 3..];
    }
    out
}

#[test]
fn readme_arch_and_workload_examples_run() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let blocks = json_blocks(&readme);
    assert!(
        blocks.len() >= 2,
        "README has an arch and a workload example"
    );
    let arch = Arch::from_json(&blocks[0]).expect("README arch example is valid");
    let wl = Workload::from_json(&blocks[1]).expect("README workload example is valid");
    let r = accelsim::run(&wl, &arch, Engine::default()).expect("README example runs");
    assert!(r.summary.cycles > 0 && r.summary.energy_pj > 0.0);
    println!("README examples: {} JSON blocks, run OK", blocks.len());
}
