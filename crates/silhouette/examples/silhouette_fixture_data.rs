//! Prints the generated telco matrix that `scripts/fixtures_silhouette.py` hands to
//! scikit-learn, as CSV on stdout (full precision; the script rounds it and stores the rounded
//! matrix in the fixture, so both sides score the very same numbers).
//!
//! `cargo run -q -p cartera-silhouette --example silhouette_fixture_data -- ROWS SEED`

use cartera_preprocess::datasets;
use cartera_preprocess::scale::StandardScaler;

/// Eight numeric telco columns without missing values or sentinels.
const TELCO_COLUMNS: [&str; 8] = [
    "NUM_RECARGAS_M1",
    "MIN_LLAMADAS_SALIENTES",
    "NUM_SMS_ENVIADOS",
    "MB_DATOS",
    "ANTIGUEDAD_MESES",
    "NUM_LLAMADAS_SOPORTE",
    "ARPU_PROMEDIO",
    "CONSUMO_DATOS_GB",
];

fn arg(i: usize, default: u64) -> Result<u64, cartera_core::Error> {
    match std::env::args().nth(i) {
        None => Ok(default),
        Some(s) => s
            .parse()
            .map_err(|_| cartera_core::Error::invalid_param("argument", s, "expected an integer")),
    }
}

fn main() -> Result<(), cartera_core::Error> {
    let rows = arg(1, 2000)? as usize;
    let seed = arg(2, 7)?;
    let t = datasets::telco_churn(rows, seed)?;
    let x = t.to_array::<f64>(&TELCO_COLUMNS)?;
    let z = StandardScaler::new().fit_transform(x.view())?.1;
    println!("{}", TELCO_COLUMNS.join(","));
    for row in z.rows() {
        let cells: Vec<String> = row.iter().map(|v| format!("{v:e}")).collect();
        println!("{}", cells.join(","));
    }
    Ok(())
}
