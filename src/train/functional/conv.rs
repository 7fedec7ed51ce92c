//! Convolution lowering for functional training: im2col per group and its adjoint col2im.

use crate::workload::ConvAttrs;

/// Geometry of one conv: input `[n, c, h, w]`, output `[n, co, ho, wo]`, kernel `kh × kw`.
#[derive(Debug, Clone, Copy)]
pub struct Geometry {
    /// Batch.
    pub n: usize,
    /// Input channels.
    pub c: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Output channels.
    pub co: usize,
    /// Output height.
    pub ho: usize,
    /// Output width.
    pub wo: usize,
    /// Kernel height.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// Groups.
    pub g: usize,
    /// Stride, padding (top, left), dilation.
    pub sh: usize,
    /// Stride along W.
    pub sw: usize,
    /// Top padding.
    pub pt: usize,
    /// Left padding.
    pub pl: usize,
    /// Dilation along H.
    pub dh: usize,
    /// Dilation along W.
    pub dw: usize,
}

impl Geometry {
    /// From shapes and attributes.
    pub fn new(x: &[u64], y: &[u64], wshape: &[u64], a: &ConvAttrs) -> Geometry {
        let u = |v: u64| v as usize;
        Geometry {
            n: u(x[0]),
            c: u(x[1]),
            h: u(x[2]),
            w: u(x[3]),
            co: u(y[1]),
            ho: u(y[2]),
            wo: u(y[3]),
            kh: u(wshape[2]),
            kw: u(wshape[3]),
            g: u(a.groups),
            sh: u(a.stride[0]),
            sw: u(a.stride[1]),
            pt: u(a.padding[0]),
            pl: u(a.padding[1]),
            dh: u(a.dilation[0]),
            dw: u(a.dilation[1]),
        }
    }

    /// Rows of the column matrix (output pixels).
    pub fn rows(&self) -> usize {
        self.n * self.ho * self.wo
    }

    /// Columns per group (window × channels of one group).
    pub fn kg(&self) -> usize {
        self.c / self.g * self.kh * self.kw
    }

    /// The input index a (row, column) of group `gi` reads, None in the padding.
    fn source(&self, gi: usize, row: usize, col: usize) -> Option<usize> {
        let (n, rem) = (row / (self.ho * self.wo), row % (self.ho * self.wo));
        let (oh, ow) = (rem / self.wo, rem % self.wo);
        let cg = self.c / self.g;
        let (cl, rem) = (col / (self.kh * self.kw), col % (self.kh * self.kw));
        let (i, j) = (rem / self.kw, rem % self.kw);
        let ih = (oh * self.sh + i * self.dh).checked_sub(self.pt)?;
        let iw = (ow * self.sw + j * self.dw).checked_sub(self.pl)?;
        if ih >= self.h || iw >= self.w {
            return None;
        }
        let ch = gi * cg + cl;
        Some(((n * self.c + ch) * self.h + ih) * self.w + iw)
    }

    /// The column matrix `[rows, kg]` of group `gi`.
    pub fn im2col(&self, x: &[f64], gi: usize) -> Vec<f64> {
        let (rows, kg) = (self.rows(), self.kg());
        let mut cols = vec![0.0; rows * kg];
        for r in 0..rows {
            for k in 0..kg {
                if let Some(s) = self.source(gi, r, k) {
                    cols[r * kg + k] = x[s];
                }
            }
        }
        cols
    }

    /// Adds the column-matrix gradient of group `gi` back onto the input gradient.
    pub fn col2im_add(&self, dcols: &[f64], gi: usize, dx: &mut [f64]) {
        let (rows, kg) = (self.rows(), self.kg());
        for r in 0..rows {
            for k in 0..kg {
                if let Some(s) = self.source(gi, r, k) {
                    dx[s] += dcols[r * kg + k];
                }
            }
        }
    }

    /// The output (or its error) of group `gi` as a `[rows, co/g]` matrix.
    pub fn gather_rows(&self, y: &[f64], gi: usize) -> Vec<f64> {
        let cog = self.co / self.g;
        let hw = self.ho * self.wo;
        let mut m = vec![0.0; self.rows() * cog];
        for r in 0..self.rows() {
            let (n, p) = (r / hw, r % hw);
            for o in 0..cog {
                m[r * cog + o] = y[(n * self.co + gi * cog + o) * hw + p];
            }
        }
        m
    }

    /// Writes a `[rows, co/g]` matrix of group `gi` into an NCHW output.
    pub fn scatter_rows(&self, m: &[f64], gi: usize, y: &mut [f64]) {
        let cog = self.co / self.g;
        let hw = self.ho * self.wo;
        for r in 0..self.rows() {
            let (n, p) = (r / hw, r % hw);
            for o in 0..cog {
                y[(n * self.co + gi * cog + o) * hw + p] = m[r * cog + o];
            }
        }
    }
}
