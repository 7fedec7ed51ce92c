#!/usr/bin/env python3
"""Reference for benches/func.rs: numpy float32 matmul throughput (GMAC/s) on this machine,
using numpy's BLAS with its default threads (all cores). Usage: python3 benches/numpy_matmul.py

To emulate an AVX2-only CPU on an AVX-512 machine, force OpenBLAS onto its Haswell (AVX2 + FMA)
kernels: OPENBLAS_CORETYPE=Haswell python3 benches/numpy_matmul.py — the BLAS line printed below
(threadpoolctl, when installed) shows the core type OpenBLAS actually uses."""
import time

import numpy as np

rng = np.random.default_rng(0)
print("numpy", np.__version__)
try:
    from threadpoolctl import threadpool_info

    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            print(
                f"BLAS {lib.get('internal_api')} {lib.get('version')}: "
                f"architecture {lib.get('architecture')}, {lib.get('num_threads')} threads"
            )
except ImportError:
    print("BLAS: threadpoolctl not installed (pip install threadpoolctl to print the core type)")
for n in (256, 512, 1024):
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    a @ b  # warm up
    times = []
    for _ in range(30):
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    times.sort()
    best, med = times[0], times[len(times) // 2]
    print(
        f"float32 {n}x{n}x{n}: median {med * 1e3:.2f} ms = {n**3 / med / 1e9:.1f} GMAC/s,"
        f" best {best * 1e3:.2f} ms = {n**3 / best / 1e9:.1f} GMAC/s"
    )
