//! GPU-style execution of GEMMs on a tensor-core array (arrays with a `gpu` block): each
//! core is a streaming multiprocessor (SM). A GEMM is cut into CTA tiles — the tile shape
//! and split-K chosen per GEMM like a library heuristic would, by lowest predicted time —
//! and the tiles run in waves over the SMs. The last, partial wave costs a full tile time
//! (wave quantization). Each tile is bounded by the tensor cores' throughput (times a
//! per-precision library efficiency) and by its shared-memory operand traffic; the kernel
//! is bounded by L2 bandwidth and (in the scheduler) HBM bandwidth, and pays a launch
//! latency. Host dispatch time per kernel is the run's launch path ([`launch`]), not the
//! arch's: it overlaps with device work, so an op takes at least that long.
//!
//! Sparse operands the arch can exploit (its `sparsity` block, e.g. 2:4 structured weights
//! on sparse tensor cores) speed up the main loop by the reduction speedup and shrink the
//! operand's bytes at every level to its stored form; launch and host times are unchanged.
//!
//! - [`kernel`]: the pure cost function [`gemm_cost`] (tiles, occupancy, waves, bounds);
//! - [`traffic`]: HBM traffic with L2 reuse across a wave of tiles;
//! - [`counts`]: the kernel's access counts per tensor at HBM, L2, shared memory and
//!   register file (`layers[].access_counts`);
//! - [`launch`]: the launch paths (CUDA Graph, C++, PyTorch eager) and their host time;
//! - [`op`]: the [`crate::model::OpCost`] of an op on a GPU arch (traffic and energy).
//!
//! See `docs/gpu.md` for the equations and `VALIDATION.md` for measured-vs-predicted.

pub mod counts;
pub mod kernel;
pub mod launch;
pub mod op;
pub mod traffic;

pub use kernel::{
    choose_kernel, gemm_cost, pinned_kernel, GemmShape, GpuBound, GpuCost, GpuParams, KernelChoice,
};
pub use launch::Launch;
