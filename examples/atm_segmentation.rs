//! ATM customer segmentation (study 002, "ATM modernisation").
//!
//! The study simulated 1,000 ATM customers, standardised their transaction frequency and
//! average transaction amount, ran `KMeans(n_clusters=3, n_init=10, random_state=0)` and read
//! three profiles off the centroids: *regular users* (moderate frequency, average amounts),
//! *frequent spenders* (high frequency, above-average amounts) and *occasional users* (low
//! frequency, small amounts). Each segment then got its own campaign in the bank's CRM.
//!
//! This example does the same with cartera, step by step:
//!
//! 1. generate the customers (`atm_customers_with_groups`: the generator also says which
//!    profile each customer was drawn from, so we can check the segmentation);
//! 2. standard-scale the two transaction columns;
//! 3. K-Means with k = 3, 10 restarts, seed 0;
//! 4. name the segments **from their centroids** (in original units), never by cluster index;
//! 5. profile the segments, score the clustering (silhouette, adjusted Rand index against the
//!    simulated profiles) and write the CRM hand-off (one row per customer with its segment
//!    and campaign), the profile table, a JSON summary and a scatter plot coloured by segment.
//!
//! ```sh
//! cargo run --release --example atm_segmentation -- --out target/examples/atm_segmentation --rows 1000
//! ```
//! Options: `--out DIR` (default `target/examples/atm_segmentation`), `--rows N` (default
//! 1,000), `--seed S` (seed of the generated table, default 0; K-Means always uses seed 0 as
//! the study did).

use std::path::{Path, PathBuf};

use cartera::Result;
use cartera::kmeans::KMeansParams;
use cartera::preprocess::datasets::atm_customers_with_groups;
use cartera::preprocess::scale::StandardScaler;
use cartera::preprocess::{Column, Table, TextColumn};
use cartera::scoring::Groups;
use cartera::scoring::profile::profile;
use cartera::silhouette::silhouette_score;

/// The two columns the study clustered on.
const FEATURES: [&str; 2] = ["TransactionFrequency", "AverageTransactionAmount"];
/// Segment names, as the study printed them.
const REGULAR: &str = "regular users";
const FREQUENT: &str = "frequent spenders";
const OCCASIONAL: &str = "occasional users";

/// What to run and where to write.
#[derive(Debug, Clone)]
pub struct Options {
    /// Output folder (created if missing).
    pub out: PathBuf,
    /// Customers to generate.
    pub rows: usize,
    /// Seed of the generated table.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            out: PathBuf::from("target/examples/atm_segmentation"),
            rows: 1_000,
            seed: 0,
        }
    }
}

/// One segment as the marketing team reads it.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Name given from the centroid (regular users, frequent spenders, occasional users).
    pub name: String,
    /// K-Means cluster index (arbitrary; only the name carries meaning).
    pub cluster: usize,
    /// Customers in the segment.
    pub customers: usize,
    /// Share of all customers.
    pub share: f64,
    /// Centroid: withdrawals per month.
    pub frequency: f64,
    /// Centroid: average withdrawal amount.
    pub amount: f64,
    /// Mean age of the segment's customers (not clustered on; shown for the profile).
    pub mean_age: f64,
    /// The campaign the segment gets in the CRM.
    pub campaign: String,
}

/// What the example found.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Customers segmented.
    pub customers: usize,
    /// Segments, most customers first.
    pub segments: Vec<Segment>,
    /// Segment name of every customer, in table order.
    pub labels: Vec<String>,
    /// Simulated profile index of every customer (from the generator).
    pub true_groups: Vec<usize>,
    /// Total within-cluster sum of squares (standardised units).
    pub inertia: f64,
    /// Mean silhouette (standardised units).
    pub silhouette: f64,
    /// Adjusted Rand index of the segments against the simulated profiles.
    pub adjusted_rand_index: f64,
    /// Files written.
    pub files: Vec<PathBuf>,
}

/// Run the study and write its outputs to `opts.out`.
pub fn run(opts: &Options) -> Result<Summary> {
    // 1. The customers, and the profile each was drawn from.
    let (table, true_groups) = atm_customers_with_groups(opts.rows, opts.seed)?;
    let x = table.to_array::<f64>(&FEATURES)?;

    // 2. Standard scaling: frequency (a few per month) and amount (tens of soles) weigh the same.
    let scaler = StandardScaler::new().fit(x.view())?;
    let z = scaler.transform(x.view())?;

    // 3. K-Means as the study ran it.
    let model = KMeansParams::new(3).n_init(10).seed(0).fit(z.view())?;
    let centroids = scaler.inverse_transform(model.centroids().view())?;

    // 4. Names from the centroids: rank the clusters by frequency. The least frequent cluster
    //    is the occasional users, the most frequent the frequent spenders, the one between the
    //    regular users. (Amounts rise with frequency in the study's profiles; the summary shows
    //    both so a reader can check that they agree.)
    let mut by_frequency: Vec<usize> = (0..3).collect();
    by_frequency.sort_by(|&a, &b| centroids[[a, 0]].total_cmp(&centroids[[b, 0]]));
    let mut names = vec![String::new(); 3];
    names[by_frequency[0]] = OCCASIONAL.to_string();
    names[by_frequency[1]] = REGULAR.to_string();
    names[by_frequency[2]] = FREQUENT.to_string();

    // 5. Profiles, quality, hand-off.
    let labels = model.labels();
    let codes: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
    let groups = Groups::from_codes(codes, names.clone())?;
    let age = numeric(&table, "Age")?;
    let frequency = numeric(&table, FEATURES[0])?;
    let amount = numeric(&table, FEATURES[1])?;
    let prof = profile(
        &[
            (FEATURES[0], frequency),
            (FEATURES[1], amount),
            ("Age", age),
        ],
        &groups,
        None,
    )?;
    let n = table.n_rows();
    let mut segments: Vec<Segment> = (0..3)
        .map(|c| {
            let members: Vec<usize> = (0..n).filter(|&i| labels[i] == c).collect();
            let mean_age = members.iter().map(|&i| age[i]).sum::<f64>() / members.len() as f64;
            Segment {
                name: names[c].clone(),
                cluster: c,
                customers: members.len(),
                share: members.len() as f64 / n as f64,
                frequency: centroids[[c, 0]],
                amount: centroids[[c, 1]],
                mean_age,
                campaign: campaign(&names[c]).to_string(),
            }
        })
        .collect();
    segments.sort_by(|a, b| {
        b.customers
            .cmp(&a.customers)
            .then(a.cluster.cmp(&b.cluster))
    });

    let silhouette = silhouette_score(z.view(), labels)?;
    let ari = cartera::silhouette::adjusted_rand_index(labels, &true_groups)?;
    let label_names: Vec<String> = labels.iter().map(|&l| names[l].clone()).collect();

    std::fs::create_dir_all(&opts.out)
        .map_err(|e| cartera::Error::io(format!("creating {}", opts.out.display()), e))?;
    let mut files = Vec::new();

    // The CRM hand-off: every customer with its segment and campaign.
    let mut crm = table.clone();
    crm.push_column("segment", text(&label_names))?;
    let campaigns: Vec<String> = label_names
        .iter()
        .map(|s| campaign(s).to_string())
        .collect();
    crm.push_column("campaign", text(&campaigns))?;
    files.push(write_csv(&crm, &opts.out, "customers.csv")?);
    files.push(write_csv(&prof.to_table(), &opts.out, "segments.csv")?);
    // The study's scatter plot, coloured by segment (in original units, as a marketer reads it).
    let svg = cartera::plot::scatter(
        frequency,
        amount,
        labels,
        &names,
        "transactions per month",
        "average transaction amount",
    )?;
    files.push(write_text(&svg, &opts.out, "scatter.svg")?);

    let mut summary = Summary {
        customers: n,
        segments,
        labels: label_names,
        true_groups,
        inertia: model.inertia(),
        silhouette,
        adjusted_rand_index: ari,
        files: Vec::new(),
    };
    files.push(write_json(
        &summary_json(&summary),
        &opts.out,
        "summary.json",
    )?);
    summary.files = files;
    Ok(summary)
}

/// The campaign each segment gets (study 002 ran one per segment in its marketing tool).
fn campaign(segment: &str) -> &'static str {
    match segment {
        FREQUENT => "premium card and fee-free withdrawals",
        OCCASIONAL => "mobile banking onboarding",
        _ => "contactless ATM upgrade",
    }
}

/// The JSON summary (without the per-customer vectors, which are in customers.csv).
fn summary_json(s: &Summary) -> serde_json::Value {
    serde_json::json!({
        "study": "002 ATM segmentation",
        "customers": s.customers,
        "features": FEATURES,
        "kmeans": {"n_clusters": 3, "n_init": 10, "seed": 0, "inertia": s.inertia},
        "silhouette": s.silhouette,
        "adjusted_rand_index": s.adjusted_rand_index,
        "segments": s.segments.iter().map(|g| serde_json::json!({
            "name": g.name, "cluster": g.cluster, "customers": g.customers, "share": g.share,
            "frequency": g.frequency, "amount": g.amount, "mean_age": g.mean_age,
            "campaign": g.campaign,
        })).collect::<Vec<_>>(),
    })
}

/// A numeric column as a slice.
fn numeric<'a>(t: &'a Table, name: &str) -> Result<&'a [f64]> {
    let col = t.column(name)?;
    col.as_numeric().ok_or_else(|| cartera::Error::ColumnType {
        name: name.to_string(),
        expected: "numeric".into(),
        found: col.column_type().to_string(),
    })
}

/// A text column from strings.
fn text(values: &[String]) -> Column {
    let opts: Vec<Option<&str>> = values.iter().map(|s| Some(s.as_str())).collect();
    Column::Text(TextColumn::from_options(&opts))
}

fn write_csv(t: &Table, dir: &Path, name: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    t.write_csv(&path)?;
    Ok(path)
}

fn write_text(text: &str, dir: &Path, name: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, text)
        .map_err(|e| cartera::Error::io(format!("writing {}", path.display()), e))?;
    Ok(path)
}

fn write_json(v: &serde_json::Value, dir: &Path, name: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    let text = serde_json::to_string_pretty(v)
        .map_err(|e| cartera::Error::io("formatting JSON", std::io::Error::other(e)))?;
    std::fs::write(&path, text + "\n")
        .map_err(|e| cartera::Error::io(format!("writing {}", path.display()), e))?;
    Ok(path)
}

impl Summary {
    /// The few lines `main` prints.
    pub fn print(&self) {
        println!(
            "ATM segmentation (study 002): {} customers, standard-scaled frequency and amount, \
             K-Means k = 3, n_init = 10, seed 0",
            self.customers
        );
        println!(
            "{:<18} {:>9} {:>7} {:>12} {:>12} {:>9}  campaign",
            "segment", "customers", "share", "freq/month", "avg amount", "mean age"
        );
        for s in &self.segments {
            println!(
                "{:<18} {:>9} {:>6.1}% {:>12.1} {:>12.2} {:>9.1}  {}",
                s.name,
                s.customers,
                100.0 * s.share,
                s.frequency,
                s.amount,
                s.mean_age,
                s.campaign
            );
        }
        println!(
            "silhouette {:.3}, adjusted Rand index vs the simulated profiles {:.3}",
            self.silhouette, self.adjusted_rand_index
        );
        print_files(&self.files);
    }
}

fn print_files(files: &[PathBuf]) {
    let names: Vec<String> = files
        .iter()
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    if let Some(dir) = files.first().and_then(|f| f.parent()) {
        println!("wrote {}/{{{}}}", dir.display(), names.join(", "));
    }
}

/// `--out DIR --rows N --seed S`.
fn parse_args(args: impl Iterator<Item = String>) -> std::result::Result<Options, String> {
    let mut o = Options::default();
    let mut args = args;
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--out" => o.out = PathBuf::from(value()?),
            "--rows" => o.rows = value()?.parse().map_err(|e| format!("--rows: {e}"))?,
            "--seed" => o.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            other => {
                return Err(format!(
                    "unknown option {other} (try --out DIR --rows N --seed S)"
                ));
            }
        }
    }
    Ok(o)
}

fn main() {
    let result =
        parse_args(std::env::args().skip(1)).and_then(|o| run(&o).map_err(|e| e.to_string()));
    match result {
        Ok(summary) => summary.print(),
        Err(e) => {
            eprintln!("atm_segmentation: {e}");
            std::process::exit(1);
        }
    }
}
