//! Mapping-search time per compute layer, for the mapper comparison (`scripts/compare/`,
//! `docs/mapping.md`): every compute op of WORKLOAD is costed on ARCH with a cold search
//! memo, REPS times (default 20), and its search time (the memo miss, timed inside
//! `model::search`) is printed as CSV: `layer,m,n,k,mappings_evaluated,search_us_median,search_us_min`.
//!
//! cargo run --release --example search_time -- ARCH WORKLOAD [REPS]

use std::path::Path;
use std::process::ExitCode;

use accelsim::arch::Arch;
use accelsim::model::{self, search};
use accelsim::workload::Workload;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 || args.len() > 3 {
        eprintln!("usage: search_time ARCH WORKLOAD [REPS]");
        return ExitCode::from(2);
    }
    let reps: usize = match args.get(2).map(|r| r.parse()) {
        None => 20,
        Some(Ok(r)) if r > 0 => r,
        Some(_) => {
            eprintln!("REPS: expected a positive integer, got '{}'", args[2]);
            return ExitCode::from(2);
        }
    };
    match run(&args[0], &args[1], reps) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(arch: &str, workload: &str, reps: usize) -> Result<(), Box<dyn std::error::Error>> {
    let arch = Arch::load(Path::new(arch))?;
    let w = Workload::load(Path::new(workload))?;
    let table = arch.energy_table();
    println!("layer,m,n,k,mappings_evaluated,search_us_median,search_us_min");
    for op in &w.ops {
        let Some(g) = op.gemm else { continue };
        let mut times = Vec::with_capacity(reps);
        let mut evaluated = 0;
        for _ in 0..reps {
            search::reset_stats();
            model::plan_op(op, &w, &arch, &table)?;
            let st = search::stats();
            times.push(st.seconds * 1e6);
            evaluated = st.evaluated;
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{},{},{},{},{},{:.1},{:.1}",
            op.name,
            g.m,
            g.n,
            g.k,
            evaluated,
            times[times.len() / 2],
            times[0]
        );
    }
    Ok(())
}
