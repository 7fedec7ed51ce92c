//! The tensor-core array kind: `units_per_core` matrix units per core, each an m×n×k block
//! of MACs per cycle ([`crate::model::tensor_core`]).

use crate::arch::physical::{check_u, ARRAY_SIDE, UNITS_PER_CORE};
use crate::arch::{nonzero, pe_count_fits, Arch, MacMode};
use crate::error::InputResult;
use crate::model::systolic::packing;
use crate::model::tensor_core as cost;
use crate::model::ArrayMapping;
use crate::workload::GemmView;

use super::{ArrayModel, OperandReads};

/// A tensor-core array without a GPU block (`array.kind = "tensor_core"`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TensorCore {
    /// Rows of the output block.
    pub m: u64,
    /// Columns of the output block.
    pub n: u64,
    /// Reduction depth of the block.
    pub k: u64,
    /// Matrix units per core.
    pub units_per_core: u64,
    /// Pipeline fill, paid once per op.
    pub pipeline_latency_cycles: u64,
}

impl ArrayModel for TensorCore {
    fn validate(&self, _arch: &Arch) -> InputResult<()> {
        let sides = [
            ("array.m", self.m),
            ("array.n", self.n),
            ("array.k", self.k),
            ("array.units_per_core", self.units_per_core),
        ];
        for (path, v) in sides {
            nonzero(path, v)?;
        }
        pe_count_fits(self.m, self.n, self.k.saturating_mul(self.units_per_core))
    }

    fn check_physical(&self) -> InputResult<()> {
        check_u("array.m", self.m, ARRAY_SIDE)?;
        check_u("array.n", self.n, ARRAY_SIDE)?;
        check_u("array.k", self.k, ARRAY_SIDE)?;
        check_u("array.units_per_core", self.units_per_core, UNITS_PER_CORE)
    }

    fn pes_per_core(&self) -> u64 {
        self.m * self.n * self.k * self.units_per_core
    }

    fn block_shape(&self) -> [u64; 3] {
        [self.m, self.n, self.k]
    }

    fn gemm_cycles(&self, g: GemmView, mac: &MacMode) -> ArrayMapping {
        ArrayMapping::TensorCore(cost::gemm_cost(
            g.count,
            g.m,
            g.n,
            g.k,
            (self.m, self.n, self.k),
            self.units_per_core,
            mac.macs_per_pe_per_cycle,
            self.pipeline_latency_cycles,
        ))
    }

    /// A is read once per output-block column, B once per output-block row; outputs stay
    /// in the units.
    fn operand_reads(&self, g: GemmView, _compute_k: u64, _macs: f64) -> OperandReads {
        let (mf, nf, kf) = (g.m as f64, g.n as f64, g.k as f64);
        OperandReads {
            a: mf * kf * g.n.div_ceil(self.n) as f64,
            b: nf * kf * g.m.div_ceil(self.m) as f64,
            psum_rw: 0.0,
        }
    }

    fn granules(&self, macs: f64) -> [u64; 3] {
        let (p, _) = packing(macs);
        [self.m, self.n, self.k * p]
    }
}
