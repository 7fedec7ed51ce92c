//! Numpy-native numerics: `cast` (round to a format, return the values), `encode` (codes)
//! and `decode` (codes to values). The semantics are exactly `accelsim cast`'s: inputs are
//! f32, values are taken in C order, block formats quantize consecutive runs of `block`
//! values, and the stochastic stream draws one value per element in that order.

use accelsim::numerics::bfp::BfpFormat;
use accelsim::numerics::mx::{mx_dequantize, mx_quantize, MxOptions};
use accelsim::numerics::{CastOptions, Caster, Format, MxElem, Overflow, Rounding, SplitMix64};
use numpy::{IntoPyArray, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::prelude::*;

use crate::errors::bad_input;

/// Values processed per chunk of the 8-bit fast path (codes live on the stack).
const CHUNK: usize = 4096;

/// Parses the format and the options as `accelsim cast` does.
fn parse(fmt: &str, rounding: &str, saturate: bool, seed: u64) -> PyResult<(Format, CastOptions)> {
    let format = Format::parse(fmt).map_err(bad_input)?;
    let rounding = Rounding::parse(rounding).ok_or_else(|| {
        bad_input(format!(
            "unknown rounding mode '{rounding}'; expected one of: {}",
            Rounding::ALL.map(Rounding::name).join(", ")
        ))
    })?;
    let overflow = if saturate {
        Overflow::Saturate
    } else {
        Overflow::Ieee
    };
    Ok((format, CastOptions::new(rounding, overflow).with_seed(seed)))
}

/// The seed of the next MX block, as `accelsim cast` advances it.
fn next_mx_seed(seed: u64, n: usize) -> u64 {
    seed.wrapping_add(0x9e37_79b9_7f4a_7c15u64.wrapping_mul(n as u64))
}

fn mx_options(options: CastOptions) -> MxOptions {
    MxOptions {
        rounding: options.rounding,
        seed: options.seed,
        ..Default::default()
    }
}

/// Rounds `x` to `format` and writes the values (as f32) to `out`.
pub fn cast_values(
    format: Format,
    options: CastOptions,
    x: &[f32],
    out: &mut [f32],
) -> Result<(), String> {
    match format {
        Format::Mx { elem, block } => {
            let (mut codes, mut scales) = (vec![0u8; x.len()], Vec::new());
            mx_encode(elem, block as usize, options, x, &mut codes, &mut scales)?;
            mx_decode(elem, block as usize, &codes, &scales, out)
        }
        Format::BlockFp { man_bits, block } => {
            let f = BfpFormat {
                man_bits,
                block: block as usize,
            };
            f.validate().map_err(|e| e.to_string())?;
            let mut rng = SplitMix64::new(options.seed);
            let mut mants = vec![0i32; f.block];
            for (xs, os) in x.chunks(f.block).zip(out.chunks_mut(f.block)) {
                let m = &mut mants[..xs.len()];
                let e = f.quantize_block(xs, options.rounding, &mut rng, m);
                for (o, &mi) in os.iter_mut().zip(m.iter()) {
                    *o = f.decode(e, mi);
                }
            }
            Ok(())
        }
        _ => {
            let mut c = Caster::new(format, options).map_err(|e| e.to_string())?;
            let bits = format.element_bits();
            if bits <= 8 {
                let lut = decode_lut(&c);
                let mut codes = [0u8; CHUNK];
                for (xs, os) in x.chunks(CHUNK).zip(out.chunks_mut(CHUNK)) {
                    let cs = &mut codes[..xs.len()];
                    c.cast_slice(xs, cs).map_err(|e| e.to_string())?;
                    for (o, &k) in os.iter_mut().zip(cs.iter()) {
                        *o = lut[k as usize];
                    }
                }
            } else if bits <= 16 {
                let lut = decode_lut(&c);
                let mut codes = [0u16; CHUNK];
                for (xs, os) in x.chunks(CHUNK).zip(out.chunks_mut(CHUNK)) {
                    let cs = &mut codes[..xs.len()];
                    c.cast_slice(xs, cs).map_err(|e| e.to_string())?;
                    for (o, &k) in os.iter_mut().zip(cs.iter()) {
                        *o = lut[k as usize];
                    }
                }
            } else {
                for (o, &v) in out.iter_mut().zip(x) {
                    let k = c.encode_f32(v);
                    *o = c.decode_f32(k);
                }
            }
            Ok(())
        }
    }
}

/// The value of every code of a format of at most 16 bits (indexed by code).
fn decode_lut(c: &Caster) -> Vec<f32> {
    let n = 1u32 << c.format().element_bits().clamp(8, 16);
    (0..n).map(|k| c.decode_f32(k)).collect()
}

fn mx_encode(
    elem: MxElem,
    block: usize,
    options: CastOptions,
    x: &[f32],
    codes: &mut [u8],
    scales: &mut Vec<u8>,
) -> Result<(), String> {
    if block == 0 {
        return Err("MX block size must be at least 1".into());
    }
    let mut opts = mx_options(options);
    scales.clear();
    for (xs, cs) in x.chunks(block).zip(codes.chunks_mut(block)) {
        let mut s = [0u8; 1];
        mx_quantize(elem, block, xs, opts, &mut s, cs).map_err(|e| e.to_string())?;
        scales.push(s[0]);
        opts.seed = next_mx_seed(opts.seed, xs.len());
    }
    Ok(())
}

fn mx_decode(
    elem: MxElem,
    block: usize,
    codes: &[u8],
    scales: &[u8],
    out: &mut [f32],
) -> Result<(), String> {
    let blocks = codes.len().div_ceil(block.max(1));
    if scales.len() != blocks {
        return Err(format!(
            "expected {blocks} scale codes (one per block of {block} codes), got {}",
            scales.len()
        ));
    }
    for ((cs, os), s) in codes
        .chunks(block)
        .zip(out.chunks_mut(block))
        .zip(scales.chunks(1))
    {
        mx_dequantize(elem, block, s, cs, os).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn contiguous<'a, T: numpy::Element>(a: &'a PyReadonlyArrayDyn<'_, T>) -> PyResult<&'a [T]> {
    a.as_slice()
        .map_err(|_| bad_input("expected a C-contiguous array"))
}

/// Rounds a float32 array to `fmt` and returns the values as a float32 array of the
/// same shape (see `accelsim.cast`).
#[pyfunction]
#[pyo3(signature = (x, fmt, rounding = "rne", saturate = false, seed = 0))]
pub fn cast<'py>(
    py: Python<'py>,
    x: PyReadonlyArrayDyn<'py, f32>,
    fmt: &str,
    rounding: &str,
    saturate: bool,
    seed: u64,
) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
    let (format, options) = parse(fmt, rounding, saturate, seed)?;
    let shape = x.shape().to_vec();
    let xs = contiguous(&x)?;
    let mut out = vec![0f32; xs.len()];
    py.allow_threads(|| cast_values(format, options, xs, &mut out))
        .map_err(bad_input)?;
    into_shaped(py, out, &shape)
}

fn into_shaped<'py, T: numpy::Element>(
    py: Python<'py>,
    v: Vec<T>,
    shape: &[usize],
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    v.into_pyarray(py).reshape(shape.to_vec())
}

/// The width of a code word of `fmt` in bits (8, 16 or 32): the numpy dtype `encode`
/// returns and `decode` expects.
#[pyfunction]
pub fn code_bits(fmt: &str) -> PyResult<u32> {
    let format = Format::parse(fmt).map_err(bad_input)?;
    Ok(match format.element_bits() {
        0..=8 => 8,
        9..=16 => 16,
        _ => 32,
    })
}

fn encode_scalar<W: accelsim::numerics::CodeWord + numpy::Element + Default + Clone>(
    py: Python<'_>,
    format: Format,
    options: CastOptions,
    xs: &[f32],
    shape: &[usize],
) -> PyResult<PyObject> {
    let mut c = Caster::new(format, options).map_err(bad_input)?;
    let mut out = vec![W::default(); xs.len()];
    py.allow_threads(|| c.cast_slice(xs, &mut out))
        .map_err(bad_input)?;
    Ok(into_shaped(py, out, shape)?.into_any().unbind())
}

/// Encodes a float32 array to codes: `(codes, scales)` where codes is uint8/uint16/uint32
/// (see [`code_bits`]) of the input's shape and scales the MX blocks' E8M0 scale codes
/// (uint8, one per block, in C order) or `None` for scalar formats.
#[pyfunction]
#[pyo3(signature = (x, fmt, rounding = "rne", saturate = false, seed = 0))]
pub fn encode<'py>(
    py: Python<'py>,
    x: PyReadonlyArrayDyn<'py, f32>,
    fmt: &str,
    rounding: &str,
    saturate: bool,
    seed: u64,
) -> PyResult<(PyObject, Option<PyObject>)> {
    let (format, options) = parse(fmt, rounding, saturate, seed)?;
    let shape = x.shape().to_vec();
    let xs = contiguous(&x)?;
    match format {
        Format::Mx { elem, block } => {
            let (mut codes, mut scales) = (vec![0u8; xs.len()], Vec::new());
            py.allow_threads(|| {
                mx_encode(elem, block as usize, options, xs, &mut codes, &mut scales)
            })
            .map_err(bad_input)?;
            let codes = into_shaped(py, codes, &shape)?.into_any().unbind();
            let scales = scales.into_pyarray(py).into_any().unbind();
            Ok((codes, Some(scales)))
        }
        Format::BlockFp { .. } => Err(bad_input(format!(
            "encode: '{fmt}' is block floating point, whose codes are a mantissa and a shared exponent per block; use cast() for its values"
        ))),
        _ => {
            let codes = match code_bits(fmt)? {
                8 => encode_scalar::<u8>(py, format, options, xs, &shape)?,
                16 => encode_scalar::<u16>(py, format, options, xs, &shape)?,
                _ => encode_scalar::<u32>(py, format, options, xs, &shape)?,
            };
            Ok((codes, None))
        }
    }
}

fn decode_scalar<W: accelsim::numerics::CodeWord + numpy::Element>(
    py: Python<'_>,
    format: Format,
    codes: &Bound<'_, PyAny>,
) -> PyResult<PyObject> {
    let a: PyReadonlyArrayDyn<'_, W> = codes.extract()?;
    let shape = a.shape().to_vec();
    let cs = contiguous(&a)?;
    let c = Caster::new(format, CastOptions::RNE).map_err(bad_input)?;
    let mut out = vec![0f32; cs.len()];
    if format.element_bits() <= 16 {
        let lut = decode_lut(&c);
        let mask = lut.len() as u32 - 1;
        py.allow_threads(|| {
            for (o, &k) in out.iter_mut().zip(cs) {
                *o = lut[(k.to_code() & mask) as usize];
            }
        });
    } else {
        py.allow_threads(|| c.decode_slice(cs, &mut out))
            .map_err(bad_input)?;
    }
    Ok(into_shaped(py, out, &shape)?.into_any().unbind())
}

/// Decodes codes (uint8/uint16/uint32 as [`code_bits`] says) to float32 values of the same
/// shape; MX formats also take the blocks' scale codes.
#[pyfunction]
#[pyo3(signature = (codes, fmt, scales = None))]
pub fn decode(
    py: Python<'_>,
    codes: &Bound<'_, PyAny>,
    fmt: &str,
    scales: Option<PyReadonlyArrayDyn<'_, u8>>,
) -> PyResult<PyObject> {
    let format = Format::parse(fmt).map_err(bad_input)?;
    match format {
        Format::Mx { elem, block } => {
            let scales = scales.ok_or_else(|| {
                bad_input(format!("decode: '{fmt}' is an MX format; pass scales="))
            })?;
            let a: PyReadonlyArrayDyn<'_, u8> = codes.extract()?;
            let shape = a.shape().to_vec();
            let (cs, ss) = (contiguous(&a)?, contiguous(&scales)?);
            let mut out = vec![0f32; cs.len()];
            py.allow_threads(|| mx_decode(elem, block as usize, cs, ss, &mut out))
                .map_err(bad_input)?;
            Ok(into_shaped(py, out, &shape)?.into_any().unbind())
        }
        Format::BlockFp { .. } => Err(bad_input(format!(
            "decode: '{fmt}' is block floating point; use cast() for its values"
        ))),
        _ => {
            if scales.is_some() {
                return Err(bad_input(format!(
                    "decode: scales= applies to MX formats, not '{fmt}'"
                )));
            }
            match code_bits(fmt)? {
                8 => decode_scalar::<u8>(py, format, codes),
                16 => decode_scalar::<u16>(py, format, codes),
                _ => decode_scalar::<u32>(py, format, codes),
            }
        }
    }
}
