//! Shape inference of pooling ops.

use super::*;

/// 2-D max and average pooling over NCHW.
pub(super) fn pool(op: &OpSpec, path: &str, ins: &[&[u64]]) -> InputResult<Inferred> {
    expect_inputs(op, path, 1..=1)?;
    let x = ins[0];
    require_rank(path, x, 4, "NCHW")?;
    let kernel = op
        .kernel
        .ok_or_else(|| err(path, "kernel", "a pooling op needs \"kernel\": [kh, kw]"))?;
    let kernel = positive2(path, "kernel", Some(kernel), [1, 1])?;
    let stride = positive2(path, "stride", op.stride, kernel)?;
    let padding = padding4(path, &op.padding)?;
    let ceil_mode = op.ceil_mode.unwrap_or(false);
    let window = Window2d {
        kernel,
        stride,
        dilation: [1, 1],
        padding,
        ceil_mode,
    };
    let [ho, wo] = window.output(path, "kernel", [x[2], x[3]])?;
    Ok(plain(
        vec![x[0], x[1], ho, wo],
        OpAttrs::Pool(PoolAttrs {
            kernel,
            stride,
            padding,
            ceil_mode,
        }),
    ))
}

/// Global average pooling: N×C×1×…×1.
pub(super) fn global_avgpool(op: &OpSpec, path: &str, ins: &[&[u64]]) -> InputResult<Inferred> {
    expect_inputs(op, path, 1..=1)?;
    let x = ins[0];
    if x.len() < 3 {
        return Err(err(
            path,
            "inputs[0]",
            format!("expected an N×C×spatial input, got {x:?}"),
        ));
    }
    let mut out = x[..2].to_vec();
    out.extend(std::iter::repeat_n(1, x.len() - 2));
    Ok(plain(out, OpAttrs::None))
}
