//! `.npy` reading and writing: every file of the ONNX oracle data loads with the dtype
//! and shape `cases.json` states, every dtype round-trips, writes are atomic, and bad
//! files give errors (never panics).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use accelsim::tensor::npy::{decode_npy, encode_npy, format_header};
use accelsim::tensor::{
    read_npy, read_npy_as, write_npy, DType, NpyErrorKind, Tensor, TensorError,
};
use serde_json::Value;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/onnx")
}

fn cases() -> Value {
    let text = std::fs::read_to_string(data_dir().join("cases.json")).expect("cases.json");
    serde_json::from_str(&text).expect("cases.json parses")
}

/// Every `{file, dtype, shape, storage?}` entry that names a `.npy` file in `cases.json`.
fn npy_entries(cases: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for case in cases["cases"].as_array().expect("cases array") {
        for key in ["inputs", "outputs", "fused_exact_outputs", "spec_outputs"] {
            if let Some(list) = case[key].as_array() {
                out.extend(list.iter().cloned());
            }
        }
        if let Some(list) = case["default_opt"]["outputs_that_differ"].as_array() {
            out.extend(list.iter().cloned());
        }
    }
    out
}

fn shape_of(entry: &Value) -> Vec<usize> {
    entry["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|d| d.as_u64().expect("dim") as usize)
        .collect()
}

#[test]
fn every_oracle_npy_loads_with_the_stated_dtype_and_shape() {
    let cases = cases();
    let entries = npy_entries(&cases);
    let mut listed = BTreeSet::new();
    let mut ok = 0;
    for entry in &entries {
        let file = entry["file"].as_str().expect("file");
        let path = data_dir().join(file);
        let dtype = DType::parse(entry["dtype"].as_str().expect("dtype")).expect("known dtype");
        let shape = shape_of(entry);
        let raw = read_npy(&path).unwrap_or_else(|e| panic!("{e}"));
        if entry["storage"].as_str() == Some("uint8 raw bit codes") {
            assert_eq!(raw.dtype(), DType::U8, "{file}");
        } else {
            assert_eq!(raw.dtype(), dtype, "{file}");
        }
        let t = read_npy_as(&path, dtype).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.dtype(), dtype, "{file}");
        assert_eq!(t.shape(), shape.as_slice(), "{file}");
        // Re-encoding gives back the file byte for byte (NumPy's header layout).
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(encode_npy(&raw), bytes, "{file} re-encodes identically");
        listed.insert(file.to_string());
        ok += 1;
    }
    // No .npy file in the data set escapes the check.
    let mut on_disk = BTreeSet::new();
    for dir in std::fs::read_dir(data_dir()).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.extension().and_then(|e| e.to_str()) == Some("npy") {
                let rel = f.strip_prefix(data_dir()).unwrap();
                on_disk.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let missing: Vec<_> = on_disk.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "npy files not described by cases.json: {missing:?}"
    );
    println!("oracle npy files loaded: {ok}/{}", entries.len());
    assert_eq!(ok, on_disk.len());
}

/// A small tensor of every dtype with interesting values.
fn sample(dtype: DType) -> Tensor {
    let shape = vec![2, 3];
    let t = match dtype {
        DType::Bool => Tensor::from_bools(shape, &[true, false, true, true, false, false]),
        DType::U8 => Tensor::from_vec(dtype, shape, vec![0u8, 1, 127, 128, 200, 255]),
        DType::I8 => Tensor::from_vec(dtype, shape, vec![-128i8, -1, 0, 1, 100, 127]),
        DType::U16 | DType::F16 | DType::BF16 => {
            Tensor::from_vec(dtype, shape, vec![0u16, 0x3c00, 0x7c00, 0x8000, 0xfe00, 1])
        }
        DType::I16 => Tensor::from_vec(dtype, shape, vec![i16::MIN, -300, 0, 1, 300, i16::MAX]),
        DType::U32 => Tensor::from_vec(dtype, shape, vec![0u32, 1, 2, 1 << 31, 7, u32::MAX]),
        DType::I32 => Tensor::from_vec(dtype, shape, vec![i32::MIN, -32003, 0, 1, 65536, i32::MAX]),
        DType::U64 => Tensor::from_vec(dtype, shape, vec![0u64, 1, 2, 1 << 63, 7, u64::MAX]),
        DType::I64 => Tensor::from_vec(dtype, shape, vec![i64::MIN, -1, 0, 1, 1 << 40, i64::MAX]),
        DType::F32 => Tensor::from_f32(
            shape,
            vec![
                0.0,
                -0.0,
                1.5,
                f32::INFINITY,
                f32::NAN,
                f32::MIN_POSITIVE / 4.0,
            ],
        ),
        DType::F64 => Tensor::from_vec(
            dtype,
            shape,
            vec![0.0f64, -0.0, 0.1, f64::NEG_INFINITY, f64::NAN, 1e300],
        ),
        DType::Float8E4M3FN | DType::Float8E4M3FNUZ | DType::Float8E5M2 | DType::Float8E5M2FNUZ => {
            Tensor::from_vec(dtype, shape, vec![0u8, 0x7f, 0x80, 0xff, 0x38, 1])
        }
        DType::U4 | DType::Float4E2M1 => Tensor::from_vec(dtype, shape, vec![0u8, 1, 7, 8, 14, 15]),
        DType::I4 => Tensor::from_vec(dtype, shape, vec![-8i8, -1, 0, 1, 6, 7]),
    };
    t.unwrap_or_else(|e| panic!("{dtype}: {e}"))
}

/// Bitwise equality (NaN payloads included).
fn same_bits(a: &Tensor, b: &Tensor) -> bool {
    a.dtype() == b.dtype() && a.shape() == b.shape() && a.to_le_bytes() == b.to_le_bytes()
}

#[test]
fn every_dtype_round_trips_through_npy() {
    let dir = tempdir("roundtrip");
    let mut ok = 0;
    for dtype in DType::ALL {
        let t = sample(dtype);
        let path = dir.join(format!("{dtype}.npy"));
        write_npy(&path, &t).unwrap();
        let back = read_npy_as(&path, dtype).unwrap();
        assert!(same_bits(&t, &back), "{dtype}");
        // Also through memory, and a scalar and an empty tensor of each dtype.
        let scalar = Tensor::zeros(dtype, vec![]).unwrap();
        let empty = Tensor::zeros(dtype, vec![3, 0, 2]).unwrap();
        for x in [&scalar, &empty] {
            write_npy(&path, x).unwrap();
            assert!(same_bits(x, &read_npy_as(&path, dtype).unwrap()), "{dtype}");
        }
        ok += 1;
    }
    assert_no_temp_files(&dir);
    println!("npy dtype round trips: {ok}/{}", DType::ALL.len());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn failed_write_leaves_nothing_behind() {
    let dir = tempdir("atomic");
    let t = sample(DType::F32);
    // The target is an existing directory: the rename fails after the temp file was written.
    let target = dir.join("occupied");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), b"x").unwrap();
    let err = write_npy(&target, &t).unwrap_err();
    assert!(err.to_string().contains("occupied"), "{err}");
    assert_no_temp_files(&dir);
    // A missing directory is reported with the path.
    let err = write_npy(dir.join("no/such/dir/x.npy"), &t).unwrap_err();
    assert!(matches!(err, TensorError::Io { .. }), "{err}");
    // Overwriting an existing file replaces it whole.
    let path = dir.join("x.npy");
    write_npy(&path, &sample(DType::I64)).unwrap();
    write_npy(&path, &t).unwrap();
    assert!(same_bits(&read_npy(&path).unwrap(), &t));
    assert_no_temp_files(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn npy_with(descr: &str, fortran: bool, shape_text: &str, data: &[u8]) -> Vec<u8> {
    // Structured descrs are lists and are written unquoted.
    let descr = if descr.starts_with('[') {
        descr.to_string()
    } else {
        format!("'{descr}'")
    };
    let dict = format!(
        "{{'descr': {descr}, 'fortran_order': {}, 'shape': {shape_text}, }}\n",
        if fortran { "True" } else { "False" }
    );
    let mut v = b"\x93NUMPY\x01\x00".to_vec();
    v.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    v.extend_from_slice(dict.as_bytes());
    v.extend_from_slice(data);
    v
}

#[test]
fn bad_files_give_named_errors() {
    let dir = tempdir("bad");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("magic.npy", b"PK\x03\x04 not numpy".to_vec(), "bad magic"),
        ("empty.npy", Vec::new(), "bad magic"),
        (
            "fortran.npy",
            npy_with("<f4", true, "(2, 2)", &[0; 16]),
            "Fortran",
        ),
        (
            "bigendian.npy",
            npy_with(">f4", false, "(1,)", &[0; 4]),
            "big-endian",
        ),
        (
            "complex.npy",
            npy_with("<c8", false, "(1,)", &[0; 8]),
            "unsupported dtype",
        ),
        (
            "struct.npy",
            npy_with("[('a', '<f4')]", false, "(1,)", &[0; 4]),
            "unsupported dtype",
        ),
        (
            "truncated.npy",
            npy_with("<f4", false, "(2, 3)", &[0; 23]),
            "truncated",
        ),
        (
            "trailing.npy",
            npy_with("<i8", false, "(1,)", &[0; 9]),
            "unexpected bytes",
        ),
        (
            "huge.npy",
            npy_with("<f8", false, "(4294967296, 4294967296)", &[]),
            "overflow",
        ),
        (
            "bool.npy",
            npy_with("|b1", false, "(2,)", &[1, 2]),
            "outside the valid range",
        ),
        (
            "shape.npy",
            npy_with("<f4", false, "(-1,)", &[]),
            "malformed header",
        ),
    ];
    for (name, bytes, needle) in &cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = read_npy(&path).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(name), "error names the file: {msg}");
        assert!(
            msg.contains(needle),
            "{name}: expected '{needle}' in: {msg}"
        );
    }
    let err = read_npy(dir.join("absent.npy")).unwrap_err();
    assert!(err.to_string().contains("absent.npy"));
    // Asking for the wrong dtype is an error that says both.
    let path = dir.join("f32.npy");
    write_npy(&path, &sample(DType::F32)).unwrap();
    let err = read_npy_as(&path, DType::Float8E4M3FN).unwrap_err();
    assert!(matches!(
        err,
        TensorError::Npy {
            kind: NpyErrorKind::DtypeMismatch { .. },
            ..
        }
    ));
    println!("bad npy files rejected: {}/{}", cases.len(), cases.len());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn corrupted_and_truncated_real_files_never_panic() {
    let path = data_dir().join("qlinearconv_u8s8_k3p1_bias/in.X.npy");
    let good = std::fs::read(path).unwrap();
    let mut errors = 0;
    let mut total = 0;
    for cut in 0..good.len() {
        total += 1;
        if decode_npy(&good[..cut]).is_err() {
            errors += 1;
        }
    }
    assert_eq!(errors, total, "every strict prefix is rejected");
    // Flip bytes across the header and the start of the data (deterministic LCG).
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..4000 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut bad = good.clone();
        let pos = (state >> 33) as usize % 160.min(bad.len());
        bad[pos] ^= (state >> 8) as u8 | 1;
        let _ = decode_npy(&bad);
    }
    // A header written by us for an enormous shape is rejected without allocating.
    let mut huge = format_header("<f4", &[1 << 20, 1 << 20, 1 << 20]);
    huge.extend_from_slice(&[0; 64]);
    assert!(decode_npy(&huge).is_err());
    println!("truncated npy prefixes rejected: {errors}/{total}");
}

fn tempdir(tag: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("accelsim-tensor-npy-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn assert_no_temp_files(dir: &Path) {
    for f in std::fs::read_dir(dir).unwrap() {
        let name = f.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            !name.contains(".tmp-"),
            "temporary file left behind: {name}"
        );
    }
}
