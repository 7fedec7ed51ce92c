//! Figures quoted in README.md, VALIDATION.md and docs/ that are registered in
//! `docs/figures.json` match fresh runs (`cargo test --release --test doc_figures`); a
//! stale one fails with the fresh text. `scripts/regen_docs_figures.sh` (this test with
//! `ACCELSIM_REGEN_DOCS=1`, and `ACCELSIM_DOCS_SLOW=1` for the entries marked `slow`)
//! rewrites every registered figure in place instead.
//!
//! Registry (`registry.rs`):
//! - `figures`: `{"file": "README.md", "text": "takes\n{} / {} µs", "values": [...]}`;
//!   `text` is the quoted passage with `{}` where each figure stands, `values` says where
//!   each comes from: `{"run": [accelsim arguments…, "--json"], "pointer":
//!   "/summary/latency_s", "scale": 1e6, "format": "f1"}` (a JSON pointer into the
//!   command's stdout), `{"json_file": "arch_configs/x.json", …}` (a quoted input),
//!   `{"sweep": "sweeps/x.json", "pointer": "/rows/2/latency_s", …}` (the sweep's rows by
//!   id, `/count`, `/pareto_count`), `{"generator": "h100_2x4", …}` (`generators.rs`) or
//!   `{"expr": "ratio" | "saving_pct" | "diff", "args": [two sources without format], …}`.
//!   Formats: `fN` (N decimals), `eN` (Rust's `{:.Ne}`, as `8.841e9`), `int`, `sep`
//!   (`1,032,192`), `sp` (`1 143 850`).
//! - `blocks`: the text between `<!-- fig:NAME -->` and `<!-- /fig:NAME -->` is a
//!   command's stdout (`run`, `stdin`; `section`: only the Markdown table after that line;
//!   `from`/`until`: only the lines from one to another) or a generator's text, between the
//!   literal `before` and `after`.
//! - `exempt`: tables (by header row) and output blocks (by first line) whose numbers
//!   accelsim does not compute, with the reason; `every_table_and_output_figure_is_covered`
//!   fails on any other number in a table or output block that no passage or block holds.

mod coverage;
mod generators;
mod registry;
mod runner;
mod text;

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::path::Path;

use registry::Registry;
use runner::{Job, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The documents the coverage check reads.
fn documents() -> Vec<String> {
    let mut files = vec!["README.md".to_string(), "VALIDATION.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

fn read(file: &str) -> String {
    std::fs::read_to_string(root().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Runs every job the selected entries need.
fn run_jobs(reg: &Registry, slow: bool) -> HashMap<Job, Output> {
    let mut jobs = BTreeSet::new();
    for f in reg.figures.iter().filter(|f| slow || !f.slow) {
        for v in &f.values {
            runner::jobs_of(v, &mut jobs);
        }
    }
    for b in reg.blocks.iter().filter(|b| slow || !b.slow) {
        match (&b.run, &b.generator) {
            (Some(a), None) => jobs.insert(Job::Cli(a.clone(), b.stdin.clone())),
            (None, Some(g)) => jobs.insert(Job::Gen(g.clone())),
            _ => panic!("block {}: exactly one of run and generator", b.name),
        };
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    runner::run_all(root(), jobs, threads)
}

/// The fresh text of a block.
fn block_text(b: &registry::Block, outs: &HashMap<Job, Output>) -> String {
    let job = match (&b.run, &b.generator) {
        (Some(a), None) => Job::Cli(a.clone(), b.stdin.clone()),
        (_, Some(g)) => Job::Gen(g.clone()),
        _ => unreachable!(),
    };
    let text = &outs[&job].text;
    let body = match (&b.section, &b.from) {
        (Some(h), None) => text::table_after(text, h)
            .unwrap_or_else(|| panic!("block {}: no table after '{h}' in:\n{text}", b.name)),
        (None, Some(f)) => text::lines_between(text, f, b.until.as_deref())
            .unwrap_or_else(|| panic!("block {}: no lines from '{f}' in:\n{text}", b.name)),
        (None, None) => text.clone(),
        _ => panic!("block {}: `section` or `from`, not both", b.name),
    };
    format!("{}{body}{}", b.before, b.after)
}

#[test]
fn registered_doc_figures_match_fresh_runs() {
    let reg = registry::load(root());
    let regen = std::env::var_os("ACCELSIM_REGEN_DOCS").is_some();
    let slow = std::env::var_os("ACCELSIM_DOCS_SLOW").is_some();
    let outs = run_jobs(&reg, slow);
    let mut stale = Vec::new();
    let mut docs: HashMap<String, String> = HashMap::new();
    for fig in reg.figures.iter().filter(|f| slow || !f.slow) {
        let fresh: Vec<String> = fig
            .values
            .iter()
            .map(|s| runner::render(root(), &outs, s))
            .collect();
        let want = text::fill(&fig.text, &fresh);
        let doc = docs
            .entry(fig.file.clone())
            .or_insert_with(|| read(&fig.file));
        if doc.contains(&want) {
            continue;
        }
        let Some(range) = text::find_template(doc, &fig.text) else {
            stale.push(format!(
                "{}: the passage '{}' is not there",
                fig.file, fig.text
            ));
            continue;
        };
        if regen {
            doc.replace_range(range, &want);
        } else {
            stale.push(format!(
                "{}: '{}' is stale; fresh: '{want}'",
                fig.file, &doc[range]
            ));
        }
    }
    for b in reg.blocks.iter().filter(|b| slow || !b.slow) {
        let want = block_text(b, &outs);
        let doc = docs.entry(b.file.clone()).or_insert_with(|| read(&b.file));
        let Some(range) = text::block_body(doc, &b.name) else {
            stale.push(format!(
                "{}: no block <!-- fig:{} --> … <!-- /fig:{} -->",
                b.file, b.name, b.name
            ));
            continue;
        };
        if doc[range.clone()] == want {
            continue;
        }
        if regen {
            doc.replace_range(range, &want);
        } else {
            stale.push(format!(
                "{}: block {} is stale; fresh:\n{want}",
                b.file, b.name
            ));
        }
    }
    if regen {
        for (file, text) in &docs {
            if *text != read(file) {
                std::fs::write(root().join(file), text).unwrap();
            }
        }
    }
    assert!(
        stale.is_empty(),
        "{} stale figure(s) (rerun scripts/regen_docs_figures.sh):\n{}",
        stale.len(),
        stale.join("\n")
    );
}

/// Byte ranges of `doc` the registry checks: its passages and block bodies.
fn covered(reg: &Registry, file: &str, doc: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for f in reg.figures.iter().filter(|f| f.file == file) {
        let mut from = 0;
        while let Some(r) = text::find_template(&doc[from..], &f.text) {
            out.push(from + r.start..from + r.end);
            from += r.end;
        }
    }
    for b in reg.blocks.iter().filter(|b| b.file == file) {
        out.extend(text::block_body(doc, &b.name));
    }
    out
}

#[test]
fn every_table_and_output_figure_is_covered() {
    let reg = registry::load(root());
    let mut loose = Vec::new();
    for file in documents() {
        let doc = read(&file);
        let exempt: Vec<&str> = reg
            .exempt
            .iter()
            .filter(|e| e.file == file)
            .map(|e| e.first_line.as_str())
            .collect();
        for e in &exempt {
            assert!(
                doc.lines().any(|l| l == *e),
                "{file}: the exempt table or block '{e}' is not there"
            );
        }
        let cov = covered(&reg, &file, &doc);
        let mut units = Vec::new();
        for l in coverage::loose(&doc, &cov, &exempt) {
            if units.last() != Some(&l.unit.line_no) {
                units.push(l.unit.line_no);
                loose.push(format!("{file}:{} '{}'", l.unit.line_no, l.unit.first_line));
            }
            loose.push(format!("    line {}: {}", l.line_no, l.token));
        }
    }
    assert!(
        loose.is_empty(),
        "figures in tables / output blocks that docs/figures.json neither registers nor \
         exempts (register the passage or block, or exempt the unit with the reason):\n{}",
        loose.join("\n")
    );
}

#[test]
fn registry_entries_are_well_formed() {
    let reg = registry::load(root());
    assert!(
        reg.figures.len() >= 10,
        "the registry covers the quoted figures"
    );
    let mut names = BTreeSet::new();
    for b in &reg.blocks {
        assert!(names.insert(&b.name), "block name {} twice", b.name);
    }
    for e in &reg.exempt {
        assert!(
            !e.why.trim().is_empty(),
            "{}: exempt '{}' without a reason",
            e.file,
            e.first_line
        );
    }
}
