//! Which x86 vector extensions the functional kernels may use: all the CPU has, unless
//! the environment variable `ACCELSIM_ISA` caps them — `avx2` (no AVX-512: the kernels an
//! AVX2-only CPU runs), `portable` (no SIMD intrinsics) or `native` (the default). Used to
//! measure and test the AVX2 paths on an AVX-512 machine; results are bit-identical
//! whatever the cap (every kernel is checked against a scalar reference).

use std::sync::OnceLock;

/// The highest instruction-set level the kernels may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IsaCap {
    /// Scalar / auto-vectorised code only.
    Portable,
    /// Up to AVX2 + FMA.
    Avx2,
    /// Everything the CPU reports (AVX-512, VNNI).
    Native,
}

impl IsaCap {
    /// Parses an `ACCELSIM_ISA` value (`native`, `avx2`, `portable`; case-insensitive).
    pub fn parse(s: &str) -> Option<IsaCap> {
        match s.trim().to_ascii_lowercase().as_str() {
            "native" | "" => Some(IsaCap::Native),
            "avx2" => Some(IsaCap::Avx2),
            "portable" | "scalar" => Some(IsaCap::Portable),
            _ => None,
        }
    }
}

/// The cap from `ACCELSIM_ISA`, read once (an unknown value warns and means `native`).
pub fn cap() -> IsaCap {
    static CAP: OnceLock<IsaCap> = OnceLock::new();
    *CAP.get_or_init(|| match std::env::var("ACCELSIM_ISA") {
        Err(_) => IsaCap::Native,
        Ok(v) => IsaCap::parse(&v).unwrap_or_else(|| {
            tracing::warn!("ACCELSIM_ISA='{v}' is not one of native, avx2, portable: using native");
            IsaCap::Native
        }),
    })
}

/// True when the AVX-512 kernels may run (the CPU's features are checked separately).
pub fn allow_avx512() -> bool {
    cap() >= IsaCap::Native
}

/// True when the AVX2 kernels may run (the CPU's features are checked separately).
pub fn allow_avx2() -> bool {
    cap() >= IsaCap::Avx2
}

#[cfg(test)]
mod tests {
    use super::IsaCap;

    #[test]
    fn parses_the_documented_values() {
        assert_eq!(IsaCap::parse("AVX2"), Some(IsaCap::Avx2));
        assert_eq!(IsaCap::parse("native"), Some(IsaCap::Native));
        assert_eq!(IsaCap::parse("portable"), Some(IsaCap::Portable));
        assert_eq!(IsaCap::parse("avx512"), None);
        assert!(IsaCap::Avx2 < IsaCap::Native && IsaCap::Portable < IsaCap::Avx2);
    }
}
