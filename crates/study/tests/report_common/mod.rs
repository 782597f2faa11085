//! Synthetic report data shared by the report tests (and the screenshot of docs/report.png).
//!
//! Customers are drawn from a small fixed generator, so every figure of the data (cluster
//! sizes, tier counts, means) is computed from the customer columns, as a study would.
#![allow(dead_code)] // each test file uses a different part

use cartera_study::report::{
    ClusterPage, Customers, FeatureStats, Figure, Metric, ReportData, TableSection,
};

pub const TIERS: [&str; 4] = ["Low", "Moderate", "High", "Critical"];
pub const NAMES: [&str; 4] = [
    "Prodigious rechargers",
    "Cautious rechargers",
    "Global communicators",
    "Standard users",
];
const FEATURES: [&str; 6] = [
    "NUM_RECARGAS_M1",
    "IMPORTE_RECARGAS_M1",
    "MINUTOS_LLAMADAS_INT",
    "DIAS_FRECUENCIA_RECARGA",
    "ANTIGUEDAD_MESES",
    "DATOS_MB_M1",
];

/// A splitmix64 stream in [0, 1): enough randomness for test data, no dependency.
pub struct Draws(u64);

impl Draws {
    pub fn new(seed: u64) -> Self {
        Draws(seed)
    }
    pub fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A 15-digit IMEI-like ID, unique for each `i`.
pub fn customer_id(i: usize) -> String {
    format!("35{:013}", 1_000_003 + i as u64 * 7_919)
}

/// Risk tier of a churn probability: retention > 85 % Low, 70-85 % Moderate, 50-70 % High,
/// below 50 % Critical (study 004's bands).
pub fn tier_of(churn: f64) -> u8 {
    match 1.0 - churn {
        r if r > 0.85 => 0,
        r if r > 0.70 => 1,
        r if r > 0.50 => 2,
        _ => 3,
    }
}

/// `n` customers in `k` (<= 4) segments, with churn scores and tiers, and a report around them.
pub fn sample(k: usize, n: usize) -> ReportData {
    assert!((1..=4).contains(&k));
    let mut draws = Draws::new(42);
    let mut segment = Vec::with_capacity(n);
    let mut score = Vec::with_capacity(n);
    let mut tier = Vec::with_capacity(n);
    for _ in 0..n {
        let s = ((draws.next() * k as f64) as usize).min(k - 1);
        // Each segment has its own churn level.
        let p = (0.08 + 0.15 * s as f64 + 0.45 * draws.next() * draws.next()).min(0.99);
        segment.push(s as u32);
        score.push(p);
        tier.push(tier_of(p));
    }
    let clusters = (0..k)
        .map(|c| {
            let rows: Vec<usize> = (0..n).filter(|&i| segment[i] as usize == c).collect();
            let mut tier_counts = vec![0; TIERS.len()];
            for &i in &rows {
                tier_counts[tier[i] as usize] += 1;
            }
            let mean_score = (!rows.is_empty())
                .then(|| rows.iter().map(|&i| score[i]).sum::<f64>() / rows.len() as f64);
            ClusterPage {
                name: NAMES[c].to_string(),
                description: format!(
                    "Customers of segment {c}: they recharge {} and call abroad {}.\n\n\
                     A second paragraph of the description.",
                    ["often", "rarely", "sometimes", "regularly"][c],
                    ["seldom", "never", "every week", "now and then"][c]
                ),
                size: rows.len(),
                share: rows.len() as f64 / n.max(1) as f64,
                mean_score,
                tier_counts,
                features: FEATURES
                    .iter()
                    .enumerate()
                    .map(|(f, name)| {
                        let m = 10.0 * (f + 1) as f64 * (1.0 + 0.3 * c as f64);
                        FeatureStats {
                            feature: name.to_string(),
                            mean: m,
                            std: 0.3 * m,
                            min: 0.0,
                            q1: 0.7 * m,
                            median: 0.95 * m,
                            q3: 1.2 * m,
                            max: 3.0 * m,
                            overall_mean: 10.0 * (f + 1) as f64 * 1.45,
                        }
                    })
                    .collect(),
                shap_importance: FEATURES
                    .iter()
                    .enumerate()
                    .map(|(f, name)| (name.to_string(), 0.05 + 0.9 / (1 + (f + c) % 6) as f64))
                    .collect(),
                figures: vec![],
                campaign: format!("Campaign for {}: a bonus on the next recharge.", NAMES[c]),
            }
        })
        .collect::<Vec<_>>();
    let tier_bars = bar_chart(
        "Customers per tier",
        &TIERS.map(String::from),
        &(0..TIERS.len())
            .map(|t| clusters.iter().map(|c| c.tier_counts[t]).sum::<usize>() as f64)
            .collect::<Vec<_>>(),
    );
    ReportData {
        title: "Telco churn (synthetic)".into(),
        subtitle: format!("{n} customers, {k} segments, churn risk and campaigns"),
        description: "Generated customers standing in for study 004: segments from k-means on \
                      recharge behaviour, a churn model explained with TreeSHAP, risk tiers \
                      from the retention probability."
            .into(),
        score_name: "churn probability".into(),
        tier_names: TIERS.map(String::from).to_vec(),
        clusters,
        customers: Customers {
            ids: (0..n).map(customer_id).collect(),
            segment: Some(segment),
            score: Some(score),
            tier: Some(tier),
        },
        quality: vec![
            Metric {
                name: "validation accuracy".into(),
                value: 0.9512,
            },
            Metric {
                name: "validation AUC".into(),
                value: 0.9731,
            },
            Metric {
                name: "churned precision".into(),
                value: 0.96,
            },
            Metric {
                name: "churned recall".into(),
                value: 0.83,
            },
            Metric {
                name: "trees".into(),
                value: 200.0,
            },
        ],
        quality_figures: vec![Figure {
            title: "Cumulative gains".into(),
            svg: line_chart(
                "Gains",
                &[0.0, 0.35, 0.6, 0.77, 0.88, 0.95, 0.98, 1.0, 1.0, 1.0, 1.0],
            ),
        }],
        tables: vec![
            TableSection {
                title: "Risk tiers and offers".into(),
                note: "Retention probability bands of study 004.".into(),
                columns: vec![
                    "Tier".into(),
                    "Retention".into(),
                    "Offer".into(),
                    "Customers".into(),
                ],
                rows: vec![
                    vec![
                        "Low".into(),
                        "> 85 %".into(),
                        "Loyalty points".into(),
                        "1,200".into(),
                    ],
                    vec![
                        "Critical".into(),
                        "< 50 %".into(),
                        "Call & 20 % off".into(),
                        "310".into(),
                    ],
                ],
            },
            TableSection {
                title: "Mean churn probability per store".into(),
                note: String::new(),
                columns: vec!["Store".into(), "Region".into(), "Mean churn".into()],
                rows: vec![
                    vec!["S-01".into(), "North".into(), "0.182".into()],
                    vec!["S-02".into(), "South".into(), "0.241".into()],
                ],
            },
        ],
        figures: vec![
            Figure {
                title: "Elbow: inertia against k (knee at 4)".into(),
                svg: line_chart("Inertia", &[1.0, 0.62, 0.41, 0.22, 0.19, 0.17, 0.16, 0.15]),
            },
            Figure {
                title: "Customers per tier".into(),
                svg: tier_bars,
            },
        ],
    }
}

const W: f64 = 520.0;
const H: f64 = 300.0;

/// A small line chart of `ys` (in [0, 1]) in the shape plotters writes.
pub fn line_chart(label: &str, ys: &[f64]) -> String {
    let mut svg = frame(label);
    let step = (W - 80.0) / (ys.len().max(2) - 1) as f64;
    let pts: Vec<String> = ys
        .iter()
        .enumerate()
        .map(|(i, y)| {
            format!(
                "{:.1},{:.1}",
                60.0 + i as f64 * step,
                H - 40.0 - y * (H - 80.0)
            )
        })
        .collect();
    svg.push_str(&format!(
        "<polyline fill=\"none\" stroke=\"#2458B3\" stroke-width=\"2\" points=\"{}\"/>\n",
        pts.join(" ")
    ));
    for p in &pts {
        let (x, y) = p.split_once(',').unwrap();
        svg.push_str(&format!(
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"3\" fill=\"#2458B3\"/>\n"
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

/// A small bar chart, one bar per label.
pub fn bar_chart(label: &str, labels: &[String], values: &[f64]) -> String {
    let mut svg = frame(label);
    let max = values.iter().cloned().fold(0.0, f64::max).max(1e-12);
    let slot = (W - 80.0) / values.len().max(1) as f64;
    for (i, (l, v)) in labels.iter().zip(values).enumerate() {
        let h = v / max * (H - 80.0);
        let x = 60.0 + i as f64 * slot + 0.15 * slot;
        svg.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"hsl({:.0},62%,42%)\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\" font-family=\"sans-serif\">{l}</text>\n",
            H - 40.0 - h,
            0.7 * slot,
            130.0 * (1.0 - i as f64 / (values.len().max(2) - 1) as f64),
            x + 0.35 * slot,
            H - 24.0,
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

fn frame(label: &str) -> String {
    format!(
        "<svg width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" xmlns=\"http://www.w3.org/2000/svg\">\n\
         <rect x=\"0\" y=\"0\" width=\"{W}\" height=\"{H}\" fill=\"#FFFFFF\"/>\n\
         <line x1=\"60\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#000000\"/>\n\
         <line x1=\"60\" y1=\"40\" x2=\"60\" y2=\"{b}\" stroke=\"#000000\"/>\n\
         <text x=\"14\" y=\"28\" font-size=\"13\" font-family=\"sans-serif\">{label}</text>\n",
        b = H - 40.0,
        r = W - 20.0,
    )
}
