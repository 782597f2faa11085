//! The HTML report seen from outside: structure, escaping, validation, size. The browser half is
//! in `report_browser.rs`.
#![allow(clippy::unwrap_used)]

mod report_common;

use cartera_core::Error;
use cartera_study::report::{Figure, ReportData, render};
use report_common::{NAMES, customer_id, sample};

/// The JSON of the look-up block.
fn lookup_json(html: &str) -> serde_json::Value {
    let open = "<script type=\"application/json\" id=\"report-data\">";
    let start = html.find(open).unwrap() + open.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

/// The rows of the clusters table's body, as cell texts.
fn cluster_rows(html: &str) -> Vec<Vec<String>> {
    let table = &html[html.find("id=\"clusters-table\"").unwrap()..];
    let body = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let inner = &cell[cell.find('>').unwrap() + 1..cell.find("</td>").unwrap()];
                    strip_tags(inner)
                })
                .collect()
        })
        .collect()
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn every_section_is_there_and_the_clusters_table_matches_the_data() {
    let data = sample(4, 500);
    let html = render(&data).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    for id in [
        "lookup",
        "lookup-input",
        "lookup-button",
        "lookup-status",
        "lookup-segment",
        "lookup-score",
        "lookup-tier",
        "overview",
        "clusters-table",
        "clusters",
        "cluster-0",
        "cluster-3",
        "quality",
        "tables",
        "figures",
    ] {
        assert_eq!(html.matches(&format!("id=\"{id}\"")).count(), 1, "{id}");
    }
    let rows = cluster_rows(&html);
    assert_eq!(rows.len(), 4);
    for (row, c) in rows.iter().zip(&data.clusters) {
        assert_eq!(row[0], c.name);
        assert_eq!(row[1], c.size.to_string()); // < 1000, no separator
        // name, size, share, mean score, 4 tiers, the stacked bar
        assert_eq!(row.len(), 9);
        let tiers: Vec<String> = c.tier_counts.iter().map(usize::to_string).collect();
        assert_eq!(row[4..8], tiers[..]);
    }
    let total: usize = data.clusters.iter().map(|c| c.size).sum();
    assert_eq!(total, 500);
    // Rendering is a pure function of the data.
    assert_eq!(render(&data).unwrap(), html);
}

#[test]
fn the_lookup_block_holds_every_customer_compactly() {
    let data = sample(3, 1000);
    let json = lookup_json(&render(&data).unwrap());
    let c = &data.customers;
    assert_eq!(json["clusters"].as_array().unwrap().len(), 3);
    assert_eq!(json["tiers"][3], "Critical");
    let ids: Vec<&str> = json["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(ids, c.ids.iter().map(String::as_str).collect::<Vec<_>>());
    let segment = c.segment.as_ref().unwrap();
    let score = c.score.as_ref().unwrap();
    let tier = c.tier.as_ref().unwrap();
    for i in 0..1000 {
        assert_eq!(json["segment"][i].as_u64().unwrap(), u64::from(segment[i]));
        assert_eq!(json["tier"][i].as_u64().unwrap(), u64::from(tier[i]));
        // Scores are rounded to 4 decimals.
        let s = json["score"][i].as_f64().unwrap();
        assert!((s - score[i]).abs() <= 0.5e-4 + 1e-12, "{s} {}", score[i]);
    }
}

#[test]
fn nothing_is_fetched_from_the_network() {
    let html = render(&sample(4, 100)).unwrap();
    assert!(
        html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';")
    );
    for needle in [
        " src=",
        "<link",
        "@import",
        "url(",
        "<img",
        "<iframe",
        "fetch(",
        "XMLHttpRequest",
    ] {
        assert!(!html.contains(needle), "{needle}");
    }
    // The only absolute URLs are the SVG namespace names of the figures.
    let urls = html.matches("http://").count() + html.matches("https://").count();
    let namespaces = html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count();
    assert!(namespaces > 0);
    assert_eq!(urls, namespaces);
}

#[test]
fn every_text_is_escaped_and_no_id_can_close_the_script() {
    let evil = "</script><script>alert(1)</script><!--";
    let mut data = sample(2, 20);
    data.title = evil.into();
    data.subtitle = evil.into();
    data.description = evil.into();
    data.score_name = evil.into();
    data.tier_names[0] = evil.into();
    data.clusters[0].name = evil.into();
    data.clusters[0].description = evil.into();
    data.clusters[0].campaign = evil.into();
    data.clusters[0].features[0].feature = evil.into();
    data.clusters[0].shap_importance[0].0 = evil.into();
    data.customers.ids[3] = evil.into();
    data.quality[0].name = evil.into();
    data.quality_figures[0].title = evil.into();
    data.tables[0].title = evil.into();
    data.tables[0].note = evil.into();
    data.tables[0].columns[0] = evil.into();
    data.tables[0].rows[0][1] = evil.into();
    data.figures[0].title = evil.into();
    let html = render(&data).unwrap();
    assert!(!html.contains("alert(1)</script>"));
    assert!(!html.contains("<!--"));
    // Exactly the two scripts of the page: the JSON block and the code.
    assert_eq!(html.matches("<script").count(), 2);
    assert_eq!(html.matches("</script>").count(), 2);
    assert!(html.contains("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;!--"));
    // The data survive the trip: the look-up finds the ID exactly as given.
    assert_eq!(lookup_json(&html)["ids"][3], evil);
    assert_eq!(lookup_json(&html)["clusters"][0], evil);
}

#[test]
fn a_study_without_segments_or_tiers_still_renders() {
    // Study 000 (purchase propensity) scores customers but has no segments and no tiers.
    let mut data = sample(1, 30);
    data.clusters.clear();
    data.tier_names.clear();
    data.customers.segment = None;
    data.customers.tier = None;
    data.score_name = "purchase probability".into();
    let html = render(&data).unwrap();
    for absent in [
        "clusters-table",
        "lookup-segment",
        "lookup-tier",
        "cluster-0",
        "clusters",
    ] {
        assert!(!html.contains(&format!("id=\"{absent}\"")), "{absent}");
    }
    assert!(html.contains("<dt>Purchase probability</dt><dd id=\"lookup-score\">"));
    assert_eq!(lookup_json(&html)["segment"], serde_json::Value::Null);
}

fn error_of(edit: impl FnOnce(&mut ReportData)) -> String {
    let mut data = sample(3, 40);
    edit(&mut data);
    render(&data)
        .expect_err("inconsistent data must be refused")
        .to_string()
}

#[test]
fn inconsistent_data_is_an_error_naming_the_field() {
    type Edit = Box<dyn FnOnce(&mut ReportData)>;
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|d| {
                d.clusters[1].tier_counts.pop();
            }),
            "clusters[1].tier_counts",
        ),
        (
            Box::new(|d| d.customers.segment.as_mut().unwrap()[7] = 3),
            "customers.segment[7]",
        ),
        (
            Box::new(|d| d.customers.tier.as_mut().unwrap()[9] = 4),
            "customers.tier[9]",
        ),
        (
            Box::new(|d| d.customers.score.as_mut().unwrap().truncate(39)),
            "customers.score",
        ),
        (
            Box::new(|d| d.customers.score.as_mut().unwrap()[5] = f64::NAN),
            "customers.score contains a non-finite value (NaN) at row 5",
        ),
        (
            Box::new(|d| d.customers.segment.as_mut().unwrap().push(0)),
            "customers.segment: one per ID",
        ),
        (
            Box::new(|d| d.customers.ids[8] = customer_id(2)),
            "must be unique",
        ),
        (Box::new(|d| d.clusters[2].share = 1.5), "clusters[2].share"),
        (
            Box::new(|d| d.clusters[0].mean_score = Some(f64::INFINITY)),
            "clusters[0].mean_score",
        ),
        (
            Box::new(|d| d.clusters[0].shap_importance[2].1 = -0.1),
            "clusters[0].shap_importance[2]",
        ),
        (
            Box::new(|d| {
                d.tables[1].rows[1].pop();
            }),
            "tables[1]",
        ),
        (Box::new(|d| d.quality[1].value = f64::NAN), "quality[1]"),
        (
            Box::new(|d| {
                d.clusters[2].figures.push(Figure {
                    title: "bad".into(),
                    svg: "<svg><script>alert(1)</script></svg>".into(),
                })
            }),
            "clusters[2].figures[0].svg",
        ),
        (
            Box::new(|d| d.figures[1].svg.push_str("<p>")),
            "figures[1].svg",
        ),
        (
            Box::new(|d| {
                d.tier_names.clear();
                for c in &mut d.clusters {
                    c.tier_counts.clear();
                }
            }),
            "customers.tier[0]",
        ),
    ];
    for (edit, expected) in cases {
        let err = error_of(edit);
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
    }
    // The error is a typed cartera error.
    let mut data = sample(3, 40);
    data.customers.tier.as_mut().unwrap()[0] = 9;
    assert!(matches!(
        data.validate(),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn report_data_round_trips_through_json() {
    let data = sample(3, 25);
    let json = serde_json::to_string(&data).unwrap();
    let back: ReportData = serde_json::from_str(&json).unwrap();
    assert_eq!(back, data);
}

#[test]
fn a_telco_sized_report_stays_small() {
    // Study 004 keeps 371,589 customers after dropping duplicates.
    let n = 371_589;
    let data = sample(4, n);
    let t = std::time::Instant::now();
    let html = render(&data).unwrap();
    let mb = html.len() as f64 / 1e6;
    println!("{n} customers: {mb:.2} MB in {:.2?}", t.elapsed());
    assert!(html.len() < 20_000_000, "{mb:.2} MB");
    let json = lookup_json(&html);
    assert_eq!(json["ids"].as_array().unwrap().len(), n);
    assert_eq!(json["ids"][n - 1], customer_id(n - 1));
    let rows = cluster_rows(&html);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0][0], NAMES[0]);
    // Thousands are grouped in the table.
    assert!(rows[0][1].contains(','), "{:?}", rows[0]);
}

/// Every chart of cartera-plot passes the figure check as drawn, names with `&` and `<`
/// included, so the studies can hand their SVG to the report untouched.
#[test]
fn every_cartera_plot_chart_can_be_embedded() {
    let names: Vec<String> = ["A & B", "<small>", "C"].map(String::from).to_vec();
    let n = 300;
    let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let x: Vec<f64> = (0..n)
        .map(|i| (i as f64 * 0.37).sin() + (i % 3) as f64)
        .collect();
    let y: Vec<f64> = (0..n).map(|i| (i as f64 * 0.11).cos()).collect();
    let sil: Vec<f64> = (0..n)
        .map(|i| ((i * 7 % 100) as f64 / 100.0) - 0.1)
        .collect();
    let shap = ndarray::Array2::from_shape_fn((n, 3), |(i, j)| ((i + j) as f64 * 0.3).sin());
    let values = ndarray::Array2::from_shape_fn((n, 3), |(i, j)| (i * (j + 1)) as f64);
    let tiers: Vec<String> = report_common::TIERS.map(String::from).to_vec();
    let deciles: Vec<String> = (1..=10).map(|d| d.to_string()).collect();
    let charts = [
        cartera_plot::elbow(&[1, 2, 3, 4, 5], &[9.0, 4.0, 2.0, 1.8, 1.7], Some(3)),
        cartera_plot::silhouette(&sil, &labels, &names),
        cartera_plot::scatter(&x, &y, &labels, &names, "x & <1>", "y"),
        cartera_plot::gains(&[0.0, 0.5, 1.0], &[0.0, 0.8, 1.0]),
        cartera_plot::lift(
            &deciles,
            &[3.0, 2.1, 1.6, 1.2, 1.0, 0.8, 0.6, 0.4, 0.2, 0.1],
        ),
        cartera_plot::shap_bar(&names, &[0.5, 0.2, 0.1], 3),
        cartera_plot::shap_beeswarm(&names, shap.view(), values.view(), 3),
        cartera_plot::stacked_tiers(
            &names,
            &tiers,
            &[vec![5, 4, 3, 2], vec![1, 0, 2, 9], vec![0; 4]],
        ),
        cartera_plot::band_effectiveness(&deciles[..5], &[0.4, 0.3, 0.2, 0.1, 0.05]),
    ];
    let mut data = sample(3, 60);
    data.figures = charts
        .into_iter()
        .enumerate()
        .map(|(i, svg)| Figure {
            title: format!("chart {i}"),
            svg: svg.unwrap(),
        })
        .collect();
    let html = render(&data).unwrap();
    assert_eq!(html.matches("<figure>").count(), 9 + 1); // and the quality figure
}
