//! The highest clock on the integer MHz grid whose power fits a cap, with few runs.
//!
//! Power rises monotonically with the clock, so the answer is the grid point `f` with
//! `p(f) ≤ cap < p(f + 1)` — what bisection finds, in ~log2(grid) runs. Each run is a full
//! schedule, so the search instead guesses from a model of power against clock, `p̂(f) =
//! r(f)·f·V(f)² + P_static(f)` (dynamic power at the V-f curve's voltage plus the arch's
//! static power there), where the correction `r` is interpolated between the runs made so
//! far (exact at every run). A guess that lands
//! within the bracket narrows it; near the answer the model is accurate to a MHz or two,
//! so a fitting guess is usually followed by one run 1 MHz above it that closes the
//! bracket. Guesses are clamped strictly inside the bracket, so every run narrows it;
//! after a few runs without closing it the search falls back to bisection.

use crate::arch::{interpolate_vf, Arch};
use crate::error::InputResult;

/// Runs after which the search bisects instead of guessing.
const GUESSES: usize = 6;

/// Power against clock, corrected by measured points.
pub(super) struct PowerModel {
    arch: Arch,
    /// (MHz, measured dynamic power / shape) of every run, sorted by clock.
    anchors: Vec<(f64, f64)>,
}

impl PowerModel {
    /// The model of `arch` anchored at its nominal clock's power `p_nom`.
    pub fn new(arch: &Arch, p_nom: f64) -> PowerModel {
        let mut m = PowerModel {
            arch: arch.clone(),
            anchors: Vec::new(),
        };
        m.add(arch.clock_ghz * 1000.0, p_nom);
        m
    }

    /// f·V(f)² (V = 1 without a V-f curve).
    fn shape(&self, mhz: f64) -> f64 {
        let curve = self
            .arch
            .power
            .as_ref()
            .map(|p| p.vf_curve.as_slice())
            .unwrap_or(&[]);
        let v = if curve.is_empty() {
            1.0
        } else {
            interpolate_vf(curve, mhz / 1000.0)
        };
        mhz * v * v
    }

    /// The arch's static power at `mhz` (leakage follows the voltage).
    fn static_w(&self, mhz: f64) -> f64 {
        super::at_clock(&self.arch, mhz / 1000.0)
            .static_power()
            .total_w()
    }

    fn add(&mut self, mhz: f64, p: f64) {
        let s = self.shape(mhz);
        if s > 0.0 && p.is_finite() {
            let at = self.anchors.partition_point(|a| a.0 < mhz);
            let r = (p - self.static_w(mhz)) / s;
            self.anchors.insert(at, (mhz, r));
        }
    }

    /// Predicted power at `mhz`.
    fn predict(&self, mhz: f64) -> f64 {
        let at = self.anchors.partition_point(|a| a.0 < mhz);
        let r = match (
            at.checked_sub(1).map(|i| self.anchors[i]),
            self.anchors.get(at),
        ) {
            (Some((f0, r0)), Some(&(f1, r1))) if f1 > f0 => r0 + (r1 - r0) * (mhz - f0) / (f1 - f0),
            (Some((_, r)), _) | (None, Some(&(_, r))) => r,
            (None, None) => 1.0,
        };
        r * self.shape(mhz) + self.static_w(mhz)
    }

    /// The highest grid point in `[a, b]` the model says fits `cap` (`a` when none does).
    fn guess(&self, a: u64, b: u64, cap: f64) -> u64 {
        let fits = |f: u64| self.predict(f as f64) <= cap;
        if fits(b) {
            return b;
        }
        let (mut lo, mut hi) = (a, b);
        if !fits(lo) {
            return a;
        }
        while hi > lo + 1 {
            let mid = lo + (hi - lo) / 2;
            if fits(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

/// What the search found.
pub(super) enum Found<T> {
    /// The run at the highest fitting grid point.
    Fits(T),
    /// The run at the floor, which does not fit either.
    FloorExceeds(T),
}

/// The highest grid point in `[floor, top)` whose power (`run(mhz)` → (power, run)) fits
/// `cap`, `top` being known not to fit; the floor's run when even the floor does not fit.
pub(super) fn highest_fitting<T>(
    floor: u64,
    top: u64,
    cap: f64,
    model: &mut PowerModel,
    mut run: impl FnMut(u64) -> InputResult<(f64, T)>,
) -> InputResult<Found<T>> {
    let mut best: Option<(u64, T)> = None;
    let mut hi = top;
    let mut runs = 0;
    loop {
        let lo = best.as_ref().map(|b| b.0);
        let start = lo.map_or(floor, |l| l + 1);
        let g = if start >= hi {
            match best {
                Some((_, t)) => return Ok(Found::Fits(t)),
                // Only the floor is left (or the floor is at or above the top).
                None => floor,
            }
        } else if runs >= GUESSES {
            let base = lo.unwrap_or(floor);
            (base + (hi - base) / 2).max(start)
        } else {
            model.guess(start, hi - 1, cap)
        };
        let (p, t) = run(g)?;
        runs += 1;
        model.add(g as f64, p);
        if p <= cap {
            best = Some((g, t));
        } else if g == floor {
            return Ok(Found::FloorExceeds(t));
        } else {
            hi = g;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Power of a made-up workload: memory-bound part whose cycles shrink with the clock,
    /// dynamic energy ∝ V², and the arch's static power.
    fn power(arch: &Arch, mhz: u64) -> f64 {
        let a = super::super::at_clock(arch, mhz as f64 / 1000.0);
        let v = a.operating_voltage_v().unwrap();
        let cycles = 1e6 + 0.3e6 * mhz as f64 / 1000.0;
        let t = cycles / (mhz as f64 * 1e6);
        (0.9 * v * v) / t + a.static_power().total_w()
    }

    fn brute(arch: &Arch, floor: u64, top: u64, cap: f64) -> Option<u64> {
        (floor..top).rev().find(|&f| power(arch, f) <= cap)
    }

    #[test]
    fn finds_what_an_exhaustive_scan_finds_in_few_runs() {
        let arch = Arch::from_json(crate::validate::H100_ARCH_JSON).unwrap();
        let (floor, top) = (600, 1980);
        let p_top = power(&arch, top);
        let p_floor = power(&arch, floor);
        for i in 0..=40 {
            let cap = p_floor * 0.9 + (p_top - p_floor * 0.9) * i as f64 / 41.0;
            let mut model = PowerModel::new(&arch, p_top);
            let mut runs = 0;
            let found = highest_fitting(floor, top, cap, &mut model, |f| {
                runs += 1;
                Ok((power(&arch, f), f))
            })
            .unwrap();
            match (found, brute(&arch, floor, top, cap)) {
                (Found::Fits(f), Some(b)) => assert_eq!(f, b, "cap {cap}"),
                (Found::FloorExceeds(f), None) => assert_eq!(f, floor),
                (Found::Fits(f), None) => panic!("cap {cap}: found {f}, nothing fits"),
                (Found::FloorExceeds(_), Some(b)) => panic!("cap {cap}: {b} fits"),
            }
            // Bisection over 1380 grid points takes 11 runs after the floor's.
            assert!(runs <= 6, "cap {cap}: {runs} runs");
        }
    }
}
