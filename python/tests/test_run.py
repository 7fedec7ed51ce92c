"""accelsim.run / execute against the CLI and against ONNX Runtime's outputs."""

import json
import subprocess

import numpy as np
import pytest

import accelsim

PAIRS = [
    ("arch_configs/edge_npu_32x32.json", "workloads/mlp6.json", "event"),
    ("arch_configs/tpu_v1.json", "workloads/resnet18.json", "analytic"),
]


@pytest.mark.parametrize("arch,workload,engine", PAIRS)
def test_run_equals_cli_json(root, cli, arch, workload, engine):
    out = subprocess.run(
        [cli, "run", arch, workload, "--json", "--engine", engine],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout
    expected = json.loads(out)
    got = accelsim.run(root / arch, str(root / workload), engine=engine)
    assert got == expected
    # Same key order and the same numbers, re-serialised.
    assert json.dumps(got) == json.dumps(expected)


@pytest.mark.parametrize("launch", ["graph", "cpp", "eager"])
def test_run_launch_path_equals_cli(root, cli, launch):
    arch, workload = "arch_configs/h100_sxm.json", "workloads/bert_base_encoder.json"
    out = subprocess.run(
        [cli, "run", arch, workload, "--json", "--launch", launch],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout
    assert accelsim.run(root / arch, root / workload, launch=launch) == json.loads(out)


def test_run_launch_paths_differ_and_bad_launch_is_named(root):
    arch, workload = root / "arch_configs/h100_sxm.json", root / "workloads/bert_base_encoder.json"
    graph = accelsim.run(arch, workload)["summary"]["latency_s"]
    eager = accelsim.run(arch, workload, launch="eager")["summary"]["latency_s"]
    assert eager > graph
    with pytest.raises(accelsim.AccelsimError, match="launch"):
        accelsim.run(arch, workload, launch="fast")


def test_run_fusion_switch_equals_cli(root, cli):
    arch, workload = "arch_configs/edge_npu_32x32.json", "workloads/tiny_cnn.json"
    out = subprocess.run(
        [cli, "run", arch, workload, "--json", "--no-fusion"],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout
    off = accelsim.run(root / arch, root / workload, fusion=False)
    assert off == json.loads(out)
    on = accelsim.run(root / arch, root / workload)
    assert any(layer.get("fused_into") for layer in on["layers"])
    assert not any(layer.get("fused_into") for layer in off["layers"])
    assert on["summary"]["latency_s"] < off["summary"]["latency_s"]


def test_run_accepts_dicts_and_json_text(root):
    arch = json.loads((root / "arch_configs/edge_npu_32x32.json").read_text())
    wl_text = (root / "workloads/mlp6.json").read_text()
    by_path = accelsim.run(root / "arch_configs/edge_npu_32x32.json", root / "workloads/mlp6.json")
    assert accelsim.run(arch, wl_text) == by_path
    assert accelsim.run(json.dumps(arch), json.loads(wl_text)) == by_path


def test_bad_input_names_file_and_path(root, tmp_path):
    bad = tmp_path / "bad_arch.json"
    bad.write_text('{"name": 3}')
    with pytest.raises(accelsim.AccelsimError) as e:
        accelsim.run(bad, root / "workloads/mlp6.json")
    assert "bad_arch.json" in str(e.value)
    with pytest.raises(accelsim.AccelsimError) as e:
        accelsim.run(root / "arch_configs/edge_npu_32x32.json", {"ops": 1})
    assert "at ops" in str(e.value)
    with pytest.raises(accelsim.AccelsimError):
        accelsim.run(root / "arch_configs/edge_npu_32x32.json", root / "workloads/mlp6.json", engine="fast")
    with pytest.raises(TypeError):
        accelsim.run(3, root / "workloads/mlp6.json")


@pytest.mark.parametrize("case,inputs,output", [
    ("fp32_gemm_bias", ["A"], "Y"),
    ("fp32_matmul", ["A", "B"], "Y"),
    ("fp8_e4m3fn_qdq_matmul", ["x"], "y"),
])
def test_execute_matches_onnxruntime_bit_for_bit(root, case, inputs, output):
    d = root / "tests/data/onnx" / case
    feeds = {n: np.load(d / f"in.{n}.npy") for n in inputs}
    outs = accelsim.execute(root / "tests/data/func/arch_all_formats.json", d / "model.onnx", feeds)
    expected = np.load(d / f"out.{output}.npy")
    got = outs[output]
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert np.array_equal(got.view(np.uint8), expected.view(np.uint8))


def test_execute_equals_cli_functional_outputs(root, cli, tmp_path):
    d = root / "tests/data/onnx/fp32_matmul"
    arch = root / "tests/data/func/arch_all_formats.json"
    subprocess.run(
        [cli, "run", str(arch), str(d / "model.onnx"), "--functional",
         "--input", f"A={d / 'in.A.npy'}", "--outputs", str(tmp_path)],
        check=True, capture_output=True,
    )
    # Input B gets the CLI's seeded random values; so does execute() with the same seed.
    outs = accelsim.execute(arch, d / "model.onnx", {"A": np.load(d / "in.A.npy")}, seed=0)
    np.testing.assert_array_equal(outs["Y"], np.load(tmp_path / "Y.npy"))


def test_run_functional_and_trace_equal_cli(root, cli, tmp_path):
    d = root / "tests/data/onnx/fp32_gemm_bias"
    arch = root / "tests/data/func/arch_all_formats.json"
    trace = tmp_path / "trace.json"
    out = subprocess.run(
        [cli, "run", str(arch), str(d / "model.onnx"), "--json", "--functional",
         "--input", f"A={d / 'in.A.npy'}", "--trace", str(trace)],
        check=True, capture_output=True, text=True,
    ).stdout
    got = accelsim.run(arch, d / "model.onnx", functional=True, inputs={"A": np.load(d / "in.A.npy")}, trace=True)
    assert json.loads(got.pop("trace")) == json.loads(trace.read_text())
    assert got == json.loads(out)
