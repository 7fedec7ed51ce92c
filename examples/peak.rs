use std::arch::x86_64::*;
#[target_feature(enable = "avx2,fma")]
unsafe fn madd_peak(iters: usize) -> i32 {
    let mut acc = [_mm256_set1_epi32(1); 12];
    let x = _mm256_set1_epi32(0x00030002);
    let y = _mm256_set1_epi32(0x00050007);
    let bs = [y, x, y, x];
    for i in 0..iters {
        let b0 = std::ptr::read_volatile(&bs[i & 3]);
        let b1 = std::ptr::read_volatile(&bs[(i + 1) & 3]);
        for (j, a) in acc.iter_mut().enumerate() {
            *a = _mm256_add_epi32(
                *a,
                _mm256_madd_epi16(if j & 1 == 0 { b0 } else { b1 }, if j < 6 { x } else { y }),
            );
        }
    }
    let mut s = _mm256_setzero_si256();
    for a in acc {
        s = _mm256_add_epi32(s, a);
    }
    _mm256_extract_epi32(s, 0)
}
#[target_feature(enable = "avx2,fma")]
unsafe fn fma_peak(iters: usize) -> f32 {
    let mut acc = [_mm256_set1_ps(1.0); 12];
    let x = _mm256_set1_ps(1.0001);
    let y = _mm256_set1_ps(0.9999);
    for _ in 0..iters {
        for a in acc.iter_mut() {
            *a = _mm256_fmadd_ps(x, y, *a);
        }
    }
    let mut s = _mm256_setzero_ps();
    for a in acc {
        s = _mm256_add_ps(s, a);
    }
    _mm256_cvtss_f32(s)
}
#[target_feature(enable = "avx2,fma")]
unsafe fn mix_peak(iters: usize) -> f32 {
    let mut acc = [_mm256_set1_epi32(1); 8];
    let mut facc = [_mm256_set1_ps(1.0); 6];
    let x = _mm256_set1_epi32(0x00030002);
    let y = _mm256_set1_epi32(0x00050007);
    let fx = _mm256_set1_ps(1.0001);
    let fy = _mm256_set1_ps(0.9999);
    let bs = [y, x, y, x];
    for i in 0..iters {
        let b0 = std::ptr::read_volatile(&bs[i & 3]);
        for a in acc.iter_mut() {
            *a = _mm256_add_epi32(*a, _mm256_madd_epi16(x, b0));
        }
        for a in facc.iter_mut() {
            *a = _mm256_fmadd_ps(fx, fy, *a);
        }
    }
    let mut s = _mm256_setzero_si256();
    for a in acc {
        s = _mm256_add_epi32(s, a);
    }
    let mut f = _mm256_setzero_ps();
    for a in facc {
        f = _mm256_add_ps(f, a);
    }
    _mm256_extract_epi32(s, 0) as f32 + _mm256_cvtss_f32(f)
}
fn main() {
    let it = 20_000_000;
    let t = std::time::Instant::now();
    let r = unsafe { madd_peak(it) };
    let dt = t.elapsed().as_secs_f64();
    println!(
        "madd: {:.2} G madd/s = {:.1} GMAC/s ({r})",
        (it * 12) as f64 / dt / 1e9,
        (it * 12 * 16) as f64 / dt / 1e9
    );
    let t = std::time::Instant::now();
    let r = unsafe { fma_peak(it) };
    let dt = t.elapsed().as_secs_f64();
    println!(
        "fma: {:.2} G fma/s = {:.1} GMAC/s ({r})",
        (it * 12) as f64 / dt / 1e9,
        (it * 12 * 8) as f64 / dt / 1e9
    );
    let t = std::time::Instant::now();
    let r = unsafe { mix_peak(it) };
    let dt = t.elapsed().as_secs_f64();
    println!(
        "mix: {:.1} GMAC/s ({r})",
        (it * (8 * 16 + 6 * 8)) as f64 / dt / 1e9
    );
}
