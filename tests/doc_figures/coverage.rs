//! Which numbers of the documents' tables and output blocks nothing checks: every
//! figure-looking number there must lie in a registered passage or generated block, or
//! in a table / block the registry exempts with a reason.

use std::ops::Range;

/// A table or an output block: its first line and where it starts.
#[derive(Clone, Debug)]
pub struct Unit {
    pub first_line: String,
    pub line_no: usize,
}

/// A figure-looking number outside every covered range.
#[derive(Debug)]
pub struct Loose {
    pub unit: Unit,
    pub line_no: usize,
    pub token: String,
}

/// Fenced blocks with these info strings hold inputs or commands, not output.
const CODE: [&str; 10] = [
    "sh", "bash", "json", "rust", "csv", "yaml", "python", "toml", "py", "jsonc",
];

/// Figure-looking tokens of `line` with their byte offsets: a run of digits (with `.` and
/// `,` between digits) not glued to a word (`fp16`, `64x64`, `v1.0`), with a decimal
/// point, a thousands separator or at least three digits.
pub fn figures(line: &str) -> Vec<(usize, String)> {
    let b = line.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && (word(b[i - 1]) || b[i - 1] == b'.')) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len()
            && (b[i].is_ascii_digit()
                || (matches!(b[i], b'.' | b',') && b.get(i + 1).is_some_and(u8::is_ascii_digit)))
        {
            i += 1;
        }
        // An exponent: `6.23e9`, `1e-5`.
        if b.get(i) == Some(&b'e') {
            let mut j = i + 1;
            if matches!(b.get(j), Some(b'+' | b'-')) {
                j += 1;
            }
            if b.get(j).is_some_and(u8::is_ascii_digit) {
                i = j;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
        }
        let tok = &line[start..i];
        let glued = b.get(i).is_some_and(|&c| word(c));
        let digits = tok.bytes().filter(u8::is_ascii_digit).count();
        if !glued && (tok.contains(['.', ',', 'e']) || digits >= 3) {
            out.push((start, tok.to_string()));
        }
    }
    out
}

/// The loose figures of `doc`: numbers in tables (header rows excepted) and output blocks
/// that no range of `covered` holds, in units `exempt` does not name.
pub fn loose(doc: &str, covered: &[Range<usize>], exempt: &[&str]) -> Vec<Loose> {
    let mut out = Vec::new();
    let mut fence: Option<(bool, Option<Unit>)> = None; // (checked, unit)
    let mut table: Option<Unit> = None;
    let mut at = 0;
    for (n, line) in doc.split_inclusive('\n').enumerate() {
        let start = at;
        at += line.len();
        let l = line.trim_end_matches('\n');
        if let Some(info) = l.trim_start().strip_prefix("```") {
            fence = match fence {
                Some(_) => None,
                None => Some((!CODE.contains(&info.trim()), None)),
            };
            table = None;
            continue;
        }
        let unit = match &mut fence {
            Some((false, _)) => continue,
            Some((true, u)) => u
                .get_or_insert_with(|| Unit {
                    first_line: l.to_string(),
                    line_no: n + 1,
                })
                .clone(),
            None if l.starts_with('|') => {
                if table.is_none() {
                    table = Some(Unit {
                        first_line: l.to_string(),
                        line_no: n + 1,
                    });
                    continue; // the header row
                }
                table.clone().unwrap()
            }
            None => {
                table = None;
                continue;
            }
        };
        if exempt.contains(&unit.first_line.as_str()) {
            continue;
        }
        for (off, token) in figures(l) {
            let pos = start + off;
            if !covered.iter().any(|r| r.contains(&pos)) {
                out.push(Loose {
                    unit: unit.clone(),
                    line_no: n + 1,
                    token,
                });
            }
        }
    }
    out
}

#[test]
fn figure_tokens_skip_names_and_small_counts() {
    let toks = |l: &str| figures(l).into_iter().map(|(_, t)| t).collect::<Vec<_>>();
    assert_eq!(
        toks("| fp16 | 8192 | 1693.2 µs | 64x64x32 s8 w1 | 2:4 | 1,032,192 | 12 | v1.0 |"),
        ["8192", "1693.2", "1,032,192"]
    );
    assert_eq!(
        toks("8192³ at 1.5× and 2^40, 6.23e9 pJ"),
        ["8192", "1.5", "6.23e9"]
    );
}

#[test]
fn loose_figures_are_found_outside_covered_ranges() {
    let doc = "| a | b |\n|---|---|\n| x | 12.5 |\n\n```\nout 700 W\n```\n```sh\nrun 1.5\n```\n";
    let all = loose(doc, &[], &[]);
    assert_eq!(
        all.iter()
            .map(|l| (l.line_no, l.token.as_str()))
            .collect::<Vec<_>>(),
        [(3, "12.5"), (6, "700")]
    );
    let at = doc.find("12.5").unwrap();
    let covered = vec![at..at + 4, 0..0];
    assert_eq!(loose(doc, &covered, &["out 700 W"]).len(), 0);
}
