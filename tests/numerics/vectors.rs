//! The copied reference vectors are complete and unmodified: every file listed in
//! `tests/data/numerics/manifest.json` exists with the recorded byte size.

#[test]
fn vectors_match_manifest() {
    let dir = format!("{}/tests/data/numerics", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(format!("{dir}/manifest.json")).expect("manifest.json");
    let m: serde_json::Value = serde_json::from_str(&text).expect("manifest is JSON");
    let files = m["files"].as_array().expect("files");
    let mut ok = 0;
    for f in files {
        let path = f["path"].as_str().expect("path");
        let bytes = f["bytes"].as_u64().expect("bytes");
        let meta =
            std::fs::metadata(format!("{dir}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(meta.len(), bytes, "{path} size differs from the manifest");
        ok += 1;
    }
    println!(
        "manifest: {ok}/{} files present with the recorded size",
        files.len()
    );
    assert_eq!(ok, 27);
}
