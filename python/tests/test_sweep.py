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
