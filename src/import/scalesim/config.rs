//! SCALE-Sim's `.cfg` file: an INI file read by Python's `configparser` (sections in
//! brackets, `key = value` or `key: value`, keys case-insensitive, `#`/`;` comment lines).
//!
//! Parsed by hand with the same rules, but strictly: every section and key must be one
//! SCALE-Sim v3 knows, each at most once, and values must have the type SCALE-Sim expects.

use std::collections::BTreeMap;

use crate::arch::Dataflow;
use crate::error::{InputError, InputResult};

/// SCALE-Sim's memory-interface mode (`[run_presets] InterfaceBandwidth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterfaceBandwidth {
    /// `CALC`: SCALE-Sim computes the bandwidth needed for zero stalls.
    Calc,
    /// `USER`: the config's `Bandwidth` limits DRAM traffic.
    User,
}

/// The parts of a SCALE-Sim config that describe the hardware, with the line each value
/// came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleSimConfig {
    /// `[general] run_name` (empty when absent).
    pub run_name: String,
    /// `ArrayHeight`: PE rows.
    pub array_height: u64,
    /// `ArrayWidth`: PE columns.
    pub array_width: u64,
    /// `IfmapSramSzkB` (KiB: SCALE-Sim multiplies by 1024).
    pub ifmap_sram_kib: u64,
    /// `FilterSramSzkB` (KiB).
    pub filter_sram_kib: u64,
    /// `OfmapSramSzkB` (KiB).
    pub ofmap_sram_kib: u64,
    /// `Dataflow`: os, ws or is.
    pub dataflow: Dataflow,
    /// `Bandwidth`: words per cycle, one entry per memory bank (comma-separated).
    pub bandwidth_words_per_cycle: Vec<u64>,
    /// `[run_presets] InterfaceBandwidth` (default CALC).
    pub interface_bandwidth: InterfaceBandwidth,
    /// `MemoryBanks` (default 1).
    pub memory_banks: u64,
}

impl ScaleSimConfig {
    /// Total interface bandwidth in words per cycle (the sum over banks).
    pub fn total_bandwidth_words_per_cycle(&self) -> u64 {
        self.bandwidth_words_per_cycle.iter().sum()
    }
}

/// How a value is checked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Free text.
    Text,
    /// An integer ≥ 0 (Python `int()`).
    Int,
    /// An integer > 0.
    Positive,
    /// `True`/`False` (any case, as `configparser.getboolean` also takes yes/no/on/off/1/0).
    Bool,
    /// `os`, `ws` or `is`.
    Dataflow,
    /// `CALC` or `USER`.
    BwMode,
    /// Comma-separated positive integers.
    PositiveList,
}

/// Every section and key SCALE-Sim v3 reads, with its canonical spelling.
const SCHEMA: &[(&str, &[(&str, Kind)])] = &[
    ("general", &[("run_name", Kind::Text)]),
    (
        "architecture_presets",
        &[
            ("ArrayHeight", Kind::Positive),
            ("ArrayWidth", Kind::Positive),
            ("IfmapSramSzkB", Kind::Positive),
            ("FilterSramSzkB", Kind::Positive),
            ("OfmapSramSzkB", Kind::Positive),
            ("IfmapOffset", Kind::Int),
            ("FilterOffset", Kind::Int),
            ("OfmapOffset", Kind::Int),
            ("Bandwidth", Kind::PositiveList),
            ("Dataflow", Kind::Dataflow),
            ("MemoryBanks", Kind::Positive),
            ("ReadRequestBuffer", Kind::Int),
            ("WriteRequestBuffer", Kind::Int),
        ],
    ),
    (
        "layout",
        &[
            ("IfmapCustomLayout", Kind::Bool),
            ("IfmapSRAMBankBandwidth", Kind::Int),
            ("IfmapSRAMBankNum", Kind::Int),
            ("IfmapSRAMBankPort", Kind::Int),
            ("FilterCustomLayout", Kind::Bool),
            ("FilterSRAMBankBandwidth", Kind::Int),
            ("FilterSRAMBankNum", Kind::Int),
            ("FilterSRAMBankPort", Kind::Int),
        ],
    ),
    (
        "sparsity",
        &[
            ("SparsitySupport", Kind::Bool),
            ("SparseRep", Kind::Text),
            ("OptimizedMapping", Kind::Bool),
            ("BlockSize", Kind::Int),
            ("RandomNumberGeneratorSeed", Kind::Int),
        ],
    ),
    (
        "run_presets",
        &[
            ("InterfaceBandwidth", Kind::BwMode),
            ("UseRamulatorTrace", Kind::Bool),
        ],
    ),
    ("network_presets", &[("TopologyCsvLoc", Kind::Text)]),
];

/// A typed value with the line it was on.
#[derive(Debug, Clone)]
struct Entry {
    line: usize,
    value: Value,
}

#[derive(Debug, Clone)]
enum Value {
    Text(String),
    Int(u64),
    Bool(bool),
    Dataflow(Dataflow),
    BwMode(InterfaceBandwidth),
    List(Vec<u64>),
}

fn line_err(line: usize, message: impl Into<String>) -> InputError {
    InputError::at(format!("line {line}"), message)
}

fn key_err(line: usize, section: &str, key: &str, message: impl Into<String>) -> InputError {
    InputError::at(format!("line {line}: [{section}] {key}"), message)
}

/// Python-`int()`-style non-negative integer: digits with an optional `+` and `_` separators.
fn parse_uint(s: &str) -> Option<u64> {
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.is_empty() || s.starts_with('_') || s.ends_with('_') || s.contains("__") {
        return None;
    }
    if !s.chars().all(|c| c.is_ascii_digit() || c == '_') {
        return None;
    }
    s.replace('_', "").parse().ok()
}

fn parse_value(kind: Kind, raw: &str) -> Result<Value, String> {
    match kind {
        Kind::Text => Ok(Value::Text(raw.to_string())),
        Kind::Int => parse_uint(raw)
            .map(Value::Int)
            .ok_or_else(|| format!("expected an integer ≥ 0, got '{raw}'")),
        Kind::Positive => match parse_uint(raw) {
            Some(v) if v > 0 => Ok(Value::Int(v)),
            _ => Err(format!("expected a positive integer, got '{raw}'")),
        },
        Kind::Bool => match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(Value::Bool(true)),
            "false" | "no" | "off" | "0" => Ok(Value::Bool(false)),
            _ => Err(format!("expected True or False, got '{raw}'")),
        },
        Kind::Dataflow => match raw.to_ascii_lowercase().as_str() {
            "os" => Ok(Value::Dataflow(Dataflow::Os)),
            "ws" => Ok(Value::Dataflow(Dataflow::Ws)),
            "is" => Ok(Value::Dataflow(Dataflow::Is)),
            _ => Err(format!("expected one of os, ws, is, got '{raw}'")),
        },
        Kind::BwMode => match raw {
            "CALC" => Ok(Value::BwMode(InterfaceBandwidth::Calc)),
            "USER" => Ok(Value::BwMode(InterfaceBandwidth::User)),
            _ => Err(format!("expected CALC or USER, got '{raw}'")),
        },
        Kind::PositiveList => {
            let mut v = Vec::new();
            for part in raw.split(',') {
                match parse_uint(part.trim()) {
                    Some(x) if x > 0 => v.push(x),
                    _ => {
                        return Err(format!(
                            "expected positive integers (words per cycle, comma-separated per bank), got '{raw}'"
                        ))
                    }
                }
            }
            Ok(Value::List(v))
        }
    }
}

/// Parses the text of a SCALE-Sim `.cfg` file. Errors name the line, the section and key,
/// and what was expected; attach the file name with [`InputError::in_file`].
pub fn parse_config(text: &str) -> InputResult<ScaleSimConfig> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // (section, canonical key) -> entry
    let mut entries: BTreeMap<(&'static str, &'static str), Entry> = BTreeMap::new();
    let mut seen_sections: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut section: Option<(&'static str, &'static [(&'static str, Kind)])> = None;
    for (i, raw_line) in text.lines().enumerate() {
        let line_no = i + 1;
        let trimmed = raw_line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if raw_line.starts_with([' ', '\t']) {
            return Err(line_err(
                line_no,
                format!(
                    "indented line '{trimmed}': continuation lines are not supported; expected '[section]' or 'key: value' at the start of the line"
                ),
            ));
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            let name = rest.strip_suffix(']').ok_or_else(|| {
                line_err(
                    line_no,
                    format!("malformed section header '{trimmed}'; expected '[name]'"),
                )
            })?;
            let name = name.trim();
            let (canon, keys) = SCHEMA.iter().find(|(s, _)| *s == name).ok_or_else(|| {
                let known: Vec<&str> = SCHEMA.iter().map(|(s, _)| *s).collect();
                line_err(
                    line_no,
                    format!(
                        "unknown section [{name}]; expected one of [{}]",
                        known.join("], [")
                    ),
                )
            })?;
            if let Some(prev) = seen_sections.insert(canon, line_no) {
                return Err(line_err(
                    line_no,
                    format!("section [{name}] appears twice (also line {prev})"),
                ));
            }
            section = Some((canon, keys));
            continue;
        }
        let split_at = trimmed.find(['=', ':']).ok_or_else(|| {
            line_err(
                line_no,
                format!("expected 'key = value' or 'key: value', got '{trimmed}'"),
            )
        })?;
        let key = trimmed[..split_at].trim();
        let raw = trimmed[split_at + 1..].trim();
        if key.is_empty() {
            return Err(line_err(
                line_no,
                format!(
                    "expected a key before '{}'",
                    &trimmed[split_at..split_at + 1]
                ),
            ));
        }
        let (sec, keys) = section.ok_or_else(|| {
            line_err(
                line_no,
                format!("key '{key}' comes before any [section] header; expected a header such as [architecture_presets] first"),
            )
        })?;
        let (canon_key, kind) = keys
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .ok_or_else(|| {
                let known: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
                key_err(
                    line_no,
                    sec,
                    key,
                    format!(
                        "unknown key '{key}' in [{sec}]; expected one of: {}",
                        known.join(", ")
                    ),
                )
            })?;
        let value = parse_value(*kind, raw).map_err(|m| key_err(line_no, sec, canon_key, m))?;
        if let Some(prev) = entries.insert(
            (sec, canon_key),
            Entry {
                line: line_no,
                value,
            },
        ) {
            return Err(key_err(
                line_no,
                sec,
                canon_key,
                format!(
                    "key {canon_key} appears twice in [{sec}] (also line {})",
                    prev.line
                ),
            ));
        }
    }
    build(&entries)
}

fn build(entries: &BTreeMap<(&'static str, &'static str), Entry>) -> InputResult<ScaleSimConfig> {
    const ARCH: &str = "architecture_presets";
    let get = |sec: &'static str, key: &'static str| entries.get(&(sec, key));
    let required = |key: &'static str| -> InputResult<&Entry> {
        get(ARCH, key).ok_or_else(|| {
            InputError::at(
                format!("[{ARCH}] {key}"),
                format!(
                    "missing key {key} in [{ARCH}]; accelsim needs it to build the architecture"
                ),
            )
        })
    };
    let int = |key: &'static str| -> InputResult<u64> {
        match &required(key)?.value {
            Value::Int(v) => Ok(*v),
            _ => unreachable_kind(key),
        }
    };
    let array_height = int("ArrayHeight")?;
    let array_width = int("ArrayWidth")?;
    let too_many = match array_height.checked_mul(array_width) {
        Some(pes) => pes > 1 << 40,
        None => true,
    };
    if too_many {
        let line = required("ArrayHeight")?.line;
        return Err(key_err(
            line,
            ARCH,
            "ArrayHeight",
            format!("an {array_height} × {array_width} array has more than 2^40 PEs"),
        ));
    }
    let ifmap_sram_kib = int("IfmapSramSzkB")?;
    let filter_sram_kib = int("FilterSramSzkB")?;
    let ofmap_sram_kib = int("OfmapSramSzkB")?;
    let dataflow = match &required("Dataflow")?.value {
        Value::Dataflow(d) => *d,
        _ => return unreachable_kind("Dataflow"),
    };
    let bandwidth_words_per_cycle = match get(ARCH, "Bandwidth") {
        Some(Entry {
            value: Value::List(v),
            ..
        }) => v.clone(),
        Some(_) => return unreachable_kind("Bandwidth"),
        None => {
            return Err(InputError::at(
                format!("[{ARCH}] Bandwidth"),
                format!(
                    "missing key Bandwidth in [{ARCH}]; expected the DRAM interface bandwidth in words per cycle \
                     (accelsim always models a finite DRAM bandwidth, even where SCALE-Sim's CALC mode ignores it)"
                ),
            ))
        }
    };
    if bandwidth_words_per_cycle
        .iter()
        .try_fold(0u64, |a, &b| a.checked_add(b))
        .is_none()
    {
        let line = get(ARCH, "Bandwidth").map_or(0, |e| e.line);
        return Err(key_err(
            line,
            ARCH,
            "Bandwidth",
            "the total bandwidth overflows u64",
        ));
    }
    let memory_banks = match get(ARCH, "MemoryBanks") {
        Some(Entry {
            value: Value::Int(v),
            ..
        }) => *v,
        _ => 1,
    };
    if memory_banks > u32::MAX as u64 {
        let line = get(ARCH, "MemoryBanks").map_or(0, |e| e.line);
        return Err(key_err(
            line,
            ARCH,
            "MemoryBanks",
            format!("expected at most {} banks, got {memory_banks}", u32::MAX),
        ));
    }
    let interface_bandwidth = match get("run_presets", "InterfaceBandwidth") {
        Some(Entry {
            value: Value::BwMode(m),
            ..
        }) => *m,
        _ => InterfaceBandwidth::Calc,
    };
    if let Some(Entry {
        line,
        value: Value::Bool(true),
    }) = get("sparsity", "SparsitySupport")
    {
        return Err(key_err(
            *line,
            "sparsity",
            "SparsitySupport",
            "SCALE-Sim's sparse mode is not imported (accelsim would simulate the layers dense); expected SparsitySupport: false",
        ));
    }
    let run_name = match get("general", "run_name") {
        Some(Entry {
            value: Value::Text(t),
            ..
        }) => t.clone(),
        _ => String::new(),
    };
    Ok(ScaleSimConfig {
        run_name,
        array_height,
        array_width,
        ifmap_sram_kib,
        filter_sram_kib,
        ofmap_sram_kib,
        dataflow,
        bandwidth_words_per_cycle,
        interface_bandwidth,
        memory_banks,
    })
}

/// The schema guarantees each key's value type; this only guards against a schema edit.
fn unreachable_kind<T>(key: &str) -> InputResult<T> {
    Err(InputError::at(
        key,
        format!("internal error: unexpected value type for {key}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "[architecture_presets]\nArrayHeight: 8\nArrayWidth = 4\n\
        IfmapSramSzkB: 1\nFilterSramSzkB: 2\nOfmapSramSzkB: 3\nBandwidth : 10\nDataflow : is\n";

    #[test]
    fn minimal_config() {
        let c = parse_config(MINIMAL).unwrap();
        assert_eq!((c.array_height, c.array_width), (8, 4));
        assert_eq!(
            (c.ifmap_sram_kib, c.filter_sram_kib, c.ofmap_sram_kib),
            (1, 2, 3)
        );
        assert_eq!(c.dataflow, Dataflow::Is);
        assert_eq!(c.total_bandwidth_words_per_cycle(), 10);
        assert_eq!(c.interface_bandwidth, InterfaceBandwidth::Calc);
        assert_eq!(c.memory_banks, 1);
    }

    #[test]
    fn keys_are_case_insensitive_and_lists_sum() {
        let t = MINIMAL.replace("Bandwidth : 10", "bandwidth = 10, 6");
        let c = parse_config(&t).unwrap();
        assert_eq!(c.bandwidth_words_per_cycle, vec![10, 6]);
        assert_eq!(c.total_bandwidth_words_per_cycle(), 16);
    }

    #[test]
    fn errors_name_line_key_and_expectation() {
        let t = MINIMAL.replace("ArrayWidth = 4", "ArrayWidht = 4");
        let e = parse_config(&t).unwrap_err();
        assert_eq!(e.json_path, "line 3: [architecture_presets] ArrayWidht");
        assert!(e.message.contains("expected one of"), "{e}");
        let t = MINIMAL.replace("ArrayHeight: 8", "ArrayHeight: -8");
        let e = parse_config(&t).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        assert!(e.message.contains("positive integer"), "{e}");
        let e = parse_config("ArrayHeight: 8\n").unwrap_err();
        assert!(e.message.contains("before any [section]"), "{e}");
        let e = parse_config(&MINIMAL.replace("Dataflow : is", "")).unwrap_err();
        assert!(e.message.contains("missing key Dataflow"), "{e}");
        let e = parse_config(&format!("{MINIMAL}[foo]\n")).unwrap_err();
        assert!(e.message.contains("unknown section [foo]"), "{e}");
        let e = parse_config(&format!("{MINIMAL}ArrayHeight: 2\n")).unwrap_err();
        assert!(e.message.contains("appears twice"), "{e}");
    }
}
