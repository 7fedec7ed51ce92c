//! The architecture description: serde types, validation and derived figures.
//! Knows nothing about workloads.

pub mod energy;
pub mod sparsity;
mod spec;

use std::path::Path;

pub use energy::{EnergyEntry, EnergyTable};
pub use spec::{
    Arch, ArrayConfig, Buffer, CoreBuffers, Dataflow, Dram, EnergyConfig, Memory, PrecisionSupport,
    VectorUnit,
};

use crate::error::{load_json_file, parse_json, InputError, InputResult};
use crate::numerics::Format;

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
        match &self.array {
            ArrayConfig::Systolic { rows, cols, .. } => {
                nonzero("array.rows", *rows)?;
                nonzero("array.cols", *cols)?;
                pe_count_fits(*rows, *cols, 1)?;
            }
            ArrayConfig::TensorCore {
                m,
                n,
                k,
                units_per_core,
                ..
            } => {
                nonzero("array.m", *m)?;
                nonzero("array.n", *n)?;
                nonzero("array.k", *k)?;
                nonzero("array.units_per_core", *units_per_core)?;
                pe_count_fits(*m, *n, k.saturating_mul(*units_per_core))?;
            }
        }
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
        EnergyTable::from_config(&self.energy)?;
        if let Some(s) = &self.sparsity {
            let formats: Vec<Format> = self.precisions.iter().map(|p| p.format).collect();
            s.validate(&formats)?;
        }
        Ok(())
    }

    /// Clock frequency in Hz.
    pub fn clock_hz(&self) -> f64 {
        self.clock_ghz * 1e9
    }

    /// Processing elements (MAC units at one MAC per cycle) in one core's array.
    pub fn pes_per_core(&self) -> u64 {
        match self.array {
            ArrayConfig::Systolic { rows, cols, .. } => rows * cols,
            ArrayConfig::TensorCore {
                m,
                n,
                k,
                units_per_core,
                ..
            } => m * n * k * units_per_core,
        }
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

    /// The resolved energy table.
    pub fn energy_table(&self) -> EnergyTable {
        // Validated at load time; fall back to the base table if called on an unvalidated arch.
        EnergyTable::from_config(&self.energy).unwrap_or_else(|_| EnergyTable::horowitz_45nm())
    }

    /// DRAM bandwidth in bytes per core clock cycle (whole chip).
    pub fn dram_bytes_per_cycle(&self) -> f64 {
        self.memory.dram.bandwidth_gbps * 1e9 / self.clock_hz()
    }
}

fn positive(path: &str, v: f64) -> InputResult<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(InputError::at(
            path,
            format!("expected a finite number > 0, got {v}"),
        ))
    }
}

fn non_negative(path: &str, v: f64) -> InputResult<()> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(InputError::at(
            path,
            format!("expected a finite number ≥ 0, got {v}"),
        ))
    }
}

fn nonzero(path: &str, v: u64) -> InputResult<()> {
    if v > 0 {
        Ok(())
    } else {
        Err(InputError::at(path, "expected a positive integer, got 0"))
    }
}

fn pe_count_fits(a: u64, b: u64, c: u64) -> InputResult<()> {
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
