//! The fitted-pipeline loader (`FittedPipeline::from_json`) on arbitrary text, then the loaded
//! pipeline applied to a fixed customer table (the one the seed pipelines were fitted on, so
//! mutated seeds reach the transform steps). Loading or applying either fails with a typed
//! error or works; it never panics.
#![no_main]

use std::sync::OnceLock;

use cartera_preprocess::pipeline::FittedPipeline;
use cartera_preprocess::{CsvOptions, Table};
use libfuzzer_sys::fuzz_target;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        Table::read_csv_bytes(
            include_bytes!("../table.csv"),
            "table.csv",
            &CsvOptions::default(),
        )
        .expect("the fixed fuzz table reads")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(pipeline) = FittedPipeline::from_json(text) else {
        return;
    };
    // What loads must save and load back to the same pipeline.
    let saved = pipeline.to_json().expect("a loaded pipeline serialises");
    let again = FittedPipeline::from_json(&saved).expect("a saved pipeline loads");
    assert_eq!(again, pipeline);
    if let Ok((out, summary)) = pipeline.transform(table()) {
        assert_eq!(summary.rows_out, out.n_rows());
    }
});
