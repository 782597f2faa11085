//! The CSV reader with delimiter detection and type inference, on arbitrary bytes.
//!
//! The first byte picks the options (detected delimiter, `;`, custom missing markers) so one
//! corpus covers the main paths; the rest is the file. A read either fails with a typed error
//! or gives a table whose columns all have `n_rows` values and that the rest of the library
//! can use (numeric matrix, describe, CSV writer).
#![no_main]

use cartera_preprocess::{CsvOptions, Table};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, bytes)) = data.split_first() else {
        return;
    };
    let options = match choice % 3 {
        0 => CsvOptions::default(),
        1 => CsvOptions::default().delimiter(b';'),
        _ => CsvOptions::default().missing_values(&["-", "n/a", ""]),
    };
    let Ok(table) = Table::read_csv_bytes(bytes, "fuzz.csv", &options) else {
        return;
    };
    assert_eq!(table.names().len(), table.columns().len());
    for column in table.columns() {
        assert_eq!(column.len(), table.n_rows());
    }
    let numeric = table.numeric_names();
    if let Ok(x) = table.to_array::<f64>(&numeric) {
        assert_eq!(x.dim(), (table.n_rows(), numeric.len()));
    }
    let _ = table.describe();
    let mut out = Vec::new();
    table
        .write_csv_to(&mut out)
        .expect("writing to memory cannot fail");
});
