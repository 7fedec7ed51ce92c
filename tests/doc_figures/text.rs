//! Finding a registered passage in a document, filling it with fresh figures, and the
//! generated blocks between `<!-- fig:NAME -->` and `<!-- /fig:NAME -->`.

use std::ops::Range;

/// Length of the number-like token at the start of `s`: digits, `.`, signs, an exponent,
/// and `,` or a space between digits (`1,032,192`, `1 143 850`).
fn number_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let digit_next = b.get(i + 1).is_some_and(u8::is_ascii_digit);
        let ok = c.is_ascii_digit()
            || matches!(c, b'.' | b'-' | b'+')
            || (c == b'e' && i > 0)
            || (matches!(c, b',' | b' ') && i > 0 && digit_next);
        if !ok {
            break;
        }
        i += 1;
    }
    i
}

/// Where `text` (with `{}` standing for numbers) occurs in `doc`: byte range of the first
/// occurrence whose placeholders hold number-like tokens.
pub fn find_template(doc: &str, text: &str) -> Option<Range<usize>> {
    let parts: Vec<&str> = text.split("{}").collect();
    let mut from = 0;
    while let Some(off) = doc[from..].find(parts[0]) {
        let start = from + off;
        let mut at = start + parts[0].len();
        let mut ok = true;
        for lit in &parts[1..] {
            let len = number_len(&doc[at..]);
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

/// `text` with its `{}` replaced by `values` in order.
pub fn fill(text: &str, values: &[String]) -> String {
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

/// The byte range of the body of block `name` (after the line of its opening marker, up
/// to its closing marker), if the document has both markers once.
pub fn block_body(doc: &str, name: &str) -> Option<Range<usize>> {
    let open = format!("<!-- fig:{name} -->\n");
    let close = format!("<!-- /fig:{name} -->");
    let start = doc.find(&open)? + open.len();
    let end = start + doc[start..].find(&close)?;
    (doc.matches(&open).count() == 1).then_some(start..end)
}

/// The Markdown table that follows the line `heading` in `text` (its `|` lines, each with
/// its newline).
pub fn table_after(text: &str, heading: &str) -> Option<String> {
    let at = text.lines().position(|l| l == heading)?;
    let table: Vec<&str> = text
        .lines()
        .skip(at + 1)
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .collect();
    (!table.is_empty()).then(|| table.iter().map(|l| format!("{l}\n")).collect())
}

/// The lines of `text` from the line `from` up to the line `until` (or the end), without
/// trailing blank lines, each with its newline.
pub fn lines_between(text: &str, from: &str, until: Option<&str>) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| *l == from)?;
    let end = match until {
        Some(u) => start + lines[start..].iter().position(|l| *l == u)?,
        None => lines.len(),
    };
    let mut body = &lines[start..end];
    while body.last().is_some_and(|l| l.trim().is_empty()) {
        body = &body[..body.len() - 1];
    }
    Some(body.iter().map(|l| format!("{l}\n")).collect())
}

#[test]
fn template_matching_reads_numbers_only() {
    let doc = "takes 801.0 / 724.2 µs and takes x / 1 µs";
    assert_eq!(
        find_template(doc, "takes {} / {} µs").map(|r| &doc[r]),
        Some("takes 801.0 / 724.2 µs")
    );
    assert_eq!(find_template("takes a / b µs", "takes {} / {} µs"), None);
    let doc = "ResNet-50 1 143 850 cycles, 1,032,192 bits";
    assert_eq!(
        find_template(doc, "ResNet-50 {} cycles, {} bits").map(|r| &doc[r]),
        Some(doc)
    );
    assert_eq!(
        fill("{} → {} pJ", &["1".into(), "2.5e9".into()]),
        "1 → 2.5e9 pJ"
    );
}

#[test]
fn blocks_and_sections_are_found() {
    let doc = "a\n<!-- fig:t -->\n| x |\n<!-- /fig:t -->\nb";
    assert_eq!(block_body(doc, "t").map(|r| &doc[r]), Some("| x |\n"));
    assert_eq!(block_body(doc, "u"), None);
    let out = "title\n\n### A\n\n| a |\n|---|\n| 1 |\n\n### B\n| b |\n";
    assert_eq!(
        table_after(out, "### A").as_deref(),
        Some("| a |\n|---|\n| 1 |\n")
    );
    assert_eq!(table_after(out, "### B").as_deref(), Some("| b |\n"));
    assert_eq!(
        lines_between(out, "### A", Some("### B")).as_deref(),
        Some("### A\n\n| a |\n|---|\n| 1 |\n")
    );
    assert_eq!(
        lines_between(out, "### B", None).as_deref(),
        Some("### B\n| b |\n")
    );
}
