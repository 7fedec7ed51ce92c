//! The logic behind `accelsim cast` and `accelsim formats`, kept in the library so it can
//! be unit-tested; the CLI only wires stdin/stdout.
//!
//! `cast` reads one f32 per line — a decimal number (rounded to the nearest f32 first:
//! the input format is f32; `nan`, `inf`, `-inf` accepted) or its bit pattern `0x%08x` —
//! and writes one JSON object per line:
//! `{"input":0.3,"value":0.3125,"flags":["rounded"],"in_bits":…,"code":…,"value_bits":…}`.
//! `input` and `value` are the f32 input and the decoded result in decimal (shortest
//! round-trip form; `"NaN"`, `"Inf"`, `"-Inf"` as strings), `flags` says what the cast did
//! ([`cast_flags`]: `rounded`, `saturated`, `rounded_to_zero`, `overflow_to_inf`,
//! `overflow_to_nan`; empty when exact), `code` is the target code (low bits; integers in
//! two's complement) and `value_bits` the decoded value as f32 bits. Blank lines are skipped.
//!
//! Block formats are quantized for real, over consecutive input values: MX formats take
//! blocks of `block` lines (32 by default; the last block may be shorter) and add
//! `"scale_code"` (the block's E8M0 scale) to each line; block floating point adds
//! `"exp_code"` (the biased shared exponent) and writes the mantissa as `code`.

use std::io::{BufRead, Write};

use super::bfp::BfpFormat;
use super::cast::Caster;
use super::format::Format;
use super::info::fmt_value;
use super::int::int_code;
use super::mx::{mx_dequantize, mx_quantize, MxOptions};
use super::rounding::{CastOptions, SplitMix64};
use super::NumericsError;

/// An error of the cast stream.
#[derive(Debug, thiserror::Error)]
pub enum CastCliError {
    /// Bad input: unknown format, malformed number (with its line), invalid options.
    #[error("{0}")]
    BadInput(String),
    /// Reading stdin or writing stdout failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl crate::error::Classify for CastCliError {
    fn kind(&self) -> crate::error::ErrorKind {
        match self {
            CastCliError::BadInput(_) => crate::error::ErrorKind::BadInput,
            CastCliError::Io(_) => crate::error::ErrorKind::Internal,
        }
    }
}

impl From<NumericsError> for CastCliError {
    fn from(e: NumericsError) -> Self {
        CastCliError::BadInput(e.to_string())
    }
}

/// Parses one input line: a decimal f32 or a `0x`-prefixed bit pattern (1..=8 hex digits).
pub fn parse_f32(s: &str) -> Result<f32, String> {
    let t = s.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        if hex.is_empty() || hex.len() > 8 {
            return Err(format!(
                "'{t}' is not a 32-bit pattern (expected 0x followed by 1 to 8 hex digits)"
            ));
        }
        return u32::from_str_radix(hex, 16)
            .map(f32::from_bits)
            .map_err(|_| format!("'{t}' is not a hexadecimal bit pattern"));
    }
    t.parse::<f32>().map_err(|_| {
        format!("cannot parse '{t}' as an f32 (expected a decimal number such as -1.5e-3, nan, inf, or a bit pattern such as 0x3f800000)")
    })
}

/// The decimal JSON form of an f32: shortest round-trip digits, or a string for NaN/±Inf.
pub fn json_decimal(x: f32) -> String {
    if x.is_nan() {
        "\"NaN\"".into()
    } else if x.is_infinite() {
        if x > 0.0 { "\"Inf\"" } else { "\"-Inf\"" }.into()
    } else {
        format!("{x:?}")
    }
}

/// What casting `input` to `value` did, for a format whose largest finite magnitude is
/// `max_finite` (`None` for block formats, whose range follows the block's scale):
/// `saturated` (input beyond the range, result the largest finite value), `overflow_to_inf`,
/// `overflow_to_nan` (finite or infinite input, NaN result), `rounded_to_zero` (non-zero
/// input, zero result), `rounded` (any other inexact result). Empty when exact.
pub fn cast_flags(input: f32, value: f32, max_finite: Option<f64>) -> Vec<&'static str> {
    let mut flags = Vec::new();
    if input.is_nan() {
        return flags;
    }
    if value.is_nan() {
        flags.push("overflow_to_nan");
    } else if value.is_infinite() {
        if !input.is_infinite() {
            flags.push("overflow_to_inf");
        }
    } else if input != 0.0 && value == 0.0 {
        flags.push("rounded_to_zero");
    } else if max_finite.is_some_and(|m| (input as f64).abs() > m && (value as f64).abs() == m) {
        flags.push("saturated");
    } else if input != value {
        flags.push("rounded");
    }
    flags
}

/// `"input":…,"value":…,"flags":[…]` (the readable head of every output line).
fn readable_fields(input: f32, value: f32, max_finite: Option<f64>) -> String {
    let flags: Vec<String> = cast_flags(input, value, max_finite)
        .iter()
        .map(|f| format!("\"{f}\""))
        .collect();
    format!(
        "\"input\":{},\"value\":{},\"flags\":[{}]",
        json_decimal(input),
        json_decimal(value),
        flags.join(",")
    )
}

enum Mode {
    Scalar(Caster),
    Mx {
        elem: super::format::MxElem,
        block: usize,
        opts: MxOptions,
    },
    Bfp {
        format: BfpFormat,
        opts: CastOptions,
        rng: SplitMix64,
    },
}

/// Streams `input` to `output` (see the module documentation). Returns the number of
/// values cast.
pub fn run_cast_stream<R: BufRead, W: Write>(
    format_name: &str,
    options: CastOptions,
    input: R,
    mut output: W,
) -> Result<usize, CastCliError> {
    let format = Format::parse(format_name).map_err(NumericsError::from)?;
    let mut mode = match format {
        Format::Mx { elem, block } => Mode::Mx {
            elem,
            block: block as usize,
            opts: MxOptions {
                rounding: options.rounding,
                seed: options.seed,
                ..Default::default()
            },
        },
        Format::BlockFp { man_bits, block } => {
            let f = BfpFormat {
                man_bits,
                block: block as usize,
            };
            f.validate()?;
            Mode::Bfp {
                format: f,
                opts: options,
                rng: SplitMix64::new(options.seed),
            }
        }
        _ => Mode::Scalar(Caster::new(format, options)?),
    };
    let block = match &mode {
        Mode::Mx { block, .. } => *block,
        Mode::Bfp { format, .. } => format.block,
        Mode::Scalar(_) => 1,
    };
    let mut pending: Vec<f32> = Vec::with_capacity(block);
    let mut count = 0usize;
    for (i, line) in input.lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(CastCliError::BadInput(format!(
                    "line {}: not UTF-8 text (expected one number per line)",
                    i + 1
                )))
            }
            Err(e) => return Err(e.into()),
        };
        if line.trim().is_empty() {
            continue;
        }
        let x =
            parse_f32(&line).map_err(|m| CastCliError::BadInput(format!("line {}: {m}", i + 1)))?;
        pending.push(x);
        count += 1;
        if pending.len() == block {
            flush(&mut mode, &pending, &mut output)?;
            pending.clear();
        }
    }
    if !pending.is_empty() {
        flush(&mut mode, &pending, &mut output)?;
    }
    output.flush()?;
    Ok(count)
}

fn flush<W: Write>(mode: &mut Mode, xs: &[f32], out: &mut W) -> Result<(), CastCliError> {
    match mode {
        Mode::Scalar(c) => {
            let max = Some(c.format().info().max_finite);
            for &x in xs {
                let code = c.encode_f32(x);
                let v = c.decode_f32(code);
                writeln!(
                    out,
                    "{{{},\"in_bits\":{},\"code\":{},\"value_bits\":{}}}",
                    readable_fields(x, v, max),
                    x.to_bits(),
                    code,
                    v.to_bits()
                )?;
            }
        }
        Mode::Mx { elem, block, opts } => {
            let mut scale = [0u8; 1];
            let mut codes = vec![0u8; xs.len()];
            let mut vals = vec![0f32; xs.len()];
            mx_quantize(*elem, *block, xs, *opts, &mut scale, &mut codes)?;
            mx_dequantize(*elem, *block, &scale, &codes, &mut vals)?;
            opts.seed = opts
                .seed
                .wrapping_add(0x9e37_79b9_7f4a_7c15u64.wrapping_mul(xs.len() as u64));
            for ((x, c), v) in xs.iter().zip(&codes).zip(&vals) {
                writeln!(
                    out,
                    "{{{},\"in_bits\":{},\"code\":{},\"value_bits\":{},\"scale_code\":{}}}",
                    readable_fields(*x, *v, None),
                    x.to_bits(),
                    c,
                    v.to_bits(),
                    scale[0]
                )?;
            }
        }
        Mode::Bfp { format, opts, rng } => {
            let mut mants = vec![0i32; xs.len()];
            let e = format.quantize_block(xs, opts.rounding, rng, &mut mants);
            for (x, &m) in xs.iter().zip(&mants) {
                let v = format.decode(e, m);
                writeln!(
                    out,
                    "{{{},\"in_bits\":{},\"code\":{},\"value_bits\":{},\"exp_code\":{}}}",
                    readable_fields(*x, v, None),
                    x.to_bits(),
                    int_code(format.man_bits, m as i64),
                    v.to_bits(),
                    e
                )?;
            }
        }
    }
    Ok(())
}

/// The `accelsim formats` table (rendered with `tabled`).
pub fn formats_table() -> String {
    use tabled::settings::Style;
    #[derive(tabled::Tabled)]
    struct Row {
        name: String,
        aliases: String,
        bits: String,
        exp: String,
        man: String,
        bias: String,
        #[tabled(rename = "max finite")]
        max: String,
        #[tabled(rename = "min normal")]
        min_normal: String,
        #[tabled(rename = "min subnormal")]
        min_sub: String,
        inf: &'static str,
        nan: &'static str,
        #[tabled(rename = "-0")]
        neg_zero: &'static str,
        notes: String,
    }
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    let yn = |b: bool| if b { "yes" } else { "no" };
    let rows: Vec<Row> = Format::catalogue()
        .into_iter()
        .map(|f| {
            let i = f.info();
            let bits = if i.storage_bits != i.bits as f64 {
                format!("{} ({} stored)", i.bits, i.storage_bits)
            } else {
                i.bits.to_string()
            };
            Row {
                name: i.name,
                aliases: i.aliases.join(", "),
                bits,
                exp: opt(i.exp_bits.map(|v| v.to_string())),
                man: opt(i.man_bits.map(|v| v.to_string())),
                bias: opt(i.bias.map(|v| v.to_string())),
                max: fmt_value(i.max_finite),
                min_normal: opt(i.min_normal.map(fmt_value)),
                min_sub: opt(i.min_subnormal.map(fmt_value)),
                inf: yn(i.has_inf),
                nan: yn(i.has_nan),
                neg_zero: yn(i.has_neg_zero),
                notes: i.notes,
            }
        })
        .collect();
    let mut t = tabled::Table::new(rows);
    t.with(Style::sharp());
    format!(
        "{t}\nAlso accepted: fp_e{{E}}m{{M}}[_fn|_fnnonan|_fnuz] (E 1..=8, M 0..=23), int{{N}}/uint{{N}} (N 2..=32), mx<elem>_b{{N}}, bfp{{M}}_b{{N}}, fixed{{W}}_{{F}}.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(fmt: &str, opts: CastOptions, input: &str) -> Result<String, CastCliError> {
        let mut out = Vec::new();
        run_cast_stream(fmt, opts, input.as_bytes(), &mut out)?;
        Ok(String::from_utf8(out).unwrap_or_default())
    }

    #[test]
    fn scalar_lines() {
        let o = run("float8_e4m3fn", CastOptions::RNE, "1.0\n0x43e80000\n\n-0\n").unwrap();
        let lines: Vec<&str> = o.lines().collect();
        assert_eq!(
            lines[0],
            r#"{"input":1.0,"value":1.0,"flags":[],"in_bits":1065353216,"code":56,"value_bits":1065353216}"#
        );
        assert_eq!(
            lines[1],
            r#"{"input":464.0,"value":448.0,"flags":["saturated"],"in_bits":1139277824,"code":126,"value_bits":1138753536}"#
        );
        assert_eq!(
            lines[2],
            r#"{"input":-0.0,"value":-0.0,"flags":[],"in_bits":2147483648,"code":128,"value_bits":2147483648}"#
        );
        let o = run("int4", CastOptions::RNE, "-1\n").unwrap();
        assert!(o.contains("\"code\":15"));
    }

    #[test]
    fn flags_name_what_the_cast_did() {
        // fp8 e4m3fn: max finite 448, smallest subnormal 2^-9.
        let m = Some(448.0);
        assert_eq!(cast_flags(0.3, 0.3125, m), ["rounded"]);
        assert_eq!(cast_flags(464.0, 448.0, m), ["saturated"]);
        assert_eq!(cast_flags(440.0, 448.0, m), ["rounded"]);
        assert_eq!(cast_flags(1e-4, 0.0, m), ["rounded_to_zero"]);
        assert_eq!(cast_flags(500.0, f32::NAN, m), ["overflow_to_nan"]);
        assert_eq!(
            cast_flags(7e4, f32::INFINITY, Some(57344.0)),
            ["overflow_to_inf"]
        );
        assert!(cast_flags(f32::INFINITY, f32::INFINITY, m).is_empty());
        assert!(cast_flags(1.0, 1.0, m).is_empty());
        assert_eq!(json_decimal(f32::NEG_INFINITY), "\"-Inf\"");
        assert_eq!(json_decimal(1e-45), "1e-45");
    }

    #[test]
    fn bad_input_names_line() {
        let e = run("fp8_e4m3", CastOptions::RNE, "1\n2\nabc\n").unwrap_err();
        assert!(e.to_string().starts_with("line 3:"), "{e}");
        let e = run("fp9", CastOptions::RNE, "1\n").unwrap_err();
        assert!(e.to_string().contains("fp8_e4m3"));
        assert!(run("fp8_e4m3", CastOptions::RNE, "0x123456789\n").is_err());
    }

    #[test]
    fn mx_blocks() {
        let o = run("mxfp4_e2m1_b2", CastOptions::RNE, "6\n-3\n0.5\n0.25\n1\n").unwrap();
        let lines: Vec<&str> = o.lines().collect();
        assert_eq!(lines.len(), 5);
        assert!(lines[0].ends_with("\"scale_code\":127}"));
        assert!(lines[2].ends_with("\"scale_code\":124}"));
        assert!(formats_table().contains("float8_e4m3fn"));
    }
}
