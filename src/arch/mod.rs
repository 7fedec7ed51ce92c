//! The architecture description: serde types, validation and derived figures.
//! Knows nothing about workloads.

pub mod area;
pub mod components;
pub mod dram;
pub mod energy;
pub mod leakage;
pub mod physical;
pub mod sparsity;
mod spec;

use std::path::Path;

pub use energy::{EnergyEntry, EnergyTable};
pub use spec::{
    Arch, ArrayConfig, Buffer, CoreBuffers, Dataflow, Dram, EnergyConfig, Epilogue, EpilogueOp,
    GpuExec, GpuPrecision, IdlePowerConfig, Memory, PeLevelConfig, PowerConfig, PrecisionSupport,
    Technology, VectorUnit, VfPoint,
};

use crate::error::{load_json_file, parse_json, InputError, InputResult};
use crate::numerics::{AccFormat, Format};

/// True when an accumulation register of format `acc` can be the accumulator `accumulator`:
/// the same float format, a signed integer of the same width, or exact (a Kulisch register
/// stands in for any accumulator).
pub(crate) fn accumulation_matches(acc: AccFormat, accumulator: Format) -> bool {
    match (acc, accumulator) {
        (AccFormat::Exact, _) => true,
        (AccFormat::Float(f), Format::Float(g)) => f == g,
        (
            AccFormat::Int { bits },
            Format::Int {
                bits: b,
                signed: true,
            },
        ) => bits == b,
        _ => false,
    }
}

/// The MAC configuration an op runs with after precision resolution.
#[derive(Debug, Clone, PartialEq)]
pub struct MacMode {
    /// The format the array computes in (may be wider than requested on fallback).
    pub format: Format,
    /// MACs per PE per cycle in that format.
    pub macs_per_pe_per_cycle: f64,
    /// Accumulator format.
    pub accumulator: Format,
    /// True when the requested format was unsupported and a wider one is used.
    pub fell_back: bool,
}

impl Arch {
    /// Reads and validates an architecture file.
    pub fn load(path: &Path) -> InputResult<Arch> {
        let arch: Arch = load_json_file(path)?;
        arch.validate().map_err(|e| e.in_file(path))?;
        Ok(arch)
    }

    /// Parses and validates architecture JSON text.
    pub fn from_json(text: &str) -> InputResult<Arch> {
        let arch: Arch = parse_json(text)?;
        arch.validate()?;
        Ok(arch)
    }

    /// Checks every value is in range; errors name the JSON path.
    pub fn validate(&self) -> InputResult<()> {
        positive("clock_ghz", self.clock_ghz)?;
        if self.cores == 0 {
            return Err(InputError::at("cores", "expected at least 1 core, got 0"));
        }
        crate::model::array::of(&self.array).validate(self)?;
        if self.precisions.is_empty() {
            return Err(InputError::at(
                "precisions",
                "expected at least one supported MAC precision",
            ));
        }
        for (i, p) in self.precisions.iter().enumerate() {
            let path = format!("precisions[{i}].macs_per_pe_per_cycle");
            let r = p.macs_per_pe_per_cycle;
            positive(&path, r)?;
            let ok = if r >= 1.0 {
                r.fract() == 0.0
            } else {
                (1.0 / r - (1.0 / r).round()).abs() < 1e-9
            };
            if !ok {
                return Err(InputError::at(
                    path,
                    format!("expected an integer ≥ 1 or the reciprocal of an integer, got {r}"),
                ));
            }
            if self.precisions[..i].iter().any(|q| q.format == p.format) {
                return Err(InputError::at(
                    format!("precisions[{i}].format"),
                    format!("format '{}' is listed twice", p.format),
                ));
            }
        }
        nonzero("vector_unit.lanes", self.vector_unit.lanes)?;
        positive(
            "vector_unit.ops_per_lane_per_cycle",
            self.vector_unit.ops_per_lane_per_cycle,
        )?;
        positive(
            "memory.dram.bandwidth_gbps",
            self.memory.dram.bandwidth_gbps,
        )?;
        non_negative("memory.dram.latency_ns", self.memory.dram.latency_ns)?;
        if let Some(e) = self.memory.dram.energy_pj_per_bit {
            non_negative("memory.dram.energy_pj_per_bit", e)?;
        }
        if self.memory.dma_engines_per_core == 0 {
            return Err(InputError::at(
                "memory.dma_engines_per_core",
                "expected at least 1 DMA engine per core, got 0",
            ));
        }
        if let Some(g) = &self.memory.global_buffer {
            validate_buffer("memory.global_buffer", g)?;
        }
        match &self.memory.core_buffers {
            CoreBuffers::Unified { buffer } => {
                validate_buffer("memory.core_buffers.buffer", buffer)?
            }
            CoreBuffers::Split {
                ifmap,
                filter,
                ofmap,
            } => {
                validate_buffer("memory.core_buffers.ifmap", ifmap)?;
                validate_buffer("memory.core_buffers.filter", filter)?;
                validate_buffer("memory.core_buffers.ofmap", ofmap)?;
            }
        }
        non_negative("static_power_w", self.static_power_w)?;
        non_negative("memory.dram.background_w", self.memory.dram.background_w)?;
        if let Some(t) = &self.technology {
            positive("technology.voltage_v", t.voltage_v)?;
        }
        if let Some(p) = &self.power {
            self.validate_power(p)?;
        }
        for (i, p) in self.precisions.iter().enumerate() {
            if let Some(g) = &p.gpu {
                let path = format!("precisions[{i}].gpu");
                if !(g.efficiency.is_finite() && g.efficiency > 0.0 && g.efficiency <= 1.0) {
                    return Err(InputError::at(
                        format!("{path}.efficiency"),
                        format!("expected a fraction in (0, 1], got {}", g.efficiency),
                    ));
                }
            }
            if let Some(a) = &p.accumulation {
                let accumulator = p.accumulator.unwrap_or(p.format.default_accumulator());
                let path = format!("precisions[{i}].accumulation");
                if !accumulation_matches(a.format, accumulator) {
                    return Err(InputError::at(
                        format!("{path}.format"),
                        format!(
                            "expected '{accumulator}' (the accumulator of {}) or 'exact', got '{}'",
                            p.format, a.format
                        ),
                    ));
                }
                a.validate()
                    .map_err(|e| InputError::at(path, e.to_string()))?;
            }
        }
        physical::check_arch(self)?;
        EnergyTable::from_config_scaled(&self.energy, self.technology.as_ref(), 1.0)?;
        if let Some(s) = &self.sparsity {
            let formats: Vec<Format> = self.precisions.iter().map(|p| p.format).collect();
            s.validate(&formats)?;
        }
        if let Some(c) = &self.idle_power {
            self.validate_idle_power(c)?;
        }
        self.validate_epilogue()?;
        if let Some(p) = &self.pe_level {
            for (k, v) in [
                ("register_file_bytes", p.register_file_bytes),
                ("rf_energy_pj_per_access", p.rf_energy_pj_per_access),
                ("noc_energy_pj_per_access", p.noc_energy_pj_per_access),
            ] {
                if !v.is_finite() || !(0.0..=1e9).contains(&v) {
                    return Err(InputError::at(
                        format!("pe_level.{k}"),
                        format!("expected a finite value from 0 to 1e9, got {v}"),
                    ));
                }
            }
            if !(1..=1024).contains(&p.access_bits) {
                return Err(InputError::at(
                    "pe_level.access_bits",
                    format!("expected 1 to 1024 bits, got {}", p.access_bits),
                ));
            }
        }
        Ok(())
    }

    fn validate_epilogue(&self) -> InputResult<()> {
        let Some(e) = &self.epilogue else {
            return Ok(());
        };
        if let Some(v) = e.elements_per_cycle {
            positive("epilogue.elements_per_cycle", v)?;
        } else if !e.ops.is_empty()
            && self.gpu().is_none()
            && crate::model::array::of(&self.array)
                .output_elements_per_cycle()
                .is_none()
        {
            return Err(InputError::at(
                "epilogue.elements_per_cycle",
                "expected the post-processing path's element-operations per cycle per core: \
                 a tensor-core array has no output row to derive it from",
            ));
        }
        Ok(())
    }

    /// Element-operations per cycle per core of the post-processing path: the declared
    /// `epilogue.elements_per_cycle`, else a systolic array's `cols` (one output row leaves
    /// the array per cycle). `None` without a path, and for GPU kernels, whose kernel model
    /// already costs the epilogue per CTA tile.
    pub fn epilogue_elements_per_cycle(&self) -> Option<f64> {
        let e = self.epilogue.as_ref().filter(|e| !e.ops.is_empty())?;
        if self.gpu().is_some() {
            return None;
        }
        e.elements_per_cycle
            .or_else(|| crate::model::array::of(&self.array).output_elements_per_cycle())
    }

    fn validate_power(&self, p: &PowerConfig) -> InputResult<()> {
        if let Some(c) = p.cap_w {
            positive("power.cap_w", c)?;
        }
        for (i, pt) in p.vf_curve.iter().enumerate() {
            positive(&format!("power.vf_curve[{i}].clock_ghz"), pt.clock_ghz)?;
            positive(&format!("power.vf_curve[{i}].voltage_v"), pt.voltage_v)?;
            if i > 0 {
                let prev = p.vf_curve[i - 1];
                if pt.clock_ghz <= prev.clock_ghz || pt.voltage_v < prev.voltage_v {
                    return Err(InputError::at(
                        format!("power.vf_curve[{i}]"),
                        "expected points sorted by increasing clock with non-decreasing voltage",
                    ));
                }
            }
        }
        if !p.vf_curve.is_empty() && self.technology.is_none() {
            return Err(InputError::at(
                "power.vf_curve",
                "a voltage-frequency curve needs \"technology\": {\"node_nm\", \"voltage_v\"} (the reference voltage of the energy table)",
            ));
        }
        if let Some(m) = p.min_clock_ghz {
            positive("power.min_clock_ghz", m)?;
            if m > self.clock_ghz {
                return Err(InputError::at(
                    "power.min_clock_ghz",
                    format!("expected at most clock_ghz ({}), got {m}", self.clock_ghz),
                ));
            }
        }
        non_negative("power.array_leakage_w_per_core", p.array_leakage_w_per_core)?;
        non_negative("power.leakage_voltage_exponent", p.leakage_voltage_exponent)?;
        Ok(())
    }

    fn validate_idle_power(&self, c: &IdlePowerConfig) -> InputResult<()> {
        if !(0.0..=1.0).contains(&c.clock_gating) {
            return Err(InputError::at(
                "idle_power.clock_gating",
                format!(
                    "expected a fraction from 0 (no gating) to 1 (idle PEs fully gated), got {}",
                    c.clock_gating
                ),
            ));
        }
        for (k, v) in [
            ("logic_leakage_nw_per_um2", c.logic_leakage_nw_per_um2),
            ("sram_leakage_nw_per_bit", c.sram_leakage_nw_per_bit),
            ("clock_fj_per_register_bit", c.clock_fj_per_register_bit),
        ] {
            if let Some(v) = v {
                if !v.is_finite() || !(0.0..=1e6).contains(&v) {
                    return Err(InputError::at(
                        format!("idle_power.{k}"),
                        format!("expected a finite value from 0 to 1e6, got {v}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Clock frequency in Hz.
    pub fn clock_hz(&self) -> f64 {
        self.clock_ghz * 1e9
    }

    /// Processing elements (MAC units at one MAC per cycle) in one core's array.
    pub fn pes_per_core(&self) -> u64 {
        crate::model::array::of(&self.array).pes_per_core()
    }

    /// The precision entry for exactly `format`, if supported.
    pub fn precision(&self, format: Format) -> Option<&PrecisionSupport> {
        self.precisions.iter().find(|p| p.format == format)
    }

    /// Resolves the MAC mode for operands in `format`: the exact entry, or (when
    /// `precision_fallback` is on) the narrowest supported format at least as wide and of
    /// the same kind (integer or float) where possible.
    pub fn mac_mode(&self, format: Format) -> Result<MacMode, String> {
        if let Some(p) = self.precision(format) {
            return Ok(MacMode {
                format,
                macs_per_pe_per_cycle: p.macs_per_pe_per_cycle,
                accumulator: p.accumulator.unwrap_or(format.default_accumulator()),
                fell_back: false,
            });
        }
        let supported: Vec<String> = self.precisions.iter().map(|p| p.format.name()).collect();
        if !self.precision_fallback {
            return Err(format!(
                "the architecture '{}' has no {} MACs (supported: {}); set \"precision_fallback\": true in the arch to run unsupported formats on a wider one",
                self.name,
                format,
                supported.join(", ")
            ));
        }
        let want_bits = format.storage_bits();
        let mut candidates: Vec<&PrecisionSupport> = self
            .precisions
            .iter()
            .filter(|p| p.format.storage_bits() >= want_bits)
            .collect();
        // Prefer the same kind (int/float), then the narrowest, then the fastest.
        candidates.sort_by(|a, b| {
            let ka = a.format.is_float() != format.is_float();
            let kb = b.format.is_float() != format.is_float();
            ka.cmp(&kb)
                .then(a.format.storage_bits().total_cmp(&b.format.storage_bits()))
                .then(b.macs_per_pe_per_cycle.total_cmp(&a.macs_per_pe_per_cycle))
        });
        match candidates.first() {
            Some(p) => Ok(MacMode {
                format: p.format,
                macs_per_pe_per_cycle: p.macs_per_pe_per_cycle,
                accumulator: p.accumulator.unwrap_or(p.format.default_accumulator()),
                fell_back: true,
            }),
            None => Err(format!(
                "the architecture '{}' has no {} MACs and no wider format to fall back to (supported: {})",
                self.name,
                format,
                supported.join(", ")
            )),
        }
    }

    /// Peak MACs per second of the whole chip in `format` (0 if unsupported).
    pub fn peak_macs_per_s(&self, format: Format) -> f64 {
        self.precision(format)
            .map(|p| {
                self.pes_per_core() as f64
                    * p.macs_per_pe_per_cycle
                    * self.cores as f64
                    * self.clock_hz()
            })
            .unwrap_or(0.0)
    }

    /// The resolved energy table: technology-scaled, overridden, and voltage-scaled to the
    /// operating point (`clock_ghz` on the V-f curve).
    pub fn energy_table(&self) -> EnergyTable {
        // Validated at load time; fall back to the base table if called on an unvalidated arch.
        EnergyTable::from_config_scaled(
            &self.energy,
            self.technology.as_ref(),
            self.voltage_ratio(),
        )
        .unwrap_or_else(|_| EnergyTable::horowitz_45nm())
    }

    /// The GPU execution block of a tensor-core array, if any.
    pub fn gpu(&self) -> Option<&GpuExec> {
        match &self.array {
            ArrayConfig::TensorCore { gpu: Some(g), .. } => Some(g),
            _ => None,
        }
    }

    /// Supply voltage at `clock_ghz`: the V-f curve (piecewise linear, clamped), else the
    /// technology's voltage, else None.
    pub fn operating_voltage_v(&self) -> Option<f64> {
        let curve = self
            .power
            .as_ref()
            .map(|p| p.vf_curve.as_slice())
            .unwrap_or(&[]);
        if curve.is_empty() {
            return self.technology.as_ref().map(|t| t.voltage_v);
        }
        Some(interpolate_vf(curve, self.clock_ghz))
    }

    /// Operating voltage over the reference voltage (1 without a V-f curve).
    pub fn voltage_ratio(&self) -> f64 {
        match (self.operating_voltage_v(), &self.technology) {
            (Some(v), Some(t)) if t.voltage_v > 0.0 => v / t.voltage_v,
            _ => 1.0,
        }
    }

    /// Static power by component at the operating voltage.
    pub fn static_power(&self) -> StaticPower {
        let exp = self
            .power
            .as_ref()
            .map(|p| p.leakage_voltage_exponent)
            .unwrap_or(1.0);
        let v = self.voltage_ratio().powf(exp);
        let cores = self.cores as f64;
        let core_buffers = match &self.memory.core_buffers {
            CoreBuffers::Unified { buffer } => buffer.leakage_w,
            CoreBuffers::Split {
                ifmap,
                filter,
                ofmap,
            } => ifmap.leakage_w + filter.leakage_w + ofmap.leakage_w,
        };
        let idle = leakage::model(self);
        let derived = |f: fn(&leakage::IdleModel) -> f64| idle.as_ref().map(f).unwrap_or(0.0);
        let clock_w = idle
            .as_ref()
            .and_then(|m| m.clock)
            .map(|c| c.idle_pj_per_cycle() * 1e-12 * self.clock_hz())
            .unwrap_or(0.0);
        let r = self.voltage_ratio();
        StaticPower {
            array_clock_w: clock_w * r * r,
            uncore_w: self.static_power_w,
            dram_background_w: self.memory.dram.background_w,
            global_buffer_leakage_w: self
                .memory
                .global_buffer
                .as_ref()
                .map(|g| g.leakage_w)
                .unwrap_or(0.0)
                * v
                + derived(|m| m.global_buffer_leakage_w) * v,
            core_buffer_leakage_w: (core_buffers + derived(|m| m.core_buffer_leakage_w))
                * cores
                * v,
            array_leakage_w: self
                .power
                .as_ref()
                .map(|p| p.array_leakage_w_per_core)
                .unwrap_or(0.0)
                * cores
                * v
                + derived(|m| m.array_leakage_w_per_core) * cores * v,
        }
    }

    /// DRAM bandwidth in bytes per core clock cycle (whole chip).
    pub fn dram_bytes_per_cycle(&self) -> f64 {
        self.memory.dram.bandwidth_gbps * 1e9 / self.clock_hz()
    }
}

/// Static power of an arch at its operating point, by component, in W.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct StaticPower {
    /// `static_power_w`: uncore, PHYs, board (not voltage-scaled).
    pub uncore_w: f64,
    /// DRAM background power (`memory.dram.background_w`).
    pub dram_background_w: f64,
    /// Leakage of the global buffer (L2), voltage-scaled.
    pub global_buffer_leakage_w: f64,
    /// Leakage of all cores' buffers, voltage-scaled.
    pub core_buffer_leakage_w: f64,
    /// Leakage of all cores' arrays, voltage-scaled.
    pub array_leakage_w: f64,
    /// Clock-tree power of the PE array not removed by clock gating (`idle_power`): every
    /// PE's registers clocked every cycle, ∝ clock × V².
    pub array_clock_w: f64,
}

impl StaticPower {
    /// Sum of all components.
    pub fn total_w(&self) -> f64 {
        self.uncore_w
            + self.dram_background_w
            + self.global_buffer_leakage_w
            + self.core_buffer_leakage_w
            + self.array_leakage_w
            + self.array_clock_w
    }
}

/// Voltage of a V-f curve at `clock_ghz` (piecewise linear, clamped at the ends).
pub fn interpolate_vf(curve: &[VfPoint], clock_ghz: f64) -> f64 {
    match curve {
        [] => 0.0,
        [only] => only.voltage_v,
        _ => {
            let first = curve[0];
            let last = curve[curve.len() - 1];
            if clock_ghz <= first.clock_ghz {
                return first.voltage_v;
            }
            if clock_ghz >= last.clock_ghz {
                return last.voltage_v;
            }
            for w in curve.windows(2) {
                let (a, b) = (w[0], w[1]);
                if clock_ghz <= b.clock_ghz {
                    let t = (clock_ghz - a.clock_ghz) / (b.clock_ghz - a.clock_ghz);
                    return a.voltage_v + t * (b.voltage_v - a.voltage_v);
                }
            }
            last.voltage_v
        }
    }
}

pub(crate) fn positive(path: &str, v: f64) -> InputResult<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(InputError::at(
            path,
            format!("expected a finite number > 0, got {v}"),
        ))
    }
}

pub(crate) fn non_negative(path: &str, v: f64) -> InputResult<()> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(InputError::at(
            path,
            format!("expected a finite number ≥ 0, got {v}"),
        ))
    }
}

pub(crate) fn nonzero(path: &str, v: u64) -> InputResult<()> {
    if v > 0 {
        Ok(())
    } else {
        Err(InputError::at(path, "expected a positive integer, got 0"))
    }
}

pub(crate) fn pe_count_fits(a: u64, b: u64, c: u64) -> InputResult<()> {
    a.checked_mul(b)
        .and_then(|x| x.checked_mul(c))
        .filter(|&x| x <= (1u64 << 40))
        .map(|_| ())
        .ok_or_else(|| InputError::at("array", "the array has more than 2^40 PEs"))
}

fn validate_buffer(path: &str, b: &Buffer) -> InputResult<()> {
    positive(&format!("{path}.capacity_kib"), b.capacity_kib)?;
    positive(&format!("{path}.bytes_per_cycle"), b.bytes_per_cycle)?;
    if b.banks == 0 {
        return Err(InputError::at(
            format!("{path}.banks"),
            "expected a positive integer, got 0",
        ));
    }
    if let Some(e) = b.energy_pj_per_64b {
        non_negative(&format!("{path}.energy_pj_per_64b"), e)?;
    }
    non_negative(&format!("{path}.leakage_w"), b.leakage_w)?;
    Ok(())
}
