#!/usr/bin/env python3
"""Generates the example workloads in workloads/ (ResNet-18/50, BERT-base encoder layer,
6-layer MLP, tiny CNN, 32-layer LLaMA-7B-like decoder prefill). Re-run after changing the
workload format:
    python3 scripts/gen_workloads.py
"""
import json, os

OUT = os.path.join(os.path.dirname(__file__), "..", "workloads")


class Net:
    def __init__(self, name, desc, prec):
        self.name, self.desc, self.prec = name, desc, prec
        self.inputs, self.ops = [], []
        self.n = 0

    def input(self, name, shape):
        self.inputs.append({"name": name, "shape": shape, "format": self.prec})
        return name

    def op(self, kind, inputs, name=None, **kw):
        self.n += 1
        name = name or f"{kind}{self.n}"
        d = {"name": name, "op": kind, "inputs": inputs, "output": name + ".out"}
        d.update({k: v for k, v in kw.items() if v is not None})
        self.ops.append(d)
        return d["output"]

    def conv(self, x, name, out_c, k, s=1, p=0, groups=None):
        return self.op("conv2d", [x], name, out_channels=out_c, kernel=[k, k], stride=[s, s],
                       padding=[p, p] if p else None, groups=groups, precision=self.prec)

    def save(self, fname):
        d = {"name": self.name, "description": self.desc, "inputs": self.inputs, "ops": self.ops}
        with open(os.path.join(OUT, fname), "w") as f:
            json.dump(d, f, indent=1)
            f.write("\n")


def resnet(depth):
    net = Net(f"resnet{depth}", f"ResNet-{depth} (torchvision layout), batch 1, 224x224, int8", "int8")
    x = net.input("image", [1, 3, 224, 224])
    x = net.conv(x, "conv1", 64, 7, 2, 3)
    x = net.op("relu", [x], "conv1_relu")
    x = net.op("maxpool", [x], "maxpool", kernel=[3, 3], stride=[2, 2], padding=[1, 1])
    blocks = {18: [2, 2, 2, 2], 50: [3, 4, 6, 3]}[depth]
    c_in = 64
    for stage, nb in enumerate(blocks):
        width = 64 * 2 ** stage
        for b in range(nb):
            s = 2 if (b == 0 and stage > 0) else 1
            pre = f"layer{stage+1}.{b}"
            if depth == 18:
                out_c = width
                y = net.conv(x, f"{pre}.conv1", width, 3, s, 1)
                y = net.op("relu", [y], f"{pre}.relu1")
                y = net.conv(y, f"{pre}.conv2", width, 3, 1, 1)
            else:
                out_c = width * 4
                y = net.conv(x, f"{pre}.conv1", width, 1)
                y = net.op("relu", [y], f"{pre}.relu1")
                y = net.conv(y, f"{pre}.conv2", width, 3, s, 1)
                y = net.op("relu", [y], f"{pre}.relu2")
                y = net.conv(y, f"{pre}.conv3", out_c, 1)
            if s != 1 or c_in != out_c:
                x = net.conv(x, f"{pre}.downsample", out_c, 1, s)
            x = net.op("add", [y, x], f"{pre}.add")
            x = net.op("relu", [x], f"{pre}.relu_out")
            c_in = out_c
    x = net.op("global_avgpool", [x], "avgpool")
    x = net.op("flatten", [x], "flatten", axis=1)
    net.op("matmul", [x], "fc", out_features=1000, precision="int8")
    net.save(f"resnet{depth}.json")


def bert_layer(seq=128, hidden=768, heads=12, ffn=3072, prec="int8", name="bert_base_encoder",
               fname="bert_base_encoder.json", weight_sparsity=None, desc_extra=""):
    net = Net(name, f"One BERT-base encoder layer: seq {seq}, hidden {hidden}, {heads} heads, FFN {ffn}, {prec}{desc_extra}", prec)
    # Sparsity annotation of every weight (None: dense, no annotation).
    ws = {"weights": weight_sparsity} if weight_sparsity else None
    x = net.input("hidden_states", [seq, hidden])
    dh = hidden // heads
    q = net.op("matmul", [x], "attn.q", out_features=hidden, precision=prec, sparsity=ws)
    k = net.op("matmul", [x], "attn.k", out_features=hidden, precision=prec, sparsity=ws)
    v = net.op("matmul", [x], "attn.v", out_features=hidden, precision=prec, sparsity=ws)
    qh = net.op("transpose", [net.op("reshape", [q], "attn.q_split", shape=[seq, heads, dh])], "attn.q_heads", perm=[1, 0, 2])
    kh = net.op("transpose", [net.op("reshape", [k], "attn.k_split", shape=[seq, heads, dh])], "attn.k_heads_t", perm=[1, 2, 0])
    vh = net.op("transpose", [net.op("reshape", [v], "attn.v_split", shape=[seq, heads, dh])], "attn.v_heads", perm=[1, 0, 2])
    s = net.op("matmul", [qh, kh], "attn.scores", precision=prec)
    p = net.op("softmax", [s], "attn.softmax", axis=-1)
    c = net.op("matmul", [p, vh], "attn.context", precision=prec)
    c = net.op("reshape", [net.op("transpose", [c], "attn.merge_t", perm=[1, 0, 2])], "attn.merge", shape=[seq, hidden])
    o = net.op("matmul", [c], "attn.out", out_features=hidden, precision=prec, sparsity=ws)
    x1 = net.op("layernorm", [net.op("add", [o, x], "attn.residual")], "attn.layernorm", axis=-1)
    h = net.op("gelu", [net.op("matmul", [x1], "ffn.up", out_features=ffn, precision=prec, sparsity=ws)], "ffn.gelu")
    d = net.op("matmul", [h], "ffn.down", out_features=hidden, precision=prec, sparsity=ws)
    net.op("layernorm", [net.op("add", [d, x1], "ffn.residual")], "ffn.layernorm", axis=-1)
    net.save(fname)


def sparsity_study():
    """The sparsity study (docs/sparsity.md): one BERT-base encoder layer at {fp16, int8} x
    {dense, 2:4 weights}. The 2:4 files equal `accelsim prune <dense> --pattern 2:4`."""
    for prec in ["fp16", "int8"]:
        for tag, ws in [("dense", None), ("2x4", "2:4")]:
            bert_layer(prec=prec, name=f"bert_base_encoder_{prec}_{tag}",
                       fname=f"sparsity_study_{prec}_{tag}.json", weight_sparsity=ws,
                       desc_extra=", weights 2:4 structured sparse" if ws else ", dense weights")


def mlp6(prec="int8"):
    dims = [32768, 16384, 8192, 4096, 2048, 1024, 32768]
    net = Net("mlp6", "6-layer MLP 32768-16384-8192-4096-2048-1024-32768, batch 2048 (per-layer precision study)", prec)
    x = net.input("x", [2048, dims[0]])
    for i in range(6):
        x = net.op("matmul", [x], f"fc{i+1}", out_features=dims[i + 1], precision=prec)
        if i < 5:
            x = net.op("relu", [x], f"relu{i+1}")
    net.save("mlp6.json")


def tiny():
    net = Net("tiny_cnn", "A tiny CNN for tests: conv, depthwise conv, pool, residual add, FC", "int8")
    x = net.input("x", [1, 3, 16, 16])
    x = net.op("relu", [net.conv(x, "conv1", 8, 3, 1, 1)], "relu1")
    y = net.op("relu", [net.conv(x, "dw", 8, 3, 1, 1, groups=8)], "relu2")
    x = net.op("add", [x, y], "residual")
    x = net.op("maxpool", [x], "pool", kernel=[2, 2], stride=[2, 2])
    x = net.op("flatten", [x], "flatten", axis=1)
    net.op("matmul", [x], "fc", out_features=10, precision="int8")
    net.save("tiny_cnn.json")


def transformer_decoder(layers=32, seq=2048, hidden=4096, heads=32, ffn=11008):
    """LLaMA-7B-like decoder stack, prefill of `seq` tokens, batch 1. Linear layers and the
    attention matmuls are int8 (w8a8, int32 accumulation); attention scores come out in fp16
    for the softmax and are quantized back to int8 for the context matmul. RMSNorm is
    modelled as layernorm and SiLU as x * sigmoid(x); no causal mask, no LM head."""
    net = Net(f"transformer_decoder_{layers}l",
              f"LLaMA-7B-like decoder: {layers} layers, hidden {hidden}, {heads} heads, FFN {ffn} "
              f"(SiLU-gated), prefill {seq} tokens, batch 1; int8 GEMMs, fp16 softmax", "int8")
    x = net.input("tokens", [seq, hidden])
    dh = hidden // heads
    scores_prec = {"weights": "int8", "activations": "int8", "output": "fp16"}
    for i in range(layers):
        pre = f"l{i}"
        h = net.op("layernorm", [x], f"{pre}.attn_norm", axis=-1)
        q = net.op("matmul", [h], f"{pre}.attn.q", out_features=hidden, precision="int8")
        k = net.op("matmul", [h], f"{pre}.attn.k", out_features=hidden, precision="int8")
        v = net.op("matmul", [h], f"{pre}.attn.v", out_features=hidden, precision="int8")
        qh = net.op("transpose", [net.op("reshape", [q], f"{pre}.attn.q_split", shape=[seq, heads, dh])],
                    f"{pre}.attn.q_heads", perm=[1, 0, 2])
        kh = net.op("transpose", [net.op("reshape", [k], f"{pre}.attn.k_split", shape=[seq, heads, dh])],
                    f"{pre}.attn.k_heads_t", perm=[1, 2, 0])
        vh = net.op("transpose", [net.op("reshape", [v], f"{pre}.attn.v_split", shape=[seq, heads, dh])],
                    f"{pre}.attn.v_heads", perm=[1, 0, 2])
        s = net.op("matmul", [qh, kh], f"{pre}.attn.scores", precision=scores_prec)
        p = net.op("softmax", [s], f"{pre}.attn.softmax", axis=-1)
        p = net.op("quantize", [p], f"{pre}.attn.probs_q", precision={"output": "int8"})
        c = net.op("matmul", [p, vh], f"{pre}.attn.context", precision="int8")
        c = net.op("reshape", [net.op("transpose", [c], f"{pre}.attn.merge_t", perm=[1, 0, 2])],
                   f"{pre}.attn.merge", shape=[seq, hidden])
        o = net.op("matmul", [c], f"{pre}.attn.out", out_features=hidden, precision="int8")
        x = net.op("add", [o, x], f"{pre}.attn.residual")
        h = net.op("layernorm", [x], f"{pre}.ffn_norm", axis=-1)
        g = net.op("matmul", [h], f"{pre}.ffn.gate", out_features=ffn, precision="int8")
        u = net.op("matmul", [h], f"{pre}.ffn.up", out_features=ffn, precision="int8")
        g = net.op("mul", [g, net.op("sigmoid", [g], f"{pre}.ffn.gate_sigmoid")], f"{pre}.ffn.silu")
        m = net.op("mul", [g, u], f"{pre}.ffn.gated")
        d = net.op("matmul", [m], f"{pre}.ffn.down", out_features=hidden, precision="int8")
        x = net.op("add", [d, x], f"{pre}.ffn.residual")
    net.op("layernorm", [x], "final_norm", axis=-1)
    net.save(f"transformer_decoder_{layers}l.json")


if __name__ == "__main__":
    resnet(18)
    resnet(50)
    bert_layer()
    mlp6()
    tiny()
    transformer_decoder()
    sparsity_study()
