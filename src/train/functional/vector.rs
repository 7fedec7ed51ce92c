//! Forward and backward of the non-GEMM ops a functional step runs besides relu, add and
//! global average pooling: max / average pooling, softmax, layer normalisation and
//! transpose. Every op computes in f64 on its operands' values (already in their class
//! formats); the caller rounds the result once into the output's class format.
//!
//! * maxpool: the window's maximum over in-bounds positions; its error goes to the first
//!   position (window order, row-major) holding that maximum.
//! * avgpool: the in-bounds sum divided by the in-bounds count (by kh·kw with
//!   `count_include_pad`); its error spreads as `dy / count` over the same positions.
//! * softmax along `axis`: `y = exp(x − max) / Σ exp(x − max)`; `dx = y ⊙ (dy − Σ dy⊙y)`.
//! * layernorm over the axes from `axis` (n values a row): `x̂ = (x − mean)/√(var + eps)`
//!   (biased variance), `y = x̂·scale + bias`; `dx̂ = dy·scale`,
//!   `dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂⊙x̂)) / √(var + eps)`, `dscale = Σ_rows dy⊙x̂`,
//!   `dbias = Σ_rows dy`, each summed onto the parameter's (broadcast) shape.
//! * transpose by `perm`; its error by the inverse permutation.

use crate::workload::PoolAttrs;

/// The geometry of a 2-D pooling (NCHW).
pub(super) struct Pool {
    /// Batch × channels.
    pub planes: usize,
    /// Input height and width.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Output height.
    pub ho: usize,
    /// Output width.
    pub wo: usize,
    /// Attributes (window, stride, padding).
    pub attrs: PoolAttrs,
    /// Average pooling divides by kh·kw (padding counted).
    pub include_pad: bool,
    /// Max (else average) pooling.
    pub max: bool,
}

impl Pool {
    /// In-bounds input positions (plane-relative) of output (oy, ox), window order.
    fn window(&self, oy: usize, ox: usize) -> Vec<usize> {
        let a = &self.attrs;
        let mut pos = Vec::with_capacity((a.kernel[0] * a.kernel[1]) as usize);
        for ky in 0..a.kernel[0] as usize {
            let iy = (oy * a.stride[0] as usize + ky) as isize - a.padding[0] as isize;
            for kx in 0..a.kernel[1] as usize {
                let ix = (ox * a.stride[1] as usize + kx) as isize - a.padding[1] as isize;
                if iy >= 0 && (iy as usize) < self.h && ix >= 0 && (ix as usize) < self.w {
                    pos.push(iy as usize * self.w + ix as usize);
                }
            }
        }
        pos
    }

    fn count(&self, pos: &[usize]) -> f64 {
        if self.include_pad {
            (self.attrs.kernel[0] * self.attrs.kernel[1]) as f64
        } else {
            pos.len().max(1) as f64
        }
    }

    /// Calls `f(plane, output index, window positions)` for every output value.
    fn each(&self, mut f: impl FnMut(usize, usize, &[usize])) {
        for p in 0..self.planes {
            for oy in 0..self.ho {
                for ox in 0..self.wo {
                    let pos = self.window(oy, ox);
                    f(p, (p * self.ho + oy) * self.wo + ox, &pos);
                }
            }
        }
    }

    /// The first position of `pos` holding the plane's maximum.
    fn argmax(plane: &[f64], pos: &[usize]) -> Option<usize> {
        let mut best: Option<usize> = None;
        for &i in pos {
            if best.is_none_or(|b| plane[i] > plane[b]) {
                best = Some(i);
            }
        }
        best
    }

    /// Forward.
    pub fn forward(&self, x: &[f64]) -> Vec<f64> {
        let hw = self.h * self.w;
        let mut y = vec![0.0; self.planes * self.ho * self.wo];
        self.each(|p, o, pos| {
            let plane = &x[p * hw..(p + 1) * hw];
            y[o] = if self.max {
                Self::argmax(plane, pos).map_or(0.0, |i| plane[i])
            } else {
                pos.iter().map(|&i| plane[i]).sum::<f64>() / self.count(pos)
            };
        });
        y
    }

    /// Backward: the input's error from the output's.
    pub fn backward(&self, x: &[f64], dy: &[f64]) -> Vec<f64> {
        let hw = self.h * self.w;
        let mut dx = vec![0.0; x.len()];
        self.each(|p, o, pos| {
            let plane = &x[p * hw..(p + 1) * hw];
            if self.max {
                if let Some(i) = Self::argmax(plane, pos) {
                    dx[p * hw + i] += dy[o];
                }
            } else {
                let g = dy[o] / self.count(pos);
                for &i in pos {
                    dx[p * hw + i] += g;
                }
            }
        });
        dx
    }
}

/// (outer, len, inner) of a tensor around `axis`.
fn around(shape: &[u64], axis: usize) -> (usize, usize, usize) {
    let outer: u64 = shape[..axis].iter().product();
    let inner: u64 = shape[axis + 1..].iter().product();
    (outer as usize, shape[axis] as usize, inner as usize)
}

/// Softmax along `axis`.
pub(super) fn softmax(x: &[f64], shape: &[u64], axis: usize) -> Vec<f64> {
    let (outer, len, inner) = around(shape, axis);
    let mut y = vec![0.0; x.len()];
    for o in 0..outer {
        for i in 0..inner {
            let at = |j: usize| (o * len + j) * inner + i;
            let m = (0..len).map(|j| x[at(j)]).fold(f64::NEG_INFINITY, f64::max);
            let s: f64 = (0..len).map(|j| (x[at(j)] - m).exp()).sum();
            for j in 0..len {
                y[at(j)] = (x[at(j)] - m).exp() / s;
            }
        }
    }
    y
}

/// Softmax backward from its output `y`.
pub(super) fn softmax_backward(y: &[f64], dy: &[f64], shape: &[u64], axis: usize) -> Vec<f64> {
    let (outer, len, inner) = around(shape, axis);
    let mut dx = vec![0.0; y.len()];
    for o in 0..outer {
        for i in 0..inner {
            let at = |j: usize| (o * len + j) * inner + i;
            let dot: f64 = (0..len).map(|j| dy[at(j)] * y[at(j)]).sum();
            for j in 0..len {
                dx[at(j)] = y[at(j)] * (dy[at(j)] - dot);
            }
        }
    }
    dx
}

/// Index into a parameter of shape `param` broadcast over the normalised `tail`, per
/// tail position (numpy broadcasting: trailing alignment, size-1 axes repeat).
pub(super) fn tail_index(tail: &[u64], param: &[u64]) -> Vec<usize> {
    let n: u64 = tail.iter().product();
    let off = tail.len() - param.len();
    (0..n as usize)
        .map(|mut t| {
            let mut idx = 0usize;
            let mut stride = 1usize;
            for d in (0..tail.len()).rev() {
                let c = t % tail[d] as usize;
                t /= tail[d] as usize;
                if d >= off {
                    let p = param[d - off] as usize;
                    if p != 1 {
                        idx += c * stride;
                    }
                    stride *= p;
                }
            }
            idx
        })
        .collect()
}

/// Layer normalisation: rows of `n` values, the parameters expanded to `n` values.
pub(super) struct LayerNorm<'a> {
    /// Values a row (the product of the normalised axes).
    pub n: usize,
    /// Variance epsilon.
    pub eps: f64,
    /// Scale per row position (None: 1).
    pub scale: Option<&'a [f64]>,
    /// Bias per row position (None: 0).
    pub bias: Option<&'a [f64]>,
}

impl LayerNorm<'_> {
    /// x̂ and 1/√(var + eps) of one row.
    fn normalise(&self, row: &[f64]) -> (Vec<f64>, f64) {
        let n = self.n as f64;
        let mean = row.iter().sum::<f64>() / n;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        let inv = 1.0 / (var + self.eps).sqrt();
        (row.iter().map(|v| (v - mean) * inv).collect(), inv)
    }

    /// Forward.
    pub fn forward(&self, x: &[f64]) -> Vec<f64> {
        let mut y = Vec::with_capacity(x.len());
        for row in x.chunks(self.n) {
            let (xh, _) = self.normalise(row);
            for (j, v) in xh.iter().enumerate() {
                let s = self.scale.map_or(1.0, |s| s[j]);
                let b = self.bias.map_or(0.0, |b| b[j]);
                y.push(v * s + b);
            }
        }
        y
    }

    /// Backward: (dx, dscale, dbias), the parameter gradients per row position.
    pub fn backward(&self, x: &[f64], dy: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let n = self.n as f64;
        let mut dx = Vec::with_capacity(x.len());
        let (mut ds, mut db) = (vec![0.0; self.n], vec![0.0; self.n]);
        for (row, g) in x.chunks(self.n).zip(dy.chunks(self.n)) {
            let (xh, inv) = self.normalise(row);
            let dxh: Vec<f64> = (0..self.n)
                .map(|j| g[j] * self.scale.map_or(1.0, |s| s[j]))
                .collect();
            let m1 = dxh.iter().sum::<f64>() / n;
            let m2 = dxh.iter().zip(&xh).map(|(a, b)| a * b).sum::<f64>() / n;
            for j in 0..self.n {
                dx.push((dxh[j] - m1 - xh[j] * m2) * inv);
                ds[j] += g[j] * xh[j];
                db[j] += g[j];
            }
        }
        (dx, ds, db)
    }
}

/// `x` of `shape` permuted by `perm` (output axis i is input axis perm[i]).
pub(super) fn permute(x: &[f64], shape: &[u64], perm: &[usize]) -> Vec<f64> {
    let r = shape.len();
    let mut in_strides = vec![1usize; r];
    for d in (0..r.saturating_sub(1)).rev() {
        in_strides[d] = in_strides[d + 1] * shape[d + 1] as usize;
    }
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p] as usize).collect();
    let mut y = Vec::with_capacity(x.len());
    let mut coord = vec![0usize; r];
    for _ in 0..x.len() {
        let src: usize = (0..r).map(|i| coord[i] * in_strides[perm[i]]).sum();
        y.push(x[src]);
        for d in (0..r).rev() {
            coord[d] += 1;
            if coord[d] < out_shape[d] {
                break;
            }
            coord[d] = 0;
        }
    }
    y
}

/// The inverse of a permutation.
pub(super) fn inverse(perm: &[usize]) -> Vec<usize> {
    let mut inv = vec![0; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    inv
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central differences of a scalar function of `x` (f64, step 1e-6).
    fn numeric_grad(x: &[f64], f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
        (0..x.len())
            .map(|i| {
                let (mut a, mut b) = (x.to_vec(), x.to_vec());
                a[i] += 1e-6;
                b[i] -= 1e-6;
                (f(&a) - f(&b)) / 2e-6
            })
            .collect()
    }

    fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
        a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()))
    }

    #[test]
    fn backward_passes_match_central_differences() {
        let x: Vec<f64> = (0..24)
            .map(|i| ((i * 37 % 23) as f64 - 11.0) / 7.0)
            .collect();
        let w: Vec<f64> = (0..24).map(|i| ((i * 5 % 13) as f64 - 6.0) / 5.0).collect();
        let dot = |y: &[f64]| y.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>();
        let shape = [2u64, 3, 4];
        let sm = softmax_backward(&softmax(&x, &shape, 1), &w, &shape, 1);
        assert!(close(
            &sm,
            &numeric_grad(&x, |x| dot(&softmax(x, &shape, 1))),
            1e-6
        ));
        let scale: Vec<f64> = (0..4).map(|j| 0.5 + j as f64).collect();
        let ln = LayerNorm {
            n: 4,
            eps: 1e-5,
            scale: Some(&scale),
            bias: None,
        };
        let (dx, ds, _) = ln.backward(&x, &w);
        assert!(close(&dx, &numeric_grad(&x, |x| dot(&ln.forward(x))), 1e-5));
        let num_ds = numeric_grad(&scale, |s| {
            let l = LayerNorm {
                scale: Some(s),
                ..ln
            };
            dot(&l.forward(&x))
        });
        assert!(close(&ds, &num_ds, 1e-5));
        let t = permute(&x, &shape, &[2, 0, 1]);
        assert_eq!(permute(&t, &[4, 2, 3], &inverse(&[2, 0, 1])), x);
        assert_eq!(t[1], x[4]); // out (0,0,1) = in (0,1,0)
        assert_eq!(
            tail_index(&[3, 4], &[4]),
            [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]
        );
        assert_eq!(tail_index(&[2, 2], &[2, 1]), [0, 0, 1, 1]);
    }

    #[test]
    fn pooling_backward_matches_central_differences() {
        let x: Vec<f64> = (0..2 * 25).map(|i| ((i * 29 % 31) as f64) / 9.0).collect();
        for max in [true, false] {
            let p = Pool {
                planes: 2,
                h: 5,
                w: 5,
                ho: 3,
                wo: 3,
                attrs: PoolAttrs {
                    kernel: [3, 3],
                    stride: [2, 2],
                    padding: [1, 1, 1, 1],
                    ceil_mode: false,
                },
                include_pad: false,
                max,
            };
            let w: Vec<f64> = (0..18).map(|i| i as f64 / 3.0 - 2.0).collect();
            let dot = |y: &[f64]| y.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>();
            let g = p.backward(&x, &w);
            assert!(
                close(&g, &numeric_grad(&x, |x| dot(&p.forward(x))), 1e-5),
                "max {max}"
            );
        }
    }
}
