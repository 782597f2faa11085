//! Draws every chart of cartera-plot on small synthetic inputs and writes them as SVG files,
//! to look at them side by side: `cargo run -p cartera-plot --example gallery -- OUT_DIR`
//! (default `target/plot-gallery`).

use std::path::PathBuf;

use ndarray::Array2;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/plot-gallery"));
    std::fs::create_dir_all(&out)?;
    let names: Vec<String> = [
        "regular users",
        "frequent spenders",
        "occasional users",
        "dormant",
    ]
    .map(String::from)
    .to_vec();

    let ks: Vec<usize> = (1..=10).collect();
    let inertia: Vec<f64> = ks
        .iter()
        .map(|&k| 4000.0 / (k as f64).powf(1.6) + 300.0)
        .collect();
    let mut charts = vec![("elbow", cartera_plot::elbow(&ks, &inertia, Some(4))?)];

    // A deterministic "cloud" per segment: points on a spiral around each centre.
    let n = 20_000;
    let labels: Vec<usize> = (0..n).map(|i| (i * 7 + i / 3) % 4).collect();
    let centres = [(0.0, 0.0), (3.0, 1.0), (1.0, 3.5), (4.0, 4.0)];
    let (x, y): (Vec<f64>, Vec<f64>) = (0..n)
        .map(|i| {
            let (cx, cy) = centres[labels[i]];
            let r = ((i % 97) as f64 / 97.0).sqrt() * 1.2;
            let a = i as f64 * 2.399;
            (cx + r * a.cos(), cy + r * a.sin())
        })
        .unzip();
    charts.push((
        "scatter",
        cartera_plot::scatter(
            &x,
            &y,
            &labels,
            &names,
            "frequency (scaled)",
            "amount (scaled)",
        )?,
    ));

    let sil: Vec<f64> = (0..n)
        .map(|i| ((i % 101) as f64 / 100.0) * 0.8 - 0.1 + 0.1 * labels[i] as f64 / 4.0)
        .collect();
    charts.push((
        "silhouette",
        cartera_plot::silhouette(&sil, &labels, &names)?,
    ));

    let pop: Vec<f64> = (0..=20).map(|i| i as f64 / 20.0).collect();
    let cap: Vec<f64> = pop.iter().map(|p| 1.0 - (1.0 - p).powi(3)).collect();
    charts.push(("gains", cartera_plot::gains(&pop, &cap)?));

    let deciles: Vec<String> = (1..=10).map(|d| d.to_string()).collect();
    let lift: Vec<f64> = (0..10).map(|d| 3.0 * (-0.35 * d as f64).exp()).collect();
    charts.push(("lift", cartera_plot::lift(&deciles, &lift)?));

    let features: Vec<String> = [
        "tenure_months",
        "monthly_charges",
        "support_calls",
        "contract_type",
        "data_usage_gb",
        "age",
    ]
    .map(String::from)
    .to_vec();
    let p = features.len();
    let rows = 3_000;
    let values = Array2::from_shape_fn((rows, p), |(i, j)| {
        if j == 4 && i % 17 == 0 {
            f64::NAN
        } else {
            ((i * (j + 3) * 31) % 1000) as f64 / 100.0
        }
    });
    let shap = Array2::from_shape_fn((rows, p), |(i, j)| {
        let v = values[[i, j]];
        let v = if v.is_nan() { 5.0 } else { v };
        (v - 5.0) * 0.1 / (j + 1) as f64
    });
    let mean_abs: Vec<f64> = (0..p)
        .map(|j| shap.column(j).iter().map(|v| v.abs()).sum::<f64>() / rows as f64)
        .collect();
    charts.push((
        "shap_bar",
        cartera_plot::shap_bar(&features, &mean_abs, 20)?,
    ));
    charts.push((
        "shap_beeswarm",
        cartera_plot::shap_beeswarm(&features, shap.view(), values.view(), 20)?,
    ));

    let tiers: Vec<String> = ["Low", "Moderate", "High", "Critical"]
        .map(String::from)
        .to_vec();
    let counts = vec![
        vec![900, 300, 120, 40],
        vec![200, 400, 380, 220],
        vec![1500, 100, 20, 0],
        vec![100, 150, 300, 600],
    ];
    charts.push((
        "stacked_tiers",
        cartera_plot::stacked_tiers(&names, &tiers, &counts)?,
    ));

    let bands: Vec<String> = [
        "A (0.8-1.0)",
        "B (0.6-0.8)",
        "C (0.4-0.6)",
        "D (0.2-0.4)",
        "E (0-0.2)",
    ]
    .map(String::from)
    .to_vec();
    charts.push((
        "band_effectiveness",
        cartera_plot::band_effectiveness(&bands, &[0.42, 0.27, 0.15, 0.06, 0.012])?,
    ));

    for (name, svg) in charts {
        let path = out.join(format!("{name}.svg"));
        std::fs::write(&path, &svg)?;
        println!("{:>8} bytes  {}", svg.len(), path.display());
    }
    Ok(())
}
