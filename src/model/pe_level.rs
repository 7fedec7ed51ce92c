//! The PE level of an arch that declares one (`pe_level`: a register file, or scratchpad,
//! in every PE, and an array network distributing operands), counted per op:
//!
//! - **register file**: each MAC reads its activation, its weight and the running partial
//!   sum from the PE's register file and writes the partial sum back (3 reads + 1 update per
//!   MAC: the accesses of a row-stationary PE, Chen et al., ISCA 2016, Sec. IV). With zero
//!   gating, a gated MAC still reads its (zero) activation but skips the weight read and
//!   the partial-sum read-modify-write (JSSC 2017, Sec. V);
//! - **array network (NoC)**: every word the core buffer sends toward the array or takes
//!   back from it (the innermost level's array-side reads and updates) crosses the network
//!   once, in `access_bits` words.
//!
//! Energy = counts × the arch's per-access energies (at the technology's voltage, × (V/V_ref)²
//! under DVFS).

use serde::Serialize;

use crate::arch::Arch;

/// Accesses at the PE level of one op and their energy.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct PeAccesses {
    /// Register-file reads of `[activations, weights, partial sums]`, accesses.
    pub rf_reads: [f64; 3],
    /// Register-file writes of partial sums, accesses.
    pub rf_updates: f64,
    /// Words moved over the array network (buffer ↔ PEs).
    pub noc_words: f64,
    /// Register-file energy, pJ.
    pub rf_pj: f64,
    /// Array-network energy, pJ.
    pub noc_pj: f64,
}

/// The PE-level accesses of `macs` MACs of which a fraction `executed` is not gated, with
/// `array_side_bytes` moved between the core buffer and the array, on `arch` (None when
/// the arch declares no `pe_level`).
pub fn accesses(
    arch: &Arch,
    macs: f64,
    executed: f64,
    array_side_bytes: f64,
) -> Option<PeAccesses> {
    let p = arch.pe_level.as_ref()?;
    let r = arch.voltage_ratio();
    let live = macs * executed;
    let rf_reads = [macs, live, live];
    let rf_updates = live;
    let noc_words = array_side_bytes * 8.0 / f64::from(p.access_bits);
    let rf_count: f64 = rf_reads.iter().sum::<f64>() + rf_updates;
    Some(PeAccesses {
        rf_reads,
        rf_updates,
        noc_words,
        rf_pj: rf_count * p.rf_energy_pj_per_access * r * r,
        noc_pj: noc_words * p.noc_energy_pj_per_access * r * r,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_mac_and_word() {
        let mut a = Arch::from_json(include_str!("../../arch_configs/eyeriss.json")).unwrap();
        let p = a.pe_level.as_mut().unwrap();
        p.rf_energy_pj_per_access = 1.0;
        p.noc_energy_pj_per_access = 2.0;
        p.access_bits = 16;
        // 100 MACs, 60 % executed, 64 bytes over the network (32 16-bit words).
        let x = accesses(&a, 100.0, 0.6, 64.0).unwrap();
        assert_eq!(x.rf_reads, [100.0, 60.0, 60.0]);
        assert_eq!(x.rf_updates, 60.0);
        assert_eq!(x.noc_words, 32.0);
        assert_eq!(x.rf_pj, 280.0);
        assert_eq!(x.noc_pj, 64.0);
    }
}
