//! NumPy/ONNX broadcasting of shapes.

/// Multidirectional (NumPy) broadcast of several shapes, or a message saying which
/// dimensions clash.
pub fn broadcast_shapes(shapes: &[&[usize]]) -> Result<Vec<usize>, String> {
    let rank = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1usize; rank];
    for (pos, slot) in out.iter_mut().enumerate() {
        // Position `pos` counts from the left of the result; align shapes on the right.
        let from_right = rank - pos;
        let mut dim: Option<usize> = None;
        for s in shapes {
            if s.len() < from_right {
                continue;
            }
            let d = s[s.len() - from_right];
            if d == 1 {
                continue;
            }
            match dim {
                None => dim = Some(d),
                Some(existing) if existing == d => {}
                Some(_) => {
                    return Err(format!(
                        "shapes {} cannot be broadcast together",
                        shapes
                            .iter()
                            .map(|s| format!("{s:?}"))
                            .collect::<Vec<_>>()
                            .join(" and ")
                    ))
                }
            }
        }
        *slot = dim.unwrap_or(1);
    }
    Ok(out)
}

/// True if `from` broadcasts unidirectionally to `to` (every right-aligned dimension of
/// `from` is 1 or equal to `to`'s, and `from` has no more dimensions).
pub fn broadcasts_to(from: &[usize], to: &[usize]) -> bool {
    from.len() <= to.len()
        && from
            .iter()
            .rev()
            .zip(to.iter().rev())
            .all(|(&f, &t)| f == 1 || f == t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_rules() {
        assert_eq!(
            broadcast_shapes(&[&[2, 3, 4], &[4]]).unwrap(),
            vec![2, 3, 4]
        );
        assert_eq!(
            broadcast_shapes(&[&[2, 1, 4], &[3, 1]]).unwrap(),
            vec![2, 3, 4]
        );
        assert_eq!(broadcast_shapes(&[&[], &[5]]).unwrap(), vec![5]);
        assert_eq!(broadcast_shapes(&[&[0], &[1]]).unwrap(), vec![0]);
        assert!(broadcast_shapes(&[&[2, 3], &[4, 3]]).is_err());
        assert!(broadcast_shapes(&[&[0], &[3]]).is_err());
    }

    #[test]
    fn unidirectional() {
        assert!(broadcasts_to(&[1, 8], &[4, 8]));
        assert!(broadcasts_to(&[8], &[4, 8]));
        assert!(!broadcasts_to(&[4, 1, 8], &[4, 8]));
        assert!(!broadcasts_to(&[3], &[4, 8]));
    }
}
