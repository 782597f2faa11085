//! Prints the generated tables that `scripts/fixtures_kmeans.py` hands to scikit-learn, as CSV
//! on stdout (full precision; the script rounds them and stores the rounded matrix in the
//! fixture, so both sides cluster the very same numbers).
//!
//! `cargo run -q -p cartera-kmeans --example kmeans_fixture_data -- telco`

use cartera_preprocess::datasets;
use cartera_preprocess::scale::StandardScaler;

/// The eight numeric telco columns without missing values or sentinels.
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

fn main() -> Result<(), cartera_core::Error> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "telco".into());
    let x = match which.as_str() {
        "telco" => {
            let t = datasets::telco_churn(3000, 7)?;
            t.to_array::<f64>(&TELCO_COLUMNS)?
        }
        other => {
            return Err(cartera_core::Error::invalid_param(
                "table",
                other,
                "must be `telco`",
            ));
        }
    };
    let z = StandardScaler::new().fit_transform(x.view())?.1;
    println!("{}", TELCO_COLUMNS.join(","));
    for row in z.rows() {
        let cells: Vec<String> = row.iter().map(|v| format!("{v:e}")).collect();
        println!("{}", cells.join(","));
    }
    Ok(())
}
