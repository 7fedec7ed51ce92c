//! The decisions a plan fixes for each op — the searched temporal mapping of a GEMM and a
//! GPU kernel's tile and split-K — recorded when the plan is made and replayed when the
//! plan is re-costed at another clock ([`super::Plan::at_clock`]). Like a compiler building
//! one binary, the decisions are taken once (at the nominal clock); what follows from them
//! at a clock (cycles of bandwidth-bound steps, launch latencies, voltage-scaled energies)
//! is computed again.

use std::sync::Arc;

use super::gpu::{self, GemmShape, GpuCost, GpuParams};
use super::search::{self, Problem, Searched};

/// Which costing of an op a decision belongs to: its dense cost, or its cost with the
/// sparse operands the arch exploits ([`super::sparsity::apply_gemm`] costs both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The op on dense data.
    Dense = 0,
    /// The op with its sparse operands.
    Sparse = 1,
}

/// One decision.
#[derive(Debug, Clone, PartialEq)]
enum Decision {
    /// The searched temporal mapping of a GEMM (non-GPU arrays).
    Temporal(Arc<Searched>),
    /// A GPU GEMM kernel's schedule.
    Kernel(gpu::KernelChoice),
}

/// The decisions of one op, per [`Variant`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpPins {
    slots: [Option<Decision>; 2],
}

/// Where a costing's decisions go or come from.
enum Slot<'a> {
    Record(&'a mut OpPins),
    Replay(&'a OpPins),
}

/// Access to one op's decisions while costing it: records them (planning) or replays them
/// (re-costing a plan).
pub(crate) struct Pins<'a> {
    slot: Slot<'a>,
    variant: Variant,
}

impl<'a> Pins<'a> {
    /// Records the decisions taken while costing into `op`.
    pub fn record(op: &'a mut OpPins) -> Pins<'a> {
        Pins {
            slot: Slot::Record(op),
            variant: Variant::Dense,
        }
    }

    /// Replays the decisions recorded in `op`.
    pub fn replay(op: &'a OpPins) -> Pins<'a> {
        Pins {
            slot: Slot::Replay(op),
            variant: Variant::Dense,
        }
    }

    /// The same pins for the costing of `variant`.
    pub fn variant(&mut self, variant: Variant) -> Pins<'_> {
        let slot = match &mut self.slot {
            Slot::Record(op) => Slot::Record(op),
            Slot::Replay(op) => Slot::Replay(op),
        };
        Pins { slot, variant }
    }

    fn recorded(&self) -> Option<&Decision> {
        match &self.slot {
            Slot::Replay(op) => {
                let d = op.slots[self.variant as usize].as_ref();
                debug_assert!(d.is_some(), "no decision recorded for {:?}", self.variant);
                d
            }
            Slot::Record(_) => None,
        }
    }

    fn keep(&mut self, d: Decision) {
        if let Slot::Record(op) = &mut self.slot {
            op.slots[self.variant as usize] = Some(d);
        }
    }

    /// The temporal mapping of `problem`: searched ([`search::search`]) when planning,
    /// the recorded one when replaying.
    pub fn temporal(&mut self, problem: &Problem) -> Arc<Searched> {
        if let Some(Decision::Temporal(s)) = self.recorded() {
            return s.clone();
        }
        let s = search::search(problem);
        self.keep(Decision::Temporal(s.clone()));
        s
    }

    /// The GPU kernel of `shape` on `params`: the fastest when planning
    /// ([`gpu::choose_kernel`]), the recorded tile and split-K re-costed on `params` when
    /// replaying ([`gpu::pinned_kernel`]).
    pub fn kernel(&mut self, shape: &GemmShape, params: &GpuParams) -> GpuCost {
        if let Some(Decision::Kernel(k)) = self.recorded() {
            return gpu::pinned_kernel(shape, params, k);
        }
        let (cost, choice) = gpu::choose_kernel(shape, params);
        self.keep(Decision::Kernel(choice));
        cost
    }
}
