//! Output sizes and effective padding of convolution and pooling windows
//! (`kernel_shape`, `strides`, `dilations`, `pads`, `auto_pad`, `ceil_mode`).

use crate::import::onnx::error::OnnxError;
use crate::import::onnx::model::OnnxNode;

/// The `auto_pad` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoPad {
    /// Explicit `pads` (the default).
    NotSet,
    /// No padding.
    Valid,
    /// Pad so that `out = ceil(in / stride)`; an odd total puts the extra pad at the end.
    SameUpper,
    /// Like `SameUpper`, but an odd total puts the extra pad at the beginning.
    SameLower,
}

/// The resolved window geometry over the spatial dimensions of a Conv-like or pooling
/// node. `pads_begin`/`pads_end` are the padding actually applied (for `SAME_*`, the
/// computed padding). With `ceil_mode`, the last window may extend past
/// `pads_end`; positions beyond the padded input are simply not part of that window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpatialGeometry {
    /// Kernel size per spatial dimension.
    pub kernel: Vec<usize>,
    /// Stride per spatial dimension.
    pub strides: Vec<usize>,
    /// Dilation per spatial dimension.
    pub dilations: Vec<usize>,
    /// Padding before each spatial dimension.
    pub pads_begin: Vec<usize>,
    /// Padding after each spatial dimension.
    pub pads_end: Vec<usize>,
    /// Output size per spatial dimension.
    pub output: Vec<usize>,
}

/// Resolve the geometry of `node` for spatial input sizes `input` and kernel sizes
/// `kernel`. `ceil_mode` applies to pooling; `dilations` is read only when
/// `has_dilations` (pooling ops without dilations ignore the attribute).
pub fn resolve_geometry(
    node: &OnnxNode,
    input: &[usize],
    kernel: &[usize],
    ceil_mode: bool,
    has_dilations: bool,
) -> Result<SpatialGeometry, OnnxError> {
    let n = input.len();
    let per_dim = |name: &str, default: usize| -> Result<Vec<usize>, OnnxError> {
        match node.attr_usizes(name)? {
            None => Ok(vec![default; n]),
            Some(v) if v.len() == n => {
                if v.contains(&0) {
                    Err(node.attr_error(name, "entries must be >= 1"))
                } else {
                    Ok(v)
                }
            }
            Some(v) => Err(node.attr_error(
                name,
                format!(
                    "has {} entries, expected {n} (one per spatial dimension)",
                    v.len()
                ),
            )),
        }
    };
    if kernel.contains(&0) {
        return Err(node.attr_error("kernel_shape", "kernel sizes must be >= 1"));
    }
    let strides = per_dim("strides", 1)?;
    let dilations = if has_dilations {
        per_dim("dilations", 1)?
    } else {
        vec![1; n]
    };
    let auto_pad = match node.attr_str("auto_pad", "NOTSET")? {
        "NOTSET" | "" => AutoPad::NotSet,
        "VALID" => AutoPad::Valid,
        "SAME_UPPER" => AutoPad::SameUpper,
        "SAME_LOWER" => AutoPad::SameLower,
        other => {
            return Err(node.attr_error(
                "auto_pad",
                format!("'{other}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER"),
            ))
        }
    };
    let pads = match node.attr_usizes("pads")? {
        None => vec![0; 2 * n],
        Some(p) if p.len() == 2 * n => p,
        Some(p) => {
            return Err(node.attr_error(
                "pads",
                format!(
                    "has {} entries, expected {} (begin and end per spatial dimension)",
                    p.len(),
                    2 * n
                ),
            ))
        }
    };
    let mut geometry = SpatialGeometry {
        kernel: kernel.to_vec(),
        strides,
        dilations,
        pads_begin: vec![0; n],
        pads_end: vec![0; n],
        output: vec![0; n],
    };
    // All size arithmetic is done in u128, so absurd attribute values from a corrupt
    // file give an error instead of an overflow.
    let too_big = |what: &str| OnnxError::Node {
        node: node.label(),
        detail: format!("{what} is too large"),
    };
    for i in 0..n {
        let (size, stride) = (input[i] as u128, geometry.strides[i] as u128);
        let effective_kernel = geometry.dilations[i] as u128 * (kernel[i] as u128 - 1) + 1;
        let (begin, end) = match auto_pad {
            AutoPad::NotSet => (pads[i] as u128, pads[n + i] as u128),
            AutoPad::Valid => (0, 0),
            AutoPad::SameUpper | AutoPad::SameLower => {
                let out = size.div_ceil(stride);
                let needed =
                    (out.saturating_sub(1) * stride + effective_kernel).saturating_sub(size);
                let small = needed / 2;
                if auto_pad == AutoPad::SameUpper {
                    (small, needed - small)
                } else {
                    (needed - small, small)
                }
            }
        };
        let padded = size + begin + end;
        if padded < effective_kernel {
            return Err(OnnxError::Node {
                node: node.label(),
                detail: format!(
                    "spatial dimension {i}: padded input size {padded} is smaller than the \
                     effective kernel size {effective_kernel}"
                ),
            });
        }
        let span = padded - effective_kernel;
        let mut out = if ceil_mode {
            span.div_ceil(stride)
        } else {
            span / stride
        } + 1;
        // A window that would start inside the end padding is dropped (ONNX/PyTorch).
        if ceil_mode && (out - 1) * stride >= size + begin {
            out -= 1;
        }
        let fit = |v: u128, what: &str| usize::try_from(v).map_err(|_| too_big(what));
        geometry.pads_begin[i] = fit(begin, "the padding")?;
        geometry.pads_end[i] = fit(end, "the padding")?;
        geometry.output[i] = fit(out, "the output size")?;
        fit(effective_kernel, "the effective kernel size")?;
    }
    Ok(geometry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::onnx::attr::Attribute;

    fn node(attrs: &[(&str, Attribute)]) -> OnnxNode {
        OnnxNode {
            name: "n".into(),
            op_type: "Conv".into(),
            domain: String::new(),
            inputs: vec![],
            outputs: vec!["y".into()],
            attributes: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        }
    }

    #[test]
    fn explicit_pads_strides_dilations() {
        // qlinearconv_u8s8_s2_asympad_perch: 7x9 input, 3x2 kernel, stride 2, pads [1,0,2,1].
        let n = node(&[
            ("strides", Attribute::Ints(vec![2, 2])),
            ("pads", Attribute::Ints(vec![1, 0, 2, 1])),
        ]);
        let g = resolve_geometry(&n, &[7, 9], &[3, 2], false, true).unwrap();
        assert_eq!(g.output, vec![4, 5]);
        let n = node(&[
            ("dilations", Attribute::Ints(vec![2, 2])),
            ("pads", Attribute::Ints(vec![2, 2, 2, 2])),
        ]);
        assert_eq!(
            resolve_geometry(&n, &[9, 9], &[3, 3], false, true)
                .unwrap()
                .output,
            vec![9, 9]
        );
    }

    #[test]
    fn auto_pad_modes() {
        let same = |mode: &str| {
            node(&[
                ("auto_pad", Attribute::String(mode.as_bytes().to_vec())),
                ("strides", Attribute::Ints(vec![2])),
            ])
        };
        let g = resolve_geometry(&same("SAME_UPPER"), &[6], &[3], false, true).unwrap();
        assert_eq!((g.output[0], g.pads_begin[0], g.pads_end[0]), (3, 0, 1));
        let g = resolve_geometry(&same("SAME_LOWER"), &[6], &[3], false, true).unwrap();
        assert_eq!((g.output[0], g.pads_begin[0], g.pads_end[0]), (3, 1, 0));
        let g = resolve_geometry(&same("VALID"), &[6], &[3], false, true).unwrap();
        assert_eq!(g.output[0], 2);
        assert!(resolve_geometry(&same("BOGUS"), &[6], &[3], false, true).is_err());
    }

    /// The output size of a 1-D window (no dilations) over `input` with `kernel`.
    fn output(n: &OnnxNode, input: usize, kernel: usize, ceil_mode: bool) -> Vec<usize> {
        resolve_geometry(n, &[input], &[kernel], ceil_mode, false)
            .unwrap()
            .output
    }

    #[test]
    fn ceil_mode() {
        let n = node(&[("strides", Attribute::Ints(vec![2]))]);
        assert_eq!(output(&n, 6, 3, false), vec![2]);
        assert_eq!(output(&n, 6, 3, true), vec![3]);
        // The last window would start in the end padding: dropped.
        let n = node(&[
            ("strides", Attribute::Ints(vec![2])),
            ("pads", Attribute::Ints(vec![0, 1])),
        ]);
        assert_eq!(output(&n, 4, 2, true), vec![2]);
        assert_eq!(output(&n, 4, 2, false), vec![2]);
    }

    #[test]
    fn errors() {
        let n = node(&[("strides", Attribute::Ints(vec![0]))]);
        assert!(resolve_geometry(&n, &[6], &[3], false, true).is_err());
        let n = node(&[("pads", Attribute::Ints(vec![1]))]);
        assert!(resolve_geometry(&n, &[6], &[3], false, true).is_err());
        let n = node(&[]);
        let e = resolve_geometry(&n, &[2], &[3], false, true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("smaller than the effective kernel"), "{e}");
    }
}
