//! Typing rules of the matrix products: MatMul, MatMulInteger, QLinearMatMul, Gemm and
//! com.microsoft QGemm.

use super::broadcast::{broadcast_shapes, broadcasts_to};
use super::ctx::NodeCtx;
use super::quant::{check_quant_params, integer_operands, quantized_operands};
use super::TensorInfo;
use crate::import::onnx::error::OnnxError;
use crate::tensor::DType;

/// The output shape of a NumPy `matmul` of shapes `a` and `b` (1-D operands are
/// promoted and the added dimension removed; batch dimensions broadcast).
pub fn matmul_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>, String> {
    if a.is_empty() || b.is_empty() {
        return Err("MatMul operands must have rank >= 1".into());
    }
    let a2: Vec<usize> = if a.len() == 1 {
        vec![1, a[0]]
    } else {
        a.to_vec()
    };
    let b2: Vec<usize> = if b.len() == 1 {
        vec![b[0], 1]
    } else {
        b.to_vec()
    };
    let (m, k) = (a2[a2.len() - 2], a2[a2.len() - 1]);
    let (k2, n) = (b2[b2.len() - 2], b2[b2.len() - 1]);
    if k != k2 {
        return Err(format!(
            "inner dimensions differ: A {a:?} has K = {k}, B {b:?} has K = {k2}"
        ));
    }
    let mut out = broadcast_shapes(&[&a2[..a2.len() - 2], &b2[..b2.len() - 2]])
        .map_err(|e| format!("batch dimensions: {e}"))?;
    if a.len() > 1 {
        out.push(m);
    }
    if b.len() > 1 {
        out.push(n);
    }
    Ok(out)
}

/// MatMul: same-typed operands, NumPy shape rules.
pub fn matmul(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let a = cx.input(0, "A")?;
    let b = cx.input(1, "B")?;
    cx.same_dtype((a, "A"), (b, "B"))?;
    let shape = matmul_shape(&a.shape, &b.shape).map_err(|e| cx.err(e))?;
    Ok(TensorInfo::new(a.dtype, shape))
}

/// MatMulInteger: 8-bit operands (zero points of the same types), int32 output.
pub fn matmul_integer(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let [a, b] = integer_operands(cx, ["A", "B"], ["a", "b"])?;
    let shape = matmul_shape(&a.shape, &b.shape).map_err(|e| cx.err(e))?;
    Ok(TensorInfo::new(DType::I32, shape))
}

/// QLinearMatMul (a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp): the type of
/// `y_zero_point`.
pub fn qlinear_matmul(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let [a, b] = quantized_operands(cx, ["a", "b"], [0, 3])?;
    check_quant_params(cx, a, 1, 2, "a")?;
    check_quant_params(cx, b, 4, 5, "b")?;
    let y_zp = cx.opt_input(7, "y_zero_point")?;
    cx.input(6, "y_scale")?;
    let shape = matmul_shape(&a.shape, &b.shape).map_err(|e| cx.err(e))?;
    Ok(TensorInfo::new(y_zp.map_or(DType::U8, |z| z.dtype), shape))
}

/// `(M, K)` of Gemm's A and `(K, N)` of its B after `transA`/`transB`, and the output
/// `[M, N]`; C (if given) must broadcast to it.
fn gemm_shape(
    cx: &NodeCtx,
    a: &TensorInfo,
    b: &TensorInfo,
    c: Option<&TensorInfo>,
) -> Result<Vec<usize>, OnnxError> {
    for (info, role) in [(a, "A"), (b, "B")] {
        if info.rank() != 2 {
            return Err(cx.err(format!("{role} must be 2-D, found shape {:?}", info.shape)));
        }
    }
    let trans_a = cx.node.attr_int("transA", 0)? != 0;
    let trans_b = cx.node.attr_int("transB", 0)? != 0;
    let (m, k) = if trans_a {
        (a.shape[1], a.shape[0])
    } else {
        (a.shape[0], a.shape[1])
    };
    let (k2, n) = if trans_b {
        (b.shape[1], b.shape[0])
    } else {
        (b.shape[0], b.shape[1])
    };
    if k != k2 {
        return Err(cx.err(format!(
            "inner dimensions differ: A {:?} (transA={}) has K = {k}, B {:?} (transB={}) has K = {k2}",
            a.shape, trans_a as u8, b.shape, trans_b as u8
        )));
    }
    let out = vec![m, n];
    if let Some(c) = c {
        if !broadcasts_to(&c.shape, &out) {
            return Err(cx.err(format!(
                "C of shape {:?} does not broadcast to the output shape {out:?}",
                c.shape
            )));
        }
    }
    Ok(out)
}

/// Gemm: A's type, `[M, N]`.
pub fn gemm(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let a = cx.input(0, "A")?;
    let b = cx.input(1, "B")?;
    let c = cx.opt_input(2, "C")?;
    cx.same_dtype((a, "A"), (b, "B"))?;
    if let Some(c) = c {
        cx.same_dtype((a, "A"), (c, "C"))?;
    }
    let shape = gemm_shape(cx, a, b, c)?;
    Ok(TensorInfo::new(a.dtype, shape))
}

/// com.microsoft QGemm (A, a_scale, a_zp, B, b_scale, b_zp, C?, y_scale?, y_zp?):
/// float32 without `y_scale`, else the type of `y_zero_point` (uint8 if omitted).
pub fn qgemm(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let [a, b] = quantized_operands(cx, ["A", "B"], [0, 3])?;
    check_quant_params(cx, a, 1, 2, "a")?;
    let c = cx.opt_input(6, "C")?;
    if let Some(c) = c {
        cx.expect_dtype(c, 6, "C", &[DType::I32])?;
    }
    let shape = gemm_shape(cx, a, b, c)?;
    let dtype = match (
        cx.opt_input(7, "y_scale")?,
        cx.opt_input(8, "y_zero_point")?,
    ) {
        (None, _) => DType::F32,
        (Some(_), Some(zp)) => zp.dtype,
        (Some(_), None) => DType::U8,
    };
    Ok(TensorInfo::new(dtype, shape))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_matmul_shapes() {
        assert_eq!(matmul_shape(&[4, 16], &[16, 8]).unwrap(), vec![4, 8]);
        assert_eq!(matmul_shape(&[2, 3, 24], &[24, 6]).unwrap(), vec![2, 3, 6]);
        assert_eq!(
            matmul_shape(&[5, 1, 2, 3], &[4, 3, 7]).unwrap(),
            vec![5, 4, 2, 7]
        );
        assert_eq!(matmul_shape(&[3], &[3, 4]).unwrap(), vec![4]);
        assert_eq!(matmul_shape(&[2, 3], &[3]).unwrap(), vec![2]);
        assert_eq!(matmul_shape(&[3], &[3]).unwrap(), Vec::<usize>::new());
        assert!(matmul_shape(&[2, 3], &[4, 5]).is_err());
        assert!(matmul_shape(&[2, 2, 3], &[3, 3, 5]).is_err());
        assert!(matmul_shape(&[], &[3]).is_err());
    }
}
