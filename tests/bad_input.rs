//! Bad input to the library's readers: each case either gives the result documented in
//! `docs/limits.md` or a typed error naming what and where, never a panic, a hang or a
//! silently wrong number.
#![allow(clippy::unwrap_used)]

use cartera::Error;
use cartera::gbdt::lightgbm::read_lightgbm_model;
use cartera::gbdt::{Decision, Ensemble, GbdtModel, MissingType, Objective, Tree};
use cartera::kmeans::KMeansParams;
use cartera::preprocess::pipeline::{FittedPipeline, PrepConfig};
use cartera::preprocess::scale::ScalerKind;
use cartera::preprocess::{ColumnType, CsvOptions, Table};
use serde_json::Value;

fn read(bytes: &[u8]) -> cartera::Result<Table> {
    Table::read_csv_bytes(bytes, "bad.csv", &CsvOptions::default())
}

/// The (line, column) of a parse error, failing the test on any other outcome.
fn parse_error_at(result: cartera::Result<Table>) -> (u64, u64, String) {
    match result {
        Err(Error::Parse {
            line,
            column,
            message,
            ..
        }) => (line, column, message),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

fn numbers(t: &Table, name: &str) -> Vec<f64> {
    t.column(name).unwrap().as_numeric().unwrap().to_vec()
}

fn text(t: &Table, name: &str, i: usize) -> Option<String> {
    t.column(name).unwrap().get_string(i)
}

// ---------------------------------------------------------------------------------------------
// CSV

#[test]
fn csv_bom_is_stripped() {
    let t = read(b"\xEF\xBB\xBFid,amount\n1,2.5\n2,3.5\n").unwrap();
    assert_eq!(t.names(), ["id", "amount"]);
    assert_eq!(numbers(&t, "id"), [1.0, 2.0]);
}

#[test]
fn csv_utf16_is_an_encoding_error() {
    // A UTF-16 file (as Excel's "Unicode text" writes) is not silently read as garbage.
    let utf16: Vec<u8> = "\u{feff}a,b\n1,2\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let (line, column, message) = parse_error_at(read(&utf16));
    assert_eq!((line, column), (1, 1));
    assert!(message.contains("UTF-8"), "{message}");
}

#[test]
fn csv_crlf_line_ends_are_accepted() {
    let crlf = read(b"id,plan,amount\r\n1,basic,2.5\r\n2,pro,\r\n3,basic,4\r\n").unwrap();
    let lf = read(b"id,plan,amount\n1,basic,2.5\n2,pro,\n3,basic,4\n").unwrap();
    assert_eq!(crlf, lf);
    assert_eq!(crlf.names(), ["id", "plan", "amount"]);
    assert_eq!(text(&crlf, "plan", 1).as_deref(), Some("pro"));
    assert!(crlf.column("amount").unwrap().is_missing(1));
    // Errors name the same line with CRLF as with LF ends (the csv crate's own count is one
    // short after a CRLF; this used to report line 2).
    for file in [&b"a,b\r\n1,2\r\n3\r\n"[..], b"a,b\n1,2\n3\n"] {
        assert_eq!(parse_error_at(read(file)).0, 3);
    }
    // ... also after a quoted field spanning lines, and after blank lines.
    for file in [
        &b"a,b\r\n1,\"x\r\ny\"\r\n\r\n\r\n2\r\n"[..],
        b"a,b\n1,\"x\ny\"\n\n\n2\n",
    ] {
        assert_eq!(parse_error_at(read(file)).0, 6);
    }
    let latin1 = parse_error_at(read(b"a,b\r\n1,x\r\n2,\xE9\r\n"));
    assert_eq!((latin1.0, latin1.1), (3, 2));
}

#[test]
fn csv_nul_byte_is_kept_as_text() {
    // NUL is a valid UTF-8 character: kept in text, and a number with a NUL is not a number.
    let t = read(b"id,note\n1,a\0b\n2,c\n").unwrap();
    assert_eq!(text(&t, "note", 0).as_deref(), Some("a\0b"));
    let t = read(b"id,x\n1,5\n2,6\0\n").unwrap();
    assert_ne!(t.column_type("x").unwrap(), ColumnType::Numeric);
    assert_eq!(text(&t, "x", 1).as_deref(), Some("6\0"));
    let declared = CsvOptions::default().column_type("x", ColumnType::Numeric);
    let (line, column, _) = parse_error_at(Table::read_csv_bytes(
        b"id,x\n1,5\n2,6\0\n",
        "nul.csv",
        &declared,
    ));
    assert_eq!((line, column), (3, 2));
}

#[test]
fn csv_ten_megabyte_field() {
    let big = "x".repeat(10 << 20);
    let quoted = format!("id,blob\n1,\"{big}\"\n2,short\n");
    let t = read(quoted.as_bytes()).unwrap();
    assert_eq!(t.n_rows(), 2);
    assert_eq!(text(&t, "blob", 0).map(|s| s.len()), Some(10 << 20));
    let bare = format!("id,blob\n1,{big}\n2,short\n3,{big}\n");
    let t = read(bare.as_bytes()).unwrap();
    assert_eq!(t.n_rows(), 3);
    assert_eq!(text(&t, "blob", 2).map(|s| s.len()), Some(10 << 20));
    // A 10 MB number-like field is still one value, not a hang: text, since an integer past
    // 2^53 is not held exactly by f64 (pandas keeps such integers as strings too).
    let digits = format!("v\n{}\n", "9".repeat(10 << 20));
    let t = read(digits.as_bytes()).unwrap();
    assert_eq!(text(&t, "v", 0).map(|s| s.len()), Some(10 << 20));
}

#[test]
fn csv_hundred_thousand_columns() {
    let n = 100_000;
    let header: Vec<String> = (0..n).map(|j| format!("c{j}")).collect();
    let row: Vec<String> = (0..n).map(|j| (j % 7).to_string()).collect();
    let csv = format!(
        "{}\n{}\n{}\n",
        header.join(","),
        row.join(","),
        row.join(",")
    );
    let start = std::time::Instant::now();
    let t = read(csv.as_bytes()).unwrap();
    assert_eq!((t.n_rows(), t.n_cols()), (2, n));
    assert_eq!(numbers(&t, "c99999"), [(99_999 % 7) as f64; 2]);
    // Linear in the header: the duplicate-name check used to compare every pair.
    assert!(start.elapsed().as_secs() < 30, "took {:?}", start.elapsed());
    // A duplicate among them is found and named.
    let mut dup = header.clone();
    dup[n - 1] = "c5".into();
    let csv = format!("{}\n{}\n", dup.join(","), row.join(","));
    let (line, column, message) = parse_error_at(read(csv.as_bytes()));
    assert_eq!((line, column), (1, n as u64));
    assert!(message.contains("`c5` (also column 6)"), "{message}");
}

#[test]
fn csv_latin1_is_an_encoding_error_naming_the_cell() {
    // "José,Málaga" in Latin-1.
    let (line, column, message) =
        parse_error_at(read(b"name,city\nAna,Madrid\nJos\xE9,M\xE1laga\n"));
    assert_eq!((line, column), (3, 1));
    assert!(
        message.contains("0xE9") && message.contains("UTF-8"),
        "{message}"
    );
    // In the header too.
    let (line, column, _) = parse_error_at(read(b"nombre,a\xF1o\nAna,1990\n"));
    assert_eq!((line, column), (1, 2));
}

#[test]
fn csv_decimal_commas_and_thousands_separators_are_not_numbers() {
    // Semicolon-separated, European style: read as text, never as 1.234 or 1234.56.
    let t = read(b"id;amount\n1;1.234,56\n2;7,5\n").unwrap();
    assert_ne!(t.column_type("amount").unwrap(), ColumnType::Numeric);
    assert_eq!(text(&t, "amount", 0).as_deref(), Some("1.234,56"));
    // Quoted thousands separators in a comma file.
    let t = read(b"id,amount\n1,\"1,234.50\"\n2,\"12,000\"\n").unwrap();
    assert_ne!(t.column_type("amount").unwrap(), ColumnType::Numeric);
    // Declared numeric: a typed error naming line and column.
    let opts = CsvOptions::default().column_type("amount", ColumnType::Numeric);
    let (line, column, message) = parse_error_at(Table::read_csv_bytes(
        b"id;amount\n1;12\n2;1.234,56\n",
        "eu.csv",
        &opts,
    ));
    assert_eq!((line, column), (3, 2));
    assert!(message.contains("1.234,56"), "{message}");
    // And a numeric matrix of such a column is refused, not made up.
    assert!(t.to_array::<f64>(&["amount"]).is_err());
}

#[test]
fn csv_inf_text_is_infinite_and_refused_by_estimators() {
    let t = read(b"a,b\ninf,1\n-inf,2\n3,Infinity\n").unwrap();
    assert_eq!(numbers(&t, "a")[..2], [f64::INFINITY, f64::NEG_INFINITY]);
    assert_eq!(numbers(&t, "b")[2], f64::INFINITY);
    let x = t.to_array::<f64>(&["a", "b"]).unwrap();
    match KMeansParams::new(2).fit(x.view()) {
        Err(Error::NonFinite { row, column, .. }) => assert_eq!((row, column), (0, 0)),
        other => panic!("expected NonFinite, got {other:?}"),
    }
}

#[test]
fn csv_empty_column_name_becomes_unnamed() {
    let t = read(b",x,\n1,2,3\n").unwrap();
    assert_eq!(t.names(), ["Unnamed: 0", "x", "Unnamed: 2"]);
    assert_eq!(numbers(&t, "Unnamed: 2"), [3.0]);
    // An explicit name that collides with a generated one is a duplicate, not a silent merge.
    let (line, column, _) = parse_error_at(read(b",Unnamed: 0\n1,2\n"));
    assert_eq!((line, column), (1, 2));
}

// ---------------------------------------------------------------------------------------------
// GBDT model file

fn stump() -> Ensemble {
    let mut t = Tree::constant(0.0, 10.0, 10.0);
    t.split_feature = vec![1];
    t.threshold = vec![0.5];
    t.decision = vec![Decision {
        categorical: false,
        default_left: true,
        missing: MissingType::NaN,
    }];
    t.left_child = vec![-1];
    t.right_child = vec![-2];
    t.split_gain = vec![1.0];
    t.internal_value = vec![0.0];
    t.internal_weight = vec![10.0];
    t.internal_count = vec![10.0];
    t.leaf_value = vec![-1.0, 1.0];
    t.leaf_weight = vec![4.0, 6.0];
    t.leaf_count = vec![4.0, 6.0];
    Ensemble {
        trees: vec![t],
        n_features: 2,
        feature_names: vec!["a".into(), "b".into()],
        objective: Objective::Binary { sigmoid: 1.0 },
        init_score: vec![0.0],
    }
}

fn gbdt_json() -> Value {
    let m = GbdtModel::from_ensemble(stump()).unwrap();
    serde_json::from_str(&m.to_json().unwrap()).unwrap()
}

fn expect_model_format<T: std::fmt::Debug>(r: cartera::Result<T>, needle: &str) {
    match r {
        Err(Error::ModelFormat { message }) => {
            assert!(message.contains(needle), "`{message}` lacks `{needle}`")
        }
        other => panic!("expected ModelFormat containing `{needle}`, got {other:?}"),
    }
}

#[test]
fn gbdt_model_with_huge_sizes_is_rejected() {
    // The good file loads.
    GbdtModel::from_json(&gbdt_json().to_string()).unwrap();
    // A feature count far beyond the names it lists.
    let mut v = gbdt_json();
    v["ensemble"]["n_features"] = Value::from(u64::MAX);
    expect_model_format(GbdtModel::from_json(&v.to_string()), "feature names");
    // A count beyond usize is a format error, not an overflow.
    let text = gbdt_json()
        .to_string()
        .replace("\"n_features\":2", "\"n_features\":1e400");
    assert!(matches!(
        GbdtModel::from_json(&text),
        Err(Error::ModelFormat { .. })
    ));
    // A multiclass model with 10^18 classes (and one init score).
    let mut v = gbdt_json();
    v["ensemble"]["objective"] =
        serde_json::json!({"Multiclass": {"n_classes": 1_000_000_000_000_000_000u64}});
    expect_model_format(
        GbdtModel::from_json(&v.to_string()),
        "trees is not a multiple",
    );
    // A leaf array a million entries long for a two-leaf tree.
    let mut v = gbdt_json();
    v["ensemble"]["trees"][0]["leaf_value"] = Value::from(vec![0.5; 1_000_000]);
    expect_model_format(GbdtModel::from_json(&v.to_string()), "internal nodes");
    // A split on feature u32::MAX.
    let mut v = gbdt_json();
    v["ensemble"]["trees"][0]["split_feature"] = serde_json::json!([u32::MAX]);
    expect_model_format(GbdtModel::from_json(&v.to_string()), "splits on feature");
    // best_iteration beyond the rounds.
    let mut v = gbdt_json();
    v["best_iteration"] = Value::from(u64::MAX);
    expect_model_format(GbdtModel::from_json(&v.to_string()), "best_iteration");
}

#[test]
fn gbdt_model_with_cyclic_or_out_of_range_children_is_rejected() {
    let mut v = gbdt_json();
    v["ensemble"]["trees"][0]["left_child"] = serde_json::json!([0]);
    expect_model_format(GbdtModel::from_json(&v.to_string()), "internal node 0");
    let mut v = gbdt_json();
    v["ensemble"]["trees"][0]["right_child"] = serde_json::json!([-1_000_000]);
    expect_model_format(
        GbdtModel::from_json(&v.to_string()),
        "points to leaf 999999",
    );
}

// ---------------------------------------------------------------------------------------------
// Fitted pipeline file

fn pipeline_json() -> (Table, Value) {
    let t = read(b"age,balance,plan\n30,100,basic\n41,,pro\n52,300,basic\n25,50,pro\n").unwrap();
    let (p, _, _) = PrepConfig::new()
        .impute(cartera::preprocess::impute::ImputeStrategy::Mean)
        .scale(ScalerKind::Standard)
        .one_hot(true)
        .fit(&t)
        .unwrap();
    let v = serde_json::from_str(&p.to_json().unwrap()).unwrap();
    (t, v)
}

#[test]
fn pipeline_file_with_wrong_array_lengths_is_an_error() {
    let (t, v) = pipeline_json();
    FittedPipeline::from_json(&v.to_string())
        .unwrap()
        .transform(&t)
        .unwrap();
    // A scaler whose statistics are a million long (or empty) for two features: refused at
    // load or at transform, never an index panic.
    for len in [0usize, 1, 1_000_000] {
        let mut bad = v.clone();
        bad["scaler"]["stats"]["mean"] = Value::from(vec![1.0; len]);
        bad["scaler"]["stats"]["scale"] = Value::from(vec![1.0; len]);
        bad["scaler"]["stats"]["var"] = Value::from(vec![1.0; len]);
        let result = FittedPipeline::from_json(&bad.to_string()).and_then(|p| p.transform(&t));
        assert!(
            result.is_err(),
            "scaler statistics of length {len} accepted"
        );
    }
    // A huge version number.
    let mut bad = v.clone();
    bad["version"] = Value::from(u64::MAX);
    expect_model_format(FittedPipeline::from_json(&bad.to_string()), "version");
}

/// Found by the `pipeline_load` fuzz target (fuzz/corpus/pipeline_load/crash_fences_length.json):
/// IQR fences with fewer `lower` values than features made `transform` index past them.
#[test]
fn pipeline_file_with_short_outlier_fences_is_an_error() {
    let t = read(b"age,balance\n30,100\n41,900\n52,300\n25,50\n33,7000\n").unwrap();
    let (p, _, _) = PrepConfig::new()
        .outliers(cartera::preprocess::pipeline::OutlierAction::Clip)
        .fit(&t)
        .unwrap();
    let mut v: Value = serde_json::from_str(&p.to_json().unwrap()).unwrap();
    FittedPipeline::from_json(&v.to_string())
        .unwrap()
        .transform(&t)
        .unwrap();
    for key in ["lower", "upper", "q3"] {
        let mut bad = v.clone();
        bad["fences"][key] = serde_json::json!([-1.5]);
        let result = FittedPipeline::from_json(&bad.to_string()).and_then(|p| p.transform(&t));
        assert!(
            matches!(result, Err(Error::ModelFormat { .. })),
            "{key}: {result:?}"
        );
    }
    v["fences"]["lower"] = serde_json::json!([]);
    assert!(
        FittedPipeline::from_json(&v.to_string())
            .and_then(|p| p.transform(&t))
            .is_err()
    );
}

// ---------------------------------------------------------------------------------------------
// LightGBM text model

const STUMP: &str = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n\
    max_feature_idx=1\nobjective=binary sigmoid:1\nfeature_names=a b\n\n\
    Tree=0\nnum_leaves=3\nnum_cat=0\nsplit_feature=1 0\nsplit_gain=1 1\nthreshold=0.5 2\n\
    decision_type=2 2\nleft_child=1 -1\nright_child=-3 -2\nleaf_value=-1 1 2\n\
    leaf_weight=1 3 2\nleaf_count=1 3 2\ninternal_value=0 0\ninternal_weight=6 4\n\
    internal_count=6 4\nis_linear=0\nshrinkage=1\n\n\nend of trees\n";

fn expect_lightgbm_error(text: &str, needle: &str) {
    match read_lightgbm_model(text, "bad.txt") {
        Err(Error::ModelFormat { message }) | Err(Error::Parse { message, .. }) => {
            assert!(message.contains(needle), "`{message}` lacks `{needle}`")
        }
        other => panic!("expected an error containing `{needle}`, got {other:?}"),
    }
}

#[test]
fn lightgbm_good_file_loads() {
    let e = read_lightgbm_model(STUMP, "ok.txt").unwrap();
    let mut out = [0.0];
    e.predict_raw_row(&[3.0, 0.0], &mut out);
    assert_eq!(out, [1.0]);
}

#[test]
fn lightgbm_cyclic_tree_is_rejected() {
    // Node 1 points back to node 0 (the root): a cycle.
    expect_lightgbm_error(
        &STUMP.replace("left_child=1 -1", "left_child=1 0"),
        "node 1",
    );
    // A node pointing to itself.
    expect_lightgbm_error(
        &STUMP.replace("left_child=1 -1", "left_child=1 1"),
        "node 1",
    );
}

#[test]
fn lightgbm_out_of_range_child_is_rejected() {
    expect_lightgbm_error(
        &STUMP.replace("left_child=1 -1", "left_child=7 -1"),
        "node 7",
    );
    expect_lightgbm_error(
        &STUMP.replace("right_child=-3 -2", "right_child=-3 -2147483648"),
        "leaf 2147483647",
    );
    expect_lightgbm_error(
        &STUMP.replace("split_feature=1 0", "split_feature=1 9"),
        "feature 9",
    );
}

#[test]
fn lightgbm_huge_declared_sizes_are_errors_not_allocations() {
    // num_leaves far beyond the arrays that follow: an error, not a multi-terabyte
    // allocation.
    expect_lightgbm_error(
        &STUMP.replace("num_leaves=3", "num_leaves=1000000000000"),
        "entries, expected",
    );
    expect_lightgbm_error(
        &STUMP.replace("num_leaves=3", &format!("num_leaves={}", usize::MAX)),
        "entries, expected",
    );
    // A feature count beyond the limit, without feature names to check it against.
    let no_names = STUMP.replace("feature_names=a b\n", "");
    expect_lightgbm_error(
        &no_names.replace("max_feature_idx=1", "max_feature_idx=9223372036854775806"),
        "max_feature_idx",
    );
    // Found by the lightgbm_text fuzz target (a timeout: ten million `Column_j` names were
    // generated before the broken objective line was read).
    let fuzzed = "tree\nversion=v3\nnum_class=3\nnum_tree_per_iteration=3\nlabel_index=0\n\
                  max_feature_idx=00000000010000435\nobjective=multiclass n2enull\n";
    expect_lightgbm_error(fuzzed, "max_feature_idx");
    let below_limit = fuzzed.replace("00000000010000435", "1000000");
    expect_lightgbm_error(&below_limit, "truncated");
    // num_class huge with a multiclass objective: the trees do not add up.
    expect_lightgbm_error(
        &STUMP
            .replace("num_class=1", "num_class=1000000000000")
            .replace(
                "num_tree_per_iteration=1",
                "num_tree_per_iteration=1000000000000",
            )
            .replace("binary sigmoid:1", "multiclass num_class:1000000000000"),
        "not a multiple",
    );
}
