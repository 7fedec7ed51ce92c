//! Runs what the registry's figures come from — each distinct accelsim command, sweep and
//! generator once, several at a time — and renders figures in the documents' formats.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use serde_json::{json, Value};

use crate::generators;
use crate::registry::Source;

/// One thing to run.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Job {
    /// accelsim arguments and stdin.
    Cli(Vec<String>, Option<String>),
    /// A sweep file.
    Sweep(String),
    /// An in-process generator.
    Gen(String),
}

/// What a job produced: its text (stdout, or a generator's block) and its JSON.
#[derive(Clone)]
pub struct Output {
    pub text: String,
    pub json: Option<Value>,
}

/// The jobs a source needs.
pub fn jobs_of(src: &Source, out: &mut BTreeSet<Job>) {
    if let Some(a) = &src.run {
        out.insert(Job::Cli(a.clone(), None));
    }
    if let Some(s) = &src.sweep {
        out.insert(Job::Sweep(s.clone()));
    }
    if let Some(g) = &src.generator {
        out.insert(Job::Gen(g.clone()));
    }
    for a in &src.args {
        jobs_of(a, out);
    }
}

pub fn accelsim(root: &Path, args: &[String], stdin: Option<&str>) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .args(args)
        .current_dir(root)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run accelsim");
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(pipe);
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "accelsim {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("UTF-8 stdout")
}

/// `accelsim sweep FILE --out TMP`: `{"rows": {"ID": row}, "count": n, "pareto_count": n,
/// "pareto_ids": [ids]}`.
pub fn sweep(root: &Path, file: &str) -> Value {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "accelsim_doc_figures_{}_{n}_{}",
        std::process::id(),
        file.replace(['/', '.'], "_")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let args = ["sweep", file, "--out", dir.to_str().unwrap()].map(String::from);
    accelsim(root, &args, None);
    let rows: serde_json::Map<String, Value> = std::fs::read_to_string(dir.join("results.jsonl"))
        .expect("results.jsonl")
        .lines()
        .map(|l| {
            let row: Value = serde_json::from_str(l).expect("a JSON row");
            (row["id"].to_string(), row)
        })
        .collect();
    let pareto = std::fs::read_to_string(dir.join("pareto.csv")).expect("pareto.csv");
    let _ = std::fs::remove_dir_all(&dir);
    let front: Vec<u64> = pareto
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().expect("an id"))
        .collect();
    json!({ "count": rows.len(), "rows": rows, "pareto_count": front.len(), "pareto_ids": front })
}

fn run_job(root: &Path, job: &Job) -> Output {
    match job {
        Job::Cli(args, stdin) => {
            let text = accelsim(root, args, stdin.as_deref());
            let json = serde_json::from_str(&text).ok();
            Output { text, json }
        }
        Job::Sweep(file) => Output {
            text: String::new(),
            json: Some(sweep(root, file)),
        },
        Job::Gen(name) => {
            let (text, json) = generators::run(root, name);
            Output {
                text,
                json: Some(json),
            }
        }
    }
}

/// Runs every job, `threads` at a time.
pub fn run_all(root: &Path, jobs: BTreeSet<Job>, threads: usize) -> HashMap<Job, Output> {
    let queue = Mutex::new(jobs.into_iter().collect::<Vec<_>>());
    let done = Mutex::new(HashMap::new());
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let Some(job) = queue.lock().unwrap().pop() else {
                    break;
                };
                let out = run_job(root, &job);
                done.lock().unwrap().insert(job, out);
            });
        }
    });
    done.into_inner().unwrap()
}

/// A source's number (before its format).
pub fn value(root: &Path, outs: &HashMap<Job, Output>, src: &Source) -> f64 {
    let v = if let Some(e) = &src.expr {
        let a: Vec<f64> = src.args.iter().map(|s| value(root, outs, s)).collect();
        let two = || {
            assert_eq!(a.len(), 2, "expr '{e}' takes two args");
            (a[0], a[1])
        };
        match e.as_str() {
            "ratio" => two().0 / two().1,
            "saving_pct" => 100.0 * (1.0 - two().1 / two().0),
            "error_pct" => 100.0 * (two().0 / two().1 - 1.0),
            "diff" => two().0 - two().1,
            "sum" => a.iter().sum(),
            "min" => a.iter().copied().fold(f64::INFINITY, f64::min),
            "max" => a.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            _ => panic!("unknown expr '{e}' (ratio, saving_pct, error_pct, diff, sum, min, max)"),
        }
    } else if let Some(c) = src.constant {
        c
    } else if let (Some(row), Some(col)) = (&src.row, src.col) {
        cell(outs, src, row, col)
    } else {
        let doc = document(root, outs, src);
        let p = src.pointer.as_deref().expect("a pointer");
        doc.pointer(p)
            .and_then(Value::as_f64)
            .unwrap_or_else(|| panic!("no number at {p} ({src:?})"))
    };
    v * src.scale.unwrap_or(1.0)
}

/// The number in cell `col` of the first stdout line of `src.run` starting with `row`.
fn cell(outs: &HashMap<Job, Output>, src: &Source, row: &str, col: usize) -> f64 {
    let args = src.run.clone().expect("row/col read a run's stdout");
    let text = &outs[&Job::Cli(args, None)].text;
    let line = text
        .lines()
        .find(|l| l.starts_with(row))
        .unwrap_or_else(|| panic!("no line starting with '{row}' in:\n{text}"));
    let cell = line
        .split('|')
        .nth(col)
        .unwrap_or_else(|| panic!("no cell {col} in '{line}'"));
    let num: String = cell
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e'))
        .collect();
    num.parse()
        .unwrap_or_else(|_| panic!("cell {col} of '{line}' is not a number"))
}

fn document(root: &Path, outs: &HashMap<Job, Output>, src: &Source) -> Value {
    let job = match (&src.run, &src.json_file, &src.sweep, &src.generator) {
        (Some(a), None, None, None) => Job::Cli(a.clone(), None),
        (None, Some(f), None, None) => {
            let t = std::fs::read_to_string(root.join(f)).expect("json_file");
            return serde_json::from_str(&t).expect("json_file is JSON");
        }
        (None, None, Some(s), None) => Job::Sweep(s.clone()),
        (None, None, None, Some(g)) => Job::Gen(g.clone()),
        _ => panic!("a value needs exactly one of run, json_file, sweep, generator, expr: {src:?}"),
    };
    let out = outs.get(&job).expect("job was run");
    out.json
        .clone()
        .unwrap_or_else(|| panic!("{job:?}: stdout is not JSON"))
}

/// A number in one of the registry's formats.
pub fn format(v: f64, f: &str) -> String {
    let digits = |s: &str| s.parse::<usize>().expect("format digits");
    match f {
        "int" => format!("{}", v.round() as i64),
        "sep" | "sp" => {
            let s = format!("{}", v.round() as i64);
            let sep = if f == "sep" { ',' } else { ' ' };
            let mut out = String::new();
            for (i, c) in s.chars().enumerate() {
                if i > 0 && (s.len() - i) % 3 == 0 && c.is_ascii_digit() {
                    out.push(sep);
                }
                out.push(c);
            }
            out
        }
        _ if f.starts_with("+f") => format!("{v:+.*}", digits(&f[2..])),
        _ if f.starts_with('f') => format!("{v:.*}", digits(&f[1..])),
        _ if f.starts_with('e') => format!("{v:.*e}", digits(&f[1..])),
        _ => panic!("unknown format '{f}' (fN, +fN, eN, int, sep, sp)"),
    }
}

/// A source rendered as the document writes it.
pub fn render(root: &Path, outs: &HashMap<Job, Output>, src: &Source) -> String {
    let f = src.format.as_deref().expect("a format");
    format(value(root, outs, src), f)
}

#[test]
fn formats_read_as_the_documents_write() {
    assert_eq!(format(1143850.0, "sp"), "1 143 850");
    assert_eq!(format(1032192.0, "sep"), "1,032,192");
    assert_eq!(format(999.0, "sep"), "999");
    assert_eq!(format(8.8641e9, "e3"), "8.864e9");
    assert_eq!(format(2.155, "f1"), "2.2");
    assert_eq!(format(0.04, "+f1"), "+0.0");
    assert_eq!(format(-0.1, "+f1"), "-0.1");
}
