//! Functional steps: the loss falls on a toy regression under every bundled policy,
//! determinism, and loss scaling's skip / back-off on overflow.

use super::*;
use crate::train::policy::BUNDLED;

const TOY: &str = r#"{"name": "toy", "inputs": [{"name": "x", "shape": [16, 8], "format": "fp32"}],
 "ops": [
  {"name": "fc1", "op": "matmul", "inputs": ["x"], "output": "h", "out_features": 32},
  {"name": "r1", "op": "relu", "inputs": ["h"], "output": "a"},
  {"name": "fc2", "op": "matmul", "inputs": ["a"], "output": "y", "out_features": 4}]}"#;

fn opts(steps: u32) -> StepOptions {
    StepOptions {
        steps,
        seed: 3,
        loss: Loss::Mse,
        ..StepOptions::default()
    }
}

#[test]
fn the_loss_falls_over_50_steps_under_every_bundled_policy() {
    let w = Workload::from_json(TOY).unwrap();
    for name in BUNDLED {
        let p = Policy::bundled(name).unwrap();
        let r = train_steps(&w, &p, &opts(50)).unwrap();
        let (first, last) = (r.losses[0].loss, r.losses[49].loss);
        assert!(last < 0.8 * first, "{name}: loss {first} -> {last}");
        assert!(r.losses.iter().all(|l| !l.skipped), "{name}");
    }
}

#[test]
fn runs_are_deterministic_for_a_seed() {
    let w = Workload::from_json(TOY).unwrap();
    let p = Policy::bundled("hfp8").unwrap();
    let a = train_steps(&w, &p, &opts(3)).unwrap();
    let b = train_steps(&w, &p, &opts(3)).unwrap();
    assert_eq!(a.weights, b.weights);
    let c = train_steps(&w, &p, &StepOptions { seed: 4, ..opts(3) }).unwrap();
    assert_ne!(a.weights, c.weights);
}

#[test]
fn loss_scaling_skips_and_backs_off_on_overflow() {
    let w = Workload::from_json(TOY).unwrap();
    let mut p = Policy::bundled("hfp8").unwrap();
    // A scale that overflows fp8 E5M2 errors (max 57344) on the first step.
    p.loss_scaling = LossScaling::Dynamic {
        initial: 1e12,
        growth: 2.0,
        backoff: 0.5,
        interval: 1000,
    };
    let r = train_steps(&w, &p, &opts(60)).unwrap();
    assert!(r.losses[0].skipped);
    assert_eq!(r.losses[1].loss_scale, 0.5e12);
    let first_ok = r.losses.iter().position(|l| !l.skipped).unwrap();
    assert!(first_ok > 0 && r.losses[..first_ok].iter().all(|l| l.skipped));
    // Skipped steps leave the weights alone: the loss is unchanged until the first update.
    assert!(r.losses[..=first_ok]
        .windows(2)
        .all(|w| w[0].loss == w[1].loss));
    // A static scale that always overflows skips every step.
    p.loss_scaling = LossScaling::Static { scale: 1e12 };
    let r = train_steps(&w, &p, &opts(3)).unwrap();
    assert!(r
        .losses
        .iter()
        .all(|l| l.skipped && l.loss == r.losses[0].loss));
}

#[test]
fn fp8_hybrid_operands_are_exact_e4m3_and_e5m2_values() {
    use crate::numerics::{CastOptions, Caster, Format};
    let w = Workload::from_json(TOY).unwrap();
    let p = Policy::bundled("fp8_hybrid").unwrap();
    let r = train_steps(
        &w,
        &p,
        &StepOptions {
            record_operands: true,
            ..opts(1)
        },
    )
    .unwrap();
    let is_exact = |t: &NamedTensor, f: Format| {
        // Per-tensor scaled: every value times the tensor's power-of-two scale is a value of f.
        let s = quant::per_tensor_scale(&t.values, f);
        let mut c = Caster::new(f, CastOptions::RNE).unwrap();
        t.values.iter().all(|&v| {
            let code = c.encode_f64(v * s);
            c.decode_f64(code) == v * s
        })
    };
    for t in &r.operands {
        let f = if t.name.ends_with("fwd.a")
            || t.name.ends_with("fwd.b")
            || t.name.ends_with("bwd.b")
            || t.name.ends_with("grad.a")
        {
            Format::FP8_E4M3
        } else {
            Format::FP8_E5M2
        };
        assert!(is_exact(t, f), "{} is not {f}", t.name);
    }
    // fc1: FWD and GRAD operands (no BWD); fc2: FWD, BWD and GRAD.
    assert_eq!(r.operands.len(), 4 + 6);
}

#[test]
fn fp8_hybrid_first_operand_is_the_scaled_e4m3_cast_of_the_input() {
    use crate::numerics::{CastOptions, Caster, Format};
    let w = Workload::from_json(TOY).unwrap();
    let p = Policy::bundled("fp8_hybrid").unwrap();
    let x: Vec<f64> = (0..128)
        .map(|i| ((i * 37 % 101) as f64 - 50.0) / 7.3)
        .collect();
    let mut feeds = BTreeMap::new();
    feeds.insert("x".to_string(), x.clone());
    let r = train_steps(
        &w,
        &p,
        &StepOptions {
            feeds,
            record_operands: true,
            ..opts(1)
        },
    )
    .unwrap();
    let a = r.operands.iter().find(|t| t.name == "fc1.fwd.a").unwrap();
    // amax = 50/7.3 ≈ 6.85: the largest power of two s with 6.85·s ≤ 448 is 64.
    let amax = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(amax * 64.0 <= 448.0 && amax * 128.0 > 448.0);
    let mut c = Caster::new(Format::FP8_E4M3, CastOptions::RNE).unwrap();
    let want: Vec<f64> = x
        .iter()
        .map(|&v| {
            let code = c.encode_f64(v * 64.0);
            c.decode_f64(code) / 64.0
        })
        .collect();
    assert_eq!(a.values, want);
}

#[test]
fn a_small_cnn_trains_under_every_bundled_policy() {
    let w = Workload::from_json(crate::train::derive::tests::CNN).unwrap();
    for name in BUNDLED {
        let p = Policy::bundled(name).unwrap();
        let r = train_steps(
            &w,
            &p,
            &StepOptions {
                loss: Loss::SoftmaxCrossEntropy,
                ..opts(20)
            },
        )
        .unwrap();
        let (first, last) = (r.losses[0].loss, r.losses[19].loss);
        assert!(last < first, "{name}: loss {first} -> {last}");
        assert_eq!(r.weights.len(), 4, "{name}");
    }
}

#[test]
fn a_per_layer_errors_format_reaches_that_layers_gemm_operands() {
    use crate::numerics::{CastOptions, Caster, Format};
    use crate::train::policy::{TensorClass, TensorPolicy};
    let w = Workload::from_json(TOY).unwrap();
    let is_e5m2 = |t: &NamedTensor| {
        let mut c = Caster::new(Format::FP8_E5M2, CastOptions::RNE).unwrap();
        t.values.iter().all(|&v| {
            let code = c.encode_f64(v);
            c.decode_f64(code) == v
        })
    };
    let run = |p: &Policy| {
        let o = StepOptions {
            record_operands: true,
            ..opts(1)
        };
        train_steps(&w, p, &o).unwrap().operands
    };
    let base = Policy::bundled("fp32").unwrap();
    let mut p = base.clone();
    p.set_layer_class(
        "fc2",
        TensorClass::Errors,
        TensorPolicy {
            format: Format::FP8_E5M2,
            ..base.tensors.errors
        },
    );
    let find = |ops: &[NamedTensor], n: &str| ops.iter().find(|t| t.name == n).unwrap().clone();
    let (with, without) = (run(&p), run(&base));
    // fc2's BWD and GRAD read its error in E5M2; under plain fp32 they do not.
    for n in ["fc2.bwd.a", "fc2.grad.b"] {
        assert!(is_e5m2(&find(&with, n)), "{n}");
        assert!(!is_e5m2(&find(&without, n)), "{n} (fp32)");
    }
    // The forward pass is untouched.
    assert_eq!(find(&with, "fc2.fwd.a"), find(&without, "fc2.fwd.a"));
}

#[test]
fn ops_without_a_functional_backward_are_named() {
    let gelu = r#"{"name": "g", "inputs": [{"name": "x", "shape": [4, 8], "format": "fp32"}],
     "ops": [
      {"name": "fc1", "op": "matmul", "inputs": ["x"], "output": "h", "out_features": 8},
      {"name": "act", "op": "gelu", "inputs": ["h"], "output": "a"},
      {"name": "fc2", "op": "matmul", "inputs": ["a"], "output": "y", "out_features": 4}]}"#;
    let w = Workload::from_json(gelu).unwrap();
    let e = train_steps(&w, &Policy::bundled("fp32").unwrap(), &opts(1))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("ops[1]") && e.contains("'act' (gelu)") && e.contains("layernorm"),
        "{e}"
    );
}

#[test]
fn an_attention_block_with_pooling_free_ops_trains() {
    // Q·Kᵀ and P·V between activations, softmax, layernorm with trainable scale / bias.
    let w = Workload::from_json(crate::train::derive::tests::ATTN).unwrap();
    for name in ["fp32", "bf16_mixed"] {
        let r = train_steps(&w, &Policy::bundled(name).unwrap(), &opts(30)).unwrap();
        let (first, last) = (r.losses[0].loss, r.losses[29].loss);
        assert!(last < 0.8 * first, "{name}: loss {first} -> {last}");
        // Every weight (q, k, fc and the layernorm's scale and bias) was updated.
        let init = train_steps(&w, &Policy::bundled(name).unwrap(), &opts(0)).unwrap();
        assert_eq!(r.weights.len(), 5);
        for (a, b) in r.weights.iter().zip(&init.weights) {
            assert_ne!(a.values, b.values, "{name}: {} not updated", a.name);
        }
    }
}
