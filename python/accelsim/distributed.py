"""Sweeps on Dask: every shard of a sweep is one Dask task (``accelsim.sweep`` with
``shard=(k, n)`` writing its own folder), and the shard folders are merged with
``accelsim.merge`` into the same files, byte for byte, as a single-process sweep.

Shard folders must be on a file system the workers and the client share (a local
cluster, or a network file system as on a Slurm cluster). Each task releases the GIL
and uses ``threads_per_task`` threads (default 1: Dask schedules the parallelism).

    from dask.distributed import Client, LocalCluster
    import accelsim.distributed

    with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster) as client:
        res = accelsim.distributed.sweep_dask("sweeps/mlp6_precision.json", "out/mlp6", client)
"""

from __future__ import annotations

import os
from typing import Any, Optional, Sequence

from . import SweepResult, merge, sweep

__all__ = ["sweep_dask"]


def _run_shard(
    spec: Any, folder: str, index: int, count: int, threads: int, base_dir: str
) -> str:
    sweep(spec, out=folder, shard=(index, count), threads=threads, base_dir=base_dir, resume=os.path.exists(folder))
    return folder


def sweep_dask(
    spec: Any,
    out: "os.PathLike[str] | str",
    client: Any,
    *,
    shards: Optional[int] = None,
    threads_per_task: int = 1,
    pareto: Sequence[str] = (),
    base_dir: "os.PathLike[str] | str" = ".",
) -> SweepResult:
    """Evaluates ``spec`` as ``shards`` Dask tasks (default: 4 per worker) on ``client``
    (a ``dask.distributed.Client``) and merges the shard folders into ``out``.

    The shard folders are ``out/shards/shard-K-of-N``; a rerun resumes each of them
    (finished points are not evaluated again). Paths are made absolute so workers with
    another working directory find them. Returns the merged rows.
    """
    out = os.path.abspath(os.fspath(out))
    base_dir = os.path.abspath(os.fspath(base_dir))
    if isinstance(spec, (str, os.PathLike)) and not str(spec).lstrip().startswith(("{", "[")):
        spec = os.path.abspath(os.fspath(spec))
    if shards is None:
        workers = len(client.scheduler_info().get("workers", {})) or 1
        shards = 4 * workers
    if shards < 1:
        raise ValueError(f"shards: expected at least 1, got {shards}")
    shard_root = os.path.join(out, "shards")
    os.makedirs(shard_root, exist_ok=True)
    folders = [os.path.join(shard_root, f"shard-{k}-of-{shards}") for k in range(shards)]
    futures = [
        client.submit(
            _run_shard, spec, folder, k, shards, threads_per_task, base_dir,
            key=f"accelsim-sweep-{os.path.basename(out)}-{k}-of-{shards}", pure=False,
        )
        for k, folder in enumerate(folders)
    ]
    done = client.gather(futures)
    return merge(done, out, pareto=pareto)
