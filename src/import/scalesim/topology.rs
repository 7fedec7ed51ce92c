//! SCALE-Sim topology CSV files: convolution layers
//! (`Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,
//! Num Filter, Strides,`) or GEMM layers (`Layer, M, N, K,`).
//!
//! Read as SCALE-Sim v3 reads them (first line is the header, blank lines skipped, one
//! trailing comma per row), with three tolerances: a row may omit its trailing comma, a
//! conv row may carry a ninth numeric column (SCALE-Sim v2's separate stride width), and
//! an `N:M` sparsity column is accepted only when dense (`N == M`). Layers whose name
//! contains `DP` are depthwise convolutions that SCALE-Sim splits into one single-channel
//! layer per channel, named `<name>Channel_<i>`; the import does the same.

use crate::error::{InputError, InputResult};

/// Which of SCALE-Sim's two topology formats a file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopologyKind {
    /// Convolution layers (SCALE-Sim's default input type).
    Conv,
    /// GEMM layers `M, N, K` (SCALE-Sim's `-i gemm`).
    Gemm,
}

/// One convolution layer as SCALE-Sim describes it (no padding; NHWC-agnostic sizes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvLayer {
    /// Input height.
    pub ifmap_h: u64,
    /// Input width.
    pub ifmap_w: u64,
    /// Filter height.
    pub filt_h: u64,
    /// Filter width.
    pub filt_w: u64,
    /// Input channels.
    pub channels: u64,
    /// Number of filters (output channels).
    pub num_filt: u64,
    /// Vertical stride.
    pub stride_h: u64,
    /// Horizontal stride.
    pub stride_w: u64,
}

/// SCALE-Sim's output size along one dimension: `ceil((ifmap - filt + stride) / stride)`
/// (no padding term; requires `filt ≤ ifmap`).
pub fn scalesim_ofmap(ifmap: u64, filt: u64, stride: u64) -> u64 {
    ifmap.saturating_sub(filt).div_ceil(stride.max(1)) + 1
}

impl ConvLayer {
    /// Output height by SCALE-Sim's convention.
    pub fn ofmap_h(&self) -> u64 {
        scalesim_ofmap(self.ifmap_h, self.filt_h, self.stride_h)
    }
    /// Output width by SCALE-Sim's convention.
    pub fn ofmap_w(&self) -> u64 {
        scalesim_ofmap(self.ifmap_w, self.filt_w, self.stride_w)
    }
}

/// A layer's dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerDims {
    /// A convolution.
    Conv(ConvLayer),
    /// A GEMM: `M × K` input by `K × N` weight.
    Gemm {
        /// Output rows.
        m: u64,
        /// Output columns.
        n: u64,
        /// Reduction depth.
        k: u64,
    },
}

/// One topology row (or one channel of a split depthwise row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Layer name.
    pub name: String,
    /// 1-based line of the row in the file.
    pub line: usize,
    /// Dimensions.
    pub dims: LayerDims,
}

impl Layer {
    /// SCALE-Sim's GEMM view `[M, N, K]`: for a conv, M = output pixels (Sr), N = filters
    /// (Sc), K = filter window × channels (T). Checked against u64 overflow at parse time.
    pub fn gemm_mnk(&self) -> [u64; 3] {
        match self.dims {
            LayerDims::Gemm { m, n, k } => [m, n, k],
            LayerDims::Conv(c) => [
                c.ofmap_h() * c.ofmap_w(),
                c.num_filt,
                c.filt_h * c.filt_w * c.channels,
            ],
        }
    }
}

/// A parsed topology file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// Name (the file stem, as SCALE-Sim uses it).
    pub name: String,
    /// Conv or GEMM format.
    pub kind: TopologyKind,
    /// Layers in file order.
    pub layers: Vec<Layer>,
}

/// Most single-channel layers one depthwise row may expand into.
pub const MAX_DEPTHWISE_CHANNELS: u64 = 1 << 16;

const CONV_COLUMNS: [&str; 8] = [
    "Layer name",
    "IFMAP Height",
    "IFMAP Width",
    "Filter Height",
    "Filter Width",
    "Channels",
    "Num Filter",
    "Strides",
];
const GEMM_COLUMNS: [&str; 4] = ["Layer", "M", "N", "K"];

fn cell_err(line: usize, col: usize, what: &str, message: impl Into<String>) -> InputError {
    InputError::at(format!("line {line}, column {col} ({what})"), message)
}

fn line_err(line: usize, message: impl Into<String>) -> InputError {
    InputError::at(format!("line {line}"), message)
}

/// Splits a row into trimmed cells, dropping one trailing empty cell (the trailing comma
/// SCALE-Sim's rows end with).
fn cells(row: &str) -> Vec<&str> {
    let mut v: Vec<&str> = row.split(',').map(str::trim).collect();
    if v.len() > 1 && v.last() == Some(&"") {
        v.pop();
    }
    v
}

/// Detects the format from the header row.
fn detect(header: &[&str], line: usize) -> InputResult<TopologyKind> {
    let lower: Vec<String> = header.iter().map(|c| c.to_ascii_lowercase()).collect();
    let is_gemm = (lower.len() == 4 || lower.len() == 5)
        && lower[0].starts_with("layer")
        && lower[1] == "m"
        && lower[2] == "n"
        && lower[3] == "k";
    if is_gemm {
        return Ok(TopologyKind::Gemm);
    }
    if lower.len() >= 8 && lower[0].starts_with("layer") {
        return Ok(TopologyKind::Conv);
    }
    Err(line_err(
        line,
        format!(
            "unrecognised header '{}'; expected a conv topology header '{},' or a GEMM header '{},' \
             (or choose the format explicitly: --kind conv|gemm)",
            header.join(","),
            CONV_COLUMNS.join(", "),
            GEMM_COLUMNS.join(", ")
        ),
    ))
}

fn positive(cell: &str, line: usize, col: usize, what: &str) -> InputResult<u64> {
    let digits = cell.strip_prefix('+').unwrap_or(cell);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(cell_err(
            line,
            col,
            what,
            format!("expected a positive integer, got '{cell}'"),
        ));
    }
    match digits.parse::<u64>() {
        Ok(0) => Err(cell_err(
            line,
            col,
            what,
            "expected a positive integer, got 0",
        )),
        Ok(v) => Ok(v),
        Err(_) => Err(cell_err(
            line,
            col,
            what,
            format!("expected a positive integer that fits in 64 bits, got '{cell}'"),
        )),
    }
}

/// Checks an `N:M` sparsity cell is dense.
fn dense_sparsity(cell: &str, line: usize, col: usize) -> InputResult<()> {
    let parts: Vec<&str> = cell.split(':').map(str::trim).collect();
    let nm: Option<(u64, u64)> = match parts.as_slice() {
        [n, m] => n.parse().ok().zip(m.parse().ok()),
        _ => None,
    };
    match nm {
        Some((n, m)) if n == m && n > 0 => Ok(()),
        Some(_) => Err(cell_err(
            line,
            col,
            "Sparsity",
            format!(
                "N:M sparsity '{cell}' is not imported (accelsim would simulate the layer dense); expected a dense ratio such as 1:1"
            ),
        )),
        None => Err(cell_err(
            line,
            col,
            "Sparsity",
            format!("expected an N:M sparsity ratio such as 1:1, got '{cell}'"),
        )),
    }
}

/// Checks that every tensor size and the MAC count of the layer fit in u64.
fn check_sizes(dims: &LayerDims, line: usize) -> InputResult<()> {
    let products: Vec<(&str, Vec<u64>)> = match *dims {
        LayerDims::Gemm { m, n, k } => vec![
            ("input M × K", vec![m, k]),
            ("weight K × N", vec![k, n]),
            ("output M × N", vec![m, n]),
            ("MACs M × N × K", vec![m, n, k]),
        ],
        LayerDims::Conv(c) => {
            let (oh, ow) = (c.ofmap_h(), c.ofmap_w());
            vec![
                ("input", vec![c.ifmap_h, c.ifmap_w, c.channels]),
                ("weight", vec![c.num_filt, c.channels, c.filt_h, c.filt_w]),
                ("output", vec![oh, ow, c.num_filt]),
                (
                    "MACs",
                    vec![oh, ow, c.num_filt, c.filt_h, c.filt_w, c.channels],
                ),
            ]
        }
    };
    for (what, dims) in products {
        if dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .is_none()
        {
            return Err(line_err(
                line,
                format!(
                    "the layer's {what} size {} overflows u64; expected smaller dimensions",
                    dims.iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(" × ")
                ),
            ));
        }
    }
    Ok(())
}

/// Checks that row `c` (at `line`) has the `columns` and at most `max` cells in all (the
/// optional N:M sparsity column included).
fn check_width(c: &[&str], line: usize, columns: &[&str], max: usize) -> InputResult<()> {
    if c.len() < columns.len() || c.len() > max {
        return Err(line_err(
            line,
            format!(
                "expected {} columns ({}) and an optional N:M sparsity column, got {}",
                columns.len(),
                columns.join(", "),
                c.len()
            ),
        ));
    }
    Ok(())
}

fn parse_conv_row(c: &[&str], line: usize) -> InputResult<(String, ConvLayer)> {
    check_width(c, line, &CONV_COLUMNS, 10)?;
    let v: Vec<u64> = (1..8)
        .map(|i| positive(c[i], line, i + 1, CONV_COLUMNS[i]))
        .collect::<InputResult<_>>()?;
    let mut stride_w = v[6];
    let mut next = 8;
    if let Some(extra) = c.get(8) {
        if !extra.contains(':') {
            stride_w = positive(extra, line, 9, "Stride width")?;
            next = 9;
        }
    }
    if let Some(sp) = c.get(next) {
        dense_sparsity(sp, line, next + 1)?;
        next += 1;
    }
    if next < c.len() {
        return Err(cell_err(
            line,
            next + 1,
            "extra",
            format!(
                "unexpected column '{}'; expected 8 columns ({}) and an optional N:M sparsity column",
                c[next],
                CONV_COLUMNS.join(", ")
            ),
        ));
    }
    let layer = ConvLayer {
        ifmap_h: v[0],
        ifmap_w: v[1],
        filt_h: v[2],
        filt_w: v[3],
        channels: v[4],
        num_filt: v[5],
        stride_h: v[6],
        stride_w,
    };
    if layer.filt_h > layer.ifmap_h {
        return Err(cell_err(
            line,
            4,
            "Filter Height",
            format!(
                "filter height {} is larger than the IFMAP height {}; expected filter ≤ IFMAP (SCALE-Sim has no padding)",
                layer.filt_h, layer.ifmap_h
            ),
        ));
    }
    if layer.filt_w > layer.ifmap_w {
        return Err(cell_err(
            line,
            5,
            "Filter Width",
            format!(
                "filter width {} is larger than the IFMAP width {}; expected filter ≤ IFMAP (SCALE-Sim has no padding)",
                layer.filt_w, layer.ifmap_w
            ),
        ));
    }
    Ok((c[0].to_string(), layer))
}

fn parse_gemm_row(c: &[&str], line: usize) -> InputResult<(String, LayerDims)> {
    check_width(c, line, &GEMM_COLUMNS, 5)?;
    let m = positive(c[1], line, 2, "M")?;
    let n = positive(c[2], line, 3, "N")?;
    let k = positive(c[3], line, 4, "K")?;
    if let Some(sp) = c.get(4) {
        dense_sparsity(sp, line, 5)?;
    }
    Ok((c[0].to_string(), LayerDims::Gemm { m, n, k }))
}

/// Parses a topology CSV. `name` is the workload name (SCALE-Sim uses the file stem);
/// `kind` forces the format, `None` detects it from the header. Errors name the line, the
/// column and what was expected; attach the file with [`InputError::in_file`].
pub fn parse_topology(text: &str, name: &str, kind: Option<TopologyKind>) -> InputResult<Topology> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = text
        .lines()
        .enumerate()
        .map(|(i, r)| (i + 1, r.trim()))
        .filter(|(_, r)| !r.is_empty());
    let (header_line, header) = rows.next().ok_or_else(|| {
        InputError::at(
            "line 1",
            format!(
                "empty topology; expected a header ('{},' or '{},') and one row per layer",
                CONV_COLUMNS.join(", "),
                GEMM_COLUMNS.join(", ")
            ),
        )
    })?;
    let kind = match kind {
        Some(k) => k,
        None => detect(&cells(header), header_line)?,
    };
    let mut layers: Vec<Layer> = Vec::new();
    let mut first_line: std::collections::BTreeMap<String, usize> = Default::default();
    for (line, row) in rows {
        let c = cells(row);
        if c[0].is_empty() {
            return Err(cell_err(line, 1, "Layer name", "expected a layer name"));
        }
        let (layer_name, dims) = match kind {
            TopologyKind::Conv => {
                let (n, l) = parse_conv_row(&c, line)?;
                (n, LayerDims::Conv(l))
            }
            TopologyKind::Gemm => parse_gemm_row(&c, line)?,
        };
        check_sizes(&dims, line)?;
        if let Some(prev) = first_line.insert(layer_name.clone(), line) {
            return Err(cell_err(
                line,
                1,
                "Layer name",
                format!("layer name '{layer_name}' is used twice (also line {prev}); expected unique names"),
            ));
        }
        match dims {
            LayerDims::Conv(conv) if layer_name.contains("DP") => {
                if conv.channels > MAX_DEPTHWISE_CHANNELS {
                    return Err(cell_err(
                        line,
                        6,
                        "Channels",
                        format!(
                            "a depthwise ('DP') layer is split into one layer per channel; expected at most {MAX_DEPTHWISE_CHANNELS} channels, got {}",
                            conv.channels
                        ),
                    ));
                }
                for ch in 0..conv.channels {
                    layers.push(Layer {
                        name: format!("{layer_name}Channel_{ch}"),
                        line,
                        dims: LayerDims::Conv(ConvLayer {
                            channels: 1,
                            ..conv
                        }),
                    });
                }
            }
            _ => layers.push(Layer {
                name: layer_name,
                line,
                dims,
            }),
        }
    }
    if layers.is_empty() {
        return Err(InputError::at(
            format!("line {header_line}"),
            "the topology has a header but no layers; expected one row per layer",
        ));
    }
    // Expanded depthwise names must not collide with other layers.
    let mut names = std::collections::BTreeMap::new();
    for l in &layers {
        if let Some(prev) = names.insert(l.name.as_str(), l.line) {
            return Err(line_err(
                l.line,
                format!(
                    "layer name '{}' collides with a depthwise channel layer from line {prev}; expected unique names",
                    l.name
                ),
            ));
        }
    }
    Ok(Topology {
        name: name.to_string(),
        kind,
        layers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONV: &str = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n\
        Conv1,224,224,7,7,3,64,2,\n\nFC,1,1,1,1,512,1000,1\n";

    #[test]
    fn conv_rows_and_scalesim_output_size() {
        let t = parse_topology(CONV, "net", None).unwrap();
        assert_eq!(t.kind, TopologyKind::Conv);
        assert_eq!(t.layers.len(), 2);
        // README: ResNet-18 Conv1 224, 7, stride 2 -> 110 (floor would give 109).
        assert_eq!(t.layers[0].gemm_mnk(), [12100, 64, 147]);
        assert_eq!(t.layers[0].line, 2);
        assert_eq!(t.layers[1].gemm_mnk(), [1, 1000, 512]);
        assert_eq!(t.layers[1].line, 4);
    }

    #[test]
    fn gemm_rows() {
        let t = parse_topology("Layer,M,N,K,\ng,2,3,4,\nh,5,6,7,1:1,\n", "g", None).unwrap();
        assert_eq!(t.kind, TopologyKind::Gemm);
        assert_eq!(t.layers[0].gemm_mnk(), [2, 3, 4]);
        assert_eq!(t.layers[1].gemm_mnk(), [5, 6, 7]);
    }

    #[test]
    fn depthwise_rows_split_per_channel() {
        let t = parse_topology(
            "Layer name,a,b,c,d,e,f,g,\nDP1,8,8,3,3,4,1,1,\n",
            "dw",
            None,
        )
        .unwrap();
        assert_eq!(t.layers.len(), 4);
        assert_eq!(t.layers[3].name, "DP1Channel_3");
        assert_eq!(t.layers[3].gemm_mnk(), [36, 1, 9]);
    }

    #[test]
    fn bad_rows_name_line_and_column() {
        let e = parse_topology(&CONV.replace(",3,64,2,", ",-3,64,2,"), "n", None).unwrap_err();
        assert_eq!(e.json_path, "line 2, column 6 (Channels)");
        assert!(e.message.contains("positive integer"), "{e}");
        let e = parse_topology("Layer,M,N,K,\ng,2,3,\n", "g", None).unwrap_err();
        assert_eq!(e.json_path, "line 2");
        assert!(e.message.contains("expected 4 columns"), "{e}");
        let e = parse_topology("Layer,M,N,K,\ng,2,3,4,2:4,\n", "g", None).unwrap_err();
        assert!(e.message.contains("not imported"), "{e}");
        let e = parse_topology("a,b\n", "g", None).unwrap_err();
        assert!(e.message.contains("unrecognised header"), "{e}");
        let e =
            parse_topology("Layer,M,N,K,\ng,4294967296,4294967296,2,\n", "g", None).unwrap_err();
        assert!(e.message.contains("overflow"), "{e}");
        let e = parse_topology("Layer,M,N,K,\ng,1,1,1,\ng,2,2,2,\n", "g", None).unwrap_err();
        assert!(e.message.contains("used twice (also line 2)"), "{e}");
        let e = parse_topology(&CONV.replace("224,224,7,7", "5,224,7,7"), "n", None).unwrap_err();
        assert!(e.message.contains("larger than the IFMAP height"), "{e}");
    }
}
