"""accelsim.sweep against `accelsim sweep`, and a sweep on a local 2-worker Dask cluster."""

import subprocess

import pytest

import accelsim

FILES = ["results.csv", "results.jsonl", "pareto.csv"]


def test_sweep_files_equal_cli(root, cli, tmp_path):
    spec = root / "tests/data/sweep/cnn_small.json"
    subprocess.run([cli, "sweep", str(spec), "--out", str(tmp_path / "cli")], check=True, capture_output=True)
    res = accelsim.sweep(spec, out=tmp_path / "py", threads=2)
    for f in FILES:
        assert (tmp_path / "py" / f).read_bytes() == (tmp_path / "cli" / f).read_bytes(), f
    assert len(res) == 100 and res.columns[0] == "id"
    assert [r["id"] for r in res.rows] == sorted(r["id"] for r in res.rows)
    assert 0 < len(res.pareto) < len(res.rows)


def test_in_memory_sweep_and_shards_merge(root, tmp_path):
    spec = root / "tests/data/sweep/cnn_small.json"
    whole = accelsim.sweep(spec, threads=1)
    parts = [tmp_path / f"s{k}" for k in range(3)]
    for k, p in enumerate(parts):
        accelsim.sweep(spec, out=p, shard=(k, 3))
    merged = accelsim.merge(parts, tmp_path / "merged")
    assert merged.rows == whole.rows and merged.pareto == whole.pareto


def test_sweep_bad_input(root, tmp_path):
    with pytest.raises(accelsim.AccelsimError, match="axes"):
        accelsim.sweep({"name": "x", "arch": "a.json", "workload": "w.json", "axes": 3})
    with pytest.raises(accelsim.AccelsimError, match="shard"):
        accelsim.sweep(root / "tests/data/sweep/cnn_small.json", shard=(3, 3))
    info = accelsim.sweep_info(root / "tests/data/sweep/cnn_small.json")
    assert info["space_size"] == 144 and info["points"] == 100


def test_dask_local_cluster_sweep_is_byte_identical(root, tmp_path):
    from dask import distributed

    import accelsim.distributed

    spec = root / "tests/data/sweep/cnn_small.json"
    accelsim.sweep(spec, out=tmp_path / "single")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        res = accelsim.distributed.sweep_dask(spec, tmp_path / "dask", client, shards=5)
    for f in FILES:
        assert (tmp_path / "dask" / f).read_bytes() == (tmp_path / "single" / f).read_bytes(), f
    assert len(res) == 100


def test_slurm_array_script_shards_merge_to_single_process_files(root, cli, tmp_path):
    """Runs scripts/slurm_sweep.sh as each task of a 3-task array would (the Slurm
    variables set by hand), then its merge step."""
    import os

    spec = root / "tests/data/sweep/cnn_small.json"
    script = root / "scripts/slurm_sweep.sh"
    env = {**os.environ, "ACCELSIM": cli, "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "2"}
    for k in range(3):
        subprocess.run(["bash", str(script), str(spec), str(tmp_path / "out")],
                       env={**env, "SLURM_ARRAY_TASK_ID": str(k), "SLURM_CPUS_PER_TASK": "1"},
                       check=True, capture_output=True)
    subprocess.run(["bash", str(script), "merge", str(tmp_path / "out")], env=env, check=True, capture_output=True)
    accelsim.sweep(spec, out=tmp_path / "single")
    for f in FILES:
        assert (tmp_path / "out/all" / f).read_bytes() == (tmp_path / "single" / f).read_bytes(), f


def mlp6_spec(root, model):
    spec = {
        "name": "mlp6_partial",
        "arch": str(root / "arch_configs/edge_npu_32x32.json"),
        "workload": str(root / "workloads/mlp6.json"),
        "engine": "analytic",
        "axes": [{"kind": "precision", "layers": ["fc*"], "mode": "each", "values": ["fp16", "int8", "int4"]}],
        "accuracy": str(root / "tests/data/sweep/qat_mlp6_sensitivity.csv"),
        # No point meets it: every point is pruned before running (fast), with its accuracy.
        "constraints": [{"metric": "accuracy", "min": 2.0}],
    }
    if model:
        spec["accuracy_model"] = "additive"
    return spec


def test_partial_accuracy_table_warns_and_model_fills_every_point(root):
    with pytest.warns(UserWarning, match="716 of 729 points have no accuracy"):
        res = accelsim.sweep(mlp6_spec(root, False))
    assert sum(r["accuracy_source"] == "measured" for r in res.rows) == 13
    res = accelsim.sweep(mlp6_spec(root, True))
    sources = [r["accuracy_source"] for r in res.rows]
    assert sources.count("measured") == 13 and sources.count("modelled") == 716
    assert all(r["accuracy"] is not None for r in res.rows)
    # All int4: 0.97 - 0.01 * (1 + ... + 6) (the table's hand-chosen drops).
    int4 = [r for r in res.rows if all(r[f"fc{k}"] == "int4" for k in range(1, 7))]
    assert int4[0]["accuracy"] == pytest.approx(0.76, abs=1e-12)


def test_cli_reports_accuracy_coverage(root, cli, tmp_path):
    import json

    for model, expected in ((False, "warning: 716 of 729 points have no accuracy"),
                            (True, "accuracy: 13 points measured, 716 modelled, 0 without")):
        spec = tmp_path / f"spec_{model}.json"
        spec.write_text(json.dumps(mlp6_spec(root, model)))
        err = subprocess.run([cli, "sweep", str(spec)], check=True, capture_output=True, text=True).stderr
        assert expected in err, err


def test_sweep_fusion_switch(root):
    spec = {
        "name": "fusion",
        "arch": "arch_configs/edge_npu_32x32.json",
        "workload": "workloads/tiny_cnn.json",
        "axes": [{"kind": "arch", "path": "memory.dram.bandwidth_gbps", "values": [12.8, 25.6]}],
    }
    on = accelsim.sweep(spec, base_dir=root, threads=1)
    off = accelsim.sweep(dict(spec, fusion=False), base_dir=root, threads=1)
    assert [r["latency_s"] for r in on.rows] != [r["latency_s"] for r in off.rows]
    # The preset's own bandwidth (the second value) gives the figures of a run.
    single = accelsim.run(root / spec["arch"], root / spec["workload"], fusion=False)
    for k in ["latency_s", "dram_bytes"]:
        assert off.rows[1][k] == pytest.approx(single["summary"][k], rel=1e-9), k
