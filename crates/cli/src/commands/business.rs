//! The business tables of cartera-scoring as commands: `bands`, `gains`, `tiers`, `offers`,
//! `campaign`, `profile`.
//!
//! Each reads a CSV (scores, outcomes and groups by column name), writes its table as CSV with
//! `--out TABLE.csv` and as JSON with `--json FILE|-`; with neither, the CSV goes to stdout.

use std::io::Write;
use std::path::PathBuf;

use cartera_core::{Error, Result};
use cartera_preprocess::{Column, ColumnType, Table};
use cartera_scoring::Groups;
use cartera_scoring::bands::{BandRule, BandTable, bands_by_group, grouped_bands_table};
use cartera_scoring::campaign::{CampaignParams, CampaignResult, Economics, profit_curve};
use cartera_scoring::gains::{gains, gains_by_group, grouped_gains_table};
use cartera_scoring::offers::{OfferMatrix, OfferRule};
use cartera_scoring::profile::profile;
use cartera_scoring::strategy::{
    SellingTarget, commissions, prioritised_selling, retention_rewards,
};
use cartera_scoring::tiers::{TierBounds, risk_tiers};
use serde_json::{Value, json};

/// Where the result goes: the flags every business command shares.
#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// Write the table as CSV (`-` for stdout, as without `--out` or `--json`).
    #[arg(long, value_name = "TABLE.csv")]
    out: Option<PathBuf>,
    /// Write the result as JSON to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE|-")]
    json: Option<String>,
}

impl OutputArgs {
    /// Write `table` and `value` where asked; with neither flag, the CSV goes to stdout.
    fn emit(&self, table: &Table, value: &Value) -> Result<()> {
        super::check_outputs(self.out.as_deref(), self.json.as_deref())?;
        if let Some(out) = &self.out {
            super::write_table(table, out)?;
        }
        if let Some(target) = &self.json {
            super::write_json(target, value)?;
        }
        if self.out.is_none() && self.json.is_none() {
            super::write_table(table, std::path::Path::new("-"))?;
        }
        Ok(())
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::io("formatting JSON", std::io::Error::other(e)))
}

fn read(path: &std::path::Path, csv: &super::CsvArgs) -> Result<Table> {
    super::read_table(path, &csv.options()?)
}

/// A numeric column without missing values.
fn numeric<'a>(t: &'a Table, name: &str) -> Result<&'a [f64]> {
    let col = t.column(name)?;
    let v = col.as_numeric().ok_or_else(|| Error::ColumnType {
        name: name.to_string(),
        expected: "numeric".into(),
        found: col.column_type().to_string(),
    })?;
    // Named as the other commands name a cell: the column and the data row (1-based, the
    // CSV's rows after the header), not the library's 0-based indices.
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        let why = if v[i].is_nan() {
            "is missing: every row needs a value here (drop the row or fill it)"
        } else {
            "is infinite: values must be finite"
        };
        return Err(Error::invalid_data(
            format!("column `{name}`"),
            format!("data row {} {why}", i + 1),
        ));
    }
    Ok(v)
}

/// A numeric column of probabilities: no missing value, every value in [0, 1], a value outside
/// named by column and data row (the library would name its 0-based row).
fn probability<'a>(t: &'a Table, name: &str, what: &str) -> Result<&'a [f64]> {
    let v = numeric(t, name)?;
    if let Some(i) = v.iter().position(|x| !(0.0..=1.0).contains(x)) {
        return Err(Error::invalid_data(
            format!("column `{name}`"),
            format!(
                "data row {} holds {}: {what} must lie in [0, 1]",
                i + 1,
                v[i]
            ),
        ));
    }
    Ok(v)
}

/// A 0/1 outcome column; a text or categorical column with `positive` naming the positive
/// value (e.g. `Yes`).
fn outcome(t: &Table, name: &str, positive: Option<&str>) -> Result<Vec<bool>> {
    let col = t.column(name)?;
    match (col, positive) {
        (Column::Numeric(v), None) => {
            // Checked here, rather than by `cartera_scoring::outcomes_from_f64`, so that the
            // error names the data row as the other checks do.
            if let Some(i) = v.iter().position(|&x| x != 0.0 && x != 1.0) {
                let why = if v[i].is_nan() {
                    "has no value: an outcome must be 0 or 1 (drop the row)".to_string()
                } else {
                    format!("holds {}: an outcome must be 0 or 1", v[i])
                };
                return Err(Error::invalid_data(
                    format!("column `{name}`"),
                    format!("data row {} {why}", i + 1),
                ));
            }
            Ok(v.iter().map(|&x| x == 1.0).collect())
        }
        (Column::Numeric(_), Some(p)) | (_, Some(p)) => {
            let mut y = Vec::with_capacity(col.len());
            for i in 0..col.len() {
                match col.get_string(i) {
                    Some(s) => y.push(s == p),
                    None => {
                        return Err(Error::invalid_param(
                            name,
                            "missing",
                            format!("data row {}: the outcome is missing", i + 1),
                        ));
                    }
                }
            }
            // A value the column never holds (a typo, another case) would count no row as
            // positive and give tables of zeros without a word.
            if !y.contains(&true) {
                let mut seen: Vec<String> = Vec::new();
                for i in 0..col.len() {
                    if let Some(s) = col.get_string(i)
                        && !seen.contains(&s)
                    {
                        seen.push(s);
                        if seen.len() > 10 {
                            break;
                        }
                    }
                }
                let more = if seen.len() > 10 { ", …" } else { "" };
                seen.truncate(10);
                return Err(Error::invalid_param(
                    "--positive",
                    p,
                    format!(
                        "is not a value of `{name}` (its values: {}{more})",
                        seen.join(", ")
                    ),
                ));
            }
            Ok(y)
        }
        (_, None) => Err(Error::ColumnType {
            name: name.to_string(),
            expected: "numeric 0/1 (or pass --positive VALUE)".into(),
            found: col.column_type().to_string(),
        }),
    }
}

fn groups(t: &Table, by: &Option<String>) -> Result<Option<Groups>> {
    by.as_ref().map(|b| Groups::from_table(t, b)).transpose()
}

fn band_rule(bands: Option<usize>, cuts: &Option<Vec<f64>>) -> Result<BandRule> {
    let rule = match (bands, cuts) {
        (Some(_), Some(_)) => {
            return Err(Error::invalid_param(
                "--cuts",
                "given with --bands",
                "choose quantile bands (--bands) or cut points (--cuts), not both",
            ));
        }
        (_, Some(c)) => BandRule::CutPoints(c.clone()),
        (k, None) => BandRule::Quantiles(k.unwrap_or(5)),
    };
    rule.validate()?;
    Ok(rule)
}

// ---------------------------------------------------------------------------------------------

/// Flags of `cartera bands`.
#[derive(Debug, clap::Args)]
pub struct BandsArgs {
    /// Scored CSV (omit with --counts/--rates).
    input: Option<PathBuf>,
    /// Column holding the score (higher = better prospect).
    #[arg(long, value_name = "C")]
    score_column: Option<String>,
    /// Column of known 0/1 outcomes: effectiveness = observed rate (else the mean score).
    #[arg(long, value_name = "C")]
    outcome_column: Option<String>,
    /// Value of a text outcome column that counts as positive (e.g. `Yes`).
    #[arg(long, visible_alias = "positive-class")]
    positive: Option<String>,
    /// Number of equal-size bands by score (default 5).
    #[arg(long)]
    bands: Option<usize>,
    /// Increasing cut points instead of quantiles (a score equal to a cut goes to the better
    /// band).
    #[arg(long, value_delimiter = ',', value_name = "C1,C2,..")]
    cuts: Option<Vec<f64>>,
    /// One table per value of this column (bands are assigned over all rows).
    #[arg(long, value_name = "GROUP_COLUMN")]
    by: Option<String>,
    /// Offers per band (band 1 first), with --rates: a table without a CSV (study 000's).
    #[arg(long, value_delimiter = ',', requires = "rates")]
    counts: Option<Vec<u64>>,
    /// Effectiveness per band, with --counts.
    #[arg(long, value_delimiter = ',', requires = "counts")]
    rates: Option<Vec<f64>>,
    /// Prioritised selling: offers to make, best bands first.
    #[arg(long, value_name = "N")]
    prioritise: Option<u64>,
    /// Differentiated commissions: commission per sale for each band.
    #[arg(long, value_delimiter = ',', value_name = "A,B,..")]
    commissions: Option<Vec<f64>>,
    /// Tiered retention rewards: reward per customer for each band (table read as churn).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "A,B,..",
        requires = "save_rates"
    )]
    rewards: Option<Vec<f64>>,
    /// Share of would-be churners each band's reward keeps (with --rewards).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "A,B,..",
        requires = "rewards"
    )]
    save_rates: Option<Vec<f64>>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    csv: super::CsvArgs,
}

/// Run `cartera bands`.
pub fn run_bands(a: BandsArgs) -> Result<()> {
    let (tables, main): (Vec<(Option<String>, BandTable)>, BandTable) =
        match (&a.input, &a.counts, &a.rates) {
            (None, Some(c), Some(r)) => {
                let t = BandTable::from_counts(c, r)?;
                (vec![(None, t.clone())], t)
            }
            (Some(path), None, None) => {
                let t = read(path, &a.csv)?;
                let sc = a.score_column.as_deref().ok_or_else(|| {
                    Error::invalid_param("--score-column", "missing", "name the score column")
                })?;
                // Without outcomes the expected effectiveness comes from the scores
                // themselves, which must then be probabilities; with outcomes any scale bands.
                let score = if a.outcome_column.is_some() {
                    numeric(&t, sc)?
                } else {
                    probability(
                        &t,
                        sc,
                        "a score (a probability, since no outcome column is given)",
                    )?
                };
                let y = a
                    .outcome_column
                    .as_deref()
                    .map(|c| outcome(&t, c, a.positive.as_deref()))
                    .transpose()?;
                let rule = band_rule(a.bands, &a.cuts)?;
                let all = BandTable::from_scores(score, y.as_deref(), &rule)?;
                match groups(&t, &a.by)? {
                    Some(g) => {
                        let by = bands_by_group(score, y.as_deref(), &g, &rule)?;
                        (
                            by.into_iter().map(|g| (Some(g.group), g.table)).collect(),
                            all,
                        )
                    }
                    None => (vec![(None, all.clone())], all),
                }
            }
            _ => {
                return Err(Error::invalid_param(
                    "input",
                    "",
                    "give a scored CSV, or --counts and --rates (not both)",
                ));
            }
        };
    let mut v = json!({ "bands": to_json(&main)? });
    if tables.iter().any(|(g, _)| g.is_some()) {
        let by: Vec<Value> = tables
            .iter()
            .map(|(g, t)| Ok(json!({"group": g, "table": to_json(t)?})))
            .collect::<Result<_>>()?;
        v["by_group"] = Value::Array(by);
    }
    // The strategies' totals go to stderr too when there is no JSON to hold them: the band
    // table (stdout or --out) has no room for them, and they were invisible.
    let mut totals: Vec<String> = Vec::new();
    if let Some(n) = a.prioritise {
        let plan = prioritised_selling(&main, SellingTarget::Offers(n))?;
        totals.push(format!(
            "prioritised selling: {} offers in band{} {}, {:.1} expected sales ({:.1} % effective)",
            plan.offers,
            if plan.rows.len() == 1 { "" } else { "s" },
            plan.rows
                .iter()
                .map(|r| r.band.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            plan.expected_sales,
            100.0 * plan.effectiveness
        ));
        v["prioritised_selling"] = to_json(&plan)?;
    }
    if let Some(c) = &a.commissions {
        let plan = commissions(&main, c)?;
        totals.push(format!(
            "commissions: {:.2} in all for {:.1} expected sales, {:.2} per sale",
            plan.total_cost, plan.expected_sales, plan.cost_per_sale
        ));
        v["commissions"] = to_json(&plan)?;
    }
    if let (Some(r), Some(s)) = (&a.rewards, &a.save_rates) {
        let plan = retention_rewards(&main, r, s)?;
        totals.push(format!(
            "retention rewards: {:.2} in all, {:.1} of {:.1} expected churners kept, {:.2} per \
             customer kept",
            plan.total_cost, plan.churners_saved, plan.expected_churners, plan.cost_per_saved
        ));
        v["retention_rewards"] = to_json(&plan)?;
    }
    if a.output.json.is_none() {
        for t in &totals {
            eprintln!("{t} (per band: --json)");
        }
    }
    let table = if tables.iter().any(|(g, _)| g.is_some()) {
        let gb: Vec<cartera_scoring::bands::GroupBands> = tables
            .into_iter()
            .map(|(g, table)| cartera_scoring::bands::GroupBands {
                group: g.unwrap_or_default(),
                table,
            })
            .collect();
        grouped_bands_table(&gb)
    } else {
        main.to_table(None)
    };
    a.output.emit(&table, &v)
}

// ---------------------------------------------------------------------------------------------

/// Flags of `cartera gains`.
#[derive(Debug, clap::Args)]
pub struct GainsArgs {
    /// Scored CSV.
    input: PathBuf,
    /// Column holding the score.
    #[arg(long, value_name = "C")]
    score_column: String,
    /// Column of 0/1 outcomes.
    #[arg(long, value_name = "C")]
    outcome_column: String,
    /// Value of a text outcome column that counts as positive (e.g. `Yes`).
    #[arg(long, visible_alias = "positive-class")]
    positive: Option<String>,
    /// Number of bins (10 = deciles).
    #[arg(long, default_value_t = 10)]
    bins: usize,
    /// One table per value of this column.
    #[arg(long, value_name = "GROUP_COLUMN")]
    by: Option<String>,
    /// With --profit-per-sale: cost per customer contacted, for the profit curve.
    #[arg(long, requires = "profit_per_sale")]
    unit_cost: Option<f64>,
    /// With --profit-per-sale: fixed campaign cost for the profit curve.
    #[arg(long, default_value_t = 0.0, requires = "profit_per_sale")]
    project_cost: f64,
    /// Profit per responder: adds the profit curve over targeting depth to the JSON.
    #[arg(long, requires = "unit_cost")]
    profit_per_sale: Option<f64>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    csv: super::CsvArgs,
}

/// Run `cartera gains`.
pub fn run_gains(a: GainsArgs) -> Result<()> {
    let t = read(&a.input, &a.csv)?;
    let score = numeric(&t, &a.score_column)?;
    let y = outcome(&t, &a.outcome_column, a.positive.as_deref())?;
    let (table, mut v) = match groups(&t, &a.by)? {
        Some(g) => {
            let by = gains_by_group(&y, score, &g, a.bins)?;
            (
                grouped_gains_table(&by),
                json!({ "by_group": to_json(&by)? }),
            )
        }
        None => {
            let g = gains(&y, score, a.bins)?;
            (g.to_table(None), json!({ "gains": to_json(&g)? }))
        }
    };
    if let (Some(unit_cost), Some(profit_per_sale)) = (a.unit_cost, a.profit_per_sale) {
        let curve = profit_curve(
            &y,
            score,
            a.bins,
            Economics {
                unit_cost,
                project_cost: a.project_cost,
                profit_per_sale,
            },
        )?;
        v["profit_curve"] = to_json(&curve)?;
    }
    a.output.emit(&table, &v)
}

// ---------------------------------------------------------------------------------------------

/// Flags of `cartera tiers`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("prob").required(true).args(["retention_column", "churn_column"])))]
pub struct TiersArgs {
    /// Scored CSV.
    input: PathBuf,
    /// Column holding the retention probability.
    #[arg(long, value_name = "C")]
    retention_column: Option<String>,
    /// Column holding the churn probability (retention = 1 - churn).
    #[arg(long, value_name = "C")]
    churn_column: Option<String>,
    /// Count per value of this column (cluster, store, region).
    #[arg(long, value_name = "GROUP_COLUMN")]
    by: Option<String>,
    /// Retention bounds Critical/High, High/Moderate, Moderate/Low. Critical is below the
    /// first, Low above the last; a value equal to a bound goes to the tier above it, except the
    /// last bound, which is still Moderate.
    #[arg(long, value_delimiter = ',', default_value = "0.5,0.7,0.85")]
    bounds: Vec<f64>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    csv: super::CsvArgs,
}

/// Run `cartera tiers`.
pub fn run_tiers(a: TiersArgs) -> Result<()> {
    let b: [f64; 3] = a.bounds.as_slice().try_into().map_err(|_| {
        Error::invalid_param(
            "--bounds",
            a.bounds
                .iter()
                .map(f64::to_string)
                .collect::<Vec<_>>()
                .join(","),
            "expected three numbers, e.g. 0.5,0.7,0.85",
        )
    })?;
    let bounds = TierBounds::new(b)?;
    let t = read(&a.input, &a.csv)?;
    let retention: Vec<f64> = match (&a.retention_column, &a.churn_column) {
        (Some(c), _) => probability(&t, c, "a retention probability")?.to_vec(),
        (None, Some(c)) => {
            let v = probability(&t, c, "a churn probability")?;
            v.iter().map(|x| 1.0 - x).collect()
        }
        // clap's ArgGroup requires one of the two.
        (None, None) => {
            return Err(Error::invalid_param(
                "--retention-column",
                "missing",
                "give --retention-column or --churn-column",
            ));
        }
    };
    let g = groups(&t, &a.by)?;
    let tiers = risk_tiers(&retention, g.as_ref(), bounds)?;
    a.output.emit(&tiers.to_table(), &to_json(&tiers)?)
}

// ---------------------------------------------------------------------------------------------

/// `--rule` choices of `cartera offers`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum OfferRuleArg {
    /// The product with the best band (ties: expected margin, then the first listed).
    Band,
    /// The product with the highest probability × margin (ties: best band, first listed).
    Margin,
}

/// Flags of `cartera offers`.
#[derive(Debug, clap::Args)]
pub struct OffersArgs {
    /// Scored CSV: one probability column per product.
    input: PathBuf,
    /// Product score columns (comma-separated).
    #[arg(long, value_delimiter = ',', required = true)]
    products: Vec<String>,
    /// Churn probability column (its band 1 = most likely to leave).
    #[arg(long, value_name = "C")]
    churn_column: Option<String>,
    /// Churn band at or better than which the offer is `retention`; 0 = never.
    #[arg(long, default_value_t = 1)]
    churn_override: u8,
    /// Margin per sale of each product (same order as --products).
    #[arg(long, value_delimiter = ',')]
    margins: Option<Vec<f64>>,
    /// How the next best offer is chosen.
    #[arg(long, value_enum, default_value = "band")]
    rule: OfferRuleArg,
    /// Number of equal-size bands (default 5).
    #[arg(long)]
    bands: Option<usize>,
    /// Cut points instead of quantiles.
    #[arg(long, value_delimiter = ',')]
    cuts: Option<Vec<f64>>,
    /// Column copied to the output table to identify the customer.
    #[arg(long, value_name = "C")]
    id_column: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    csv: super::CsvArgs,
}

/// Run `cartera offers`.
pub fn run_offers(a: OffersArgs) -> Result<()> {
    let t = read(&a.input, &a.csv)?;
    let rule = band_rule(a.bands, &a.cuts)?;
    let n = t.n_rows();
    let mut scores = ndarray::Array2::<f64>::zeros((n, a.products.len()));
    for (j, p) in a.products.iter().enumerate() {
        let v = probability(&t, p, "a purchase probability")?;
        scores
            .column_mut(j)
            .iter_mut()
            .zip(v)
            .for_each(|(d, &s)| *d = s);
    }
    let churn = a
        .churn_column
        .as_deref()
        .map(|c| numeric(&t, c))
        .transpose()?;
    let offer_rule = OfferRule {
        churn_override_band: (a.churn_override > 0).then_some(a.churn_override),
        margins: a.margins.clone(),
        by_expected_margin: matches!(a.rule, OfferRuleArg::Margin),
    };
    let m = OfferMatrix::from_scores(&a.products, scores.view(), churn, &rule, &offer_rule)?;
    let mut table = m.to_table();
    if let Some(id) = &a.id_column {
        let mut with_id = Table::new();
        with_id.push_column(id, t.column(id)?.clone())?;
        for (name, col) in table.names().iter().zip(table.columns()) {
            with_id.push_column(name, col.clone())?;
        }
        table = with_id;
    }
    let mut counts = serde_json::Map::new();
    for name in a
        .products
        .iter()
        .map(String::as_str)
        .chain(std::iter::once(cartera_scoring::offers::RETENTION_OFFER))
    {
        let c = (0..n).filter(|&i| m.offer_name(i) == name).count();
        counts.insert(name.to_string(), json!(c));
    }
    let v = json!({
        "rows": n,
        "products": a.products,
        "bands": to_json(&rule)?,
        "next_best_offer_counts": counts,
    });
    a.output.emit(&table, &v)
}

// ---------------------------------------------------------------------------------------------

/// Flags of `cartera campaign`. With `--compare`, each flag takes one value (shared) or two
/// comma-separated values (first and second campaign).
#[derive(Debug, clap::Args)]
pub struct CampaignArgs {
    /// Customers contacted.
    #[arg(long, value_delimiter = ',', required = true)]
    audience: Vec<u64>,
    /// Share of the customer base, as stated.
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    share: Vec<f64>,
    /// Size of the customer base (default with --compare: the first audience / its share).
    #[arg(long)]
    base: Option<u64>,
    /// Discount (or contact) cost per customer.
    #[arg(
        long,
        value_delimiter = ',',
        allow_negative_numbers = true,
        required = true
    )]
    unit_cost: Vec<f64>,
    /// Fixed cost (the ML project).
    #[arg(
        long,
        value_delimiter = ',',
        allow_negative_numbers = true,
        default_value = "0"
    )]
    project_cost: Vec<f64>,
    /// Expected response rate (0.01 = 1 %).
    #[arg(
        long,
        value_delimiter = ',',
        allow_negative_numbers = true,
        required = true
    )]
    response_rate: Vec<f64>,
    /// Profit per sale.
    #[arg(
        long,
        value_delimiter = ',',
        allow_negative_numbers = true,
        required = true
    )]
    profit_per_sale: Vec<f64>,
    /// Two campaigns side by side (e.g. mass vs targeted).
    #[arg(long)]
    compare: bool,
    #[command(flatten)]
    output: OutputArgs,
}

/// Value `i` of a flag holding one shared value or one per campaign.
fn pick<T: Copy + std::fmt::Display>(flag: &str, v: &[T], i: usize, n: usize) -> Result<Option<T>> {
    match v.len() {
        0 => Ok(None),
        1 => Ok(Some(v[0])),
        k if k == n => Ok(Some(v[i])),
        k => Err(Error::invalid_param(
            flag,
            v.iter().map(T::to_string).collect::<Vec<_>>().join(","),
            if n == 1 {
                format!("expected one value (found {k}); pass --compare for two campaigns")
            } else {
                format!("expected one value or {n} (found {k})")
            },
        )),
    }
}

/// One line of the campaign table: its name and how to read it from a result.
type CampaignRow = (&'static str, fn(&CampaignResult) -> f64);

/// Run `cartera campaign`.
pub fn run_campaign(a: CampaignArgs) -> Result<()> {
    let n = if a.compare { 2 } else { 1 };
    let mut base = a.base;
    let mut results: Vec<CampaignResult> = Vec::new();
    for i in 0..n {
        let audience = pick("--audience", &a.audience, i, n)?.unwrap_or(0);
        let share = pick("--share", &a.share, i, n)?;
        if base.is_none() && a.compare && i == 0 {
            base = share
                .filter(|s| *s > 0.0)
                .map(|s| (audience as f64 / s).round() as u64);
        }
        let p = CampaignParams {
            audience,
            share,
            base,
            unit_cost: pick("--unit-cost", &a.unit_cost, i, n)?.unwrap_or(0.0),
            project_cost: pick("--project-cost", &a.project_cost, i, n)?.unwrap_or(0.0),
            response_rate: pick("--response-rate", &a.response_rate, i, n)?.unwrap_or(0.0),
            profit_per_sale: pick("--profit-per-sale", &a.profit_per_sale, i, n)?.unwrap_or(0.0),
        };
        results.push(p.evaluate()?);
    }
    if a.compare && results[0] == results[1] {
        eprintln!(
            "note: --compare with one value per flag: both campaigns are the same (give two \
             comma-separated values, e.g. --audience 30000,3000)"
        );
    }
    // Table: one row per quantity, one column per campaign (the study's layout).
    let rows: [CampaignRow; 13] = [
        ("audience", |r| r.audience as f64),
        ("share", |r| r.share.unwrap_or(f64::NAN)),
        ("implied_share", |r| r.implied_share.unwrap_or(f64::NAN)),
        ("unit_cost", |r| r.unit_cost),
        ("discount_cost", |r| r.discount_cost),
        ("project_cost", |r| r.project_cost),
        ("total_cost", |r| r.total_cost),
        ("response_rate", |r| r.response_rate),
        ("sales", |r| r.sales),
        ("profit_per_sale", |r| r.profit_per_sale),
        ("total_gain", |r| r.total_gain),
        ("profit", |r| r.profit),
        ("roi", |r| r.roi.unwrap_or(f64::NAN)),
    ];
    let rows = &rows[..];
    let mut cols = vec![(
        "quantity".to_string(),
        Column::Text(cartera_preprocess::TextColumn::from_options(
            &rows.iter().map(|(k, _)| Some(*k)).collect::<Vec<_>>(),
        )),
    )];
    for (i, r) in results.iter().enumerate() {
        let name = if n == 1 {
            "campaign".to_string()
        } else {
            format!("campaign_{}", i + 1)
        };
        cols.push((
            name,
            Column::Numeric(rows.iter().map(|(_, f)| f(r)).collect()),
        ));
    }
    let table = Table::from_columns(cols)?;
    let v = if a.compare {
        json!({
            "campaigns": to_json(&results)?,
            "profit_difference": results[1].profit - results[0].profit,
        })
    } else {
        to_json(&results[0])?
    };
    if a.output.out.is_none() && a.output.json.is_none() {
        print_campaigns(&results, rows)
    } else {
        a.output.emit(&table, &v)
    }
}

fn print_campaigns(results: &[CampaignResult], rows: &[CampaignRow]) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let io = |e| Error::io("writing to stdout", e);
    for (name, f) in rows {
        write!(out, "{name:<16}").map_err(io)?;
        for r in results {
            let x = f(r);
            if x.is_nan() {
                write!(out, "{:>16}", "-").map_err(io)?;
            } else if x.fract() == 0.0 && x.abs() < 1e15 {
                write!(out, "{:>16}", x as i64).map_err(io)?;
            } else if x.abs() >= 1e15 {
                // Wider than the column in fixed notation (1e300 took 300 digits).
                write!(out, "{:>16.6e}", x).map_err(io)?;
            } else {
                write!(out, "{:>16.4}", x).map_err(io)?;
            }
        }
        writeln!(out).map_err(io)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------

/// Flags of `cartera profile`.
#[derive(Debug, clap::Args)]
pub struct ProfileArgs {
    /// CSV with a segment (cluster) column.
    input: PathBuf,
    /// Segment column (categorical, text or numeric labels).
    #[arg(long, value_name = "GROUP_COLUMN")]
    by: String,
    /// Features to profile (default: every numeric column but --by, the outcome and identifier
    /// columns such as a row number).
    #[arg(long, value_delimiter = ',')]
    columns: Option<Vec<String>>,
    /// 0/1 outcome column: adds the outcome rate per segment.
    #[arg(long, value_name = "C")]
    outcome_column: Option<String>,
    /// Value of a text outcome column that counts as positive (e.g. `Yes`).
    #[arg(long, visible_alias = "positive-class")]
    positive: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    csv: super::CsvArgs,
}

/// Run `cartera profile`.
pub fn run_profile(a: ProfileArgs) -> Result<()> {
    let t = read(&a.input, &a.csv)?;
    let g = Groups::from_table(&t, &a.by)?;
    let names: Vec<String> = match &a.columns {
        Some(c) => {
            super::no_repeats(c)?;
            c.clone()
        }
        None => {
            // Identifier columns (a row number, `ID#`) describe no segment: left out, as by
            // `kmeans` and `train`, unless named with --columns.
            let ids = super::id_column_names(&t);
            t.names_of_type(ColumnType::Numeric)
                .into_iter()
                .filter(|n| *n != a.by && Some(*n) != a.outcome_column.as_deref())
                .filter(|n| !ids.iter().any(|i| i == n))
                .map(str::to_string)
                .collect()
        }
    };
    let mut features: Vec<(&str, &[f64])> = Vec::with_capacity(names.len());
    for n in &names {
        let col = t.column(n)?;
        let v = col.as_numeric().ok_or_else(|| Error::ColumnType {
            name: n.clone(),
            expected: "numeric".into(),
            found: col.column_type().to_string(),
        })?;
        features.push((n.as_str(), v));
    }
    let y = a
        .outcome_column
        .as_deref()
        .map(|c| outcome(&t, c, a.positive.as_deref()))
        .transpose()?;
    let p = profile(&features, &g, y.as_deref())?;
    a.output.emit(&p.to_table(), &to_json(&p)?)
}
