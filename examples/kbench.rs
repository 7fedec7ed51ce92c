use accelsim::func::gemm_i16::gemm_i16;
fn main() {
    let n = 512;
    let mut s = accelsim::numerics::SplitMix64::new(1);
    let a: Vec<i16> = (0..n * n)
        .map(|_| (s.next_u64() % 256) as i16 - 128)
        .collect();
    let b: Vec<i16> = (0..n * n)
        .map(|_| (s.next_u64() % 256) as i16 - 128)
        .collect();
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let t = std::time::Instant::now();
            let mut x = 0;
            for _ in 0..20 {
                x += gemm_i16(&a, &b, n, n, n)[7];
            }
            let dt = t.elapsed().as_secs_f64() / 20.0;
            println!(
                "threads {threads}: {:.2} ms {:.1} GMAC/s {x}",
                dt * 1e3,
                (n * n * n) as f64 / dt / 1e9
            );
        });
    }
}
