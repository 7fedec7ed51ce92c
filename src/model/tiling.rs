//! Tiling of a GEMM over the on-chip buffers, chosen to minimise DRAM traffic.
//!
//! The GEMM `M × K` (A, activations) by `K × N` (B, weights) → `M × N` (C) is cut into
//! `Mt × Nt` output tiles. Three schedules are considered, each with its DRAM traffic:
//!
//! - `weights_resident`: a `K × Nt` panel of B stays on chip while all of A streams past it
//!   (n-outer loop): B read once, A read ceil(N / Nt) times.
//! - `inputs_resident`: an `Mt × K` panel of A stays while B streams (m-outer): A read once,
//!   B read ceil(M / Mt) times.
//! - `output_stationary`: neither panel fits; an `Mt × Nt` tile of partial sums stays in the
//!   output buffer while `Kt` slices of A and B stream: A read ceil(N / Nt) times, B read
//!   ceil(M / Mt) times.
//!
//! If even the smallest output tile of partial sums does not fit, partial sums spill to
//! DRAM (written and read back once per extra K slice). Outputs are written once.
//! With double buffering each operand may use half of its buffer for the tile in use.

use serde::Serialize;

/// Buffer capacities available to one GEMM's operands, in bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Capacity {
    /// Separate buffers for A (ifmap), B (filter) and C (ofmap).
    Split {
        /// A buffer bytes.
        a: f64,
        /// B buffer bytes.
        b: f64,
        /// C buffer bytes.
        c: f64,
    },
    /// One buffer shared by all three.
    Unified(f64),
}

/// Element sizes in bytes (fractional for sub-byte formats).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ElementBytes {
    /// A (activations).
    pub a: f64,
    /// B (weights).
    pub b: f64,
    /// C final output.
    pub c: f64,
    /// Partial sums (accumulator format).
    pub acc: f64,
}

/// Which reuse the chosen schedule achieves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reuse {
    /// B panel resident; B read from DRAM once.
    WeightsResident,
    /// A panel resident; A read from DRAM once.
    InputsResident,
    /// Partial sums stay on chip; both operands re-streamed.
    OutputStationary,
    /// Partial sums spill to DRAM.
    PartialSumSpill,
}

/// The chosen tiling and its DRAM traffic for one GEMM.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tiling {
    /// Output-tile rows.
    pub mt: u64,
    /// Output-tile columns.
    pub nt: u64,
    /// Reduction slice.
    pub kt: u64,
    /// Schedule.
    pub reuse: Reuse,
    /// DRAM bytes read for A.
    pub a_bytes: f64,
    /// DRAM bytes read for B.
    pub b_bytes: f64,
    /// DRAM bytes written for C (and partial-sum spills, both directions).
    pub c_bytes: f64,
    /// Peak bytes of the buffers in use (all operands, double buffering included).
    pub peak_buffer_bytes: f64,
}

impl Tiling {
    /// Total DRAM bytes.
    pub fn dram_bytes(&self) -> f64 {
        self.a_bytes + self.b_bytes + self.c_bytes
    }
}

fn candidates(dim: u64, base: u64) -> Vec<u64> {
    let mut v = vec![dim];
    let mut t = base.max(1);
    while t < dim {
        v.push(t);
        t = t.saturating_mul(2);
    }
    v.sort_unstable();
    v.dedup();
    v
}

/// Chooses the tiling of an `m × n × k` GEMM (A m×k, B k×n) that minimises DRAM bytes.
/// `align` are the natural tile granules (array rows/cols), `double_buffer` halves the
/// capacity usable by each operand.
pub fn choose(
    m: u64,
    n: u64,
    k: u64,
    eb: ElementBytes,
    cap: Capacity,
    align: (u64, u64),
    double_buffer: bool,
) -> Tiling {
    let db = if double_buffer { 2.0 } else { 1.0 };
    let (mf, nf, kf) = (m as f64, n as f64, k as f64);
    let fits = |a_t: f64, b_t: f64, c_t: f64| -> bool {
        match cap {
            Capacity::Split { a, b, c } => a_t * db <= a && b_t * db <= b && c_t * db <= c,
            Capacity::Unified(u) => (a_t + b_t + c_t) * db <= u,
        }
    };
    let mut best: Option<Tiling> = None;
    let mut consider = |t: Tiling| {
        let better = match &best {
            None => true,
            Some(b) => {
                let (x, y) = (t.dram_bytes(), b.dram_bytes());
                x < y - 1e-9 || ((x - y).abs() <= 1e-9 && t.mt * t.nt > b.mt * b.nt)
            }
        };
        if better {
            best = Some(t);
        }
    };
    let ms = candidates(m, align.0);
    let ns = candidates(n, align.1);
    let ks = candidates(k, align.0);
    let kt_min = ks[0];
    let c_out = mf * nf * eb.c;
    // Traffic does not depend on Kt, so feasibility is checked at the smallest slice and
    // the largest fitting slice is chosen afterwards for the winner (fewer, larger DMAs).
    for &mt in &ms {
        for &nt in &ns {
            let psum_tile = (mt * nt) as f64 * eb.acc;
            let a_reads = n.div_ceil(nt) as f64;
            let b_reads = m.div_ceil(mt) as f64;
            let a_slice = (mt * kt_min) as f64 * eb.a;
            let b_slice = (kt_min * nt) as f64 * eb.b;
            let a_panel = mt as f64 * kf * eb.a;
            let b_panel = kf * nt as f64 * eb.b;
            if fits(a_slice, b_panel, psum_tile) {
                consider(Tiling {
                    mt,
                    nt,
                    kt: kt_min,
                    reuse: Reuse::WeightsResident,
                    a_bytes: mf * kf * eb.a * a_reads,
                    b_bytes: kf * nf * eb.b,
                    c_bytes: c_out,
                    peak_buffer_bytes: 0.0,
                });
            }
            if fits(a_panel, b_slice, psum_tile) {
                consider(Tiling {
                    mt,
                    nt,
                    kt: kt_min,
                    reuse: Reuse::InputsResident,
                    a_bytes: mf * kf * eb.a,
                    b_bytes: kf * nf * eb.b * b_reads,
                    c_bytes: c_out,
                    peak_buffer_bytes: 0.0,
                });
            }
            if fits(a_slice, b_slice, psum_tile) {
                consider(Tiling {
                    mt,
                    nt,
                    kt: kt_min,
                    reuse: Reuse::OutputStationary,
                    a_bytes: mf * kf * eb.a * a_reads,
                    b_bytes: kf * nf * eb.b * b_reads,
                    c_bytes: c_out,
                    peak_buffer_bytes: 0.0,
                });
            }
        }
    }
    if let Some(mut b) = best {
        // Largest K slice that still fits, and the resulting buffer footprint.
        let footprint = |t: &Tiling, kt: u64| -> (f64, f64, f64) {
            let psum = (t.mt * t.nt) as f64 * eb.acc;
            match t.reuse {
                Reuse::WeightsResident => {
                    ((t.mt * kt) as f64 * eb.a, kf * t.nt as f64 * eb.b, psum)
                }
                Reuse::InputsResident => (t.mt as f64 * kf * eb.a, (kt * t.nt) as f64 * eb.b, psum),
                _ => ((t.mt * kt) as f64 * eb.a, (kt * t.nt) as f64 * eb.b, psum),
            }
        };
        for &kt in ks.iter().rev() {
            let (x, y, z) = footprint(&b, kt);
            if fits(x, y, z) {
                b.kt = kt;
                b.peak_buffer_bytes = (x + y + z) * db;
                break;
            }
        }
        return b;
    }
    // Nothing fits: smallest tiles, partial sums spill once per extra K slice.
    let (mt, nt, kt) = (ms[0], ns[0], ks[0]);
    let slices = k.div_ceil(kt) as f64;
    let spill = 2.0 * mf * nf * eb.acc * (slices - 1.0);
    Tiling {
        mt,
        nt,
        kt,
        reuse: Reuse::PartialSumSpill,
        a_bytes: mf * kf * eb.a * n.div_ceil(nt) as f64,
        b_bytes: kf * nf * eb.b * m.div_ceil(mt) as f64,
        c_bytes: c_out + spill,
        peak_buffer_bytes: ((mt * kt) as f64 * eb.a
            + (kt * nt) as f64 * eb.b
            + (mt * nt) as f64 * eb.acc)
            * db,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EB: ElementBytes = ElementBytes {
        a: 1.0,
        b: 1.0,
        c: 1.0,
        acc: 4.0,
    };

    #[test]
    fn everything_fits_reads_each_operand_once() {
        let t = choose(64, 64, 64, EB, Capacity::Unified(1e9), (8, 8), true);
        assert_eq!(t.dram_bytes(), 3.0 * 64.0 * 64.0);
    }

    #[test]
    fn tight_buffers_refetch() {
        // A is 1024x1024 (1 MiB), B 1024x1024; 64 KiB per buffer cannot hold either panel
        // fully, so some operand is read more than once.
        let cap = Capacity::Split {
            a: 65536.0,
            b: 65536.0,
            c: 65536.0,
        };
        let t = choose(1024, 1024, 1024, EB, cap, (32, 32), true);
        assert!(t.dram_bytes() > 3.0 * 1024.0 * 1024.0);
        assert!(t.peak_buffer_bytes <= 3.0 * 65536.0);
    }
}
