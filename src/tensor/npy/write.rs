//! Writing [`Tensor`]s as `.npy` files, atomically.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::descr::descr_for;
use super::header::format_header;
use crate::tensor::error::TensorError;
use crate::tensor::host::Tensor;

/// Encode a tensor as a complete `.npy` file (format 1.0, or 2.0 for huge headers).
///
/// Types NumPy lacks are written as their raw storage (see
/// [`npy_storage_dtype`](super::npy_storage_dtype)); read them back with
/// [`read_npy_as`](super::read_npy_as).
pub fn encode_npy(tensor: &Tensor) -> Vec<u8> {
    let mut out = format_header(descr_for(tensor.dtype()), tensor.shape());
    out.extend_from_slice(&tensor.to_le_bytes());
    out
}

/// Write a tensor to `path` as `.npy`, atomically: the bytes go to a temporary file in
/// the same directory, which is flushed to disk and then renamed over `path`. On any
/// error the temporary file is removed and `path` is left untouched.
pub fn write_npy(path: impl AsRef<Path>, tensor: &Tensor) -> Result<(), TensorError> {
    write_atomic(path.as_ref(), &encode_npy(tensor))
}

/// Write `bytes` to `path` through a temporary sibling file and a rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TensorError> {
    let io_err = |action: &'static str, p: &Path| {
        let p = p.to_path_buf();
        move |source| TensorError::Io {
            action,
            path: p,
            source,
        }
    };
    let tmp = temp_sibling(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(io_err("create", &tmp))?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(io_err("write", &tmp));
    drop(file);
    let renamed = written.and_then(|()| std::fs::rename(&tmp, path).map_err(io_err("write", path)));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    renamed
}

/// A unique temporary name next to `path`: `.<name>.tmp-<pid>-<n>`.
fn temp_sibling(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "npy".to_string());
    let tmp_name = format!(".{name}.tmp-{}-{n}", std::process::id());
    match path.parent() {
        Some(dir) => dir.join(tmp_name),
        None => PathBuf::from(tmp_name),
    }
}
