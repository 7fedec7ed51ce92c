#!/usr/bin/env python3
"""Reference for benches/func.rs: numpy float32 matmul throughput (GMAC/s) on this machine,
using numpy's BLAS with its default threads (all cores). Usage: python3 benches/numpy_matmul.py"""
import time

import numpy as np

rng = np.random.default_rng(0)
print("numpy", np.__version__)
for n in (256, 512, 1024):
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    a @ b  # warm up
    best = float("inf")
    for _ in range(20):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    print(f"float32 {n}x{n}x{n}: best {best * 1e3:.2f} ms = {n**3 / best / 1e9:.2f} GMAC/s")
