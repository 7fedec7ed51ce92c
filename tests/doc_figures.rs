//! Figures quoted in README.md and docs/ that are registered in `docs/figures.json` match
//! fresh runs of the release binary (`cargo test --release --test doc_figures`); a stale one
//! fails with the fresh text. `scripts/regen_docs_figures.sh` (this test with
//! `ACCELSIM_REGEN_DOCS=1`) rewrites every registered figure in place instead.
//!
//! Registry entry: `{"file": "README.md", "text": "takes\n{} / {} µs", "values": [...]}`;
//! `text` is the quoted passage with `{}` where each figure stands, `values` says where each
//! figure comes from: `{"run": [accelsim arguments…, "--json"], "pointer": "/summary/latency_s",
//! "scale": 1e6, "format": "f1"}` (a JSON pointer into the command's stdout) or
//! `{"json_file": "arch_configs/x.json", "pointer": "/…", "format": "f1"}` (a quoted input).
//! Formats: `fN` (N decimals), `eN` (Rust's `{:.Ne}`, as `8.841e9`), `int`.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use serde::Deserialize;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Registry {
    figures: Vec<Figure>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Figure {
    file: String,
    text: String,
    values: Vec<Source>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Source {
    #[serde(default)]
    run: Option<Vec<String>>,
    #[serde(default)]
    json_file: Option<String>,
    pointer: String,
    #[serde(default)]
    scale: Option<f64>,
    format: String,
}

/// Runs the release binary once per distinct argument list.
struct Runner {
    cache: HashMap<Vec<String>, Value>,
}

impl Runner {
    fn json(&mut self, src: &Source) -> Value {
        match (&src.run, &src.json_file) {
            (Some(args), None) => self
                .cache
                .entry(args.clone())
                .or_insert_with(|| {
                    let o = Command::new(env!("CARGO_BIN_EXE_accelsim"))
                        .args(args)
                        .current_dir(root())
                        .env_remove("RUST_LOG")
                        .output()
                        .expect("run accelsim");
                    assert!(
                        o.status.success(),
                        "accelsim {args:?} failed: {}",
                        String::from_utf8_lossy(&o.stderr)
                    );
                    serde_json::from_slice(&o.stdout)
                        .unwrap_or_else(|e| panic!("accelsim {args:?}: stdout is not JSON: {e}"))
                })
                .clone(),
            (None, Some(f)) => {
                let t = std::fs::read_to_string(root().join(f)).expect("json_file");
                serde_json::from_str(&t).expect("json_file is JSON")
            }
            _ => panic!("a value needs exactly one of `run` and `json_file`"),
        }
    }

    fn render(&mut self, src: &Source) -> String {
        let doc = self.json(src);
        let v = doc
            .pointer(&src.pointer)
            .and_then(Value::as_f64)
            .unwrap_or_else(|| panic!("no number at {} ({:?})", src.pointer, src.run));
        let v = v * src.scale.unwrap_or(1.0);
        let f = src.format.as_str();
        let digits = |s: &str| s.parse::<usize>().expect("format digits");
        match f {
            "int" => format!("{}", v.round() as i64),
            _ if f.starts_with('f') => format!("{v:.*}", digits(&f[1..])),
            _ if f.starts_with('e') => format!("{v:.*e}", digits(&f[1..])),
            _ => panic!("unknown format '{f}' (fN, eN, int)"),
        }
    }
}

/// Where `text` (with `{}` standing for numbers) occurs in `doc`: byte range of the first
/// occurrence whose placeholders hold number-like tokens.
fn find_template(doc: &str, text: &str) -> Option<std::ops::Range<usize>> {
    let parts: Vec<&str> = text.split("{}").collect();
    let is_num = |c: char| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e');
    let mut from = 0;
    while let Some(off) = doc[from..].find(parts[0]) {
        let start = from + off;
        let mut at = start + parts[0].len();
        let mut ok = true;
        for lit in &parts[1..] {
            let len = doc[at..].chars().take_while(|&c| is_num(c)).count();
            if len == 0 || !doc[at + len..].starts_with(lit) {
                ok = false;
                break;
            }
            at += len + lit.len();
        }
        if ok {
            return Some(start..at);
        }
        // Step past the first character (a byte step could land inside a multi-byte one).
        match doc[start..].chars().next() {
            Some(c) => from = start + c.len_utf8(),
            None => break,
        }
    }
    None
}

fn fill(text: &str, values: &[String]) -> String {
    let parts: Vec<&str> = text.split("{}").collect();
    assert_eq!(
        parts.len(),
        values.len() + 1,
        "'{text}': one value per {{}}"
    );
    let mut s = parts[0].to_string();
    for (v, lit) in values.iter().zip(&parts[1..]) {
        s.push_str(v);
        s.push_str(lit);
    }
    s
}

#[test]
fn registered_doc_figures_match_fresh_runs() {
    let reg: Registry = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/figures.json")).expect("docs/figures.json"),
    )
    .expect("docs/figures.json: {\"figures\": [{file, text, values}]}");
    let regen = std::env::var_os("ACCELSIM_REGEN_DOCS").is_some();
    let mut runner = Runner {
        cache: HashMap::new(),
    };
    let mut stale = Vec::new();
    let mut docs: HashMap<String, String> = HashMap::new();
    for fig in &reg.figures {
        let fresh: Vec<String> = fig.values.iter().map(|s| runner.render(s)).collect();
        let want = fill(&fig.text, &fresh);
        let doc = docs.entry(fig.file.clone()).or_insert_with(|| {
            std::fs::read_to_string(root().join(&fig.file))
                .unwrap_or_else(|e| panic!("{}: {e}", fig.file))
        });
        if doc.contains(&want) {
            continue;
        }
        let Some(range) = find_template(doc, &fig.text) else {
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
    if regen {
        for (file, text) in &docs {
            std::fs::write(root().join(file), text).unwrap();
        }
    }
    assert!(
        stale.is_empty(),
        "{} stale figure(s) (rerun scripts/regen_docs_figures.sh):\n{}",
        stale.len(),
        stale.join("\n")
    );
    assert!(
        reg.figures.len() >= 10,
        "the registry covers the quoted figures"
    );
}

#[test]
fn template_matching_reads_numbers_only() {
    let doc = "takes 801.0 / 724.2 µs and takes x / 1 µs";
    assert_eq!(
        find_template(doc, "takes {} / {} µs").map(|r| &doc[r]),
        Some("takes 801.0 / 724.2 µs")
    );
    assert_eq!(find_template("takes a / b µs", "takes {} / {} µs"), None);
    assert_eq!(
        fill("{} → {} pJ", &["1".into(), "2.5e9".into()]),
        "1 → 2.5e9 pJ"
    );
}
