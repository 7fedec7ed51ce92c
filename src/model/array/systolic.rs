//! The systolic array kind: a rows × cols grid of PEs with a dataflow (SCALE-Sim's model,
//! [`crate::model::systolic`]).

use crate::arch::physical::{check_u, ARRAY_SIDE};
use crate::arch::{nonzero, pe_count_fits, Arch, Dataflow, MacMode};
use crate::error::InputResult;
use crate::model::systolic::{self as cost, packing};
use crate::model::ArrayMapping;
use crate::workload::GemmView;

use super::{ArrayModel, OperandReads};

/// A systolic array (`array.kind = "systolic"`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Systolic {
    /// PE rows.
    pub rows: u64,
    /// PE columns.
    pub cols: u64,
    /// Which operand stays in the PEs.
    pub dataflow: Dataflow,
}

impl ArrayModel for Systolic {
    fn validate(&self, _arch: &Arch) -> InputResult<()> {
        for (path, side) in [("array.rows", self.rows), ("array.cols", self.cols)] {
            nonzero(path, side)?;
        }
        pe_count_fits(self.rows, self.cols, 1)
    }

    fn check_physical(&self) -> InputResult<()> {
        check_u("array.rows", self.rows, ARRAY_SIDE)?;
        check_u("array.cols", self.cols, ARRAY_SIDE)
    }

    fn pes_per_core(&self) -> u64 {
        self.rows * self.cols
    }

    fn output_elements_per_cycle(&self) -> Option<f64> {
        Some(self.cols as f64)
    }

    fn output_stationary_accumulators(&self) -> Option<(u64, u64)> {
        (self.dataflow == Dataflow::Os).then_some((self.rows, self.cols))
    }

    fn gemm_cycles(&self, g: GemmView, mac: &MacMode) -> ArrayMapping {
        let c = cost::gemm_cost(
            g.m,
            g.n,
            g.k,
            self.rows,
            self.cols,
            self.dataflow,
            mac.macs_per_pe_per_cycle,
        );
        // Independent GEMMs (groups / batch) run one after another (SCALE-Sim's convention).
        ArrayMapping::Systolic(cost::SystolicCost {
            cycles: c
                .cycles
                .saturating_add(1)
                .saturating_mul(g.count)
                .saturating_sub(1),
            ..c
        })
    }

    /// SCALE-Sim's read pattern, counted from first principles: the stationary operand is
    /// read once, the streamed ones once per fold of the other side; partial sums spill
    /// between reduction folds (weight- and input-stationary).
    fn operand_reads(&self, g: GemmView, compute_k: u64, macs: f64) -> OperandReads {
        let (mf, nf, kf) = (g.m as f64, g.n as f64, g.k as f64);
        let (p, _) = packing(macs);
        let (a, b, psum_rw) = match self.dataflow {
            Dataflow::Os => (
                mf * kf * g.n.div_ceil(self.cols) as f64,
                nf * kf * g.m.div_ceil(self.rows) as f64,
                0.0,
            ),
            Dataflow::Ws => {
                let kf_folds = compute_k.div_ceil(self.rows * p) as f64;
                (
                    mf * kf * g.n.div_ceil(self.cols) as f64,
                    nf * kf,
                    mf * nf * (2.0 * kf_folds - 2.0),
                )
            }
            Dataflow::Is => {
                let kf_folds = compute_k.div_ceil(self.rows * p) as f64;
                (
                    mf * kf,
                    nf * kf * g.m.div_ceil(self.cols) as f64,
                    mf * nf * (2.0 * kf_folds - 2.0),
                )
            }
        };
        OperandReads { a, b, psum_rw }
    }

    fn granules(&self, macs: f64) -> [u64; 3] {
        let (p, _) = packing(macs);
        [self.rows, self.cols, self.rows * p]
    }
}
