//! Input errors shared by every file reader: the file, the JSON path and what was expected.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Which side a failure falls on. The CLI chooses its exit code by kind (2 for bad input,
/// 1 for an internal failure); the Python package chooses its exception class by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The user's input: an unreadable or invalid file, a bad argument or value.
    BadInput,
    /// Not the input's fault: writing an output, starting threads, an internal invariant.
    Internal,
}

/// An error that knows its [`ErrorKind`]. Every error type of the library implements it;
/// the underlying cause (an I/O error, a decoder's error, a nested accelsim error) stays
/// reachable through [`std::error::Error::source`] instead of being flattened into text.
pub trait Classify: std::error::Error {
    /// Bad input or internal failure.
    fn kind(&self) -> ErrorKind;
}

/// The error and its causes, outermost first (follows [`std::error::Error::source`]).
pub fn chain<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |e| e.source())
}

/// The shared, clonable cause an [`InputError`] may carry.
type Cause = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// A problem with user input: names the file (when there is one), the JSON path inside it
/// (`ops[3].stride`, `$` for the whole document, empty when the error is not about the
/// document's content, e.g. an unreadable file) and what was expected.
///
/// Equality compares the file, path and message (not the cause).
#[derive(Debug, Clone)]
pub struct InputError {
    /// The file the input came from, if any.
    pub file: Option<PathBuf>,
    /// JSON path of the offending value (`$` for the root).
    pub json_path: String,
    /// What was wrong and what was expected.
    pub message: String,
    /// The underlying error (e.g. the I/O error of an unreadable file), if any.
    cause: Option<Cause>,
}

impl PartialEq for InputError {
    fn eq(&self, other: &Self) -> bool {
        self.file == other.file
            && self.json_path == other.json_path
            && self.message == other.message
    }
}

impl Eq for InputError {}

impl InputError {
    /// An error at `json_path` with no file attached yet.
    pub fn at(json_path: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            file: None,
            json_path: json_path.into(),
            message: message.into(),
            cause: None,
        }
    }

    /// Attaches the underlying error, reachable through [`std::error::Error::source`]; the
    /// message text is unchanged (it already says what went wrong).
    pub fn caused_by(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.cause = Some(Arc::new(cause));
        self
    }

    /// Attaches the file name (keeps an existing one).
    pub fn in_file(mut self, file: &Path) -> Self {
        if self.file.is_none() {
            self.file = Some(file.to_path_buf());
        }
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}: ", file.display())?;
        }
        if self.json_path.is_empty() {
            // Not about a value inside the document (e.g. the file cannot be read).
            return write!(f, "{}", self.message);
        }
        write!(f, "at {}: {}", self.json_path, self.message)
    }
}

impl std::error::Error for InputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

impl Classify for InputError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::BadInput
    }
}

/// Result alias for input validation.
pub type InputResult<T> = Result<T, InputError>;

/// Joins a JSON path and a child key (`ops[2]` + `stride` → `ops[2].stride`).
pub fn join_path(base: &str, key: &str) -> String {
    if base.is_empty() || base == "$" {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

/// Joins a JSON path and an array index (`ops` + 2 → `ops[2]`).
pub fn index_path(base: &str, index: usize) -> String {
    format!("{base}[{index}]")
}

/// Parses JSON text into `T`, reporting syntax errors with line and column and type errors
/// with the JSON path (serde_path_to_error).
pub fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> InputResult<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(v) => {
            de.end().map_err(|e| {
                InputError::at(
                    "$",
                    format!("trailing characters after the JSON document: {e}"),
                )
            })?;
            Ok(v)
        }
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            // A syntax error leaves an unknown last segment (`ops[0].?`): drop it.
            let path = path.strip_suffix(".?").unwrap_or(&path);
            let path = if path == "." || path == "?" || path.is_empty() {
                "$".to_string()
            } else {
                path.to_string()
            };
            let message = match inner.classify() {
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                    format!("malformed JSON: {inner}")
                }
                _ => inner.to_string(),
            };
            Err(InputError::at(path, message).caused_by(inner))
        }
    }
}

/// Reads and parses a JSON file into `T`; every error names the file.
pub fn load_json_file<T: serde::de::DeserializeOwned>(path: &Path) -> InputResult<T> {
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(path, e))?;
    parse_json(&text).map_err(|e| e.in_file(path))
}

/// The error for an input file that cannot be read: "cannot read file: …", naming the file,
/// with the I/O error as its cause.
pub fn unreadable(path: &Path, e: std::io::Error) -> InputError {
    InputError::at("", format!("cannot read file: {e}"))
        .in_file(path)
        .caused_by(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_file_keeps_its_io_error_as_source() {
        let e = load_json_file::<serde_json::Value>(Path::new("/no/such/dir/x.json")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadInput);
        assert!(e.to_string().contains("cannot read file"), "{e}");
        let source = std::error::Error::source(&e).expect("the I/O error");
        let io = source
            .downcast_ref::<std::io::Error>()
            .expect("an io::Error");
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(chain(&e).count(), 2);
    }

    #[test]
    fn malformed_json_keeps_the_parser_error_as_source() {
        let e = parse_json::<serde_json::Value>("{\"a\": ").unwrap_err();
        assert!(e.message.starts_with("malformed JSON"), "{e}");
        let source = std::error::Error::source(&e).expect("the parser error");
        assert!(source.downcast_ref::<serde_json::Error>().is_some());
        // Equality ignores the cause.
        assert_eq!(e.clone(), e);
    }
}
