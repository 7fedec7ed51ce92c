//! Tensor-core style matrix units: each unit completes an m × n × k block of MACs per cycle
//! (k scaled by the precision's MACs per PE per cycle).

/// Ideal-memory cost of a GEMM on tensor-core units.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TensorCoreCost {
    /// m × n × k blocks to issue.
    pub blocks: u64,
    /// Cycles: blocks spread over the units, plus the pipeline latency.
    pub cycles: u64,
    /// Useful MACs over MAC slots of the issued blocks.
    pub mapping_efficiency: f64,
}

/// Cost of `count` independent `m_dim × n_dim × k_dim` GEMMs on `units` matrix units with
/// block `m × n × k`.
#[allow(clippy::too_many_arguments)]
pub fn gemm_cost(
    count: u64,
    m_dim: u64,
    n_dim: u64,
    k_dim: u64,
    block: (u64, u64, u64),
    units: u64,
    macs_per_pe_per_cycle: f64,
    pipeline_latency_cycles: u64,
) -> TensorCoreCost {
    let (p, slow) = super::systolic::packing(macs_per_pe_per_cycle);
    let (bm, bn, bk) = block;
    let k_eff = bk * p;
    let blocks = count
        .saturating_mul(m_dim.div_ceil(bm))
        .saturating_mul(n_dim.div_ceil(bn))
        .saturating_mul(k_dim.div_ceil(k_eff));
    let cycles = blocks
        .div_ceil(units)
        .saturating_mul(slow)
        .saturating_add(pipeline_latency_cycles);
    let useful = count as f64 * m_dim as f64 * n_dim as f64 * k_dim as f64;
    let slots = blocks as f64 * (bm * bn * k_eff) as f64;
    TensorCoreCost {
        blocks,
        cycles,
        mapping_efficiency: if slots > 0.0 { useful / slots } else { 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_fill() {
        // 64x64x64 with 16x8x16 blocks on 4 units: 4*8*4 = 128 blocks -> 32 cycles.
        let c = gemm_cost(1, 64, 64, 64, (16, 8, 16), 4, 1.0, 0);
        assert_eq!(c.blocks, 128);
        assert_eq!(c.cycles, 32);
        assert_eq!(c.mapping_efficiency, 1.0);
        // fp8 at 2 MACs/PE/cycle halves the K blocks.
        assert_eq!(gemm_cost(1, 64, 64, 64, (16, 8, 16), 4, 2.0, 0).cycles, 16);
    }

    #[test]
    fn partial_blocks() {
        let c = gemm_cost(1, 17, 8, 16, (16, 8, 16), 1, 1.0, 10);
        assert_eq!(c.blocks, 2);
        assert_eq!(c.cycles, 12);
    }
}
