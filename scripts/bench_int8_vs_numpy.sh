#!/usr/bin/env bash
# The functional int8 exact GEMM against numpy float32 matmul at 512³ and 1024³, in one run:
# ROUNDS rounds (default 3), each running numpy (median of 30 calls per size) and then the
# criterion kernel benchmark, so both see the same machine load. Prints the GMAC/s lines.
#
#   scripts/bench_int8_vs_numpy.sh            # this CPU as it is (AVX-512 VNNI where present)
#   scripts/bench_int8_vs_numpy.sh avx2       # emulate an AVX2-only x86 CPU (see below)
#
# AVX2-only emulation on an AVX-512 machine: ACCELSIM_ISA=avx2 caps accelsim's kernel
# dispatch at AVX2 (the i16 `vpmaddwd` kernel instead of the AVX-512 VNNI one), and
# OPENBLAS_CORETYPE=Haswell makes numpy's OpenBLAS use its AVX2 + FMA (Haswell) kernels; the
# script prints the core type OpenBLAS reports (threadpoolctl) so the emulation is visible.
# numpy keeps its default BLAS threads (all cores), accelsim its default rayon threads.
# PYTHON selects the interpreter with numpy (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-native}"
rounds="${ROUNDS:-3}"
py="${PYTHON:-python3}"
if [ "$mode" = avx2 ]; then
    export ACCELSIM_ISA=avx2 OPENBLAS_CORETYPE=Haswell
fi
echo "mode $mode; $(grep -m1 'model name' /proc/cpuinfo); load: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo bench --bench func --no-run >/dev/null 2>&1
for r in $(seq 1 "$rounds"); do
    echo "--- round $r (load $(cut -d' ' -f1-3 /proc/loadavg))"
    "$py" benches/numpy_matmul.py | grep -v '^float32 256x'
    cargo bench --bench func -- 'gemm_kernel/int8_i32acc/(512|1024)$' \
        --warm-up-time 1 --measurement-time 3 2>/dev/null | grep -E '^gemm_kernel|thrpt'
done
