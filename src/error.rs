//! Input errors shared by every file reader: the file, the JSON path and what was expected.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem with user input: names the file (when there is one), the JSON path inside it
/// (`ops[3].stride`, `$` for the whole document, empty when the error is not about the
/// document's content, e.g. an unreadable file) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file the input came from, if any.
    pub file: Option<PathBuf>,
    /// JSON path of the offending value (`$` for the root).
    pub json_path: String,
    /// What was wrong and what was expected.
    pub message: String,
}

impl InputError {
    /// An error at `json_path` with no file attached yet.
    pub fn at(json_path: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            file: None,
            json_path: json_path.into(),
            message: message.into(),
        }
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

impl std::error::Error for InputError {}

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
            Err(InputError::at(path, message))
        }
    }
}

/// Reads and parses a JSON file into `T`; every error names the file.
pub fn load_json_file<T: serde::de::DeserializeOwned>(path: &Path) -> InputResult<T> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::at("", format!("cannot read file: {e}")).in_file(path))?;
    parse_json(&text).map_err(|e| e.in_file(path))
}
