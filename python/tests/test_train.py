"""`accelsim train --functional` under the fp32 policy against an independent float64 numpy
implementation of one SGD step (softmax cross-entropy, momentum 0.9 from zero state, so the
first step is w -= lr * grad): a 3-layer MLP, a small CNN (padded conv, strided conv,
global average pool, fully connected), a CNN through max and average pooling, and a
self-attention block (activation x activation matmuls, softmax, layernorm with trainable
scale and bias). Every updated weight within 1e-5 relative.

Under fp8_hybrid, every GEMM operand of the MLP's first step (`--record-operands`) is checked
bit for bit against an independent numpy re-derivation of the step: float64 tensors, the
policy's per-tensor power-of-two scale (docs/training.md: 2^floor(log2(max_finite / amax))),
E4M3 / E5M2 casts by `ml_dtypes`, and each GEMM accumulated as the policy documents (fp32,
one fused multiply-add chain in index order — emulated exactly: the fp8 products and the
sum are exact in float64, so one rounding to float32 per step equals the FMA).

Runs under pytest (fixtures `cli`, from conftest.py) or as a script:
`python python/tests/test_train.py [path/to/accelsim]`.
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

LR = 0.01  # policies/fp32.json

MLP = {
    "name": "mlp3",
    "inputs": [{"name": "x", "shape": [8, 12], "format": "fp32"}],
    "ops": [
        {"name": "fc1", "op": "matmul", "inputs": ["x"], "output": "h1", "out_features": 16},
        {"name": "r1", "op": "relu", "inputs": ["h1"], "output": "a1"},
        {"name": "fc2", "op": "matmul", "inputs": ["a1"], "output": "h2", "out_features": 16},
        {"name": "r2", "op": "relu", "inputs": ["h2"], "output": "a2"},
        {"name": "fc3", "op": "matmul", "inputs": ["a2"], "output": "y", "out_features": 5},
    ],
}

CNN = {
    "name": "cnn",
    "inputs": [{"name": "x", "shape": [2, 3, 6, 6], "format": "fp32"}],
    "ops": [
        {"name": "c1", "op": "conv2d", "inputs": ["x"], "output": "h1", "out_channels": 4,
         "kernel": [3, 3], "padding": [1, 1]},
        {"name": "r1", "op": "relu", "inputs": ["h1"], "output": "a1"},
        {"name": "c2", "op": "conv2d", "inputs": ["a1"], "output": "h2", "out_channels": 6,
         "kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]},
        {"name": "r2", "op": "relu", "inputs": ["h2"], "output": "a2"},
        {"name": "gap", "op": "global_avgpool", "inputs": ["a2"], "output": "p"},
        {"name": "flat", "op": "flatten", "inputs": ["p"], "output": "f", "axis": 1},
        {"name": "fc", "op": "matmul", "inputs": ["f"], "output": "y", "out_features": 5},
    ],
}


# Pooling: max pooling (2x2, stride 2) after the first conv, average pooling (3x3, stride 1,
# padding 1, padding not counted) after the second.
POOL_CNN = {
    "name": "pool_cnn",
    "inputs": [{"name": "x", "shape": [2, 3, 8, 8], "format": "fp32"}],
    "ops": [
        {"name": "c1", "op": "conv2d", "inputs": ["x"], "output": "h1", "out_channels": 4,
         "kernel": [3, 3], "padding": [1, 1]},
        {"name": "r1", "op": "relu", "inputs": ["h1"], "output": "a1"},
        {"name": "mp", "op": "maxpool", "inputs": ["a1"], "output": "m1", "kernel": [2, 2],
         "stride": [2, 2]},
        {"name": "c2", "op": "conv2d", "inputs": ["m1"], "output": "h2", "out_channels": 6,
         "kernel": [3, 3], "padding": [1, 1]},
        {"name": "r2", "op": "relu", "inputs": ["h2"], "output": "a2"},
        {"name": "ap", "op": "avgpool", "inputs": ["a2"], "output": "p2", "kernel": [3, 3],
         "stride": [1, 1], "padding": [1, 1]},
        {"name": "gap", "op": "global_avgpool", "inputs": ["p2"], "output": "p"},
        {"name": "flat", "op": "flatten", "inputs": ["p"], "output": "f", "axis": 1},
        {"name": "fc", "op": "matmul", "inputs": ["f"], "output": "y", "out_features": 5},
    ],
}
POOL_CNN_WEIGHTS = {"c1.weight": (4, 3, 3, 3), "c2.weight": (6, 4, 3, 3), "fc.weight": (6, 5)}

# A single-head self-attention block: Q/K/V projections, scores Q·Kᵀ (activation ×
# activation, transpose_b), softmax, P·V (activation × activation), residual, layernorm
# with trainable scale and bias, then a classifier.
ATTN = {
    "name": "attn",
    "inputs": [{"name": "x", "shape": [2, 4, 8], "format": "fp32"}],
    "weights": [{"name": "ln.scale", "shape": [8], "format": "fp32"},
                {"name": "ln.bias", "shape": [8], "format": "fp32"}],
    "ops": [
        {"name": "q", "op": "matmul", "inputs": ["x"], "output": "qo", "out_features": 8},
        {"name": "k", "op": "matmul", "inputs": ["x"], "output": "ko", "out_features": 8},
        {"name": "v", "op": "matmul", "inputs": ["x"], "output": "vo", "out_features": 8},
        {"name": "scores", "op": "matmul", "inputs": ["qo", "ko"], "output": "s",
         "transpose_b": True},
        {"name": "sm", "op": "softmax", "inputs": ["s"], "output": "pr", "axis": -1},
        {"name": "ctx", "op": "matmul", "inputs": ["pr", "vo"], "output": "o"},
        {"name": "res", "op": "add", "inputs": ["o", "x"], "output": "r"},
        {"name": "ln", "op": "layernorm", "inputs": ["r", "ln.scale", "ln.bias"],
         "output": "n", "axis": -1},
        {"name": "flat", "op": "flatten", "inputs": ["n"], "output": "f", "axis": 1},
        {"name": "fc", "op": "matmul", "inputs": ["f"], "output": "y", "out_features": 5},
    ],
}
ATTN_WEIGHTS = {"q.weight": (8, 8), "k.weight": (8, 8), "v.weight": (8, 8),
                "ln.scale": (8,), "ln.bias": (8,), "fc.weight": (32, 5)}


def conv_fwd(x, w, s, p):
    n, c, h, wd = x.shape
    co, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    ho, wo = (h + 2 * p - kh) // s + 1, (wd + 2 * p - kw) // s + 1
    y = np.zeros((n, co, ho, wo))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + s * ho:s, j:j + s * wo:s]
            y += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    return y


def conv_bwd(x, w, dy, s, p):
    n, c, h, wd = x.shape
    co, _, kh, kw = w.shape
    ho, wo = dy.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + s * ho:s, j:j + s * wo:s]
            dw[:, :, i, j] = np.einsum("nohw,nchw->oc", dy, patch)
            dxp[:, :, i:i + s * ho:s, j:j + s * wo:s] += np.einsum("nohw,oc->nchw", dy, w[:, :, i, j])
    return dxp[:, :, p:p + h, p:p + wd], dw


def softmax_xent_grad(y, t):
    e = np.exp(y - y.max(axis=1, keepdims=True))
    prob = e / e.sum(axis=1, keepdims=True)
    return (prob - t) / y.shape[0]


def mlp_step(x, t, w):
    h1 = x @ w["fc1.weight"]; a1 = np.maximum(h1, 0)
    h2 = a1 @ w["fc2.weight"]; a2 = np.maximum(h2, 0)
    y = a2 @ w["fc3.weight"]
    dy = softmax_xent_grad(y, t)
    g = {"fc3.weight": a2.T @ dy}
    da2 = dy @ w["fc3.weight"].T; dh2 = da2 * (h2 > 0)
    g["fc2.weight"] = a1.T @ dh2
    da1 = dh2 @ w["fc2.weight"].T; dh1 = da1 * (h1 > 0)
    g["fc1.weight"] = x.T @ dh1
    return g


def cnn_step(x, t, w):
    h1 = conv_fwd(x, w["c1.weight"], 1, 1); a1 = np.maximum(h1, 0)
    h2 = conv_fwd(a1, w["c2.weight"], 2, 1); a2 = np.maximum(h2, 0)
    f = a2.mean(axis=(2, 3))
    y = f @ w["fc.weight"]
    dy = softmax_xent_grad(y, t)
    g = {"fc.weight": f.T @ dy}
    df = dy @ w["fc.weight"].T
    da2 = np.broadcast_to(df[:, :, None, None] / (a2.shape[2] * a2.shape[3]), a2.shape)
    dh2 = da2 * (h2 > 0)
    da1, g["c2.weight"] = conv_bwd(a1, w["c2.weight"], dh2, 2, 1)
    dh1 = da1 * (h1 > 0)
    _, g["c1.weight"] = conv_bwd(x, w["c1.weight"], dh1, 1, 1)
    return g


def maxpool2_fwd(x):
    """2x2 / stride 2 max pooling, and the flat window index (row-major, first of ties)
    of each maximum."""
    n, c, h, w = x.shape
    win = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
    return win.max(axis=-1), win.argmax(axis=-1)


def maxpool2_bwd(arg, dy, shape):
    n, c, h, w = shape
    dwin = np.zeros((n, c, h // 2, w // 2, 4))
    np.put_along_axis(dwin, arg[..., None], dy[..., None], axis=-1)
    return dwin.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(shape)


def avgpool3_fwd(x):
    """3x3 / stride 1 / padding 1 average pooling over in-bounds positions."""
    ones = np.ones((1, 1) + x.shape[2:])
    count = sum(np.pad(ones, ((0, 0), (0, 0), (1, 1), (1, 1)))[:, :, i:i + x.shape[2], j:j + x.shape[3]]
                for i in range(3) for j in range(3))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    s = sum(xp[:, :, i:i + x.shape[2], j:j + x.shape[3]] for i in range(3) for j in range(3))
    return s / count, count


def avgpool3_bwd(dy, count):
    g = np.pad(dy / count, ((0, 0), (0, 0), (1, 1), (1, 1)))
    h, w = dy.shape[2:]
    # Input (y, x) receives from every output window containing it: outputs y-1..y+1.
    return sum(g[:, :, i:i + h, j:j + w] for i in range(3) for j in range(3))


def pool_cnn_step(x, t, w):
    h1 = conv_fwd(x, w["c1.weight"], 1, 1); a1 = np.maximum(h1, 0)
    m1, arg = maxpool2_fwd(a1)
    h2 = conv_fwd(m1, w["c2.weight"], 1, 1); a2 = np.maximum(h2, 0)
    p2, count = avgpool3_fwd(a2)
    f = p2.mean(axis=(2, 3))
    y = f @ w["fc.weight"]
    dy = softmax_xent_grad(y, t)
    g = {"fc.weight": f.T @ dy}
    df = dy @ w["fc.weight"].T
    dp2 = np.broadcast_to(df[:, :, None, None] / (p2.shape[2] * p2.shape[3]), p2.shape)
    dh2 = avgpool3_bwd(dp2, count) * (h2 > 0)
    dm1, g["c2.weight"] = conv_bwd(m1, w["c2.weight"], dh2, 1, 1)
    dh1 = maxpool2_bwd(arg, dm1, a1.shape) * (h1 > 0)
    _, g["c1.weight"] = conv_bwd(x, w["c1.weight"], dh1, 1, 1)
    return g


def softmax_last(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def attn_step(x, t, w):
    q, k, v = (x @ w[n + ".weight"] for n in "qkv")
    p = softmax_last(q @ k.transpose(0, 2, 1))
    r = p @ v + x
    mu = r.mean(axis=-1, keepdims=True)
    inv = 1.0 / np.sqrt(((r - mu) ** 2).mean(axis=-1, keepdims=True) + 1e-5)
    xh = (r - mu) * inv
    f = (xh * w["ln.scale"] + w["ln.bias"]).reshape(x.shape[0], -1)
    y = f @ w["fc.weight"]
    dy = softmax_xent_grad(y, t)
    g = {"fc.weight": f.T @ dy}
    dn = (dy @ w["fc.weight"].T).reshape(r.shape)
    g["ln.scale"] = (dn * xh).sum(axis=(0, 1))
    g["ln.bias"] = dn.sum(axis=(0, 1))
    dxh = dn * w["ln.scale"]
    do = (dxh - dxh.mean(axis=-1, keepdims=True) - xh * (dxh * xh).mean(axis=-1, keepdims=True)) * inv
    dp = do @ v.transpose(0, 2, 1)
    dv = p.transpose(0, 2, 1) @ do
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
    dq, dk = ds @ k, ds.transpose(0, 2, 1) @ q
    x2 = x.reshape(-1, x.shape[-1])
    for n, d in (("q", dq), ("k", dk), ("v", dv)):
        g[n + ".weight"] = x2.T @ d.reshape(-1, d.shape[-1])
    return g


def weight_shapes(spec):
    shapes, c = {}, spec["inputs"][0]["shape"]
    k = c[-1]
    for op in spec["ops"]:
        if op["op"] == "matmul":
            shapes[op["name"] + ".weight"] = (k, op["out_features"]); k = op["out_features"]
        elif op["op"] == "conv2d":
            cin = c[1]
            shapes[op["name"] + ".weight"] = (op["out_channels"], cin, 3, 3)
            c = [c[0], op["out_channels"]]
            k = op["out_channels"]
    return shapes


def init_weight(rng, name, s):
    if name.endswith(".scale"):
        return (1 + 0.2 * rng.uniform(-1, 1, s)).astype(np.float32)
    if name.endswith(".bias"):
        return (0.2 * rng.uniform(-1, 1, s)).astype(np.float32)
    return (rng.uniform(-1, 1, s) / np.sqrt(np.prod(s[1:]) if len(s) == 4 else s[0])).astype(np.float32)


def check_one_step(cli, spec, step_fn, shapes=None):
    rng = np.random.default_rng(5)
    with tempfile.TemporaryDirectory() as d:
        d = pathlib.Path(d)
        (d / "w.json").write_text(json.dumps(spec))
        x = rng.uniform(-1, 1, spec["inputs"][0]["shape"]).astype(np.float32)
        w = {n: init_weight(rng, n, s) for n, s in (shapes or weight_shapes(spec)).items()}
        rows = x.shape[0]
        t = np.eye(5, dtype=np.float32)[rng.integers(0, 5, rows)]
        arch = str(pathlib.Path(__file__).resolve().parents[2] / "arch_configs" / "h100_sxm.json")
        args = [cli, "train", arch, str(d / "w.json"), "--policy", "fp32", "--functional",
                "--steps", "1", "--outputs", str(d / "out")]
        for name, v in list(w.items()) + [("x", x), ("loss.target", t)]:
            np.save(d / f"{name}.npy", v)
            args += ["--input", f"{name}={d / (name + '.npy')}"]
        r = subprocess.run(args, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        grads = step_fn(x.astype(np.float64), t.astype(np.float64), {k: v.astype(np.float64) for k, v in w.items()})
        for name, g in grads.items():
            ref = w[name].astype(np.float64) - LR * g
            got = np.load(d / "out" / f"{name}.npy").astype(np.float64)
            assert got.shape == ref.shape, name
            rel = np.abs(got - ref).max() / np.abs(ref).max()
            assert rel < 1e-5, f"{name}: relative error {rel}"
            # The update itself (w_new - w_old), not only the weight: to 1e-4 of its size, plus
            # the one rounding of the new fp32 master weight (half an ulp of each weight; it
            # dominates where the update is tiny against the weight, as after two poolings).
            du = np.abs((got - w[name]) - (ref - w[name]))
            allowed = 1e-4 * np.abs(ref - w[name]).max() + 0.5 * np.spacing(np.abs(ref).astype(np.float32))
            assert (du <= allowed).all(), f"{name}: update error {(du / allowed).max()} of the allowance"
        lines = (d / "out" / "loss.jsonl").read_text().splitlines()
        assert [json.loads(l)["step"] for l in lines] == [1]


def fp8_cast(x, dtype):
    """The policy's per-tensor scaled cast: (codes as uint8, scale), RNE via ml_dtypes."""
    import ml_dtypes

    amax = np.abs(x).max()
    maxf = float(ml_dtypes.finfo(dtype).max)
    s = 1.0 if amax == 0 else float(np.exp2(np.floor(np.log2(maxf / amax))))
    codes = (np.asarray(x, np.float64) * s).astype(dtype)
    return codes.view(np.uint8), s


def fp8_value(x, dtype):
    """The dequantized value accelsim carries: code / scale."""
    codes, s = fp8_cast(x, dtype)
    return codes.view(dtype).astype(np.float64) / s


def fma_f32_gemm(a, b):
    """A[m,k] @ B[k,n], each output one float32 FMA chain over k in index order. The
    operands are fp8 values (<= 4 significant bits), so a*b + s is exact in float64 and
    one rounding to float32 equals the fused multiply-add."""
    s = np.zeros((a.shape[0], b.shape[1]), np.float32)
    for p in range(a.shape[1]):
        s = (np.outer(a[:, p], b[p, :]) + s.astype(np.float64)).astype(np.float32)
    return s.astype(np.float64)


def fp8_hybrid_reference(x, t, w):
    """The first step's GEMM operands of the MLP under policies/fp8_hybrid.json (E4M3
    activations and weights, E5M2 errors), keyed like `--record-operands`."""
    import ml_dtypes

    e4, e5 = ml_dtypes.float8_e4m3fn, ml_dtypes.float8_e5m2
    act, err = (lambda v: fp8_value(v, e4)), (lambda v: fp8_value(v, e5))
    wq = {k: fp8_value(v, e4) for k, v in w.items()}
    ops = {}
    a = act(x)
    h = {}
    for i in (1, 2, 3):
        ops[f"fc{i}.fwd.a"], ops[f"fc{i}.fwd.b"] = a, wq[f"fc{i}.weight"]
        h[i] = act(fma_f32_gemm(a, wq[f"fc{i}.weight"]))
        if i < 3:
            h[(i, "in")] = a
            a = act(np.maximum(h[i], 0))
    y = h[3]
    dy = err(softmax_xent_grad(y, t))
    ins = {3: a, 2: h[(2, "in")], 1: h[(1, "in")]}
    for i in (3, 2, 1):
        if i > 1:
            ops[f"fc{i}.bwd.a"], ops[f"fc{i}.bwd.b"] = dy, wq[f"fc{i}.weight"].T
        ops[f"fc{i}.grad.a"], ops[f"fc{i}.grad.b"] = ins[i].T, dy
        if i > 1:
            da = err(fma_f32_gemm(dy, wq[f"fc{i}.weight"].T))
            # ReLU backward: the error where the input is > 0, else (+)0 — np.where, not
            # da * mask, which would give -0 (code 0x80) for negative errors.
            dy = err(np.where(h[i - 1] > 0, da, 0.0))
    return ops


def check_fp8_hybrid_operands(cli):
    import ml_dtypes

    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as d:
        d = pathlib.Path(d)
        (d / "w.json").write_text(json.dumps(MLP))
        x = rng.uniform(-1, 1, MLP["inputs"][0]["shape"]).astype(np.float32)
        w = {n: (rng.uniform(-1, 1, s) / np.sqrt(s[0])).astype(np.float32)
             for n, s in weight_shapes(MLP).items()}
        t = np.eye(5, dtype=np.float32)[rng.integers(0, 5, x.shape[0])]
        arch = str(pathlib.Path(__file__).resolve().parents[2] / "arch_configs" / "h100_sxm.json")
        args = [cli, "train", arch, str(d / "w.json"), "--policy", "fp8_hybrid", "--functional",
                "--steps", "1", "--outputs", str(d / "out"), "--record-operands"]
        for name, v in list(w.items()) + [("x", x), ("loss.target", t)]:
            np.save(d / f"{name}.npy", v)
            args += ["--input", f"{name}={d / (name + '.npy')}"]
        r = subprocess.run(args, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        ref = fp8_hybrid_reference(x.astype(np.float64), t.astype(np.float64),
                                   {k: v.astype(np.float64) for k, v in w.items()})
        got_names = sorted(p.stem for p in (d / "out" / "operands").glob("*.npy"))
        assert got_names == sorted(ref), got_names
        for name, want in ref.items():
            got = np.load(d / "out" / "operands" / f"{name}.npy").astype(np.float64)
            assert got.shape == want.shape, name
            fmt = ml_dtypes.float8_e5m2 if (".bwd.a" in name or ".grad.b" in name) else ml_dtypes.float8_e4m3fn
            # Bit for bit: the recorded operand re-encodes exactly (it is an fp8 value at the
            # tensor's scale) and its codes and scale equal the reference's.
            gc, gs = fp8_cast(got, fmt)
            wc, ws = fp8_cast(want, fmt)
            assert np.array_equal(gc.view(fmt).astype(np.float64) / gs, got), f"{name}: not fp8 values"
            assert gs == ws, f"{name}: scale {gs} != {ws}"
            assert np.array_equal(gc, wc), f"{name}: {int((gc != wc).sum())} codes differ"
        return len(ref)


def test_fp8_hybrid_operands_are_the_e4m3_e5m2_casts_of_the_reference(cli):
    assert check_fp8_hybrid_operands(cli) == 16


def test_fp32_sgd_step_of_an_mlp_matches_numpy(cli):
    check_one_step(cli, MLP, mlp_step)


def test_fp32_sgd_step_of_a_cnn_matches_numpy(cli):
    check_one_step(cli, CNN, cnn_step)


def test_fp32_sgd_step_through_max_and_average_pooling_matches_numpy(cli):
    check_one_step(cli, POOL_CNN, pool_cnn_step, POOL_CNN_WEIGHTS)


def test_fp32_sgd_step_of_an_attention_block_matches_numpy(cli):
    # Activation x activation matmuls (with and without transpose_b), softmax, layernorm
    # with trainable scale and bias.
    check_one_step(cli, ATTN, attn_step, ATTN_WEIGHTS)


if __name__ == "__main__":
    root = pathlib.Path(__file__).resolve().parents[2]
    binary = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ACCELSIM_BIN", str(root / "target/release/accelsim"))
    check_one_step(binary, MLP, mlp_step)
    check_one_step(binary, CNN, cnn_step)
    check_one_step(binary, POOL_CNN, pool_cnn_step, POOL_CNN_WEIGHTS)
    check_one_step(binary, ATTN, attn_step, ATTN_WEIGHTS)
    check_fp8_hybrid_operands(binary)
    print("ok")
