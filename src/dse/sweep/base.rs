//! The sweep's base arch: the arch file, validated, with the sweep's fixed `set` edits.

use super::*;

/// Reads the arch file (relative to `base_dir`), validates it, applies each `set` edit
/// (each must keep the arch valid) and returns it as JSON and built.
pub(super) fn base_arch(spec: &SweepSpec, base_dir: &Path) -> InputResult<(Value, Arch)> {
    let arch_path = resolve(base_dir, &spec.arch);
    let arch_text = std::fs::read_to_string(&arch_path).map_err(|e| {
        InputError::at(
            "arch",
            format!("cannot read arch file '{}': {e}", arch_path.display()),
        )
    })?;
    Arch::from_json(&arch_text).map_err(|e| e.in_file(&arch_path))?;
    let mut base_arch: Value = serde_json::from_str(&arch_text)
        .map_err(|e| InputError::at("$", e.to_string()).in_file(&arch_path))?;
    for (path, v) in &spec.set {
        let at = format!("set.{path}");
        let steps = jsonpath::parse(path).map_err(|e| InputError::at(&at, e))?;
        jsonpath::set(&mut base_arch, &steps, v.clone()).map_err(|e| InputError::at(&at, e))?;
        arch_from_value(&base_arch).map_err(|e| {
            InputError::at(
                &at,
                format!(
                    "setting {path} = {} gives an invalid arch: at {}: {}",
                    compact(v),
                    e.json_path,
                    e.message
                ),
            )
        })?;
    }
    let built = arch_from_value(&base_arch)?;
    Ok((base_arch, built))
}
