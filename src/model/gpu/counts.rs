//! Access counts of a GPU GEMM kernel per tensor at HBM, L2, shared memory and the
//! register file, from the same CTA tiling the kernel model costs ([`super::kernel`]):
//! `ctas` tiles of `bm × bn` over a reduction slice `kc`, split-K `s`, on-chip bytes per
//! element `a`, `b` (stored form), `acc` for partial sums, outputs of `out` bytes in all.
//!
//! - **HBM** (`dram`): A and B read as [`super::traffic::hbm_bytes_split`] splits the
//!   kernel's HBM reads (plus the bias with B), C written once.
//! - **L2** (`global`): filled with what HBM sends; A and B read toward the SMs,
//!   `ctas·bm·kc·a / multicast` and `ctas·bn·kc·b / multicast`; C updated by the SMs
//!   (outputs, plus split-K partial sums written `s` times) and read (the partial sums read
//!   back, plus the outputs drained to HBM). The bias goes around it (HBM → shared memory).
//! - **Shared memory** (`core`): each CTA's operand tiles written by the copy engine
//!   (fills, `ctas·bm·kc·a` and `ctas·bn·kc·b`, the bias with B) and read by the tensor
//!   cores as often; the epilogue's staging of the outputs counted once, as updates (as
//!   the kernel model charges it).
//! - **Register file** (`register_file`): filled with the operand fragments the tensor cores
//!   read from shared memory; with the arch's tensor-core block `tm × tn × tk` each MAC reads
//!   `1/tn` A element, `1/tm` B element and `1/tk` accumulator (read and updated once per
//!   block), and the epilogue reads each CTA's accumulators once more.
//!
//! The bytes are those the op's energy buckets are charged for: HBM, L2 (`l2`) and shared
//! memory (`sram`); the register file's energy is part of the calibrated SM energy per
//! active cycle (`sm_overhead`), so its counts carry no energy of their own.

use super::kernel::{GemmShape, GpuCost, GpuParams};
use super::traffic::{hbm_bytes_split, Schedule};
use crate::model::access_counts::{PlannedSplit, RwBytes};

fn rw(reads: f64, fills: f64, updates: f64) -> RwBytes {
    RwBytes {
        reads,
        fills,
        updates,
    }
}

/// The per-tensor counts of the kernel `c` chosen for `g` with parameters `p` on tensor-core
/// blocks `tc` (`[m, n, k]`), with `bias` bytes read with the weights.
pub fn split(g: &GemmShape, p: &GpuParams, c: &GpuCost, tc: [u64; 3], bias: f64) -> PlannedSplit {
    let [a, b, c_chip] = g.chip_bytes();
    let (ctas, bm, bn) = (c.ctas as f64, c.cta[0] as f64, c.cta[1] as f64);
    let kc = g.k.div_ceil(c.split_k).div_ceil(c.cta[2]) as f64 * c.cta[2] as f64;
    let out = g.count as f64 * g.m as f64 * g.n as f64 * c_chip;
    let partials = if c.split_k > 1 {
        c.split_k as f64 * g.count as f64 * g.m as f64 * g.n as f64 * g.acc_bytes
    } else {
        0.0
    };
    let ([hbm_a, hbm_b], hbm_c) = hbm_bytes_split(
        g,
        Schedule {
            bm: c.cta[0],
            bn: c.cta[1],
            split_k: c.split_k,
            concurrent_ctas: c.ctas.min(p.sms * c.ctas_per_sm),
            l2_bytes: p.l2_bytes,
        },
    );
    let (smem_a, smem_b) = (ctas * bm * kc * a, ctas * bn * kc * b);
    let mc = p.cluster_multicast;
    let [tm, tn, tk] = tc.map(|x| x.max(1) as f64);
    let slot_macs = ctas * bm * bn * kc;
    let acc_steps = slot_macs / tk * g.acc_bytes;
    PlannedSplit {
        dram: [
            rw(hbm_a, 0.0, 0.0),
            rw(hbm_b + bias, 0.0, 0.0),
            rw(0.0, 0.0, hbm_c),
        ],
        global: Some([
            rw(smem_a / mc, hbm_a, 0.0),
            rw(smem_b / mc, hbm_b, 0.0),
            rw(partials + hbm_c, 0.0, out + partials),
        ]),
        core: [
            rw(smem_a, smem_a, 0.0),
            rw(smem_b, smem_b + bias, 0.0),
            rw(0.0, 0.0, out),
        ],
        register_file: Some([
            rw(slot_macs / tn * a, smem_a, 0.0),
            rw(slot_macs / tm * b, smem_b, 0.0),
            rw(acc_steps + ctas * bm * bn * g.acc_bytes, 0.0, acc_steps),
        ]),
        array: [RwBytes::default(); 3],
    }
}
