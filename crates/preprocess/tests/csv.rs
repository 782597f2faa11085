//! Behaviour of the CSV reader and writer seen from outside: formats, inference, and every
//! bad-input error with its file, line and column.

#![allow(clippy::unwrap_used)] // tests: a panic is a failed test

use cartera_core::Error;
use cartera_preprocess::{CategoricalColumn, Column, ColumnType, CsvOptions, Table, TextColumn};

fn read(s: &str) -> Result<Table, Error> {
    Table::read_csv_bytes(s.as_bytes(), "t.csv", &CsvOptions::default())
}

fn parse_err(r: Result<Table, Error>) -> (u64, u64, String) {
    match r {
        Err(Error::Parse {
            source_name,
            line,
            column,
            message,
        }) => {
            assert_eq!(source_name, "t.csv");
            (line, column, message)
        }
        other => panic!("expected a Parse error, got {other:?}"),
    }
}

#[test]
fn infers_types_and_missing() {
    let t = read(
        "id,plan,income,note\n1,a,10.5,x1\n2,b,NA,x2\n3,a,,x3\n4,a,?,x4\n5,b,null,x5\n6,a,NaN,x6\n",
    )
    .unwrap();
    assert_eq!(t.n_rows(), 6);
    assert_eq!(t.column_type("id").unwrap(), ColumnType::Numeric);
    assert_eq!(t.column_type("plan").unwrap(), ColumnType::Categorical);
    assert_eq!(t.column_type("note").unwrap(), ColumnType::Text);
    assert_eq!(t.column("income").unwrap().missing_count(), 5);
}

#[test]
fn detects_semicolon_tab_and_pipe() {
    for d in [";", "\t", "|"] {
        let s = format!("a{d}b\n1{d}2\n3{d}4\n");
        let t = read(&s).unwrap();
        assert_eq!(
            t.names(),
            &["a".to_string(), "b".to_string()],
            "delimiter {d:?}"
        );
    }
    // Decimal commas inside a semicolon file: the semicolon wins because it splits both lines
    // alike, and the comma numbers stay text.
    let t = read("precio;cantidad\n1,5;2\n3,25;4\n").unwrap();
    assert_eq!(t.n_cols(), 2);
    assert_eq!(t.column_type("precio").unwrap(), ColumnType::Text);
}

#[test]
fn given_delimiter_must_be_known() {
    assert!(CsvOptions::parse_delimiter("tab").is_ok());
    assert_eq!(CsvOptions::parse_delimiter(";").unwrap(), b';');
    for bad in ["::", "a", "\"", "", "é"] {
        let e = CsvOptions::parse_delimiter(bad).unwrap_err();
        assert!(e.to_string().contains("unknown delimiter"), "{bad:?}: {e}");
    }
    let r = Table::read_csv_bytes(
        b"a,b\n1,2\n",
        "t.csv",
        &CsvOptions::default().delimiter(b'x'),
    );
    assert!(matches!(r, Err(Error::InvalidParameter { .. })));
}

#[test]
fn quotes_crlf_bom_and_utf8() {
    let s = "\u{feff}nombre,ciudad,comentario\r\n\"Pérez, Ana\",Bogotá,\"dijo \"\"hola\"\"\r\ny se fue\"\r\nИван,Москва,ok\r\n";
    let t = read(s).unwrap();
    assert_eq!(t.names()[0], "nombre");
    assert_eq!(t.n_rows(), 2);
    let c = t.column("comentario").unwrap();
    assert_eq!(
        c.get_string(0).as_deref(),
        Some("dijo \"hola\"\r\ny se fue")
    );
    assert_eq!(
        t.column("ciudad").unwrap().get_string(1).as_deref(),
        Some("Москва")
    );
}

#[test]
fn blank_lines_are_skipped_and_spaces_trimmed_for_numbers() {
    let t = read("a,b\n1, 2 \n\n3,  \n").unwrap();
    assert_eq!(t.n_rows(), 2);
    let b = t.column("b").unwrap().as_numeric().unwrap().to_vec();
    assert_eq!(b[0], 2.0);
    assert!(b[1].is_nan());
}

#[test]
fn inf_is_a_number_and_nan_is_missing() {
    let t = read("x\ninf\n-inf\nnan\n1\n").unwrap();
    let x = t.column("x").unwrap().as_numeric().unwrap();
    assert_eq!(x[0], f64::INFINITY);
    assert_eq!(x[1], f64::NEG_INFINITY);
    assert!(x[2].is_nan());
}

#[test]
fn empty_header_names_are_named_like_pandas() {
    let t = read(",a\n0,1\n1,2\n").unwrap();
    assert_eq!(t.names()[0], "Unnamed: 0");
}

#[test]
fn column_that_turns_to_text_keeps_earlier_spelling() {
    let t = read("code\n007\n12\nX9\n").unwrap();
    let c = t.column("code").unwrap();
    assert_eq!(c.column_type(), ColumnType::Text);
    assert_eq!(c.get_string(0).as_deref(), Some("007"));
}

#[test]
fn type_overrides() {
    let opts = CsvOptions::default()
        .column_type("zip", ColumnType::Text)
        .column_type("n", ColumnType::Categorical);
    let t = Table::read_csv_bytes(b"zip,n\n08001,1\n28001,2\n", "t.csv", &opts).unwrap();
    assert_eq!(
        t.column("zip").unwrap().get_string(0).as_deref(),
        Some("08001")
    );
    assert_eq!(t.column_type("n").unwrap(), ColumnType::Categorical);
    let missing = CsvOptions::default().column_type("nope", ColumnType::Text);
    assert!(matches!(
        Table::read_csv_bytes(b"a\n1\n", "t.csv", &missing),
        Err(Error::UnknownColumn { .. })
    ));
}

#[test]
fn numeric_override_on_text_names_the_cell() {
    let opts = CsvOptions::default().column_type("name", ColumnType::Numeric);
    let r = Table::read_csv_bytes(b"id,name\n1,2\n2,Ana\n", "t.csv", &opts);
    let (line, col, msg) = parse_err(r);
    assert_eq!((line, col), (3, 2));
    assert!(msg.contains("`Ana` is not a number"), "{msg}");
}

#[test]
fn a_file_without_a_header_reads_every_line_as_data() {
    let opts = CsvOptions::default().has_header(false);
    let t = Table::read_csv_bytes(b"7;ana;1.5\n8;luis;NA\n", "t.csv", &opts).unwrap();
    assert_eq!(t.names(), ["0", "1", "2"]);
    assert_eq!(t.column("0").unwrap().as_numeric(), Some(&[7.0, 8.0][..]));
    assert_eq!(
        t.column("1").unwrap().get_string(1).as_deref(),
        Some("luis")
    );
    assert!(t.column("2").unwrap().is_missing(1));
    // One line is one row (with a header it would be a header and no rows).
    let one = Table::read_csv_bytes(b"1,2\n", "t.csv", &opts).unwrap();
    assert_eq!((one.n_rows(), one.n_cols()), (1, 2));
    assert!(read("1,2\n").is_err());
    // Types are declared by the column numbers.
    let typed = opts.clone().column_type("0", ColumnType::Categorical);
    let t = Table::read_csv_bytes(b"1,2\n3,4\n", "t.csv", &typed).unwrap();
    assert_eq!(
        t.column("0").unwrap().column_type(),
        ColumnType::Categorical
    );
    // A ragged line is named by its own line: the first is line 1.
    let (line, col, msg) = parse_err(Table::read_csv_bytes(b"1,2,3\n4,5\n", "t.csv", &opts));
    assert_eq!((line, col), (2, 0));
    assert_eq!(msg, "expected 3 fields (as in the first line), found 2");
    let (line, _, _) = parse_err(Table::read_csv_bytes(
        b"1,x\n2,y\n",
        "t.csv",
        &opts.clone().column_type("1", ColumnType::Numeric),
    ));
    assert_eq!(line, 1);
    // An empty file says so without mentioning a header.
    match Table::read_csv_bytes(b"\n", "t.csv", &opts) {
        Err(e) => assert!(e.to_string().contains("(no rows)"), "{e}"),
        Ok(_) => panic!("an empty file read"),
    }
}

#[test]
fn ragged_row_names_the_line() {
    let (line, col, msg) = parse_err(read("a,b,c\n1,2,3\n4,5\n"));
    assert_eq!((line, col), (3, 0));
    assert_eq!(msg, "expected 3 fields (as in the header), found 2");
    // A quoted newline moves later line numbers along.
    let (line, _, _) = parse_err(read("a,b\n\"x\ny\",1\n1,2,3\n"));
    assert_eq!(line, 4);
}

#[test]
fn non_utf8_names_the_cell() {
    let bytes = b"nombre,edad\nJos\xe9,40\n";
    let (line, col, msg) = parse_err(Table::read_csv_bytes(
        bytes,
        "t.csv",
        &CsvOptions::default(),
    ));
    assert_eq!((line, col), (2, 1));
    assert!(msg.contains("UTF-8"), "{msg}");
    let (line, col, _) = parse_err(Table::read_csv_bytes(
        b"a\xff\n1\n",
        "t.csv",
        &CsvOptions::default(),
    ));
    assert_eq!((line, col), (1, 1));
}

#[test]
fn empty_file_and_header_only() {
    assert!(matches!(read(""), Err(Error::EmptyInput { .. })));
    assert!(matches!(read("\n \n"), Err(Error::EmptyInput { .. })));
    let e = read("a,b,c\n").unwrap_err();
    assert!(matches!(e, Error::EmptyInput { .. }));
    assert!(e.to_string().contains("header but no rows"), "{e}");
}

#[test]
fn duplicate_column_names() {
    let (line, col, msg) = parse_err(read("a,b,a\n1,2,3\n"));
    assert_eq!((line, col), (1, 3));
    assert!(msg.contains("duplicate column name `a`"), "{msg}");
}

#[test]
fn missing_file_is_an_io_error_with_the_path() {
    let e = Table::read_csv("/no/such/file.csv", &CsvOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Io { .. }));
    assert!(e.to_string().contains("/no/such/file.csv"));
}

/// A table large enough to span several 2 MiB parsing blocks, with quoted newlines and a
/// column that only turns to text in a late block.
fn big_table(n: usize) -> Table {
    let ids: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let amount: Vec<f64> = (0..n)
        .map(|i| {
            if i % 97 == 0 {
                f64::NAN
            } else {
                i as f64 * 0.37 - 1000.0
            }
        })
        .collect();
    let plan: Vec<Option<String>> = (0..n)
        .map(|i| {
            if i % 50 == 3 {
                None
            } else {
                Some(["básico", "plus", "datos"][i % 3].to_string())
            }
        })
        .collect();
    let note: Vec<Option<String>> = (0..n)
        .map(|i| Some(format!("línea {i},\n\"segunda\" parte")))
        .collect();
    let late: Vec<Option<String>> = (0..n)
        .map(|i| {
            Some(if i == n - 10 {
                "pending".to_string()
            } else {
                format!("{}", i % 500)
            })
        })
        .collect();
    Table::from_columns(vec![
        ("id".into(), Column::Numeric(ids)),
        ("amount".into(), Column::Numeric(amount)),
        (
            "plan".into(),
            Column::Categorical(CategoricalColumn::from_options(&plan)),
        ),
        ("note".into(), Column::Text(TextColumn::from_options(&note))),
        (
            "late".into(),
            Column::Categorical(CategoricalColumn::from_options(&late)),
        ),
    ])
    .unwrap()
}

/// Table equality that names the first differing column instead of printing both tables.
fn assert_same(a: &Table, b: &Table) {
    assert_eq!(a.names(), b.names());
    assert_eq!(a.n_rows(), b.n_rows());
    for (name, (ca, cb)) in a.names().iter().zip(a.columns().iter().zip(b.columns())) {
        assert_eq!(
            ca.column_type(),
            cb.column_type(),
            "type of column `{name}`"
        );
        assert!(ca == cb, "column `{name}` differs");
    }
}

#[test]
fn multi_block_round_trip_is_exact() {
    let t = big_table(150_000);
    let mut csv = Vec::new();
    t.write_csv_to(&mut csv).unwrap();
    assert!(
        csv.len() > 3 * (2 << 20),
        "test data must span several blocks: {}",
        csv.len()
    );
    let back = Table::read_csv_bytes(&csv, "big.csv", &CsvOptions::default()).unwrap();
    assert_same(&back, &t);
    // The same under 1 and 4 threads.
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| Table::read_csv_bytes(&csv, "big.csv", &CsvOptions::default()).unwrap());
    assert_same(&one, &back);
}

#[test]
fn error_in_a_late_block_has_the_global_line() {
    let t = big_table(100_000);
    let mut csv = Vec::new();
    t.write_csv_to(&mut csv).unwrap();
    // Append a ragged row at the end: each record above spans two lines.
    csv.extend_from_slice(b"1,2\n");
    let (line, col, _) = parse_err(Table::read_csv_bytes(&csv, "t.csv", &CsvOptions::default()));
    assert_eq!((line, col), (1 + 2 * 100_000 + 1, 0));
}

#[test]
fn write_csv_to_file_is_atomic_and_readable() {
    let dir = std::env::temp_dir().join(format!("cartera-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("out.csv");
    let t = read("a,b\n1,x\n2,y\n3,x\n4,x\n").unwrap();
    t.write_csv(&path).unwrap();
    assert!(!dir.join("out.csv.partial").exists());
    let back = Table::read_csv(&path, &CsvOptions::default()).unwrap();
    assert_eq!(back, t);
    let e = t.write_csv(dir.join("no/such/dir/x.csv")).unwrap_err();
    assert!(matches!(e, Error::Io { .. }));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The foundation issue's memory bar: a table read from CSV takes under twice the bytes of its
/// numeric payload (rows x columns x 8), on the study-004-shaped telco table.
#[test]
fn telco_table_memory_is_under_twice_its_numeric_payload() {
    let t = cartera_preprocess::datasets::telco_churn(20_000, 7).unwrap();
    let mut csv = Vec::new();
    t.write_csv_to(&mut csv).unwrap();
    let back = Table::read_csv_bytes(&csv, "telco.csv", &CsvOptions::default()).unwrap();
    let payload = back.n_rows() * back.n_cols() * 8;
    let ratio = back.heap_bytes() as f64 / payload as f64;
    assert!(ratio < 2.0, "table takes {ratio:.2}x its numeric payload");
    assert_same(&back, &t);
}
