//! 64K-entry f32 → code tables for formats of 8 bits or fewer.
//!
//! Why two entries per upper half suffice: every format here has at most 6 mantissa bits
//! (E8M0 has none), so every rounding boundary of the target (its representable values and
//! the midpoints between them, in the normal and the subnormal range, and the overflow
//! threshold) is an f32 whose low 16 bits are zero. Within the f32 bit patterns sharing the
//! upper 16 bits `h`, the result can therefore only differ between the pattern `h:0000`
//! itself (possibly a boundary: a tie, an exact value, or ±Inf) and all the others `h:xxxx`
//! with `xxxx != 0` (strictly between two boundaries, or NaN). Entry `h` stores both codes;
//! both are computed by the generic single-rounding codec, so the table is exact by
//! construction (and the tests compare it with the codec on every entry).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::cast::{Caster, CodeWord};
use super::format::Format;
use super::rounding::{CastOptions, Overflow, Rounding};

/// A precomputed f32 → code table (8-bit codes).
pub struct EncodeTable {
    /// Entry `h`: low byte = code of `h << 16`, high byte = code of `(h << 16) | 1`.
    entries: Box<[u16; 65536]>,
}

impl std::fmt::Debug for EncodeTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncodeTable { .. }")
    }
}

impl EncodeTable {
    fn build(format: Format, rounding: Rounding, overflow: Overflow) -> Option<EncodeTable> {
        // The generic codec (no fast path: build the caster's scalar encoder directly).
        let mut c = Caster::new_generic(format, CastOptions::new(rounding, overflow)).ok()?;
        let mut v = vec![0u16; 65536];
        for (h, e) in v.iter_mut().enumerate() {
            let base = (h as u32) << 16;
            let lo = c.encode_f32(f32::from_bits(base)) & 0xff;
            let hi = c.encode_f32(f32::from_bits(base | 1)) & 0xff;
            *e = (lo | (hi << 8)) as u16;
        }
        let entries: Box<[u16; 65536]> = v.into_boxed_slice().try_into().ok()?;
        Some(EncodeTable { entries })
    }

    /// Encodes one f32.
    #[inline(always)]
    pub fn encode(&self, x: f32) -> u8 {
        let b = x.to_bits();
        let e = self.entries[(b >> 16) as usize];
        let sh = (((b & 0xffff) != 0) as u32) << 3;
        (e >> sh) as u8
    }

    /// Encodes a slice (lengths are checked by the caller; extra elements are ignored).
    #[inline]
    pub fn encode_slice<W: CodeWord>(&self, x: &[f32], out: &mut [W]) {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = W::from_code(self.encode(v) as u32);
        }
    }
}

type Key = (Format, Rounding, Overflow);

fn cache() -> &'static Mutex<HashMap<Key, Arc<EncodeTable>>> {
    static CACHE: OnceLock<Mutex<HashMap<Key, Arc<EncodeTable>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The (cached) table for an 8-bit-or-narrower scalar format. Returns `None` for formats
/// the codec rejects.
pub(crate) fn encode_table(
    format: Format,
    rounding: Rounding,
    overflow: Overflow,
) -> Option<Arc<EncodeTable>> {
    let key = (format, rounding, overflow);
    {
        let map = cache().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = map.get(&key) {
            return Some(t.clone());
        }
    }
    let t = Arc::new(EncodeTable::build(format, rounding, overflow)?);
    let mut map = cache().lock().unwrap_or_else(|e| e.into_inner());
    Some(map.entry(key).or_insert(t).clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::format::FloatFormat;

    #[test]
    fn table_matches_codec_around_every_entry() {
        for f in [FloatFormat::FP8_E4M3, FloatFormat::FP4_E2M1] {
            let fmt = Format::Float(f);
            for r in [Rounding::NearestEven, Rounding::TowardPositive] {
                let t = encode_table(fmt, r, Overflow::Ieee).unwrap();
                let mut c = Caster::new_generic(fmt, CastOptions::new(r, Overflow::Ieee)).unwrap();
                for h in (0..65536u32).step_by(3) {
                    for lo in [0u32, 1, 0x7fff, 0x8000, 0xffff] {
                        let x = f32::from_bits((h << 16) | lo);
                        assert_eq!(
                            t.encode(x) as u32,
                            c.encode_f32(x),
                            "{f:?} {r:?} {:#x}",
                            x.to_bits()
                        );
                    }
                }
            }
        }
    }
}
