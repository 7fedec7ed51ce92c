//! Mapping search: the best temporal mapping of one GEMM over the memory hierarchy for a
//! selectable [`Objective`], memoised by (shape, element sizes, memory configuration,
//! objective, prices).
//!
//! Without a global buffer the space is one level (DRAM → core buffers): every candidate
//! tile of [`super::mapspace`] under every loop order, evaluated in closed form; the result
//! is the exact optimum of the cost model over that space. With a global buffer, the outer
//! level (DRAM → global buffer) is searched the same way for DRAM traffic, the best few
//! outer mappings are each refined by an inner search (global buffer → core buffers, tiles
//! within the outer tile) on the full objective, and the mapping that bypasses the global
//! buffer competes too.
//!
//! On an output-stationary array ([`Problem::pe_accumulators`]) the core-buffer tiles also
//! include those sized with their partial sums in the PEs, under the loop orders that keep
//! `K` innermost ([`mapspace::fits_core`]); the chosen mapping says where its partial sums
//! live ([`Mapping::psums_in_array`]).
//!
//! Objectives (all break ties by DRAM bytes, then by fewer, larger tiles):
//! - `latency` (default): the op's time alone, `max(compute, DRAM bytes / DRAM bandwidth,
//!   global-buffer bytes / its bandwidth)`; among equally fast mappings the one moving the
//!   fewest DRAM bytes.
//! - `energy`: DRAM, global-buffer and core-buffer bytes at their energy per byte.
//! - `edp`: the product of the two.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::mapping::{self, Dim, LevelNest, Mapping, MemLevel, ORDERS};
use super::mapspace::{self, level_tiles, Candidate, PeAccumulators};
use super::nest::{self, Accesses, ArraySide, ElemBytes};
use super::tiling::Capacity;

/// What the search minimises.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// The op's time alone (compute vs. memory transfers).
    #[default]
    Latency,
    /// Dynamic memory-access energy.
    Energy,
    /// Energy × latency.
    Edp,
}

impl Objective {
    /// Whether this is the default (`latency`).
    pub fn is_default(&self) -> bool {
        *self == Objective::Latency
    }

    /// Name used in files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Objective::Latency => "latency",
            Objective::Energy => "energy",
            Objective::Edp => "edp",
        }
    }
}

/// Prices the objective uses (per op, all cores).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Prices {
    /// Ideal-memory compute cycles of the op.
    pub compute_cycles: f64,
    /// DRAM bytes per cycle.
    pub dram_bytes_per_cycle: f64,
    /// Global-buffer bytes per cycle (ignored without one).
    pub global_bytes_per_cycle: f64,
    /// DRAM pJ per byte.
    pub dram_pj_per_byte: f64,
    /// Global-buffer pJ per byte.
    pub global_pj_per_byte: f64,
    /// Core-buffer pJ per byte.
    pub core_pj_per_byte: f64,
}

/// One GEMM to map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Problem {
    /// `[m, n, k]`.
    pub dims: [u64; 3],
    /// Element sizes.
    pub elem: ElemBytes,
    /// Core-buffer capacities, bytes.
    pub core: Capacity,
    /// Global-buffer capacity, bytes (`None`: no global buffer).
    pub global_bytes: Option<f64>,
    /// Whether each buffer is double buffered (a tile may use half of it).
    pub double_buffer: bool,
    /// The PE accumulators of an output-stationary array (`None` for other arrays): a
    /// core-buffer tile within them, with `K` innermost, keeps its partial sums there.
    pub pe_accumulators: Option<PeAccumulators>,
    /// What to minimise.
    pub objective: Objective,
    /// Prices for the objective.
    pub prices: Prices,
}

/// The search's result for one GEMM instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Searched {
    /// The chosen mapping.
    pub mapping: Mapping,
    /// Its accesses per tensor per level (no array-side traffic: the caller adds it).
    pub accesses: Accesses,
    /// DRAM lower bound for the on-chip capacity, bytes.
    pub lower_bound_bytes: f64,
    /// Mappings evaluated.
    pub evaluated: u64,
    /// Objective the mapping minimises.
    pub objective: Objective,
}

impl Searched {
    /// DRAM bytes of the mapping over the lower bound (≥ 1).
    pub fn lower_bound_ratio(&self) -> f64 {
        if self.lower_bound_bytes > 0.0 {
            self.accesses.dram_bytes() / self.lower_bound_bytes
        } else {
            1.0
        }
    }
}

type Key = [u64; 19];

fn key(p: &Problem) -> Key {
    let (cap_kind, c0, c1, c2) = match p.core {
        Capacity::Split { a, b, c } => (0, a, b, c),
        Capacity::Unified(u) => (1, u, 0.0, 0.0),
    };
    let pr = p.prices;
    [
        p.dims[0],
        p.dims[1],
        p.dims[2],
        p.elem.a.to_bits(),
        p.elem.b.to_bits(),
        p.elem.c.to_bits(),
        p.elem.acc.to_bits(),
        cap_kind,
        c0.to_bits(),
        c1.to_bits(),
        c2.to_bits(),
        p.global_bytes.map(|g| g.to_bits()).unwrap_or(u64::MAX),
        p.double_buffer as u64 | (p.objective as u64) << 1,
        pr.compute_cycles.to_bits(),
        pr.dram_bytes_per_cycle.to_bits() ^ pr.global_bytes_per_cycle.to_bits().rotate_left(17),
        pr.dram_pj_per_byte.to_bits() ^ pr.global_pj_per_byte.to_bits().rotate_left(23),
        pr.core_pj_per_byte.to_bits(),
        p.pe_accumulators.map(|a| a.rows).unwrap_or(u64::MAX),
        p.pe_accumulators.map(|a| a.cols).unwrap_or(u64::MAX),
    ]
}

const MEMO_LIMIT: usize = 1 << 16;

thread_local! {
    static MEMO: RefCell<HashMap<Key, Arc<Searched>>> = RefCell::new(HashMap::new());
}

/// Timing of the searches run on this thread (memo misses only).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SearchStats {
    /// Distinct problems searched.
    pub searches: u64,
    /// Mappings evaluated in all.
    pub evaluated: u64,
    /// Wall time spent searching, seconds.
    pub seconds: f64,
}

thread_local! {
    static STATS: RefCell<SearchStats> = RefCell::new(SearchStats::default());
}

/// Search statistics of this thread since it started (or since [`reset_stats`]).
pub fn stats() -> SearchStats {
    STATS.with(|s| *s.borrow())
}

/// Clears this thread's memo and statistics.
pub fn reset_stats() {
    STATS.with(|s| *s.borrow_mut() = SearchStats::default());
    MEMO.with(|m| m.borrow_mut().clear());
}

/// The best mapping of `p`, memoised per thread (the search is pure, so results do not
/// depend on which thread ran it).
pub fn search(p: &Problem) -> Arc<Searched> {
    let k = key(p);
    if let Some(hit) = MEMO.with(|m| m.borrow().get(&k).cloned()) {
        return hit;
    }
    let start = Instant::now();
    let r = Arc::new(search_uncached(p));
    let secs = start.elapsed().as_secs_f64();
    STATS.with(|s| {
        let mut s = s.borrow_mut();
        s.searches += 1;
        s.evaluated += r.evaluated;
        s.seconds += secs;
    });
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= MEMO_LIMIT {
            m.clear();
        }
        m.insert(k, r.clone());
    });
    r
}

/// Closed-form traffic of a candidate: DRAM and global-buffer bytes, core fills/updates.
#[derive(Clone, Copy)]
struct Eval {
    dram: f64,
    global: f64,
    core: f64,
    volume: u64,
}

fn score(p: &Problem, e: &Eval) -> (f64, f64, f64) {
    let pr = &p.prices;
    let time = |bytes: f64, bpc: f64| if bpc > 0.0 { bytes / bpc } else { 0.0 };
    let lat = pr
        .compute_cycles
        .max(time(e.dram, pr.dram_bytes_per_cycle))
        .max(time(e.global, pr.global_bytes_per_cycle));
    let en = e.dram * pr.dram_pj_per_byte
        + e.global * pr.global_pj_per_byte
        + e.core * pr.core_pj_per_byte;
    match p.objective {
        Objective::Latency => (lat, e.dram, en),
        Objective::Energy => (en, e.dram, lat),
        Objective::Edp => (lat * en, e.dram, en),
    }
}

fn better(p: &Problem, a: &Eval, b: &Eval) -> bool {
    let (x, y) = (score(p, a), score(p, b));
    let lt = |u: f64, v: f64| u < v * (1.0 - 1e-12);
    let eq = |u: f64, v: f64| !lt(u, v) && !lt(v, u);
    lt(x.0, y.0)
        || (eq(x.0, y.0) && lt(x.1, y.1))
        || (eq(x.0, y.0) && eq(x.1, y.1) && lt(x.2, y.2))
        || (eq(x.0, y.0) && eq(x.1, y.1) && eq(x.2, y.2) && a.volume > b.volume)
}

/// Bytes moved across one boundary for loops `loops` (outermost first) above a tile.
/// Returns (parent-side bytes: reads + updates, child fills + updates).
fn boundary(p: &Problem, loops: &[(Dim, u64)]) -> (f64, f64) {
    let [m, n, k] = p.dims.map(|d| d as f64);
    let e = p.elem;
    let r = nest::refetch(loops);
    let a = m * k * e.a * r[0] as f64;
    let b = k * n * e.b * r[1] as f64;
    let spill = (r[2] - 1) as f64 * m * n * e.acc;
    let c_out = m * n * e.c;
    (a + b + c_out + 2.0 * spill, a + b + c_out + 2.0 * spill)
}

fn loops_of(parent: [u64; 3], tile: [u64; 3], order: [Dim; 3]) -> [(Dim, u64); 3] {
    order.map(|d| (d, parent[d.index()].div_ceil(tile[d.index()].max(1))))
}

/// Whether candidate `c` may be walked by `loops` (all loops above it, outermost first):
/// a tile sized with its partial sums in the PEs only if the loops keep them there, any
/// other tile only if they do not (its sums then go through the ofmap buffer).
fn order_admits(p: &Problem, c: &Candidate, loops: &[(Dim, u64)]) -> bool {
    let c_refetch = nest::refetch(loops)[2];
    mapspace::psums_in_array(p.pe_accumulators, c.tile, c_refetch) == c.psums_in_array
}

fn volume(t: [u64; 3]) -> u64 {
    t[0].saturating_mul(t[1]).saturating_mul(t[2])
}

/// Best one-level mapping (core buffers directly under DRAM).
fn one_level(p: &Problem, evaluated: &mut u64) -> Option<(Eval, LevelNest)> {
    let mut best: Option<(Eval, LevelNest)> = None;
    for cand in level_tiles(p.dims, p.core, p.elem, p.double_buffer, p.pe_accumulators) {
        let tile = cand.tile;
        for order in ORDERS {
            let loops = loops_of(p.dims, tile, order);
            if !order_admits(p, &cand, &loops) {
                continue;
            }
            *evaluated += 1;
            let (dram, core) = boundary(p, &loops);
            let e = Eval {
                dram,
                global: 0.0,
                core,
                volume: volume(tile),
            };
            if best.as_ref().is_none_or(|(b, _)| better(p, &e, b)) {
                best = Some((
                    e,
                    LevelNest {
                        level: MemLevel::CoreBuffer,
                        tile,
                        order,
                    },
                ));
            }
        }
    }
    best
}

/// Outer mappings kept for refinement under a global buffer.
const OUTER_KEPT: usize = 2;

fn two_level(p: &Problem, gb: f64, evaluated: &mut u64) -> Option<(Eval, [LevelNest; 2])> {
    let gcap = Capacity::Unified(gb);
    // Outer candidates by DRAM bytes (then larger tiles), distinct tiles only.
    let mut outer: Vec<(f64, u64, LevelNest)> = Vec::new();
    for Candidate { tile, .. } in level_tiles(p.dims, gcap, p.elem, p.double_buffer, None) {
        let mut best_here: Option<(f64, LevelNest)> = None;
        for order in ORDERS {
            *evaluated += 1;
            let (dram, _) = boundary(p, &loops_of(p.dims, tile, order));
            if best_here.as_ref().is_none_or(|(d, _)| dram < *d) {
                best_here = Some((
                    dram,
                    LevelNest {
                        level: MemLevel::GlobalBuffer,
                        tile,
                        order,
                    },
                ));
            }
        }
        if let Some((d, nest)) = best_here {
            outer.push((d, volume(tile), nest));
        }
    }
    outer.sort_by(|x, y| x.0.total_cmp(&y.0).then(y.1.cmp(&x.1)));
    outer.truncate(OUTER_KEPT);
    let mut best: Option<(Eval, [LevelNest; 2])> = None;
    for (dram, _, o) in outer {
        let outer_loops = loops_of(p.dims, o.tile, o.order);
        let core_tiles = level_tiles(o.tile, p.core, p.elem, p.double_buffer, p.pe_accumulators);
        for cand in core_tiles {
            let tile = cand.tile;
            for order in ORDERS {
                let inner = loops_of(o.tile, tile, order);
                let flat = [
                    outer_loops[0],
                    outer_loops[1],
                    outer_loops[2],
                    inner[0],
                    inner[1],
                    inner[2],
                ];
                if !order_admits(p, &cand, &flat) {
                    continue;
                }
                *evaluated += 1;
                let (gb_side, core) = boundary(p, &flat);
                // Global buffer: fills/updates from DRAM side plus reads/updates toward
                // the cores.
                let e = Eval {
                    dram,
                    global: dram + gb_side,
                    core,
                    volume: volume(tile),
                };
                if best.as_ref().is_none_or(|(b, _)| better(p, &e, b)) {
                    best = Some((
                        e,
                        [
                            o,
                            LevelNest {
                                level: MemLevel::CoreBuffer,
                                tile,
                                order,
                            },
                        ],
                    ));
                }
            }
        }
    }
    best
}

/// The smallest tile, k outermost: used only when not even a 1×1×1 tile fits, so partial
/// sums and operands all stream.
fn fallback() -> LevelNest {
    LevelNest {
        level: MemLevel::CoreBuffer,
        tile: [1, 1, 1],
        order: [Dim::K, Dim::M, Dim::N],
    }
}

fn search_uncached(p: &Problem) -> Searched {
    let mut evaluated = 0u64;
    let one = one_level(p, &mut evaluated);
    let two = p
        .global_bytes
        .and_then(|gb| two_level(p, gb, &mut evaluated));
    let levels = match (one, two) {
        (Some((e1, n1)), Some((e2, n2))) => {
            if better(p, &e1, &e2) {
                vec![n1]
            } else {
                n2.to_vec()
            }
        }
        (Some((_, n1)), None) => vec![n1],
        (None, Some((_, n2))) => n2.to_vec(),
        (None, None) => vec![fallback()],
    };
    let inner = levels.len() - 1;
    let mut mapping = Mapping {
        dims: p.dims,
        levels,
        psums_in_array: false,
    };
    let loops: Vec<(Dim, u64)> = mapping
        .loops_above(inner)
        .iter()
        .map(|l| (l.dim, l.trips))
        .collect();
    mapping.psums_in_array = mapspace::psums_in_array(
        p.pe_accumulators,
        mapping.levels[inner].tile,
        nest::refetch(&loops)[2],
    );
    let accesses = nest::analyze(&mapping, p.elem, ArraySide::default());
    let onchip = match p.core {
        Capacity::Split { a, b, c } => a + b + c,
        Capacity::Unified(u) => u,
    }
    .max(p.global_bytes.unwrap_or(0.0))
        // An output-stationary array's accumulators are on-chip storage too.
        + p.pe_accumulators
            .map(|a| a.rows as f64 * a.cols as f64 * p.elem.acc)
            .unwrap_or(0.0);
    Searched {
        lower_bound_bytes: mapping::lower_bound_bytes(p.dims, p.elem.stored(), onchip),
        mapping,
        accesses,
        evaluated,
        objective: p.objective,
    }
}

/// Candidate tile extents, re-exported for tests and docs.
pub use mapspace::tile_candidates;

#[cfg(test)]
mod tests {
    use super::*;

    const EB: ElemBytes = ElemBytes {
        a: 1.0,
        b: 1.0,
        c: 1.0,
        acc: 4.0,
    };

    fn problem(dims: [u64; 3], cap: Capacity) -> Problem {
        Problem {
            dims,
            elem: EB,
            core: cap,
            global_bytes: None,
            double_buffer: true,
            pe_accumulators: None,
            objective: Objective::Latency,
            prices: Prices {
                compute_cycles: 0.0,
                dram_bytes_per_cycle: 1.0,
                ..Prices::default()
            },
        }
    }

    /// Every tile 1..=dim and every order, through the full nest analysis.
    fn brute_force(p: &Problem) -> f64 {
        let mut best = f64::INFINITY;
        for m in 1..=p.dims[0] {
            for n in 1..=p.dims[1] {
                for k in 1..=p.dims[2] {
                    if !mapspace::fits(p.core, p.elem, p.double_buffer, [m, n, k]) {
                        continue;
                    }
                    for order in ORDERS {
                        best = best.min(one_level_dram(p, [m, n, k], order, false));
                    }
                }
            }
        }
        best
    }

    #[test]
    fn small_spaces_reach_the_exact_optimum() {
        let caps = [
            Capacity::Split {
                a: 64.0,
                b: 48.0,
                c: 256.0,
            },
            Capacity::Split {
                a: 24.0,
                b: 200.0,
                c: 80.0,
            },
            Capacity::Unified(300.0),
            Capacity::Unified(90.0),
        ];
        for dims in [[12, 9, 16], [7, 13, 5], [16, 16, 16], [3, 20, 11]] {
            for cap in caps {
                let p = problem(dims, cap);
                let s = search(&p);
                assert_eq!(s.accesses.dram_bytes(), brute_force(&p), "{dims:?} {cap:?}");
            }
        }
    }

    /// DRAM bytes of the one-level mapping `tile` in `order` (partial sums in the PEs or not).
    fn one_level_dram(p: &Problem, tile: [u64; 3], order: [Dim; 3], psums_in_array: bool) -> f64 {
        let map = Mapping {
            dims: p.dims,
            levels: vec![LevelNest {
                level: MemLevel::CoreBuffer,
                tile,
                order,
            }],
            psums_in_array,
        };
        nest::analyze(&map, p.elem, ArraySide::default()).dram_bytes()
    }

    /// Every tile and order on an output-stationary `rows × cols` array, the fit written
    /// out here: a `C` block within the array whose `K` loop has one trip or is innermost
    /// among the loops of more than one trip keeps its sums in the PEs (the ofmap side
    /// then holds the output tile at 1 byte per element), any other tile holds its sums at
    /// 4 bytes; everything doubled.
    fn brute_force_os(p: &Problem, rows: u64, cols: u64) -> f64 {
        let [dm, dn, dk] = p.dims;
        let mut best = f64::INFINITY;
        for m in 1..=dm {
            for n in 1..=dn {
                for k in 1..=dk {
                    for order in ORDERS {
                        let trips =
                            |d: Dim| [dm.div_ceil(m), dn.div_ceil(n), dk.div_ceil(k)][d.index()];
                        let k_pos = order.iter().position(|&d| d == Dim::K).unwrap();
                        let k_inner =
                            trips(Dim::K) == 1 || order[k_pos + 1..].iter().all(|&d| trips(d) == 1);
                        let in_pes = m <= rows && n <= cols && k_inner;
                        let c_bytes = (m * n) as f64 * if in_pes { 1.0 } else { 4.0 };
                        let need = [(m * k) as f64, (k * n) as f64, c_bytes].map(|b| 2.0 * b);
                        let ok = match p.core {
                            Capacity::Split { a, b, c } => {
                                need[0] <= a && need[1] <= b && need[2] <= c
                            }
                            Capacity::Unified(u) => need.iter().sum::<f64>() <= u,
                        };
                        if !ok {
                            continue;
                        }
                        best = best.min(one_level_dram(p, [m, n, k], order, in_pes));
                    }
                }
            }
        }
        best
    }

    #[test]
    fn output_stationary_spaces_reach_the_exact_optimum() {
        let caps = [
            Capacity::Split {
                a: 64.0,
                b: 48.0,
                c: 96.0,
            },
            Capacity::Split {
                a: 24.0,
                b: 200.0,
                c: 40.0,
            },
            Capacity::Unified(300.0),
            Capacity::Unified(90.0),
        ];
        for (rows, cols) in [(4, 4), (8, 2), (3, 5)] {
            for dims in [[12, 9, 16], [7, 13, 5], [16, 16, 16]] {
                for cap in caps {
                    let mut p = problem(dims, cap);
                    p.pe_accumulators = Some(PeAccumulators { rows, cols });
                    let s = search(&p);
                    let what = format!("{rows}x{cols} {dims:?} {cap:?}");
                    assert_eq!(
                        s.accesses.dram_bytes(),
                        brute_force_os(&p, rows, cols),
                        "{what}"
                    );
                    let t = s.mapping.levels[0].tile;
                    if s.mapping.psums_in_array {
                        assert!(t[0] <= rows && t[1] <= cols, "{what}");
                        assert_eq!(s.accesses.levels[0].tensors[2].reads, 0.0, "{what}");
                    }
                    // Never worse than without the accumulators.
                    let plain = search(&problem(dims, cap));
                    assert!(
                        s.accesses.dram_bytes() <= plain.accesses.dram_bytes(),
                        "{what}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_1024_cube_on_a_128x128_os_array_keeps_its_sums_in_the_pes() {
        // user_bw10_128x128_os: A and B read once per 128-wide block of the other's free
        // dimension (1024/128 = 8 times, 8 MiB each), C written once (1 MiB), no spill:
        // 17 × 2^20 = 17,825,792 bytes (ZigZag's 17.8 MB), against 26.2 MB without.
        let cap = Capacity::Split {
            a: 65536.0,
            b: 65536.0,
            c: 65536.0,
        };
        let mut p = problem([1024; 3], cap);
        p.pe_accumulators = Some(PeAccumulators {
            rows: 128,
            cols: 128,
        });
        let s = search(&p);
        assert_eq!(s.accesses.dram_bytes(), 17.0 * 1048576.0);
        assert!(s.mapping.psums_in_array);
        let [m, n, _] = s.mapping.levels[0].tile;
        assert_eq!((m, n), (128, 128));
        let core = s.accesses.at(MemLevel::CoreBuffer).unwrap();
        assert_eq!(core.tensors[2].tile_bytes, 128.0 * 128.0);
        assert_eq!(core.tensors[2].fills, 0.0);
    }

    #[test]
    fn the_result_never_beats_the_lower_bound() {
        let cap = Capacity::Split {
            a: 65536.0,
            b: 65536.0,
            c: 65536.0,
        };
        for dims in [[1024, 1024, 1024], [128, 256, 512], [3136, 64, 576]] {
            let s = search(&problem(dims, cap));
            assert!(s.lower_bound_ratio() >= 1.0, "{dims:?}");
        }
    }

    #[test]
    fn a_global_buffer_only_removes_dram_traffic() {
        let cap = Capacity::Split {
            a: 16384.0,
            b: 16384.0,
            c: 16384.0,
        };
        let dims = [1024, 512, 2048];
        let flat = search(&problem(dims, cap));
        let mut p = problem(dims, cap);
        p.global_bytes = Some(2.0 * 1048576.0);
        let gb = search(&p);
        assert_eq!(gb.mapping.levels.len(), 2);
        assert!(gb.accesses.dram_bytes() < flat.accesses.dram_bytes());
        // With 1 MiB usable, a 1024 × 512 partial-sum tile (2 MiB at int32) cannot stay,
        // but both operands cannot be read once either: more than compulsory traffic.
        assert!(gb.accesses.dram_bytes() >= (1024.0 * 2048.0 + 2048.0 * 512.0 + 1024.0 * 512.0));
    }

    fn objective_value(p: &Problem, s: &Searched) -> f64 {
        let gb = s
            .accesses
            .at(MemLevel::GlobalBuffer)
            .map(|l| l.total_bytes())
            .unwrap_or(0.0);
        let core = s.accesses.at(MemLevel::CoreBuffer).unwrap();
        let core = core
            .tensors
            .iter()
            .map(|t| t.fills + t.updates)
            .sum::<f64>();
        let d = s.accesses.dram_bytes();
        let pr = p.prices;
        let lat = pr
            .compute_cycles
            .max(d / pr.dram_bytes_per_cycle)
            .max(gb / pr.global_bytes_per_cycle);
        let en = d * pr.dram_pj_per_byte + gb * pr.global_pj_per_byte + core * pr.core_pj_per_byte;
        match p.objective {
            Objective::Latency => lat,
            Objective::Energy => en,
            Objective::Edp => lat * en,
        }
    }

    #[test]
    fn each_objective_is_best_at_its_own_measure() {
        // A global buffer with costly accesses and slow ports: the objectives disagree.
        let base = Problem {
            dims: [512, 384, 1024],
            elem: EB,
            core: Capacity::Split {
                a: 8192.0,
                b: 8192.0,
                c: 8192.0,
            },
            global_bytes: Some(262144.0),
            double_buffer: true,
            pe_accumulators: None,
            objective: Objective::Latency,
            prices: Prices {
                compute_cycles: 150_000.0,
                dram_bytes_per_cycle: 16.0,
                global_bytes_per_cycle: 8.0,
                dram_pj_per_byte: 20.0,
                global_pj_per_byte: 6.0,
                core_pj_per_byte: 1.0,
            },
        };
        let objs = [Objective::Latency, Objective::Energy, Objective::Edp];
        let results: Vec<(Problem, Arc<Searched>)> = objs
            .iter()
            .map(|&o| {
                let p = Problem {
                    objective: o,
                    ..base
                };
                (p, search(&p))
            })
            .collect();
        for (p, own) in &results {
            for (_, other) in &results {
                // Each objective's value is measured independently of `score` (the
                // global buffer's bytes and the core level's fills/updates from `Accesses`).
                assert!(
                    objective_value(p, own) <= objective_value(p, other) * (1.0 + 1e-9),
                    "{:?}",
                    p.objective
                );
            }
        }
        assert_ne!(results[0].1.mapping, results[1].1.mapping);
    }

    #[test]
    fn memo_returns_the_same_result() {
        let p = problem([100, 70, 300], Capacity::Unified(4096.0));
        let a = search(&p);
        let b = search(&p);
        assert!(Arc::ptr_eq(&a, &b));
    }
}
