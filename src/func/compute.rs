//! matmul and conv2d: operand preparation, accumulation choice and output rounding
//! around the [`gemm`](super::gemm) kernels.
//!
//! * `arch` numerics: operands cast (RNE) to `precision.activations` / `precision.weights`;
//!   products accumulated in the arch's accumulator for the op's MAC format
//!   (`PrecisionSupport::accumulation`, default: its `accumulator` format, sequential
//!   from +0, fused, integer registers wrapping); bias added to the register; the
//!   register rounded (RNE) to the output format.
//! * `onnx` numerics: the operands as they are; integer operands accumulate exactly in a
//!   wrapping int32 register, float operands in ONNX Runtime's f32 FMA chain (blocks of
//!   256 products when K > 256); bias added with one f32 add; RNE to the output format.
//!
//! With integer operands, the `quant` block gives zero points (`a_zero_point`,
//! `b_zero_point` per tensor or per output channel/column), subtracted before the
//! products, and optionally the requantization (`a_scale`, `b_scale`, `y_scale`,
//! `y_zero_point`): `sat(RNE(f32(f32(acc) · M[j])) + y_zp)` with
//! `M[j] = f32(f32(a_scale · b_scale[j]) / y_scale)` (QLinearMatMul, QLinearConv, QGemm).

use super::gemm::{gemm_float, gemm_int, FloatAcc, IntAcc, IntRegs};
use super::mx_gemm::{mx_gemm, quantize_rows, MxAcc};
use super::quant::{range_of, scales, zero_points};
use super::value::{cast, kind_of, Data, IntRounding, Kind, Value};
use super::{Ctx, FuncResult};
use crate::numerics::quant::round_to_code;
use crate::numerics::{AccFormat, Accumulator, Format, MxElem, Overflow, Rounding};
use std::borrow::Cow;

use crate::workload::{NumericsMode, OpAttrs};

/// A GEMM op's operands as bound: the input, the weight (the op's `weight`, else its
/// second input) and the optional bias (the op's `bias`, else its third input).
pub(crate) struct GemmOperands<'v> {
    x: &'v Value,
    w: &'v Value,
    bias: Option<&'v Value>,
}

impl<'v> GemmOperands<'v> {
    /// The operands of op `cx` from its inputs and its bound weight and bias.
    pub(crate) fn resolve(
        cx: &Ctx,
        ins: &[&'v Value],
        weight: Option<&'v Value>,
        bias: Option<&'v Value>,
    ) -> FuncResult<Self> {
        let w = weight.or_else(|| ins.get(1).copied()).ok_or_else(|| {
            cx.err(
                "weight",
                format!("internal: {:?} without a weight", cx.op.kind),
            )
        })?;
        let bias = bias.or_else(|| ins.get(2).copied());
        Ok(GemmOperands { x: ins[0], w, bias })
    }
}

/// Operands ready for the kernels.
enum Operands<'v> {
    /// Float values.
    Float(Vec<f32>, Vec<f32>),
    /// Integer values with zero points already subtracted.
    Int(Cow<'v, [i32]>, Cow<'v, [i32]>),
}

/// The register a compute op accumulates in.
enum Register {
    Float(FloatAcc),
    Int(IntAcc),
}

/// The accumulator of a compute op under its numerics mode; `int_operands` says which
/// kind of products it adds; `k` the reduction depth.
fn register(cx: &Ctx, int_operands: bool, k: usize) -> FuncResult<Register> {
    let out_float = match cx.out_format() {
        Format::Float(f) => f,
        _ => crate::numerics::FloatFormat::FP32,
    };
    if cx.mode == NumericsMode::Onnx {
        return Ok(if int_operands {
            Register::Int(IntAcc::INT32_WRAP)
        } else {
            Register::Float(FloatAcc::Fma32 {
                block: if k > 256 { 256 } else { usize::MAX },
            })
        });
    }
    let bound = crate::binding::bind(&cx.op.precision, cx.arch)
        .map_err(|e| cx.err(e.field(), e.to_string()))?;
    let mac = bound.mac;
    let accum: Accumulator = match bound.accumulation {
        Some(a) => {
            let consistent = crate::arch::accumulation_matches(a.format, mac.accumulator);
            if !consistent {
                return Err(cx.err(
                    "precision",
                    format!(
                        "the arch's {} precision accumulates in {} but its accumulation says {}",
                        mac.format, mac.accumulator, a.format
                    ),
                ));
            }
            a.validate()
                .map_err(|e| cx.err("precision", e.to_string()))?;
            a
        }
        None => match mac.accumulator {
            Format::Float(f) => Accumulator::new(AccFormat::Float(f)),
            Format::Int { bits, signed: true } => {
                Accumulator::new(AccFormat::Int { bits }).with_overflow(Overflow::Wrap)
            }
            other => {
                return Err(cx.err(
                    "precision",
                    format!(
                        "the arch's accumulator format {other} is not a float or signed integer"
                    ),
                ))
            }
        },
    };
    Ok(match accum.format {
        AccFormat::Int { bits } => {
            if !int_operands {
                return Err(cx.err(
                    "precision",
                    format!(
                        "float operands cannot accumulate in the arch's {} register",
                        accum.format
                    ),
                ));
            }
            Register::Int(IntAcc {
                bits,
                wrap: accum.overflow == Overflow::Wrap,
            })
        }
        AccFormat::Exact if int_operands => Register::Int(IntAcc {
            bits: 64,
            wrap: false,
        }),
        _ => Register::Float(FloatAcc::of(&accum, out_float)),
    })
}

/// Casts operands to the op's precision formats (`arch` numerics only).
fn prepare<'v>(
    cx: &Ctx,
    a: &'v Value,
    b: &'v Value,
) -> FuncResult<(Cow<'v, Value>, Cow<'v, Value>)> {
    if cx.mode == NumericsMode::Onnx || mx_formats(cx)?.is_some() {
        // ONNX operands are used as they are; MX operands are quantized in blocks along
        // the reduction axis by the GEMM.
        return Ok((Cow::Borrowed(a), Cow::Borrowed(b)));
    }
    let to = |v: &'v Value, f: Format, field: &str| -> FuncResult<Cow<'v, Value>> {
        if v.format == f {
            return Ok(Cow::Borrowed(v));
        }
        cast(v, f, IntRounding::NearestEven)
            .map(Cow::Owned)
            .map_err(|m| cx.err(field, m))
    };
    Ok((
        to(a, cx.op.precision.activations, "precision.activations")?,
        to(b, cx.op.precision.weights, "precision.weights")?,
    ))
}

/// The element formats and block size when the op computes on MX operands (`arch`
/// numerics, both operands MX with one block size); an error when only one is MX.
fn mx_formats(cx: &Ctx) -> FuncResult<Option<(MxElem, MxElem, usize)>> {
    if cx.mode == NumericsMode::Onnx {
        return Ok(None);
    }
    let p = &cx.op.precision;
    match (p.activations, p.weights) {
        (Format::Mx { elem: ea, block: ba }, Format::Mx { elem: eb, block: bb }) => {
            if ba != bb {
                return Err(cx.err(
                    "precision",
                    format!("MX operands need one block size; activations use {ba}, weights {bb}"),
                ));
            }
            Ok(Some((ea, eb, ba as usize)))
        }
        (Format::Mx { .. }, other) | (other, Format::Mx { .. }) => Err(cx.err(
            "precision",
            format!(
                "an MX GEMM needs both operands in MX formats; got {} activations and {} weights ({other} is not MX)",
                p.activations, p.weights
            ),
        )),
        _ => Ok(None),
    }
}

/// The MX accumulation that corresponds to a float register description.
fn mx_acc(cx: &Ctx, reg: &Register) -> FuncResult<MxAcc> {
    let bad = |what: String| {
        Err(cx.err(
            "precision",
            format!("MX GEMMs accumulate block results in a float or exact register in sequential order; {what}"),
        ))
    };
    match reg {
        Register::Int(_) => bad("the arch gives an integer register".into()),
        Register::Float(FloatAcc::Exact { out }) => Ok(MxAcc::Exact(*out)),
        Register::Float(FloatAcc::Fma32 { block: usize::MAX }) => Ok(MxAcc::Float {
            format: crate::numerics::FloatFormat::FP32,
            rounding: Rounding::NearestEven,
            overflow: Overflow::Ieee,
        }),
        Register::Float(FloatAcc::Fma32 { block }) => {
            bad(format!("the register adds blocks of {block} products"))
        }
        Register::Float(FloatAcc::General(a)) => match (a.format, a.order) {
            (AccFormat::Float(f), crate::numerics::AccOrder::Sequential) => Ok(MxAcc::Float {
                format: f,
                rounding: a.rounding,
                overflow: a.overflow,
            }),
            _ => bad(format!("the arch's accumulation is {}", a.format)),
        },
    }
}

/// The op's register, and for an MX GEMM (`mx`) how it accumulates block results; an MX
/// GEMM needs the arch's accumulator for its format to be a float.
fn register_and_mx(
    cx: &Ctx,
    mx: bool,
    int: bool,
    k: usize,
) -> FuncResult<(Register, Option<MxAcc>)> {
    if !mx {
        return Ok((register(cx, int, k)?, None));
    }
    // The MAC mode only: an accumulator mismatch is reported by `register` after this check.
    let mac = match crate::binding::bind(&cx.op.precision, cx.arch) {
        Ok(b) => b.mac,
        Err(crate::binding::BindError::AccumulatorMismatch { mac, .. }) => mac,
        Err(e) => return Err(cx.err(e.field(), e.to_string())),
    };
    if !mac.accumulator.is_float() {
        return Err(cx.err(
            "precision",
            format!(
                "MX products are scaled by powers of two and need a float accumulator; the arch accumulates {} in {} (set its \"accumulator\" to fp32)",
                mac.format, mac.accumulator
            ),
        ));
    }
    let reg = register(cx, false, k)?;
    let acc = mx_acc(cx, &reg)?;
    Ok((reg, Some(acc)))
}

/// `C = A·Bᵀ` on MX operands: `a` is m×k, `bt` n×k, both row-major f32.
#[allow(clippy::too_many_arguments)]
fn gemm_mx(
    cx: &Ctx,
    (ea, eb, block): (MxElem, MxElem, usize),
    a: &[f32],
    bt: &[f32],
    bias: Option<&[f32]>,
    (m, n, k): (usize, usize, usize),
    acc: MxAcc,
) -> FuncResult<Vec<f32>> {
    let qa = quantize_rows(a, m, k, ea, block).map_err(|e| cx.err("precision.activations", e))?;
    let qb = quantize_rows(bt, n, k, eb, block).map_err(|e| cx.err("precision.weights", e))?;
    Ok(mx_gemm(&qa, &qb, bias, acc))
}

/// Whether a value holds integers (binary included).
fn is_int(v: &Value) -> bool {
    matches!(v.data, Data::I32(_))
}

/// Bias values in the kind the register needs.
enum Bias {
    Float(Vec<f32>),
    Int(Vec<i32>),
}

fn bias_values(
    cx: &Ctx,
    bias: Option<&Value>,
    int: bool,
    n_total: usize,
) -> FuncResult<Option<Bias>> {
    let Some(b) = bias else { return Ok(None) };
    if b.len() != n_total {
        return Err(cx.err(
            "bias",
            format!("the bias has {} values; expected {n_total}", b.len()),
        ));
    }
    Ok(Some(match (&b.data, int) {
        (Data::I32(v), true) => Bias::Int(v.clone()),
        (Data::F32(_), true) => {
            return Err(cx.err(
                "bias",
                format!(
                    "a {} bias cannot be added to an integer accumulator",
                    b.format
                ),
            ))
        }
        (_, false) => Bias::Float(b.to_f32_vec()),
    }))
}

/// Requantization constants when the quant block has a `y_scale`.
struct Requant {
    m: Vec<f32>,
    zp: i32,
}

fn requant(cx: &Ctx, n_total: usize) -> FuncResult<Option<Requant>> {
    let Some(q) = cx.spec.quant.as_ref() else {
        return Ok(None);
    };
    let Some(ys) = scales(cx, "y_scale", &q.y_scale, 1)? else {
        return Ok(None);
    };
    let a_s = scales(cx, "a_scale", &q.a_scale, 1)?
        .ok_or_else(|| cx.err("quant.a_scale", "requantization needs \"a_scale\""))?[0];
    let b_s = scales(cx, "b_scale", &q.b_scale, n_total)?
        .ok_or_else(|| cx.err("quant.b_scale", "requantization needs \"b_scale\""))?;
    let zp = zero_points(cx, "y_zero_point", &q.y_zero_point, 1)?[0];
    let m = b_s
        .iter()
        .map(|&b| crate::numerics::quant::requant_multiplier(a_s, b, ys[0]))
        .collect();
    Ok(Some(Requant { m, zp }))
}

/// Turns register values into output values: requantization, or a cast to the output
/// format. `col_of(idx)` gives the output channel/column of flat output index `idx`.
fn finish_int(
    cx: &Ctx,
    regs: IntRegs,
    shape: Vec<usize>,
    col_of: &dyn Fn(usize) -> usize,
    rq: Option<Requant>,
) -> FuncResult<Value> {
    let out = cx.out_format();
    let n = regs.len();
    if let Some(rq) = rq {
        let range = range_of(cx, out)?;
        let data = (0..n)
            .map(|i| {
                round_to_code(
                    regs.get(i) as f32 * rq.m[col_of(i)],
                    rq.zp,
                    range,
                    Rounding::NearestEven,
                    0,
                )
            })
            .collect();
        return Ok(Value::new(out, shape, Data::I32(data)));
    }
    let data = match kind_of(out).map_err(|m| cx.err("precision.output", m))? {
        Kind::Int { min, max } => match regs {
            IntRegs::I32(v) if min <= i32::MIN as i64 && max >= i32::MAX as i64 => Data::I32(v),
            regs => Data::I32((0..n).map(|i| regs.get(i).clamp(min, max) as i32).collect()),
        },
        Kind::Float(f) => Data::F32(
            (0..n)
                .map(|i| {
                    let v = regs.get(i) as f64;
                    f.decode_f32(f.encode_f64(v, Rounding::NearestEven, Overflow::Ieee, 0))
                })
                .collect(),
        ),
        Kind::Binary => Data::I32(
            (0..n)
                .map(|i| if regs.get(i) < 0 { -1 } else { 1 })
                .collect(),
        ),
    };
    Ok(Value::new(out, shape, data))
}

fn finish_float(cx: &Ctx, regs: Vec<f32>, shape: Vec<usize>) -> FuncResult<Value> {
    if cx.spec.quant.as_ref().is_some_and(|q| q.y_scale.is_some()) {
        return Err(cx.err("quant.y_scale", "requantization needs integer operands"));
    }
    let v = Value::new(Format::FP32, shape, Data::F32(regs));
    cast(&v, cx.out_format(), IntRounding::NearestEven).map_err(|m| cx.err("precision.output", m))
}

/// Zero points of the two operands (`a` per tensor, `b` per output column/channel).
fn operand_zero_points(cx: &Ctx, n_total: usize) -> FuncResult<(i32, Vec<i32>)> {
    match cx.spec.quant.as_ref() {
        None => Ok((0, vec![0; n_total])),
        Some(q) => Ok((
            zero_points(cx, "a_zero_point", &q.a_zero_point, 1)?[0],
            zero_points(cx, "b_zero_point", &q.b_zero_point, n_total)?,
        )),
    }
}

/// matmul: `[..., M, K] × [..., K, N]` with numpy batch broadcasting (B may be stored
/// `[..., N, K]` with `transpose_b`), optional bias per column.
pub(crate) fn matmul(cx: &Ctx, ops: GemmOperands) -> FuncResult<Value> {
    let GemmOperands { x: a, w: b, bias } = ops;
    let transpose_b = matches!(cx.op.attrs, OpAttrs::Matmul { transpose_b: true });
    let (a, b) = prepare(cx, a, b)?;
    let (ra, rb) = (a.shape.len(), b.shape.len());
    let (m, k) = (a.shape[ra - 2], a.shape[ra - 1]);
    let n = if transpose_b {
        b.shape[rb - 2]
    } else {
        b.shape[rb - 1]
    };
    let out_shape = cx.out_shape();
    let batch_shape = &out_shape[..out_shape.len() - 2];
    let batch: usize = batch_shape.iter().product();
    let mx = mx_formats(cx)?;
    let int = mx.is_none() && is_int(&a) && is_int(&b);
    let (reg, mx_acc) = register_and_mx(cx, mx.is_some(), int, k)?;
    let bias = bias_values(cx, bias, matches!(reg, Register::Int(_)), n)?;
    // Flat offsets of each batch element's A and B matrices (broadcasting).
    let offsets = |shape: &[usize], mat: usize| -> Vec<usize> {
        let r = shape.len() - 2;
        let own = &shape[..r];
        (0..batch)
            .map(|bi| {
                // Unravel bi over batch_shape, then ravel over own (right-aligned).
                let mut rem = bi;
                let mut idx = 0;
                let mut stride = 1;
                for d in (0..batch_shape.len()).rev() {
                    let coord = rem % batch_shape[d];
                    rem /= batch_shape[d];
                    let od = d as isize - (batch_shape.len() as isize - own.len() as isize);
                    if od >= 0 {
                        let od = od as usize;
                        let c = if own[od] == 1 { 0 } else { coord };
                        idx += c * stride;
                        stride *= own[od];
                    }
                }
                idx * mat
            })
            .collect()
    };
    let a_off = offsets(&a.shape, m * k);
    let b_off = offsets(&b.shape, k * n);
    let b_mat = |data: &'_ [f32], off: usize| -> Vec<f32> {
        super::gemm::transpose(&data[off..off + k * n], n, k)
    };
    let col_of = |i: usize| i % n;
    let operands = if int {
        let (azp, bzp) = operand_zero_points(cx, n)?;
        let av = sub_zero_point(a.i32s().unwrap_or(&[]), &[azp], 1);
        // Subtract b's zero point per column: runs of k values share one when B is
        // stored [N, K], consecutive values cycle through the columns otherwise.
        let bsrc = b.i32s().unwrap_or(&[]);
        let bv = if transpose_b {
            sub_zero_point(bsrc, &bzp, k)
        } else {
            sub_zero_point(bsrc, &bzp, 1)
        };
        Operands::Int(av, bv)
    } else {
        if cx.spec.quant.is_some() {
            return Err(cx.err("quant", "a quant block needs integer operands"));
        }
        Operands::Float(a.to_f32_vec(), b.to_f32_vec())
    };
    match (operands, reg) {
        (Operands::Int(av, bv), Register::Int(acc)) => {
            let bias = match &bias {
                Some(Bias::Int(v)) => Some(v.as_slice()),
                _ => None,
            };
            let one = |bi: usize| {
                let s = &bv[b_off[bi]..b_off[bi] + k * n];
                let bm: std::borrow::Cow<[i32]> = if transpose_b {
                    super::gemm::transpose(s, n, k).into()
                } else {
                    s.into()
                };
                gemm_int(&av[a_off[bi]..a_off[bi] + m * k], &bm, bias, (m, n, k), acc)
            };
            let regs = if batch == 1 {
                one(0)
            } else {
                let mut all = Vec::with_capacity(batch * m * n);
                for bi in 0..batch {
                    all.extend(one(bi).to_i64());
                }
                IntRegs::I64(all)
            };
            let rq = requant(cx, n)?;
            finish_int(cx, regs, out_shape, &col_of, rq)
        }
        (ops, Register::Float(acc)) => {
            let (av, bv) = match ops {
                Operands::Float(x, y) => (x, y),
                Operands::Int(x, y) => (
                    x.iter().map(|&v| v as f32).collect(),
                    y.iter().map(|&v| v as f32).collect(),
                ),
            };
            let bias = match &bias {
                Some(Bias::Float(v)) => Some(v.as_slice()),
                _ => None,
            };
            let one = |bi: usize| -> FuncResult<Vec<f32>> {
                let s = &bv[b_off[bi]..b_off[bi] + k * n];
                let arows = &av[a_off[bi]..a_off[bi] + m * k];
                if let (Some(mx), Some(macc)) = (mx, mx_acc) {
                    // MX quantizes along k: B is needed as Bᵀ (n × k).
                    let bt: std::borrow::Cow<[f32]> = if transpose_b {
                        s.into()
                    } else {
                        super::gemm::transpose(s, k, n).into()
                    };
                    return gemm_mx(cx, mx, arows, &bt, bias, (m, n, k), macc);
                }
                let bm: std::borrow::Cow<[f32]> = if transpose_b {
                    b_mat(&bv, b_off[bi]).into()
                } else {
                    s.into()
                };
                Ok(gemm_float(arows, &bm, bias, (m, n, k), &acc))
            };
            let regs = if batch == 1 {
                one(0)?
            } else {
                let mut all = Vec::with_capacity(batch * m * n);
                for bi in 0..batch {
                    all.extend(one(bi)?);
                }
                all
            };
            finish_float(cx, regs, out_shape)
        }
        (Operands::Float(..), Register::Int(_)) => Err(cx.err(
            "precision",
            "float operands cannot accumulate in an integer register",
        )),
    }
}

/// conv2d (NCHW, weights `[OC, C/groups, kh, kw]`): per image and group, an im2col
/// GEMM with k ordered (c, kh, kw) and zeros at padded positions (after zero-point
/// subtraction), optional bias per output channel.
pub(crate) fn conv2d(cx: &Ctx, ops: GemmOperands) -> FuncResult<Value> {
    let OpAttrs::Conv2d(ca) = &cx.op.attrs else {
        return Err(cx.err("", "internal: conv2d without conv attributes"));
    };
    let GemmOperands { x, w: wv, bias } = ops;
    let (x, wv) = prepare(cx, x, wv)?;
    let (nb, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
    let out_shape = cx.out_shape();
    let (oc, ho, wo) = (out_shape[1], out_shape[2], out_shape[3]);
    let g = ca.groups as usize;
    let (cg, ocg) = (c / g, oc / g);
    let (kh, kw) = (ca.kernel[0] as usize, ca.kernel[1] as usize);
    let (sh, sw) = (ca.stride[0] as usize, ca.stride[1] as usize);
    let (dh, dw) = (ca.dilation[0] as usize, ca.dilation[1] as usize);
    let (pt, pl) = (ca.padding[0] as usize, ca.padding[1] as usize);
    let k = cg * kh * kw;
    let p = ho * wo;
    let mx = mx_formats(cx)?;
    let int = mx.is_none() && is_int(&x) && is_int(&wv);
    let (reg, mx_acc) = register_and_mx(cx, mx.is_some(), int, k)?;
    let bias = bias_values(cx, bias, matches!(reg, Register::Int(_)), oc)?;
    let geo = (kh, kw, sh, sw, dh, dw, pt, pl);
    let groups = ConvGroups {
        images: nb,
        groups: g,
        input: (c, h, w),
        output: (oc, ho, wo),
        geo,
    };
    let col_of = |i: usize| (i / p) % oc;
    // B of group gi: W rows [gi*ocg, (gi+1)*ocg) as a k × ocg matrix.
    match reg {
        Register::Int(acc) => {
            let (azp, bzp) = if int {
                operand_zero_points(cx, oc)?
            } else {
                return Err(cx.err(
                    "precision",
                    "float operands cannot accumulate in an integer register",
                ));
            };
            let xs = sub_zero_point(x.i32s().unwrap_or(&[]), &[azp], 1);
            let ws = sub_zero_point(wv.i32s().unwrap_or(&[]), &bzp, k);
            let ib = match &bias {
                Some(Bias::Int(v)) => Some(v.as_slice()),
                _ => None,
            };
            let regs = groups.run(&xs, |gi, col| {
                let bmat = super::gemm::transpose(&ws[gi * ocg * k..(gi + 1) * ocg * k], ocg, k);
                let gb = ib.map(|v| &v[gi * ocg..(gi + 1) * ocg]);
                Ok(gemm_int(col, &bmat, gb, (p, ocg, k), acc).to_i64())
            })?;
            let rq = requant(cx, oc)?;
            finish_int(cx, IntRegs::I64(regs), out_shape, &col_of, rq)
        }
        Register::Float(acc) => {
            if cx.spec.quant.is_some() {
                return Err(cx.err("quant", "a quant block needs integer operands"));
            }
            let xs = x.to_f32_vec();
            let ws = wv.to_f32_vec();
            let fb = match &bias {
                Some(Bias::Float(v)) => Some(v.as_slice()),
                _ => None,
            };
            let regs = groups.run(&xs, |gi, col| {
                let wg = &ws[gi * ocg * k..(gi + 1) * ocg * k];
                let gb = fb.map(|v| &v[gi * ocg..(gi + 1) * ocg]);
                Ok(if let (Some(mx), Some(macc)) = (mx, mx_acc) {
                    // The weights of a group are already Bᵀ (ocg × k).
                    gemm_mx(cx, mx, col, wg, gb, (p, ocg, k), macc)?
                } else {
                    let bmat = super::gemm::transpose(wg, ocg, k);
                    gemm_float(col, &bmat, gb, (p, ocg, k), &acc)
                })
            })?;
            finish_float(cx, regs, out_shape)
        }
    }
}

/// A convolution window: kernel (kh, kw), stride (sh, sw), dilation (dh, dw) and the
/// top/left padding (pt, pl).
type Geometry = (usize, usize, usize, usize, usize, usize, usize, usize);

/// A grouped convolution as GEMMs: one per image and group, on the im2col matrix of the
/// group's input channels.
struct ConvGroups {
    images: usize,
    groups: usize,
    /// Input channels, height, width.
    input: (usize, usize, usize),
    /// Output channels, height, width.
    output: (usize, usize, usize),
    geo: Geometry,
}

impl ConvGroups {
    /// Runs `gemm(group, im2col)` (a `pixels × group output channels` result) for every
    /// image and group of input `xs` and gathers the results as NCHW registers.
    fn run<T, R>(
        &self,
        xs: &[T],
        mut gemm: impl FnMut(usize, &[T]) -> FuncResult<Vec<R>>,
    ) -> FuncResult<Vec<R>>
    where
        T: Copy + Default + Send + Sync,
        R: Copy + Default,
    {
        let ((c, h, w), (oc, ho, wo)) = (self.input, self.output);
        let (cg, ocg, image, p) = (c / self.groups, oc / self.groups, c * h * w, ho * wo);
        let mut regs = vec![R::default(); self.images * oc * p];
        for ni in 0..self.images {
            for gi in 0..self.groups {
                let src = &xs[ni * image..(ni + 1) * image];
                let col = im2col(src, (gi * cg, cg, h, w), self.geo, (ho, wo));
                let cm = gemm(gi, &col)?;
                scatter(&mut regs, &cm, ni, gi * ocg, ocg, oc, p);
            }
        }
        Ok(regs)
    }
}

/// im2col of one image and group: rows = output pixels, columns = (c, kh, kw).
fn im2col<T: Copy + Default + Send + Sync>(
    src: &[T],
    (c0, cg, h, w): (usize, usize, usize, usize),
    (kh, kw, sh, sw, dh, dw, pt, pl): Geometry,
    (ho, wo): (usize, usize),
) -> Vec<T> {
    let k = cg * kh * kw;
    let mut col = vec![T::default(); ho * wo * k];
    for oy in 0..ho {
        for ox in 0..wo {
            let row = &mut col[(oy * wo + ox) * k..(oy * wo + ox + 1) * k];
            let mut idx = 0;
            for ci in 0..cg {
                let plane = &src[(c0 + ci) * h * w..(c0 + ci + 1) * h * w];
                for ky in 0..kh {
                    let iy = (oy * sh + ky * dh) as isize - pt as isize;
                    for kx in 0..kw {
                        let ix = (ox * sw + kx * dw) as isize - pl as isize;
                        if iy >= 0 && (iy as usize) < h && ix >= 0 && (ix as usize) < w {
                            row[idx] = plane[iy as usize * w + ix as usize];
                        }
                        idx += 1;
                    }
                }
            }
        }
    }
    col
}

/// `v[i] - zp[(i / run) % zp.len()]`: one zero point per run of `run` consecutive
/// values, cycling through `zp`.
fn sub_zero_point<'v>(v: &'v [i32], zp: &[i32], run: usize) -> Cow<'v, [i32]> {
    if zp.iter().all(|&z| z == 0) {
        return Cow::Borrowed(v);
    }
    if zp.len() == 1 {
        let z = zp[0];
        return Cow::Owned(v.iter().map(|&x| x.wrapping_sub(z)).collect());
    }
    let run = run.max(1);
    let mut out = Vec::with_capacity(v.len());
    for (r, c) in v.chunks(run).enumerate() {
        let z = zp[r % zp.len()];
        out.extend(c.iter().map(|&x| x.wrapping_sub(z)));
    }
    Cow::Owned(out)
}

/// Writes a `p × ocg` GEMM result into NCHW output channels `[c0, c0 + ocg)` of image `ni`.
fn scatter<T: Copy>(
    out: &mut [T],
    cm: &[T],
    ni: usize,
    c0: usize,
    ocg: usize,
    oc: usize,
    p: usize,
) {
    for pix in 0..p {
        for j in 0..ocg {
            out[(ni * oc + c0 + j) * p + pix] = cm[pix * ocg + j];
        }
    }
}
