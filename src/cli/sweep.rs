//! `accelsim sweep SWEEP.json` (evaluate a design space) and `accelsim sweep merge`
//! (combine shard folders).

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use accelsim::dse::rows::to_csv;
use accelsim::dse::store::{merge, Manifest, OutDir, PARETO_CSV, RESULTS_CSV, RESULTS_JSONL};
use accelsim::dse::sweep::check_objectives;
use accelsim::dse::{limits, resume};
use accelsim::dse::{plot, DseError, Finished, Objective, Row, Shard, Status, Sweep};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use super::CliError;

/// Arguments of `accelsim sweep`.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SweepArgs {
    /// `merge`: combine shard output folders.
    #[command(subcommand)]
    pub command: Option<SweepCommand>,
    /// Sweep file (JSON); see docs/sweep.md.
    #[arg(required = true)]
    pub spec: Option<PathBuf>,
    /// Output folder: results.csv, results.jsonl (streamed as points finish), pareto.csv.
    /// Without it, the Pareto front is printed as CSV.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Continue an interrupted sweep in --out, skipping finished points.
    #[arg(long, requires = "out")]
    pub resume: bool,
    /// Evaluate only shard K of N (0 ≤ K < N), e.g. from a Slurm array task id.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Write SVG plots to OUT/plots/.
    #[arg(long, requires = "out")]
    pub plot: bool,
    /// Pareto objectives, overriding the sweep's: 2 or 3 metrics, each optionally
    /// `:min` / `:max` (e.g. latency_s,capacity_bits).
    #[arg(long, value_delimiter = ',')]
    pub pareto: Vec<String>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Validate the sweep and print its size without evaluating anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Most points one run evaluates (default 1,000,000; rows are held in memory).
    #[arg(long, value_name = "N", default_value_t = accelsim::dse::limits::DEFAULT_MAX_POINTS)]
    pub max_points: u64,
}

/// Subcommands of `accelsim sweep`.
#[derive(clap::Subcommand, Debug)]
pub enum SweepCommand {
    /// Combine finished shard folders (from --shard K/N runs) and recompute the front.
    Merge(MergeArgs),
}

/// Arguments of `accelsim sweep merge`.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// Output folder for the merged results.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Shard output folders, one per shard.
    #[arg(required = true, num_args = 1..)]
    pub shards: Vec<PathBuf>,
    /// Pareto objectives, overriding the sweep's (as for `accelsim sweep`).
    #[arg(long, value_delimiter = ',')]
    pub pareto: Vec<String>,
    /// Write SVG plots to OUT/plots/.
    #[arg(long)]
    pub plot: bool,
}

fn dse_err(e: DseError) -> CliError {
    CliError::from_error(e)
}

fn parse_objectives(
    list: &[String],
    has_accuracy: bool,
) -> Result<Option<Vec<Objective>>, CliError> {
    if list.is_empty() {
        return Ok(None);
    }
    let objs: Vec<Objective> = list
        .iter()
        .map(|s| Objective::parse(s).map_err(|e| CliError::bad_input(format!("--pareto: {e}"))))
        .collect::<Result<_, _>>()?;
    check_objectives(&objs, has_accuracy)
        .map_err(|e| CliError::bad_input(format!("--pareto: {e}")))?;
    Ok(Some(objs))
}

/// Prints to stdout; a closed pipe (`| head`) is not an error.
fn stdout(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::io(format!("cannot write to stdout: {e}"), e))
        }
        _ => Ok(()),
    }
}

fn describe(objs: &[Objective]) -> String {
    objs.iter()
        .map(|o| format!("{} {}", o.metric.name(), o.goal.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn status_counts(columns: &[String], rows: &[Row]) -> String {
    let mut parts = Vec::new();
    for s in [
        Status::Ok,
        Status::Pruned,
        Status::Infeasible,
        Status::Error,
    ] {
        let n = rows
            .iter()
            .filter(|r| r.text(columns, "status") == s.name())
            .count();
        if n > 0 || s == Status::Ok {
            parts.push(format!("{n} {}", s.name()));
        }
    }
    parts.join(", ")
}

/// Runs `accelsim sweep`.
pub fn run(args: &SweepArgs) -> Result<(), CliError> {
    if let Some(SweepCommand::Merge(m)) = &args.command {
        return run_merge(m);
    }
    let path = args
        .spec
        .as_ref()
        .ok_or_else(|| CliError::bad_input("expected a sweep file"))?;
    let sweep = Sweep::load(path).map_err(CliError::from_error)?;
    let objectives = parse_objectives(&args.pareto, sweep.has_accuracy())?
        .unwrap_or_else(|| sweep.pareto().to_vec());
    for n in sweep.notes() {
        eprintln!("warning: {n}");
    }
    let shard = args.shard.unwrap_or(Shard::WHOLE);
    let shard_len = sweep.points().shard_len(shard);
    if args.dry_run {
        let over = limits::check_points(shard_len, args.max_points)
            .err()
            .map(|e| format!("note: a run would be refused: {e}\n"))
            .unwrap_or_default();
        return stdout(&format!(
            "sweep '{}' is valid: {} points in the product, {} selected, {} in shard {shard}\ncolumns: {}\npareto: {}\n{over}",
            sweep.spec.name,
            sweep.space_size(),
            sweep.points().len(),
            shard_len,
            sweep.columns().join(","),
            describe(&objectives)
        ));
    }
    limits::check_points(shard_len, args.max_points).map_err(CliError::bad_input)?;
    if let Some(n) = args.threads {
        limits::check_threads(n).map_err(CliError::bad_input)?;
    }
    let ids = sweep.points().shard_ids(shard);
    let pool = {
        let mut b = rayon::ThreadPoolBuilder::new();
        if let Some(n) = args.threads {
            b = b.num_threads(n);
        }
        b.build()
            .map_err(|e| CliError::failure(format!("cannot start threads: {e}")))?
    };
    let columns = sweep.columns();
    let manifest = Manifest::new(&sweep, shard, &objectives);
    let out = match &args.out {
        Some(dir) => {
            let check = |r: &Row| resume::check_row(&sweep, shard, &columns, r);
            Some(OutDir::open(dir, manifest, args.resume, &check).map_err(dse_err)?)
        }
        None => None,
    };
    let done = out.as_ref().map(|o| o.done()).unwrap_or_default();
    let todo: Vec<u64> = ids
        .iter()
        .copied()
        .filter(|id| !done.contains(id))
        .collect();
    if !done.is_empty() {
        eprintln!(
            "resuming: {} of {} points already done",
            ids.len() - todo.len(),
            ids.len()
        );
    }

    let pb = progress_bar(todo.len() as u64);
    let memory: Mutex<Vec<Row>> = Mutex::new(Vec::new());
    let first_io_error: Mutex<Option<DseError>> = Mutex::new(None);
    let errors: Mutex<Vec<(u64, String)>> = Mutex::new(Vec::new());
    let start = Instant::now();
    pool.install(|| {
        sweep.evaluate_many(&todo, |r| {
            if let Some(e) = &r.error {
                if let Ok(mut v) = errors.lock() {
                    v.push((r.id, e.clone()));
                }
            }
            let row = Row::from_result(&r);
            match &out {
                Some(o) => {
                    if let Err(e) = o.append(row) {
                        if let Ok(mut slot) = first_io_error.lock() {
                            slot.get_or_insert(e);
                        }
                    }
                }
                None => {
                    if let Ok(mut m) = memory.lock() {
                        m.push(row);
                    }
                }
            }
            pb.inc(1);
        })
    });
    pb.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    if let Some(e) = first_io_error.into_inner().ok().flatten() {
        return Err(dse_err(e));
    }
    warn_point_errors(errors.into_inner().unwrap_or_default());

    let finished: Finished = match out {
        Some(o) => o.finish(&objectives).map_err(dse_err)?,
        None => {
            let mut rows = memory.into_inner().unwrap_or_default();
            rows.sort_by_key(|r| r.id);
            let front = accelsim::dse::front_of(&columns, &rows, &objectives);
            Finished { rows, front }
        }
    };
    eprintln!(
        "sweep '{}': {} evaluated in {:.3} s ({:.0} points/s); {} in results ({})",
        sweep.spec.name,
        super::count(todo.len(), "point"),
        secs,
        if secs > 0.0 {
            todo.len() as f64 / secs
        } else {
            0.0
        },
        super::count(finished.rows.len(), "point"),
        status_counts(&columns, &finished.rows)
    );
    if sweep.has_accuracy() {
        warn_accuracy_coverage(&columns, &finished.rows);
    }
    eprintln!(
        "Pareto front ({}): {}",
        describe(&objectives),
        super::count(finished.front.len(), "point")
    );
    write_outputs(args, &sweep, &columns, &finished, &objectives)
}

/// The progress bar of a sweep run (on stderr).
fn progress_bar(len: u64) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] {pos}/{len} points ({rate}, ETA {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0} points/s", s.per_sec());
        })
        .progress_chars("=> "),
    );
    pb
}

/// Warns about the first five failed points (by id) and counts the rest.
fn warn_point_errors(mut errors: Vec<(u64, String)>) {
    errors.sort();
    for (id, e) in errors.iter().take(5) {
        eprintln!("warning: point {id}: {e}");
    }
    if errors.len() > 5 {
        eprintln!(
            "warning: ... and {} more points with errors",
            errors.len() - 5
        );
    }
}

/// Names the files written to the output folder (and writes the plots), or prints the
/// Pareto front as CSV when there is no output folder.
fn write_outputs(
    args: &SweepArgs,
    sweep: &Sweep,
    columns: &[String],
    finished: &Finished,
    objectives: &[Objective],
) -> Result<(), CliError> {
    match &args.out {
        Some(dir) => {
            eprintln!(
                "wrote {}, {}, {}",
                dir.join(RESULTS_CSV).display(),
                dir.join(RESULTS_JSONL).display(),
                dir.join(PARETO_CSV).display()
            );
            if args.plot {
                let files = plot::write_plots(
                    dir,
                    &sweep.spec.name,
                    columns,
                    finished,
                    sweep.plots(),
                    objectives,
                )
                .map_err(dse_err)?;
                for f in files {
                    eprintln!("wrote {}", f.display());
                }
            }
        }
        None => {
            let front: Vec<Row> = finished
                .front
                .iter()
                .map(|&i| finished.rows[i].clone())
                .collect();
            stdout(&to_csv(columns, &front))?;
        }
    }
    Ok(())
}

/// Says how many rows have a measured, a modelled and no accuracy; warns about the last.
fn warn_accuracy_coverage(columns: &[String], rows: &[Row]) {
    let (measured, modelled, none) = accelsim::dse::sensitivity::coverage(columns, rows);
    eprintln!("accuracy: {measured} points measured, {modelled} modelled, {none} without");
    if none > 0 {
        eprintln!(
            "warning: {none} of {} points have no accuracy (not in the QAT file{}); they are left off fronts that use accuracy",
            rows.len(),
            if modelled > 0 { " and not modelled" } else { "; \"accuracy_model\": \"additive\" can fill them" }
        );
    }
}

fn run_merge(args: &MergeArgs) -> Result<(), CliError> {
    let objectives = parse_objectives(&args.pareto, true)?;
    let (manifest, finished) =
        merge(&args.shards, &args.out, objectives.as_deref()).map_err(dse_err)?;
    let objs = manifest.objectives().map_err(CliError::bad_input)?;
    eprintln!(
        "merged {} of sweep '{}': {} ({})",
        super::count(args.shards.len(), "shard folder"),
        manifest.sweep,
        super::count(finished.rows.len(), "point"),
        status_counts(&manifest.columns, &finished.rows)
    );
    eprintln!(
        "Pareto front ({}): {}",
        describe(&objs),
        super::count(finished.front.len(), "point")
    );
    eprintln!(
        "wrote {}, {}, {}",
        args.out.join(RESULTS_CSV).display(),
        args.out.join(RESULTS_JSONL).display(),
        args.out.join(PARETO_CSV).display()
    );
    if args.plot {
        let files = plot::write_plots(
            &args.out,
            &manifest.sweep,
            &manifest.columns,
            &finished,
            &manifest.plots,
            &objs,
        )
        .map_err(dse_err)?;
        for f in files {
            eprintln!("wrote {}", f.display());
        }
    }
    Ok(())
}
