//! [`render`]: [`ReportData`] to one HTML string.
//!
//! Every text goes through [`esc`]; figures through the SVG check; the customer columns are
//! written as JSON by hand (compact, scores rounded) with every `<` escaped so the data can never
//! close its `<script>` element. The page's Content-Security-Policy forbids any fetch, so even a
//! mistake in this file could not make the report reach the network.

use std::fmt::Write as _;

use cartera_core::Result;

use super::{ClusterPage, Customers, Figure, ReportData, TableSection, svg};

const CSS: &str = include_str!("report.css");
const JS: &str = include_str!("report.js");

/// Appends formatted text to a `String`; writing to a `String` cannot fail, so the
/// `fmt::Result` carries no information and is dropped.
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}

/// Renders `data` as one self-contained HTML page (UTF-8).
///
/// The same data always gives the same bytes (no timestamp is written). Size: a few kB plus
/// the figures, plus about 30 bytes per customer of the look-up.
///
/// # Errors
/// Whatever [`ReportData::validate`] finds; nothing is rendered from inconsistent data.
pub fn render(data: &ReportData) -> Result<String> {
    data.validate()?;
    let mut out = String::with_capacity(16 * 1024 + 40 * data.customers.ids.len());
    let title = esc(&data.title);
    w!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"generator\" content=\"cartera {}\">\n<title>{title}</title>\n\
         <style>\n{CSS}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION")
    );
    w!(out, "<header>\n<h1>{title}</h1>\n");
    if !data.subtitle.is_empty() {
        w!(out, "<p class=\"subtitle\">{}</p>\n", esc(&data.subtitle));
    }
    out.push_str("</header>\n");
    nav(&mut out, data);
    out.push_str("<main>\n");
    lookup_section(&mut out, data);
    overview(&mut out, data);
    if !data.clusters.is_empty() {
        clusters(&mut out, data)?;
    }
    if !data.quality.is_empty() || !data.quality_figures.is_empty() {
        quality(&mut out, data)?;
    }
    if !data.tables.is_empty() {
        out.push_str("<section id=\"tables\">\n<h2>Campaign tables</h2>\n");
        for (i, t) in data.tables.iter().enumerate() {
            table_section(&mut out, i, t);
        }
        out.push_str("</section>\n");
    }
    if !data.figures.is_empty() {
        out.push_str("<section id=\"figures\">\n<h2>Figures</h2>\n");
        figures(&mut out, &data.figures, "figures")?;
        out.push_str("</section>\n");
    }
    w!(
        out,
        "</main>\n<footer>Made with cartera {}. This file is self-contained: it loads nothing \
         from the network.</footer>\n",
        env!("CARGO_PKG_VERSION")
    );
    out.push_str("<script type=\"application/json\" id=\"report-data\">");
    lookup_json(&mut out, data);
    w!(
        out,
        "</script>\n<script>\n{JS}</script>\n</body>\n</html>\n"
    );
    Ok(out)
}

fn nav(out: &mut String, data: &ReportData) {
    out.push_str(
        "<nav>\n<a href=\"#lookup\">Customer look-up</a>\n<a href=\"#overview\">Overview</a>\n",
    );
    if !data.clusters.is_empty() {
        out.push_str("<a href=\"#clusters\">Segments</a>\n");
    }
    if !data.quality.is_empty() || !data.quality_figures.is_empty() {
        out.push_str("<a href=\"#quality\">Model quality</a>\n");
    }
    if !data.tables.is_empty() {
        out.push_str("<a href=\"#tables\">Campaign tables</a>\n");
    }
    if !data.figures.is_empty() {
        out.push_str("<a href=\"#figures\">Figures</a>\n");
    }
    out.push_str("</nav>\n");
}

fn lookup_section(out: &mut String, data: &ReportData) {
    let c = &data.customers;
    w!(
        out,
        "<section id=\"lookup\">\n<h2>Customer look-up</h2>\n\
         <form id=\"lookup-form\" autocomplete=\"off\">\
         <input id=\"lookup-input\" type=\"search\" placeholder=\"Customer ID\" \
         aria-label=\"Customer ID\">\
         <button id=\"lookup-button\" type=\"submit\">Look up</button></form>\n\
         <p class=\"note\">{} customers. Link to an answer with <code>#lookup=ID</code> \
         after the file name.</p>\n\
         <noscript><p>The look-up needs JavaScript.</p></noscript>\n\
         <div id=\"lookup-result\" aria-live=\"polite\" hidden>\n<p id=\"lookup-status\" data-status=\"\"></p>\n\
         <dl id=\"lookup-details\" hidden>\n<dt>Customer</dt><dd id=\"lookup-id\"></dd>\n",
        thousands(c.ids.len())
    );
    if c.segment.is_some() {
        out.push_str("<dt>Segment</dt><dd id=\"lookup-segment\"></dd>\n");
    }
    if c.score.is_some() {
        w!(
            out,
            "<dt>{}</dt><dd id=\"lookup-score\"></dd>\n",
            esc(&capitalised(&data.score_name))
        );
    }
    if c.tier.is_some() {
        out.push_str("<dt>Tier</dt><dd><span class=\"chip\" id=\"lookup-tier\"></span></dd>\n");
    }
    out.push_str("</dl>\n</div>\n</section>\n");
}

fn overview(out: &mut String, data: &ReportData) {
    out.push_str("<section id=\"overview\">\n<h2>Overview</h2>\n");
    paragraphs(out, &data.description);
    let total: usize = data.clusters.iter().map(|c| c.size).sum();
    out.push_str("<div class=\"kpis\">\n");
    let n = data.customers.ids.len().max(total);
    w!(
        out,
        "<div class=\"kpi\"><b>{}</b><span>customers</span></div>\n",
        thousands(n)
    );
    if !data.clusters.is_empty() {
        w!(
            out,
            "<div class=\"kpi\"><b>{}</b><span>segments</span></div>\n",
            data.clusters.len()
        );
    }
    if let Some(score) = &data.customers.score
        && !score.is_empty()
    {
        let mean = score.iter().sum::<f64>() / score.len() as f64;
        w!(
            out,
            "<div class=\"kpi\"><b>{}</b><span>mean {}</span></div>\n",
            num(mean),
            esc(&data.score_name)
        );
    }
    out.push_str("</div>\n");
    if !data.clusters.is_empty() {
        clusters_table(out, data, total);
    }
    out.push_str("</section>\n");
}

fn clusters_table(out: &mut String, data: &ReportData, total: usize) {
    let tiers = &data.tier_names;
    let has_mean = data.clusters.iter().any(|c| c.mean_score.is_some());
    out.push_str(
        "<div class=\"table-wrap\"><table id=\"clusters-table\">\n<thead><tr><th>Segment</th>\
         <th class=\"num\">Customers</th><th class=\"num\">Share</th>",
    );
    if has_mean {
        w!(out, "<th class=\"num\">Mean {}</th>", esc(&data.score_name));
    }
    for t in tiers {
        w!(out, "<th class=\"num\">{}</th>", esc(t));
    }
    if !tiers.is_empty() {
        out.push_str("<th>Tiers</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (i, c) in data.clusters.iter().enumerate() {
        w!(
            out,
            "<tr><td><a href=\"#cluster-{i}\">{}</a></td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td>",
            esc(&c.name),
            thousands(c.size),
            percent(c.share)
        );
        if has_mean {
            w!(
                out,
                "<td class=\"num\">{}</td>",
                c.mean_score.map_or("–".into(), num)
            );
        }
        for n in &c.tier_counts {
            w!(out, "<td class=\"num\">{}</td>", thousands(*n));
        }
        if !tiers.is_empty() {
            out.push_str("<td>");
            tier_stack(out, data, &c.tier_counts);
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    w!(
        out,
        "</tbody>\n<tfoot><tr><td>All segments</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
        thousands(total),
        percent(data.clusters.iter().map(|c| c.share).sum())
    );
    if has_mean {
        out.push_str("<td></td>");
    }
    let mut sums = vec![0usize; tiers.len()];
    for c in &data.clusters {
        for (s, n) in sums.iter_mut().zip(&c.tier_counts) {
            *s += n;
        }
    }
    for s in &sums {
        w!(out, "<td class=\"num\">{}</td>", thousands(*s));
    }
    if !tiers.is_empty() {
        out.push_str("<td>");
        tier_stack(out, data, &sums);
        out.push_str("</td>");
    }
    out.push_str("</tr></tfoot>\n</table></div>\n");
    if !tiers.is_empty() {
        out.push_str("<p class=\"legend note\">");
        for (i, t) in tiers.iter().enumerate() {
            w!(
                out,
                "<span class=\"chip\" style=\"background:{}\">{}</span>",
                tier_color(i, tiers.len()),
                esc(t)
            );
        }
        out.push_str("</p>\n");
    }
}

/// A horizontal bar split by tier, widths proportional to the counts.
fn tier_stack(out: &mut String, data: &ReportData, counts: &[usize]) {
    let total: usize = counts.iter().sum();
    out.push_str("<div class=\"stack\">");
    if total > 0 {
        for (i, n) in counts.iter().enumerate() {
            w!(
                out,
                "<span style=\"width:{:.2}%;background:{}\" title=\"{}: {}\"></span>",
                100.0 * *n as f64 / total as f64,
                tier_color(i, counts.len()),
                esc(&data.tier_names[i]),
                thousands(*n)
            );
        }
    }
    out.push_str("</div>");
}

fn clusters(out: &mut String, data: &ReportData) -> Result<()> {
    out.push_str(
        "<section id=\"clusters\">\n<h2>Segments</h2>\n<div class=\"tabs\" role=\"tablist\">\n",
    );
    for (i, c) in data.clusters.iter().enumerate() {
        w!(
            out,
            "<a class=\"tab\" role=\"tab\" href=\"#cluster-{i}\" data-cluster=\"{i}\">{}</a>\n",
            esc(&c.name)
        );
    }
    out.push_str("</div>\n");
    for (i, c) in data.clusters.iter().enumerate() {
        cluster_page(out, data, i, c)?;
    }
    out.push_str("</section>\n");
    Ok(())
}

fn cluster_page(out: &mut String, data: &ReportData, i: usize, c: &ClusterPage) -> Result<()> {
    w!(
        out,
        "<article class=\"cluster-page\" id=\"cluster-{i}\">\n<h3>{}</h3>\n\
         <p class=\"note\"><b>{}</b> customers, {} of all",
        esc(&c.name),
        thousands(c.size),
        percent(c.share)
    );
    if let Some(m) = c.mean_score {
        w!(out, "; mean {} <b>{}</b>", esc(&data.score_name), num(m));
    }
    out.push_str("</p>\n");
    paragraphs(out, &c.description);
    if !c.tier_counts.is_empty() {
        out.push_str("<p class=\"legend\">");
        for (t, n) in c.tier_counts.iter().enumerate() {
            w!(
                out,
                "<span class=\"chip\" style=\"background:{}\">{} {}</span>",
                tier_color(t, c.tier_counts.len()),
                esc(&data.tier_names[t]),
                thousands(*n)
            );
        }
        out.push_str("</p>\n");
    }
    if !c.campaign.is_empty() {
        out.push_str("<h4>Campaign</h4>\n<div class=\"campaign\">");
        paragraphs(out, &c.campaign);
        out.push_str("</div>\n");
    }
    if !c.features.is_empty() {
        out.push_str(
            "<h4>Feature statistics</h4>\n<div class=\"table-wrap\"><table class=\"features\">\n\
             <thead><tr><th>Feature</th><th class=\"num\">Mean</th><th class=\"num\">vs all</th>\
             <th class=\"num\">Std</th><th class=\"num\">Min</th><th class=\"num\">Q1</th>\
             <th class=\"num\">Median</th><th class=\"num\">Q3</th><th class=\"num\">Max</th>\
             <th class=\"num\">Mean of all</th></tr></thead>\n<tbody>\n",
        );
        for f in &c.features {
            let (class, diff) = relative(f.mean, f.overall_mean);
            w!(
                out,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num {class}\">{diff}</td>",
                esc(&f.feature),
                num(f.mean)
            );
            for v in [f.std, f.min, f.q1, f.median, f.q3, f.max, f.overall_mean] {
                w!(out, "<td class=\"num\">{}</td>", num(v));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table></div>\n");
    }
    if !c.shap_importance.is_empty() {
        out.push_str(
            "<h4>What sets the segment apart: mean |SHAP| per feature</h4>\n<div class=\"bars\">\n",
        );
        let mut bars: Vec<&(String, f64)> = c.shap_importance.iter().collect();
        bars.sort_by(|a, b| b.1.total_cmp(&a.1));
        let max = bars.first().map_or(0.0, |b| b.1);
        for (feature, v) in bars {
            let width = if max > 0.0 { 100.0 * v / max } else { 0.0 };
            w!(
                out,
                "<span>{}</span><div class=\"bar\"><span style=\"width:{width:.1}%\"></span></div>\
                 <span class=\"v\">{}</span>\n",
                esc(feature),
                num(*v)
            );
        }
        out.push_str("</div>\n");
    }
    if !c.figures.is_empty() {
        figures(out, &c.figures, &format!("clusters[{i}].figures"))?;
    }
    out.push_str("</article>\n");
    Ok(())
}

fn quality(out: &mut String, data: &ReportData) -> Result<()> {
    out.push_str("<section id=\"quality\">\n<h2>Model quality</h2>\n");
    if !data.quality.is_empty() {
        out.push_str("<div class=\"metrics\" id=\"quality-metrics\">\n");
        for m in &data.quality {
            w!(
                out,
                "<div class=\"kpi\"><b>{}</b><span>{}</span></div>\n",
                metric(m.value),
                esc(&m.name)
            );
        }
        out.push_str("</div>\n");
    }
    if !data.quality_figures.is_empty() {
        figures(out, &data.quality_figures, "quality_figures")?;
    }
    out.push_str("</section>\n");
    Ok(())
}

fn table_section(out: &mut String, i: usize, t: &TableSection) {
    w!(out, "<h3>{}</h3>\n", esc(&t.title));
    if !t.note.is_empty() {
        w!(out, "<p class=\"note\">{}</p>\n", esc(&t.note));
    }
    w!(
        out,
        "<div class=\"table-wrap\"><table id=\"table-{i}\">\n<thead><tr>"
    );
    // A column is right-aligned when all its non-empty cells read as numbers.
    let numeric: Vec<bool> = (0..t.columns.len())
        .map(|j| {
            t.rows.iter().any(|r| !r[j].trim().is_empty())
                && t.rows
                    .iter()
                    .all(|r| r[j].trim().is_empty() || looks_numeric(&r[j]))
        })
        .collect();
    for (j, c) in t.columns.iter().enumerate() {
        w!(out, "<th{}>{}</th>", num_class(numeric[j]), esc(c));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &t.rows {
        out.push_str("<tr>");
        for (j, cell) in row.iter().enumerate() {
            w!(out, "<td{}>{}</td>", num_class(numeric[j]), esc(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
}

fn figures(out: &mut String, figures: &[Figure], what: &str) -> Result<()> {
    out.push_str("<div class=\"figures\">\n");
    for (j, f) in figures.iter().enumerate() {
        let svg = svg::check(&f.svg, &format!("{what}[{j}].svg"))?;
        w!(
            out,
            "<figure>\n{svg}\n<figcaption>{}</figcaption>\n</figure>\n",
            esc(&f.title)
        );
    }
    out.push_str("</div>\n");
    Ok(())
}

/// The look-up's data: names and the customer columns, compact.
fn lookup_json(out: &mut String, data: &ReportData) {
    let Customers {
        ids,
        segment,
        score,
        tier,
    } = &data.customers;
    out.push_str("{\"clusters\":");
    json_strings(out, data.clusters.iter().map(|c| c.name.as_str()));
    out.push_str(",\"tiers\":");
    json_strings(out, data.tier_names.iter().map(String::as_str));
    out.push_str(",\"tier_colors\":");
    let n = data.tier_names.len();
    let colors: Vec<String> = (0..n).map(|i| tier_color(i, n)).collect();
    json_strings(out, colors.iter().map(String::as_str));
    out.push_str(",\"ids\":");
    json_strings(out, ids.iter().map(String::as_str));
    out.push_str(",\"segment\":");
    json_numbers(out, segment.as_deref(), |out, s| w!(out, "{s}"));
    out.push_str(",\"score\":");
    json_numbers(out, score.as_deref(), |out, &s| {
        // 4 decimals are plenty for a probability and save ~40 % of the file; beyond 1e11 the
        // scaling could overflow, and such scores have no useful decimals anyway.
        let v = if s.abs() < 1e11 {
            (s * 1e4).round() / 1e4
        } else {
            s
        };
        w!(out, "{v}")
    });
    out.push_str(",\"tier\":");
    json_numbers(out, tier.as_deref(), |out, t| w!(out, "{t}"));
    out.push('}');
}

fn json_strings<'a>(out: &mut String, items: impl Iterator<Item = &'a str>) {
    out.push('[');
    for (i, s) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(out, s);
    }
    out.push(']');
}

/// A JSON string literal in which `<`, `>` and `&` are `\u` escapes, so the text can close no
/// `<script>` element and open no comment, whatever the ID.
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => w!(out, "\\u{:04x}", ch as u32),
            c if (c as u32) < 0x20 => w!(out, "\\u{:04x}", c as u32),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_numbers<T>(out: &mut String, values: Option<&[T]>, write_one: impl Fn(&mut String, &T)) {
    let Some(values) = values else {
        out.push_str("null");
        return;
    };
    out.push('[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_one(out, v);
    }
    out.push(']');
}

/// HTML-escapes text for element content and quoted attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text to `<p>` elements: blank lines separate paragraphs.
fn paragraphs(out: &mut String, text: &str) {
    for p in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        w!(out, "<p>{}</p>\n", esc(p));
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Green for the first tier through amber and orange to red for the last, as `#rrggbb`.
fn tier_color(i: usize, n: usize) -> String {
    const ANCHORS: [[f64; 3]; 4] = [
        [47.0, 158.0, 91.0],
        [201.0, 162.0, 39.0],
        [224.0, 123.0, 36.0],
        [200.0, 53.0, 46.0],
    ];
    let p = if n > 1 {
        3.0 * i as f64 / (n - 1) as f64
    } else {
        0.0
    };
    let k = (p.floor() as usize).min(2);
    let t = p - k as f64;
    let c = |j: usize| (ANCHORS[k][j] + t * (ANCHORS[k + 1][j] - ANCHORS[k][j])).round() as u8;
    format!("#{:02x}{:02x}{:02x}", c(0), c(1), c(2))
}

fn num_class(numeric: bool) -> &'static str {
    if numeric { " class=\"num\"" } else { "" }
}

/// Whether a table cell reads as a number once currency, percent and grouping signs are removed.
fn looks_numeric(cell: &str) -> bool {
    let core: String = cell
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '%' | '€' | '$' | '£' | ' ' | '\u{a0}' | '+'))
        .collect();
    !core.is_empty() && core.parse::<f64>().is_ok()
}

/// `371589` → `371,589`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

fn percent(fraction: f64) -> String {
    format!("{:.1} %", 100.0 * fraction)
}

/// A statistic with as many decimals as its size deserves; "–" when not finite.
fn num(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    if a >= 1e6 {
        format!("{x:.3e}")
    } else if a >= 1000.0 {
        let s = thousands(a.round() as usize);
        if x < 0.0 { format!("-{s}") } else { s }
    } else if a >= 100.0 {
        format!("{x:.1}")
    } else if a >= 1.0 || a == 0.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// A metric: whole numbers without decimals, others with up to 4.
fn metric(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The segment mean relative to the overall mean, with a class saying which way it leans.
fn relative(mean: f64, overall: f64) -> (&'static str, String) {
    if !(mean.is_finite() && overall.is_finite()) || overall == 0.0 {
        return ("", "–".into());
    }
    let r = (mean - overall) / overall.abs();
    let class = if r > 0.005 {
        "up"
    } else if r < -0.005 {
        "down"
    } else {
        ""
    };
    (class, format!("{:+.0} %", 100.0 * r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_content_and_attributes() {
        assert_eq!(
            esc(r#"<b a="1">Tom & 'Jerry'</b>"#),
            "&lt;b a=&quot;1&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn json_strings_cannot_close_the_script_element() {
        let mut out = String::new();
        json_string(&mut out, "</script><!-- \"q\" \\ \n\u{1}&");
        assert_eq!(
            out,
            r#""\u003c/script\u003e\u003c!-- \"q\" \\ \n\u0001\u0026""#
        );
        let back: String = serde_json::from_str(&out).unwrap();
        assert_eq!(back, "</script><!-- \"q\" \\ \n\u{1}&");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(371_589), "371,589");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(num(f64::NAN), "–");
        assert_eq!(num(0.0), "0.00");
        assert_eq!(num(0.12345), "0.123");
        assert_eq!(num(4.2), "4.20");
        assert_eq!(num(123.45), "123.5");
        assert_eq!(num(-12_345.6), "-12,346");
        assert_eq!(num(2.5e7), "2.500e7");
        assert_eq!(metric(0.95), "0.95");
        assert_eq!(metric(0.953_27), "0.9533");
        assert_eq!(metric(4.0), "4");
        assert_eq!(percent(0.256), "25.6 %");
        assert_eq!(relative(12.0, 10.0), ("up", "+20 %".to_string()));
        assert_eq!(relative(5.0, -10.0), ("up", "+150 %".to_string()));
        assert_eq!(relative(1.0, 0.0), ("", "–".to_string()));
        assert!(looks_numeric("1,234.5 €"));
        assert!(looks_numeric("12 %"));
        assert!(!looks_numeric("High"));
        assert!(!looks_numeric("%"));
    }

    #[test]
    fn tiers_run_from_green_to_red() {
        assert_eq!(tier_color(0, 4), "#2f9e5b");
        assert_eq!(tier_color(1, 4), "#c9a227");
        assert_eq!(tier_color(3, 4), "#c8352e");
        assert_eq!(tier_color(0, 1), "#2f9e5b");
        // Two tiers: green and red; seven: the anchors and the points between them.
        assert_eq!(tier_color(1, 2), "#c8352e");
        assert_eq!(tier_color(2, 7), "#c9a227");
    }
}
