//! Dotted JSON paths (`memory.dram.bandwidth_gbps`, `precisions[1].macs_per_pe_per_cycle`)
//! and setting a value at one inside a `serde_json::Value`.

use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// An object key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// Parses `a.b[2].c` into steps; errors describe what is malformed.
pub fn parse(path: &str) -> Result<Vec<Step>, String> {
    if path.is_empty() {
        return Err("expected a non-empty JSON path such as \"array.rows\"".into());
    }
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() && (rest.is_empty() || steps.is_empty()) {
            return Err(format!(
                "malformed JSON path '{path}': empty key (use dots between keys, [i] for array items)"
            ));
        }
        if !key.is_empty() {
            steps.push(Step::Key(key.to_string()));
        }
        while !rest.is_empty() {
            let close = rest.find(']').ok_or_else(|| {
                format!("malformed JSON path '{path}': '[' without a closing ']'")
            })?;
            let idx: usize = rest[1..close].parse().map_err(|_| {
                format!(
                    "malformed JSON path '{path}': expected an array index in [], got '{}'",
                    &rest[1..close]
                )
            })?;
            steps.push(Step::Index(idx));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!(
                    "malformed JSON path '{path}': unexpected '{rest}' after ']'"
                ));
            }
        }
    }
    Ok(steps)
}

/// Sets `value` at `steps` inside `root`. Missing object keys are created (the arch's own
/// validation then rejects keys it does not know); indexing past an array's end or into a
/// number or string is an error.
pub fn set(root: &mut Value, steps: &[Step], value: Value) -> Result<(), String> {
    let mut cur = root;
    let mut walked = String::from("$");
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        match step {
            Step::Key(k) => {
                let obj = cur.as_object_mut().ok_or_else(|| {
                    format!("'{walked}' is not an object, so it has no field '{k}'")
                })?;
                if last {
                    obj.insert(k.clone(), value);
                    return Ok(());
                }
                cur = obj
                    .entry(k.clone())
                    .or_insert_with(|| Value::Object(Default::default()));
                walked = if walked == "$" {
                    k.clone()
                } else {
                    format!("{walked}.{k}")
                };
            }
            Step::Index(idx) => {
                let arr = cur
                    .as_array_mut()
                    .ok_or_else(|| format!("'{walked}' is not an array, so it has no [{idx}]"))?;
                let len = arr.len();
                let slot = arr.get_mut(*idx).ok_or_else(|| {
                    format!("'{walked}' has {len} items, so [{idx}] does not exist")
                })?;
                if last {
                    *slot = value;
                    return Ok(());
                }
                cur = slot;
                walked = format!("{walked}[{idx}]");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_keys_and_indices() {
        assert_eq!(
            parse("precisions[1].macs_per_pe_per_cycle").unwrap(),
            vec![
                Step::Key("precisions".into()),
                Step::Index(1),
                Step::Key("macs_per_pe_per_cycle".into())
            ]
        );
        assert!(parse("a..b").is_err());
        assert!(parse("a[x]").is_err());
        assert!(parse("a[1").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn sets_nested_values() {
        let mut v = json!({"array": {"rows": 32}, "p": [{"x": 1}, {"x": 2}]});
        set(&mut v, &parse("array.rows").unwrap(), json!(64)).unwrap();
        set(&mut v, &parse("p[1].x").unwrap(), json!(5)).unwrap();
        assert_eq!(v, json!({"array": {"rows": 64}, "p": [{"x": 1}, {"x": 5}]}));
        assert!(set(&mut v, &parse("p[7].x").unwrap(), json!(1)).is_err());
        assert!(set(&mut v, &parse("array.rows.deep").unwrap(), json!(1)).is_err());
    }
}
