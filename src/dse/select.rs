//! Layer selectors of precision and sparsity axes: an exact op name, a glob (`*` any run of characters,
//! `?` one character) or a regex prefixed with `re:` (matched against the whole name).

use crate::workload::WorkloadSpec;

/// A compiled layer selector.
#[derive(Debug, Clone)]
pub enum Selector {
    /// Exact name.
    Exact(String),
    /// Glob with `*` and `?`.
    Glob(String),
    /// Regex, anchored at both ends.
    Regex(regex::Regex),
}

impl Selector {
    /// Compiles a selector; a bad regex is an error.
    pub fn parse(s: &str) -> Result<Selector, String> {
        if let Some(re) = s.strip_prefix("re:") {
            regex::Regex::new(&format!("^(?:{re})$"))
                .map(Selector::Regex)
                .map_err(|e| format!("invalid regex '{re}': {e}"))
        } else if s.contains('*') || s.contains('?') {
            Ok(Selector::Glob(s.to_string()))
        } else if s.is_empty() {
            Err("expected a layer name, glob or re:REGEX, got an empty string".into())
        } else {
            Ok(Selector::Exact(s.to_string()))
        }
    }

    /// Whether `name` is selected.
    pub fn matches(&self, name: &str) -> bool {
        match self {
            Selector::Exact(e) => e == name,
            Selector::Glob(g) => glob_match(g.as_bytes(), name.as_bytes()),
            Selector::Regex(r) => r.is_match(name),
        }
    }
}

/// Glob matching with `*` and `?` (iterative, linear backtracking on the last `*`).
pub fn glob_match(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pat.len() && (pat[p] == b'?' || pat[p] == s[i]) {
            p += 1;
            i += 1;
        } else if p < pat.len() && pat[p] == b'*' {
            star = Some((p, i));
            p += 1;
        } else if let Some((sp, si)) = star {
            p = sp + 1;
            i = si + 1;
            star = Some((sp, si + 1));
        } else {
            return false;
        }
    }
    while p < pat.len() && pat[p] == b'*' {
        p += 1;
    }
    p == pat.len()
}

/// The compute ops (matmul, conv2d) of `spec` selected by any of `selectors`, in file
/// order. Errors: a selector matching no compute op, or naming a non-compute op.
pub fn select_layers(spec: &WorkloadSpec, selectors: &[String]) -> Result<Vec<usize>, String> {
    if selectors.is_empty() {
        return Err("expected at least one layer selector".into());
    }
    let mut chosen = vec![false; spec.ops.len()];
    for s in selectors {
        let sel = Selector::parse(s)?;
        let mut any = false;
        for (i, op) in spec.ops.iter().enumerate() {
            if sel.matches(&op.name) {
                if !op.op.is_compute() {
                    if matches!(sel, Selector::Exact(_)) {
                        return Err(format!(
                            "layer '{}' is a {} op; per-layer precision, sparsity and training formats apply to compute layers (matmul, conv2d)",
                            op.name,
                            op.op.name()
                        ));
                    }
                    continue;
                }
                chosen[i] = true;
                any = true;
            }
        }
        if !any {
            let names: Vec<&str> = spec
                .ops
                .iter()
                .filter(|o| o.op.is_compute())
                .map(|o| o.name.as_str())
                .take(8)
                .collect();
            return Err(format!(
                "'{s}' selects no compute layer of workload '{}' (compute layers: {}{})",
                spec.name,
                names.join(", "),
                if names.len() == 8 { ", ..." } else { "" }
            ));
        }
    }
    Ok((0..spec.ops.len()).filter(|&i| chosen[i]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(b"fc*", b"fc12"));
        assert!(glob_match(b"*", b""));
        assert!(glob_match(b"layer?.0.*", b"layer3.0.conv1"));
        assert!(!glob_match(b"layer?.0.*", b"layer3.1.conv1"));
        assert!(glob_match(b"a*b*c", b"axxbyyc"));
        assert!(!glob_match(b"a*b*c", b"axxbyy"));
    }

    #[test]
    fn regex_is_anchored() {
        let s = Selector::parse("re:fc[1-3]").unwrap();
        assert!(s.matches("fc2"));
        assert!(!s.matches("fc22"));
        assert!(Selector::parse("re:(").is_err());
    }
}
