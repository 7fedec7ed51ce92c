//! The `.npy` preamble and header dict: parsing (strict, never panicking) and formatting.
//!
//! Format (NumPy NEP 1): magic `\x93NUMPY`, version bytes, header length (`u16` LE for
//! v1.0, `u32` LE for v2.0/v3.0), then a Python dict literal such as
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces
//! and ending in `\n`, so that the data starts at a multiple of 64 bytes.

use crate::tensor::error::NpyErrorKind;

/// The `.npy` magic string.
pub const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The parsed header of a `.npy` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    /// The `descr` string, e.g. `<f4`.
    pub descr: String,
    /// The `fortran_order` flag.
    pub fortran_order: bool,
    /// The shape, as written (unchecked for overflow).
    pub shape: Vec<u64>,
    /// Byte offset of the data from the start of the file.
    pub data_offset: usize,
}

/// Parse the preamble and header of a `.npy` file held in `bytes`.
pub fn parse_header(bytes: &[u8]) -> Result<NpyHeader, NpyErrorKind> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(NpyErrorKind::BadMagic);
    }
    let bad = |detail: String| NpyErrorKind::BadHeader { detail };
    let (major, minor) = match bytes.get(6..8) {
        Some(v) => (v[0], v[1]),
        None => return Err(bad("file ends inside the version bytes".into())),
    };
    let (len_size, utf8) = match (major, minor) {
        (1, 0) => (2usize, false),
        (2, 0) => (4, false),
        (3, 0) => (4, true),
        _ => return Err(NpyErrorKind::UnsupportedVersion { major, minor }),
    };
    let len_bytes = bytes
        .get(8..8 + len_size)
        .ok_or_else(|| bad("file ends inside the header length".into()))?;
    let header_len = len_bytes
        .iter()
        .rev()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    let start = 8 + len_size;
    let data_offset = start
        .checked_add(header_len)
        .ok_or_else(|| bad("header length overflows".into()))?;
    let raw = bytes.get(start..data_offset).ok_or_else(|| {
        bad(format!(
            "header declares {header_len} bytes but the file has only {} after the preamble",
            bytes.len().saturating_sub(start)
        ))
    })?;
    let text = if utf8 {
        std::str::from_utf8(raw).map_err(|_| bad("header is not valid UTF-8".into()))?
    } else {
        if !raw.is_ascii() {
            return Err(bad("header is not ASCII".into()));
        }
        std::str::from_utf8(raw).map_err(|_| bad("header is not ASCII".into()))?
    };
    let dict = Parser::new(text).parse_header_dict().map_err(bad)?;
    Ok(NpyHeader {
        descr: dict.descr,
        fortran_order: dict.fortran_order,
        shape: dict.shape,
        data_offset,
    })
}

/// Format a complete preamble + header for C-order data with the given `descr` and
/// shape. Uses format 1.0 unless the header is too long for it (then 2.0).
pub fn format_header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let shape_text = match shape {
        [] => "()".to_string(),
        [d] => format!("({d},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}");
    // Total length (preamble + dict + padding + '\n') must be a multiple of 64.
    let build = |len_size: usize, major: u8| -> Vec<u8> {
        let unpadded = MAGIC.len() + 2 + len_size + dict.len() + 1;
        let padding = (64 - unpadded % 64) % 64;
        let header_len = dict.len() + padding + 1;
        let mut out = Vec::with_capacity(unpadded + padding);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[major, 0]);
        if len_size == 2 {
            out.extend_from_slice(&(header_len as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(header_len as u32).to_le_bytes());
        }
        out.extend_from_slice(dict.as_bytes());
        out.extend(std::iter::repeat_n(b' ', padding));
        out.push(b'\n');
        out
    };
    if dict.len() + 64 < usize::from(u16::MAX) {
        build(2, 1)
    } else {
        build(4, 2)
    }
}

/// The three fields of a header dict.
struct HeaderDict {
    descr: String,
    fortran_order: bool,
    shape: Vec<u64>,
}

/// A value of the Python literal subset used in `.npy` headers.
enum Value {
    Str(String),
    Bool(bool),
    Int(u64),
    Tuple(Vec<Value>),
    /// A list (structured dtype descr) — recognised only to report it as unsupported.
    List,
}

/// Maximum nesting accepted in the header literal (real headers nest at most 2 deep).
const MAX_DEPTH: usize = 8;

/// A recursive-descent parser for the header's Python literal.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser { text, pos: 0 }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.text.len() - trimmed.len();
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.rest().chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("'{c}'")))
        }
    }

    fn unexpected(&mut self, wanted: &str) -> String {
        let found: String = self.rest().chars().take(12).collect();
        if found.is_empty() {
            format!("expected {wanted}, found end of header")
        } else {
            format!("expected {wanted} at '{found}'")
        }
    }

    fn parse_header_dict(&mut self) -> Result<HeaderDict, String> {
        self.expect('{')?;
        let (mut descr, mut fortran, mut shape) = (None, None, None);
        loop {
            if self.eat('}') {
                break;
            }
            let key = match self.value(0)? {
                Value::Str(s) => s,
                _ => return Err("dict keys must be strings".into()),
            };
            self.expect(':')?;
            let value = self.value(0)?;
            match (key.as_str(), value) {
                ("descr", Value::Str(s)) => descr = Some(s),
                ("descr", _) => descr = Some(String::from("<structured>")),
                ("fortran_order", Value::Bool(b)) => fortran = Some(b),
                ("fortran_order", _) => return Err("'fortran_order' must be True or False".into()),
                ("shape", Value::Tuple(items)) => {
                    let dims = items
                        .into_iter()
                        .map(|v| match v {
                            Value::Int(d) => Ok(d),
                            _ => {
                                Err("'shape' must be a tuple of non-negative integers".to_string())
                            }
                        })
                        .collect::<Result<Vec<u64>, String>>()?;
                    shape = Some(dims);
                }
                ("shape", _) => return Err("'shape' must be a tuple".into()),
                (other, _) => return Err(format!("unexpected key '{other}'")),
            }
            if !self.eat(',') {
                self.expect('}')?;
                break;
            }
        }
        self.skip_ws();
        if !self.rest().is_empty() {
            return Err(self.unexpected("end of header"));
        }
        Ok(HeaderDict {
            descr: descr.ok_or("missing key 'descr'")?,
            fortran_order: fortran.ok_or("missing key 'fortran_order'")?,
            shape: shape.ok_or("missing key 'shape'")?,
        })
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("header literal nested too deeply".into());
        }
        match self.peek() {
            Some(q @ ('\'' | '"')) => self.string(q),
            Some('(') => {
                self.pos += 1;
                self.sequence(')', depth).map(Value::Tuple)
            }
            Some('[') => {
                self.pos += 1;
                self.sequence(']', depth).map(|_| Value::List)
            }
            Some(c) if c.is_ascii_digit() => self.int(),
            Some(_) if self.rest().starts_with("True") => {
                self.pos += 4;
                Ok(Value::Bool(true))
            }
            Some(_) if self.rest().starts_with("False") => {
                self.pos += 5;
                Ok(Value::Bool(false))
            }
            _ => Err(self.unexpected("a value")),
        }
    }

    fn sequence(&mut self, close: char, depth: usize) -> Result<Vec<Value>, String> {
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Ok(items);
            }
            items.push(self.value(depth + 1)?);
            if !self.eat(',') {
                self.expect(close)?;
                return Ok(items);
            }
        }
    }

    fn string(&mut self, quote: char) -> Result<Value, String> {
        self.pos += 1;
        let rest = self.rest();
        match rest.find(quote) {
            Some(end) if !rest[..end].contains('\\') => {
                let s = rest[..end].to_string();
                self.pos += end + 1;
                Ok(Value::Str(s))
            }
            Some(_) => Err("escape sequences in header strings are not supported".into()),
            None => Err("unterminated string in header".into()),
        }
    }

    fn int(&mut self) -> Result<Value, String> {
        let rest = self.rest();
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let digits = &rest[..end];
        let value = digits
            .parse::<u64>()
            .map_err(|_| format!("dimension '{digits}' is too large"))?;
        self.pos += end;
        // Python 2 wrote long integers with an 'L' suffix.
        if self.rest().starts_with('L') {
            self.pos += 1;
        }
        Ok(Value::Int(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dict: &str) -> Vec<u8> {
        let mut v = MAGIC.to_vec();
        v.extend_from_slice(&[1, 0]);
        v.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        v.extend_from_slice(dict.as_bytes());
        v
    }

    #[test]
    fn parses_numpy_headers() {
        let h = parse_header(&file(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }  \n",
        ))
        .unwrap();
        assert_eq!(h.descr, "<f4");
        assert!(!h.fortran_order);
        assert_eq!(h.shape, vec![2, 3]);
        let h = parse_header(&file(
            "{\"shape\": (5L,), \"fortran_order\": True, \"descr\": \"|u1\"}\n",
        ))
        .unwrap();
        assert_eq!(h.shape, vec![5]);
        assert!(h.fortran_order);
        let h = parse_header(&file(
            "{'descr': '<i8', 'fortran_order': False, 'shape': ()}",
        ))
        .unwrap();
        assert!(h.shape.is_empty());
    }

    #[test]
    fn rejects_bad_headers() {
        assert!(matches!(
            parse_header(b"PK\x03\x04"),
            Err(NpyErrorKind::BadMagic)
        ));
        for bad in [
            "{'descr': '<f4', 'shape': (2,)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,) junk",
            "{'descr': '<f4', 'fortran_order': False, 'shape': ((((((((((1,),),),),),),),),),)}",
            "{'descr: '<f4'}",
            "",
        ] {
            assert!(
                matches!(
                    parse_header(&file(bad)),
                    Err(NpyErrorKind::BadHeader { .. })
                ),
                "{bad}"
            );
        }
        let mut truncated = file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}");
        truncated.truncate(20);
        assert!(parse_header(&truncated).is_err());
        let mut v3 = file("{}");
        v3[6] = 9;
        assert!(matches!(
            parse_header(&v3),
            Err(NpyErrorKind::UnsupportedVersion { major: 9, .. })
        ));
    }

    #[test]
    fn formatted_headers_are_aligned_and_parse() {
        for shape in [vec![], vec![7], vec![1, 2, 3, 4]] {
            let h = format_header("<f2", &shape);
            assert_eq!(h.len() % 64, 0);
            assert_eq!(*h.last().unwrap(), b'\n');
            let p = parse_header(&h).unwrap();
            assert_eq!(p.data_offset, h.len());
            assert_eq!(p.shape, shape.iter().map(|&d| d as u64).collect::<Vec<_>>());
        }
    }
}
