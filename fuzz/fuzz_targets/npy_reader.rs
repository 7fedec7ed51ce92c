//! `.npy` bytes: decode; errors, never panics, and a decoded tensor re-encodes to a file
//! that decodes to the same tensor.
#![no_main]

use accelsim::tensor::npy::{decode_npy, encode_npy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = decode_npy(data) {
        let again = decode_npy(&encode_npy(&t)).expect("re-encoded tensor decodes");
        assert_eq!(again.shape(), t.shape());
    }
});
