#!/usr/bin/env python3
"""Co-design study, end to end: quantization-aware training (QAT) of a small MLP on
scikit-learn's bundled digits data set, for every per-layer precision mix of
{fp16, int8, int4}, paired with accelsim's latency and energy on two presets; Pareto
fronts, plots, and a check of accelsim's additive accuracy model against the mixes
trained for real.

    python examples/codesign/codesign.py [--out DIR] [--smoke]

- Data: sklearn.datasets.load_digits (1797 8x8 images, bundled, no download), pixels
  scaled to [0, 1], a stratified 70/30 train/test split (seed 0).
- Model: 64-128-64-10 MLP with ReLU, trained in numpy: an fp32 model first (SGD with
  momentum), then, per mix, QAT fine-tuning from it.
- Fake quantization through accelsim.cast (bit-exact formats): each layer quantizes its
  input activations and its weights to the layer's format -- fp16 as is; int8/int4
  symmetric, weights per output channel (scale = max|w| / qmax), activations per tensor
  with an EMA of the batch maximum (frozen at test time). Gradients use the
  straight-through estimator (zero outside the clipping range for activations).
- Cost: each mix as an accelsim workload (batch 64, each layer at its format) run on
  edge_npu_32x32 and a100_sxm (accelsim.run, the same report as `accelsim run --json`).
- Outputs in --out (default examples/codesign/out): mixes.csv (every mix: accuracy,
  latency, energy, BOPs), qat_accuracy.csv (the accuracy table in accelsim's QAT format),
  pareto_<preset>.csv, front.md, plots/*.png, and additive_model.csv (the additive
  model, fitted by an accelsim sweep from the baseline and one-layer rows, against every
  measured mix).

--smoke trains 3 mixes for 2 epochs (a seconds-long check that the pipeline runs; its
accuracies are not meaningful).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import pathlib
import sys
import time

import numpy as np

import accelsim

ROOT = pathlib.Path(__file__).resolve().parents[2]
FORMATS = ["fp16", "int8", "int4"]
LAYERS = ["fc1", "fc2", "fc3"]
SIZES = [64, 128, 64, 10]
PRESETS = {
    "edge_npu_32x32": ROOT / "arch_configs" / "edge_npu_32x32.json",
    "a100_sxm": ROOT / "arch_configs" / "a100_sxm.json",
}
BATCH = 64
QMAX = {"int8": 127.0, "int4": 7.0}


# ---------------------------------------------------------------- data and model


def load_data(seed: int = 0):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    return train_test_split(x, d.target, test_size=0.3, random_state=seed, stratify=d.target)


def init_params(seed: int):
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        w = (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(np.float32)
        params.append([w, np.zeros(n_out, np.float32)])
    return params


class Quantizer:
    """Fake quantization of one layer's inputs and weights to `fmt` via accelsim.cast."""

    def __init__(self, fmt: str | None):
        self.fmt = fmt
        self.act_max = None  # EMA of the input activations' max |x| (int formats)

    def weights(self, w):
        if self.fmt is None:
            return w
        if self.fmt == "fp16":
            return accelsim.cast(w, "fp16")
        scale = np.maximum(np.abs(w).max(axis=0, keepdims=True), 1e-8) / QMAX[self.fmt]
        return accelsim.cast(w / scale, self.fmt) * scale

    def acts(self, a, training: bool):
        """Returns (quantized a, STE mask)."""
        if self.fmt is None:
            return a, None
        if self.fmt == "fp16":
            return accelsim.cast(a, "fp16"), None
        amax = float(np.abs(a).max())
        if training:
            self.act_max = amax if self.act_max is None else 0.9 * self.act_max + 0.1 * amax
        limit = max(self.act_max or amax, 1e-8)
        scale = limit / QMAX[self.fmt]
        q = accelsim.cast(a / scale, self.fmt, saturate=True) * scale
        return q, (np.abs(a) <= limit)


def forward(params, quant, x, training):
    cache = []
    a = x
    for i, ((w, b), q) in enumerate(zip(params, quant)):
        aq, mask = q.acts(a, training)
        wq = q.weights(w)
        z = aq @ wq + b
        cache.append((aq, mask, wq, z))
        a = np.maximum(z, 0) if i < len(params) - 1 else z
    return a, cache


def loss_and_grads(params, quant, x, y):
    logits, cache = forward(params, quant, x, True)
    logits = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(len(y)), y] + 1e-12).mean()
    dz = p
    dz[np.arange(len(y)), y] -= 1
    dz /= len(y)
    grads = [None] * len(params)
    for i in reversed(range(len(params))):
        aq, mask, wq, _ = cache[i]
        grads[i] = [aq.T @ dz, dz.sum(axis=0)]  # STE: d/dw of w_q taken as identity
        if i > 0:
            da = dz @ wq.T
            if mask is not None:
                da = da * mask
            dz = da * (cache[i - 1][3] > 0)
    return float(loss), grads


def train(params, quant, x, y, epochs, lr, seed):
    rng = np.random.default_rng(seed)
    vel = [[np.zeros_like(w), np.zeros_like(b)] for w, b in params]
    loss = float("nan")
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for s in range(0, len(x), 32):
            idx = order[s : s + 32]
            loss, grads = loss_and_grads(params, quant, x[idx], y[idx])
            for (p, v, g) in zip(params, vel, grads):
                for k in range(2):
                    v[k] = 0.9 * v[k] - lr * g[k]
                    p[k] += v[k]
    return loss


def accuracy(params, quant, x, y):
    logits, _ = forward(params, quant, x, False)
    return float((logits.argmax(axis=1) == y).mean())


# ---------------------------------------------------------------- cost with accelsim


def workload(mix):
    """The MLP as an accelsim workload, each layer at its format (batch BATCH)."""
    ops = []
    prev = "x"
    for i, (name, fmt) in enumerate(zip(LAYERS, mix)):
        ops.append({"name": name, "op": "matmul", "inputs": [prev], "output": f"{name}.out",
                    "out_features": SIZES[i + 1], "precision": fmt})
        prev = f"{name}.out"
        if i < len(LAYERS) - 1:
            ops.append({"name": f"relu{i + 1}", "op": "relu", "inputs": [prev], "output": f"relu{i + 1}.out"})
            prev = f"relu{i + 1}.out"
    return {"name": "digits_mlp_" + "_".join(mix),
            "inputs": [{"name": "x", "shape": [BATCH, SIZES[0]], "format": mix[0]}],
            "ops": ops}


def bops(mix):
    bits = {"fp16": 16, "int8": 8, "int4": 4}
    return sum(BATCH * SIZES[i] * SIZES[i + 1] * bits[f] ** 2 for i, f in enumerate(mix))


# ---------------------------------------------------------------- fronts and outputs


def pareto(rows, x_key, y_key="accuracy"):
    """Rows not dominated in (x_key min, accuracy max), sorted by x."""
    front = []
    for r in rows:
        dominated = any(
            o[x_key] <= r[x_key] and o[y_key] >= r[y_key] and (o[x_key] < r[x_key] or o[y_key] > r[y_key])
            for o in rows
        )
        if not dominated:
            front.append(r)
    return sorted(front, key=lambda r: (r[x_key], -r[y_key]))


def write_csv(path, rows, keys):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow(r)


def plots(out, rows):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    (out / "plots").mkdir(exist_ok=True)
    for preset in PRESETS:
        for metric, label in (("energy_pj", "energy per batch (pJ)"), ("latency_s", "latency per batch (s)")):
            key = f"{preset}_{metric}"
            front = pareto(rows, key)
            fig, ax = plt.subplots(figsize=(6.4, 4.4))
            ax.scatter([r[key] for r in rows], [r["accuracy"] * 100 for r in rows], s=18, color="#999", label="mixes")
            ax.plot([r[key] for r in front], [r["accuracy"] * 100 for r in front], "o-", color="#c0392b", label="Pareto front")
            for r in front:
                ax.annotate(r["mix"], (r[key], r["accuracy"] * 100), fontsize=6, xytext=(3, -8), textcoords="offset points")
            ax.set_xscale("log")
            ax.set_xlabel(f"{preset}: {label}")
            ax.set_ylabel("test accuracy (%)")
            ax.set_title(f"digits MLP 64-128-64-10, QAT per-layer mixes on {preset}", fontsize=9)
            ax.legend(fontsize=8)
            fig.tight_layout()
            path = out / "plots" / f"accuracy_vs_{metric.split('_')[0]}_{preset}.png"
            fig.savefig(path, dpi=120)
            plt.close(fig)
            files.append(path)
    return files


def additive_model_check(out, rows):
    """Fits accelsim's additive accuracy model from the baseline (all fp16) and the
    one-layer-at-a-time rows only, via an accelsim sweep, and compares its estimate with
    the accuracy every other mix measured."""
    partial = [r for r in rows if sum(f != "fp16" for f in r["formats"]) <= 1]
    path = out / "qat_partial.csv"
    with open(path, "w") as f:
        f.write("config,accuracy\n")
        for r in partial:
            f.write(";".join(f"{l}={p}" for l, p in zip(LAYERS, r["formats"])) + f",{r['accuracy']}\n")
    wl_path = out / "digits_mlp.json"
    wl_path.write_text(json.dumps(workload(("int8",) * 3), indent=1))
    spec = {
        "name": "digits_mlp_additive",
        "arch": str(PRESETS["edge_npu_32x32"]),
        "workload": str(wl_path),
        "engine": "analytic",
        "axes": [{"kind": "precision", "layers": ["fc*"], "mode": "each", "values": FORMATS}],
        "accuracy": str(path),
        "accuracy_model": "additive",
        "pareto": ["energy_pj", "accuracy"],
    }
    res = accelsim.sweep(spec, out=out / "sweep_edge_npu")
    measured = {tuple(r["formats"]): r["accuracy"] for r in rows}
    table, errors = [], []
    for r in res.rows:
        mix = tuple(r[c] for c in res.columns if c.startswith("fc"))
        if mix not in measured:
            continue
        err = r["accuracy"] - measured[mix]
        if r["accuracy_source"] == "modelled":
            errors.append(abs(err))
        table.append({"mix": "/".join(mix), "source": r["accuracy_source"], "modelled_or_measured": r["accuracy"],
                      "trained": measured[mix], "error": err})
    write_csv(out / "additive_model.csv", table, ["mix", "source", "modelled_or_measured", "trained", "error"])
    return (float(np.mean(errors)) if errors else float("nan"), float(np.max(errors)) if errors else float("nan"), len(errors))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "examples" / "codesign" / "out"))
    ap.add_argument("--smoke", action="store_true", help="3 mixes, 2 epochs: a quick pipeline check")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    x_tr, x_te, y_tr, y_te = load_data(args.seed)
    pre_epochs, qat_epochs = (2, 1) if args.smoke else (40, 12)
    base = init_params(args.seed)
    train(base, [Quantizer(None)] * 3, x_tr, y_tr, pre_epochs, 0.05, args.seed)
    fp32_acc = accuracy(base, [Quantizer(None)] * 3, x_te, y_te)
    print(f"fp32 model: test accuracy {fp32_acc:.4f}", file=sys.stderr)

    mixes = list(itertools.product(FORMATS, repeat=len(LAYERS)))
    if args.smoke:
        mixes = [("fp16",) * 3, ("int8",) * 3, ("int4",) * 3]
    rows = []
    for k, mix in enumerate(mixes):
        params = [[w.copy(), b.copy()] for w, b in base]
        quant = [Quantizer(f) for f in mix]
        loss = train(params, quant, x_tr, y_tr, qat_epochs, 0.01, args.seed + 1 + k)
        acc = accuracy(params, quant, x_te, y_te)
        row = {"mix": "/".join(mix), "formats": mix, "fc1": mix[0], "fc2": mix[1], "fc3": mix[2],
               "accuracy": acc, "train_loss": loss, "bops": bops(mix)}
        wl = workload(mix)
        for preset, arch in PRESETS.items():
            rep = accelsim.run(arch, wl, engine="event")
            row[f"{preset}_latency_s"] = rep["summary"]["latency_s"]
            row[f"{preset}_energy_pj"] = rep["summary"]["energy_pj"]
        rows.append(row)
        print(f"[{k + 1}/{len(mixes)}] {row['mix']:15} accuracy {acc:.4f}", file=sys.stderr)

    keys = ["mix", "fc1", "fc2", "fc3", "accuracy", "train_loss", "bops"] + [
        f"{p}_{m}" for p in PRESETS for m in ("latency_s", "energy_pj")]
    write_csv(out / "mixes.csv", rows, keys)
    with open(out / "qat_accuracy.csv", "w") as f:
        f.write("config,accuracy\n")
        for r in rows:
            f.write(";".join(f"{l}={p}" for l, p in zip(LAYERS, r["formats"])) + f",{r['accuracy']}\n")
    md = [f"fp32 reference: {fp32_acc * 100:.2f} % test accuracy; {len(rows)} mixes trained.\n"]
    for preset in PRESETS:
        key = f"{preset}_energy_pj"
        front = pareto(rows, key)
        write_csv(out / f"pareto_{preset}.csv", front, keys)
        md.append(f"\n**{preset}** (accuracy max, energy min): {len(front)} of {len(rows)} mixes on the front\n\n")
        md.append("| fc1/fc2/fc3 | test accuracy | energy (nJ / batch of 64) | latency (µs) | BOPs (M) |\n|---|---|---|---|---|\n")
        for r in front:
            md.append(f"| {r['mix']} | {r['accuracy'] * 100:.2f} % | {r[key] / 1e3:.1f} | "
                      f"{r[f'{preset}_latency_s'] * 1e6:.2f} | {r['bops'] / 1e6:.1f} |\n")
    files = plots(out, rows)
    if not args.smoke:
        mean_err, max_err, n = additive_model_check(out, rows)
        md.append(f"\nAdditive accuracy model (fitted from the fp16 baseline and the {len(LAYERS) * 2} one-layer rows): "
                  f"mean |error| {mean_err * 100:.2f} points, max {max_err * 100:.2f} points over the {n} other mixes.\n")
    (out / "front.md").write_text("".join(md))
    print("".join(md))
    print(f"wrote {out / 'mixes.csv'}, {out / 'front.md'}, {len(files)} plots in {out / 'plots'} "
          f"({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    if not args.smoke:
        uniform_fp16 = next(r for r in rows if r["mix"] == "fp16/fp16/fp16")
        if uniform_fp16["accuracy"] < 0.95:
            print(f"warning: the fp16 model reached {uniform_fp16['accuracy']:.4f} < 0.95", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
