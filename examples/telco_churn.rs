//! Telco churn project (study 004): segments, an explained churn model and risk tiers on the
//! full 371,589 x 42 prepaid-telco table.
//!
//! The study cleaned a table of prepaid customers (duplicates, a `9999` sentinel in
//! `DIAS_FRECUENCIA_RECARGA`, a unique ID), clustered the numeric behaviour columns after IQR
//! outlier removal and min-max scaling, chose 4 clusters by the elbow, explained them with a
//! LightGBM trained on the cluster labels and SHAP, trained a churn LightGBM (accuracy 0.95),
//! turned the retention probability into risk tiers (Low > 85 %, Moderate 70–85 %, High 50–70 %,
//! Critical < 50 %) per cluster and ranked stores by mean churn probability. This example does
//! every step with cartera on the generated table (`telco_churn_with_groups`, which also says
//! which of four behaviour groups each customer was drawn from, so the segmentation can be
//! scored with the adjusted Rand index):
//!
//! 1. **clean**: drop exact duplicate rows, turn the sentinel into a missing value, drop the
//!    IMEI (an identifier) and the two text columns (activation date, address);
//! 2. **segment**: the 29 numeric behaviour columns (categorical columns left out), mean
//!    imputation, rows outside the IQR fences removed, min-max scaling, K-Means for k = 2..8 and
//!    the knee of the inertia curve; rows removed as outliers get their nearest segment;
//! 3. **explain the segments**: a multiclass GBDT trained on the cluster labels and TreeSHAP,
//!    the features that set each cluster apart;
//! 4. **churn**: a fixed stratified 70/30 split; a GBDT on every column (categorical one-hot)
//!    and a logistic baseline (mean imputation, robust scaling); accuracy, per-class precision
//!    and recall, AUC on the validation rows;
//! 5. **act**: the retention probability of every customer as a risk tier, counted per
//!    segment; mean churn probability per store.
//!
//! ```sh
//! cargo run --release --example telco_churn -- --out target/examples/telco_churn
//! ```
//! Options: `--out DIR` (default `target/examples/telco_churn`), `--rows N` (default 371,589),
//! `--seed S` (seed of the table and the split, default 0), `--write-features` (also write the
//! prepared churn matrix with its split column, `churn_features.csv`; large on the full table),
//! `--write-table` (also write the generated table as `telco.csv`, for the peer script).
//! `split.csv` (row of the de-duplicated table, IMEI, part) is always written, so that
//! `scripts/study_telco_peers.py` fits its models on the very same rows.

use std::path::{Path, PathBuf};
use std::time::Instant;

use cartera::Result;
use cartera::gbdt::explain::{ClusterImportance, cluster_importance};
use cartera::gbdt::shap::TreeShap;
use cartera::gbdt::{GbdtParams, Objective};
use cartera::kmeans::{DEFAULT_SENSITIVITY, KMeans, KMeansParams, kneedle_decreasing_convex};
use cartera::logistic::LogisticRegressionParams;
use cartera::preprocess::clean::{drop_duplicates, replace_sentinel};
use cartera::preprocess::datasets::telco_churn_with_groups;
use cartera::preprocess::impute::{ImputeStrategy, SimpleImputer};
use cartera::preprocess::outliers::IqrOutliers;
use cartera::preprocess::pipeline::{FittedPipeline, PrepConfig};
use cartera::preprocess::scale::{MinMaxScaler, ScalerKind};
use cartera::preprocess::split::stratified_split;
use cartera::preprocess::{Column, ColumnType, Table, TextColumn};
use cartera::scoring::Groups;
use cartera::scoring::metrics::{ClassificationReport, roc_auc};
use cartera::scoring::tiers::{TierBounds, TierTable, risk_tiers};
use cartera::silhouette::SilhouetteParams;
use ndarray::{Array1, Array2, ArrayView2, Axis};

/// Rows scored at a time by the churn models ([`proba_in_chunks`]). A chunk's matrix
/// (16,384 x 114 f64, 15 MB) stays under glibc's largest mmap threshold (32 MB), so after the
/// first chunk each one reuses the freed heap memory instead of faulting in fresh pages: the
/// scoring step took 0.79-0.80 s against 0.97-1.04 s with chunks of 65,536 rows (60 MB each).
const SCORE_CHUNK: usize = 1 << 14;

/// The unique-ID column, the label, and the text columns that are neither features nor groups.
const ID: &str = "IMEI";
const LABEL: &str = "CHURN";
const TEXT: [&str; 2] = ["FECHA_ACTIVACION", "DIRECCION"];
const SENTINEL_COLUMN: &str = "DIAS_FRECUENCIA_RECARGA";
const STORE: &str = "TIENDA";
/// Candidate numbers of clusters for the elbow.
const KS: [usize; 7] = [2, 3, 4, 5, 6, 7, 8];
/// K-Means restarts per k (the peer script uses the same).
const N_INIT: usize = 3;
/// Rows the cluster GBDT is trained on and rows TreeSHAP explains (samples keep the
/// explanation step a few seconds; both sides of the benchmark use the same sizes).
const CLUSTER_TRAIN_ROWS: usize = 50_000;
const SHAP_ROWS: usize = 2_000;
/// The study's segment names.
const PRODIGIOUS: &str = "prodigious rechargers";
const CAUTIOUS: &str = "cautious rechargers";
const GLOBAL: &str = "global communicators";
const STANDARD: &str = "standard users";

/// What to run and where to write.
#[derive(Debug, Clone)]
pub struct Options {
    /// Output folder (created if missing).
    pub out: PathBuf,
    /// Rows of the generated table.
    pub rows: usize,
    /// Seed of the table, the split and the models.
    pub seed: u64,
    /// Also write the prepared churn matrix (`churn_features.csv`).
    pub write_features: bool,
    /// Boosting rounds of the churn GBDT (200; the tests use fewer).
    pub churn_trees: usize,
    /// Also write the generated table as `telco.csv` (what `scripts/study_telco_peers.py`
    /// reads; the same file as `cartera generate telco --rows N --seed S`).
    pub write_table: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            out: PathBuf::from("target/examples/telco_churn"),
            rows: 371_589,
            seed: 0,
            write_features: false,
            churn_trees: 200,
            write_table: false,
        }
    }
}

/// Quality of one churn model on the validation rows.
#[derive(Debug, Clone)]
pub struct ModelQuality {
    /// Fraction of validation rows classified right (threshold 0.5).
    pub accuracy: f64,
    /// ROC AUC of the churn probability.
    pub auc: f64,
    /// Precision and recall of the churned class (1).
    pub churned: (f64, f64),
    /// Precision and recall of the retained class (0).
    pub retained: (f64, f64),
}

/// One segment.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Name from the centroid (the study's four names; `segment_<i>` beyond them).
    pub name: String,
    /// Customers (all de-duplicated rows, outliers given their nearest segment).
    pub customers: usize,
    /// Churn rate of the segment's customers.
    pub churn_rate: f64,
    /// Top features by mean |SHAP| of the cluster model's output for this segment.
    pub top_features: Vec<String>,
}

/// What the example found.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Rows generated, duplicates removed, sentinels replaced, rows kept for clustering.
    pub rows: usize,
    /// Exact duplicate rows dropped.
    pub duplicates: usize,
    /// Sentinel values turned into missing values.
    pub sentinels: usize,
    /// Rows left for clustering after IQR outlier removal.
    pub clustered_rows: usize,
    /// Inertia per candidate k.
    pub elbow: Vec<(usize, f64)>,
    /// The k chosen at the knee.
    pub k: usize,
    /// Silhouette of the chosen clustering (sampled on 10,000 rows above that size).
    pub silhouette: f64,
    /// Adjusted Rand index against the generator's behaviour groups (clustered rows).
    pub ari: f64,
    /// Adjusted Rand index over every de-duplicated row (outliers assigned).
    pub ari_all_rows: f64,
    /// Segments in cluster order.
    pub segments: Vec<Segment>,
    /// Churn GBDT on the validation rows.
    pub gbdt: ModelQuality,
    /// Logistic baseline on the validation rows.
    pub logistic: ModelQuality,
    /// Training and validation rows.
    pub split: (usize, usize),
    /// Risk tiers per segment (and the total row).
    pub tiers: TierTable,
    /// Stores, highest mean churn probability first: (store, customers, mean churn probability).
    pub stores: Vec<(String, u64, f64)>,
    /// Seconds per stage (generation is reported but not in the total).
    pub stages: Vec<(&'static str, f64)>,
    /// Seconds from clean to tiers (excludes generating the table and writing files).
    pub total_seconds: f64,
    /// Files written.
    pub files: Vec<PathBuf>,
}

/// A stopwatch that records named stages.
struct Stages {
    last: Instant,
    done: Vec<(&'static str, f64)>,
}

impl Stages {
    fn new() -> Self {
        Stages {
            last: Instant::now(),
            done: Vec::new(),
        }
    }
    fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        self.done.push((name, (now - self.last).as_secs_f64()));
        self.last = now;
    }
}

/// Run the study and write its outputs to `opts.out`.
pub fn run(opts: &Options) -> Result<Summary> {
    let mut clock = Stages::new();
    let (raw, groups_raw) = telco_churn_with_groups(opts.rows, opts.seed)?;
    clock.lap("generate");

    // 1. Clean: duplicates (first occurrence kept, as pandas), sentinel, ID and text columns.
    let (mut table, dups) = drop_duplicates(&raw)?;
    let true_groups: Vec<usize> = dups.kept_rows.iter().map(|&i| groups_raw[i]).collect();
    let sentinels = replace_sentinel(&mut table, SENTINEL_COLUMN, "9999")?;
    let imei: Vec<f64> = numeric(&table, ID)?.to_vec();
    let mut unused = vec![ID];
    unused.extend(TEXT);
    let table = table.drop(&unused)?;
    let churn: Vec<usize> = numeric(&table, LABEL)?
        .iter()
        .map(|&v| usize::from(v == 1.0))
        .collect();
    let n = table.n_rows();
    clock.lap("clean");

    // 2. Segment on the numeric behaviour columns; categorical columns stay out.
    let behaviour: Vec<&str> = table
        .names()
        .iter()
        .map(String::as_str)
        .filter(|&c| c != LABEL && table.column_type(c).ok() == Some(ColumnType::Numeric))
        .collect();
    let mut x = table.to_array::<f64>(&behaviour)?;
    // The segment explainer (section 3) learns from the raw values, missing ones included:
    // its rows are picked out before the matrix is imputed in place.
    let step = (n / CLUSTER_TRAIN_ROWS).max(1);
    let train_rows: Vec<usize> = (0..n).step_by(step).collect();
    let xc = x.select(Axis(0), &train_rows);
    let shap_step = (n / SHAP_ROWS).max(1);
    let shap_rows: Vec<usize> = (0..n).step_by(shap_step).take(SHAP_ROWS).collect();
    let xs = x.select(Axis(0), &shap_rows);
    // Large matrices are transformed in place (scikit-learn's `copy=False`) and dropped as
    // soon as they are used up (here and below): no fresh pages for the copies, and a lower
    // peak.
    SimpleImputer::new()
        .strategy(ImputeStrategy::Mean)
        .fit(x.view())?
        .transform_in_place(x.view_mut())?;
    let fences = IqrOutliers::new().fit(x.view())?;
    let inlier = fences.inlier_mask(x.view())?;
    let kept: Vec<usize> = (0..n).filter(|&i| inlier[i]).collect();
    let mut z = x.select(Axis(0), &kept);
    let scaler = MinMaxScaler::new().fit(z.view())?;
    scaler.transform_in_place(z.view_mut())?;
    clock.lap("cluster_prep");

    // One model per k, the data checked and prepared once for all of them.
    let models: Vec<KMeans<f64>> = KMeansParams::default()
        .n_init(N_INIT)
        .seed(opts.seed)
        .fit_each_k(z.view(), &KS)?;
    let ks_f: Vec<f64> = KS.iter().map(|&k| k as f64).collect();
    let inertias: Vec<f64> = models.iter().map(KMeans::inertia).collect();
    let knee = kneedle_decreasing_convex(&ks_f, &inertias, DEFAULT_SENSITIVITY).unwrap_or(2);
    let k = KS[knee];
    let model = &models[knee];
    // Outliers were left out of the fit, not out of the business: they get the nearest segment.
    scaler.transform_in_place(x.view_mut())?;
    let cluster: Vec<usize> = model.predict(x.view())?.to_vec();
    drop(x);
    clock.lap("kmeans_elbow");

    let sample = (z.nrows() > 20_000).then_some(10_000);
    let silhouette = SilhouetteParams::new()
        .sample_size(sample)
        .seed(opts.seed)
        .evaluate(z.view(), model.labels())?
        .score();
    let kept_groups: Vec<usize> = kept.iter().map(|&i| true_groups[i]).collect();
    let ari = cartera::silhouette::adjusted_rand_index(model.labels(), &kept_groups)?;
    let ari_all_rows = cartera::silhouette::adjusted_rand_index(&cluster, &true_groups)?;
    let names = segment_names(
        &scaler.inverse_transform(model.centroids().view())?,
        &behaviour,
    );
    clock.lap("cluster_quality");

    // 3. Why is a customer in a segment? A GBDT learns the labels, TreeSHAP explains it.
    let yc = Array1::from_iter(train_rows.iter().map(|&i| cluster[i] as f64));
    let cluster_model = GbdtParams::new()
        .objective(Objective::Multiclass { n_classes: k })
        .n_estimators(50)
        .seed(opts.seed)
        .feature_names(Some(behaviour.iter().map(|s| s.to_string()).collect()))
        .fit(xc.view(), yc.view())?;
    let shap = TreeShap::new(cluster_model.ensemble())?.shap_values(xs.view())?;
    let members: Vec<usize> = shap_rows.iter().map(|&i| cluster[i]).collect();
    let importance = cluster_importance(&shap, Some(&members), Some(&names), Some(5))?;
    drop((xc, xs));
    clock.lap("cluster_explain");

    // 4. Churn models on a fixed stratified split; preparation fitted on training rows only.
    let split = stratified_split(&churn, 0.3, opts.seed)?;
    let features = table.drop(&[LABEL])?;
    let train_t = features.take_rows(&split.train)?;
    let valid_t = features.take_rows(&split.valid)?;
    let (trees_prep, trees_train, _) = PrepConfig::new().one_hot(true).fit(&train_t)?;
    let cols: Vec<String> = trees_train.names().to_vec();
    let col_refs: Vec<&str> = cols.iter().map(String::as_str).collect();
    let x_train = trees_train.to_array::<f64>(&col_refs)?;
    drop(trees_train);
    let y_train: Vec<usize> = split.train.iter().map(|&i| churn[i]).collect();
    let y_valid: Vec<usize> = split.valid.iter().map(|&i| churn[i]).collect();
    clock.lap("churn_prep");

    let y_train_f = Array1::from_iter(y_train.iter().map(|&c| c as f64));
    let gbdt = GbdtParams::new()
        .n_estimators(opts.churn_trees)
        .learning_rate(0.1)
        .num_leaves(31)
        .seed(opts.seed)
        .feature_names(Some(cols.clone()))
        .fit(x_train.view(), y_train_f.view())?;
    drop(x_train);
    // Every row is scored once; the validation rows' scores are picked out of those.
    let p_every = proba_in_chunks(&features, &trees_prep, &col_refs, |x| gbdt.predict_proba(x))?;
    let p_valid: Vec<f64> = split.valid.iter().map(|&i| p_every[i]).collect();
    let gbdt_quality = quality(&y_valid, &p_valid)?;
    clock.lap("churn_gbdt");

    let (lin_prep, lin_train, _) = PrepConfig::new()
        .one_hot(true)
        .impute(ImputeStrategy::Mean)
        .scale(ScalerKind::Robust)
        .fit(&train_t)?;
    let lin_cols: Vec<String> = lin_train.names().to_vec();
    let lin_refs: Vec<&str> = lin_cols.iter().map(String::as_str).collect();
    let x_lin = lin_train.to_array::<f64>(&lin_refs)?;
    drop(lin_train);
    let logit = LogisticRegressionParams::new()
        .max_iter(200)
        .fit(x_lin.view(), Array1::from(y_train.clone()).view())?;
    drop(x_lin);
    let p_lin = proba_in_chunks(&valid_t, &lin_prep, &lin_refs, |x| logit.predict_proba(x))?;
    let logistic_quality = quality(&y_valid, &p_lin)?;
    clock.lap("churn_logistic");

    // 5. Retention probability -> tier, per segment; churn probability per store.
    let retention: Vec<f64> = p_every.iter().map(|p| 1.0 - p).collect();
    let seg_groups =
        Groups::from_codes(cluster.iter().map(|&c| c as u32).collect(), names.clone())?;
    let tiers = risk_tiers(&retention, Some(&seg_groups), TierBounds::default())?;
    let store_groups = Groups::from_table(&table, STORE)?;
    let by_store = risk_tiers(&retention, Some(&store_groups), TierBounds::default())?;
    let mut stores: Vec<(String, u64, f64)> = by_store
        .rows
        .iter()
        .map(|r| (r.group.clone(), r.total, r.mean_churn_probability))
        .collect();
    stores.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
    clock.lap("tiers_stores");

    let total_seconds: f64 = clock.done.iter().skip(1).map(|s| s.1).sum();
    let segments: Vec<Segment> = (0..k)
        .map(|c| {
            let rows: Vec<usize> = (0..n).filter(|&i| cluster[i] == c).collect();
            let churned = rows.iter().filter(|&&i| churn[i] == 1).count();
            Segment {
                name: names[c].clone(),
                customers: rows.len(),
                churn_rate: churned as f64 / rows.len().max(1) as f64,
                top_features: importance[c]
                    .features
                    .iter()
                    .map(|f| f.feature.clone())
                    .collect(),
            }
        })
        .collect();

    // Outputs.
    std::fs::create_dir_all(&opts.out)
        .map_err(|e| cartera::Error::io(format!("creating {}", opts.out.display()), e))?;
    let mut files = Vec::new();
    let part: Vec<&str> = {
        let mut p = vec!["train"; n];
        for &i in &split.valid {
            p[i] = "valid";
        }
        p
    };
    let split_table = Table::from_columns(vec![
        (
            "row".into(),
            Column::Numeric((0..n).map(|i| i as f64).collect()),
        ),
        (ID.into(), Column::Numeric(imei.clone())),
        ("part".into(), text(&part)),
    ])?;
    files.push(write_csv(&split_table, &opts.out, "split.csv")?);
    let tier_names: Vec<&str> = retention
        .iter()
        .map(|&r| TierBounds::default().tier(r).name())
        .collect();
    let seg_names: Vec<&str> = cluster.iter().map(|&c| names[c].as_str()).collect();
    let customers = Table::from_columns(vec![
        (ID.into(), Column::Numeric(imei)),
        ("segment".into(), text(&seg_names)),
        ("churn_probability".into(), Column::Numeric(p_every.clone())),
        ("risk_tier".into(), text(&tier_names)),
    ])?;
    files.push(write_csv(&customers, &opts.out, "customers.csv")?);
    files.push(write_csv(&tiers.to_table(), &opts.out, "tiers.csv")?);
    files.push(write_csv(&by_store.to_table(), &opts.out, "stores.csv")?);
    files.push(write_csv(
        &shap_table(&importance)?,
        &opts.out,
        "cluster_shap.csv",
    )?);
    let svg = cartera::plot::elbow(&KS, &summary_inertias(&models), Some(k))?;
    files.push(write_text(&svg, &opts.out, "elbow.svg")?);
    let tier_labels: Vec<String> = ["Low", "Moderate", "High", "Critical"]
        .map(String::from)
        .to_vec();
    let counts: Vec<Vec<usize>> = tiers
        .rows
        .iter()
        .map(|r| {
            [r.low, r.moderate, r.high, r.critical]
                .map(|c| c as usize)
                .to_vec()
        })
        .collect();
    let svg = cartera::plot::stacked_tiers(&names, &tier_labels, &counts)?;
    files.push(write_text(&svg, &opts.out, "tiers.svg")?);
    if opts.write_table {
        files.push(write_csv(&raw, &opts.out, "telco.csv")?);
    }
    if opts.write_features {
        let x_every = trees_prep
            .transform(&features)?
            .0
            .to_array::<f64>(&col_refs)?;
        let mut t = Table::from_array(&col_refs, x_every.view())?;
        t.push_column(
            LABEL,
            Column::Numeric(churn.iter().map(|&c| c as f64).collect()),
        )?;
        t.push_column("part", text(&part))?;
        files.push(write_csv(&t, &opts.out, "churn_features.csv")?);
    }

    let mut summary = Summary {
        rows: raw.n_rows(),
        duplicates: dups.removed,
        sentinels,
        clustered_rows: kept.len(),
        elbow: KS.iter().copied().zip(inertias).collect(),
        k,
        silhouette,
        ari,
        ari_all_rows,
        segments,
        gbdt: gbdt_quality,
        logistic: logistic_quality,
        split: (split.train.len(), split.valid.len()),
        tiers,
        stores,
        stages: clock.done,
        total_seconds,
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

/// Names from the centroids (original units): the cluster with the most international minutes
/// is the global communicators; of the others, the most recharges make the prodigious
/// rechargers, the fewest the cautious rechargers; the one left is the standard users. With
/// another k than 4, clusters past the fourth are `segment_<i>`.
fn segment_names(centroids: &Array2<f64>, columns: &[&str]) -> Vec<String> {
    let k = centroids.nrows();
    let col = |name: &str| columns.iter().position(|c| *c == name);
    let recharges: Vec<f64> = (0..k)
        .map(|c| {
            ["NUM_RECARGAS_M1", "NUM_RECARGAS_M2", "NUM_RECARGAS_M3"]
                .iter()
                .filter_map(|n| col(n))
                .map(|j| centroids[[c, j]])
                .sum()
        })
        .collect();
    let intl: Vec<f64> = (0..k)
        .map(|c| col("MIN_LLAMADAS_INTERNACIONALES").map_or(0.0, |j| centroids[[c, j]]))
        .collect();
    let mut names: Vec<String> = (0..k).map(|c| format!("segment_{c}")).collect();
    let mut free: Vec<usize> = (0..k).collect();
    let mut take =
        |free: &mut Vec<usize>, key: &dyn Fn(usize) -> f64, name: &str, highest: bool| {
            let best = free.iter().copied().max_by(|&a, &b| {
                let o = key(a).total_cmp(&key(b));
                if highest { o } else { o.reverse() }
            });
            if let Some(c) = best {
                names[c] = name.to_string();
                free.retain(|&x| x != c);
            }
        };
    if k >= 2 {
        take(&mut free, &|c| intl[c], GLOBAL, true);
        take(&mut free, &|c| recharges[c], PRODIGIOUS, true);
        take(&mut free, &|c| recharges[c], CAUTIOUS, false);
        take(&mut free, &|c| recharges[c], STANDARD, true);
    }
    names
}

/// The positive class's probability for every row of `t`, through the fitted preparation
/// `prep` (its columns `cols`) and the model's `proba`, `SCORE_CHUNK` rows at a time: the
/// matrix of all rows (350 MB of f64 for the full table's 114 model columns) is never held
/// at once, and each chunk's matrix reuses the previous one's memory.
fn proba_in_chunks(
    t: &Table,
    prep: &FittedPipeline,
    cols: &[&str],
    proba: impl Fn(ArrayView2<f64>) -> Result<Array2<f64>>,
) -> Result<Vec<f64>> {
    let mut p = Vec::with_capacity(t.n_rows());
    let every: Vec<usize> = (0..t.n_rows()).collect();
    for rows in every.chunks(SCORE_CHUNK) {
        let x = prep
            .transform(&t.take_rows(rows)?)?
            .0
            .to_array::<f64>(cols)?;
        p.extend(proba(x.view())?.column(1).iter());
    }
    Ok(p)
}

/// Accuracy, AUC and per-class precision/recall at threshold 0.5.
fn quality(y: &[usize], p: &[f64]) -> Result<ModelQuality> {
    let pred: Vec<usize> = p.iter().map(|&q| usize::from(q > 0.5)).collect();
    let report = ClassificationReport::new(y, &pred, 2)?;
    let truth: Vec<bool> = y.iter().map(|&c| c == 1).collect();
    Ok(ModelQuality {
        accuracy: report.accuracy,
        auc: roc_auc(&truth, p)?,
        churned: (report.per_class[1].precision, report.per_class[1].recall),
        retained: (report.per_class[0].precision, report.per_class[0].recall),
    })
}

/// Per-cluster SHAP table: cluster, rank, feature, mean |SHAP|, members' mean signed SHAP.
fn shap_table(importance: &[ClusterImportance]) -> Result<Table> {
    let mut seg = Vec::new();
    let mut rank = Vec::new();
    let mut feature = Vec::new();
    let mut mean_abs = Vec::new();
    let mut members = Vec::new();
    for c in importance {
        for (r, f) in c.features.iter().enumerate() {
            seg.push(c.name.clone());
            rank.push((r + 1) as f64);
            feature.push(f.feature.clone());
            mean_abs.push(f.mean_abs_shap);
            members.push(f.mean_shap_members.unwrap_or(f64::NAN));
        }
    }
    Table::from_columns(vec![
        ("segment".into(), text(&seg)),
        ("rank".into(), Column::Numeric(rank)),
        ("feature".into(), text(&feature)),
        ("mean_abs_shap".into(), Column::Numeric(mean_abs)),
        ("mean_shap_members".into(), Column::Numeric(members)),
    ])
}

fn summary_json(s: &Summary) -> serde_json::Value {
    let q = |m: &ModelQuality| {
        serde_json::json!({
            "accuracy": m.accuracy, "auc": m.auc,
            "churned": {"precision": m.churned.0, "recall": m.churned.1},
            "retained": {"precision": m.retained.0, "recall": m.retained.1},
        })
    };
    serde_json::json!({
        "study": "004 telco churn",
        "rows": s.rows, "duplicates_dropped": s.duplicates, "sentinels_replaced": s.sentinels,
        "clustered_rows": s.clustered_rows,
        "elbow": s.elbow.iter().map(|(k, i)| serde_json::json!({"k": k, "inertia": i})).collect::<Vec<_>>(),
        "k": s.k, "silhouette": s.silhouette,
        "adjusted_rand_index": s.ari, "adjusted_rand_index_all_rows": s.ari_all_rows,
        "segments": s.segments.iter().map(|g| serde_json::json!({
            "name": g.name, "customers": g.customers, "churn_rate": g.churn_rate,
            "top_features": g.top_features,
        })).collect::<Vec<_>>(),
        "split": {"train": s.split.0, "valid": s.split.1, "fraction": 0.3, "stratified_by": LABEL},
        "gbdt": q(&s.gbdt), "logistic": q(&s.logistic),
        "tiers": s.tiers.rows.iter().chain(std::iter::once(&s.tiers.total)).map(|r| serde_json::json!({
            "segment": r.group, "low": r.low, "moderate": r.moderate, "high": r.high,
            "critical": r.critical, "total": r.total, "mean_churn_probability": r.mean_churn_probability,
        })).collect::<Vec<_>>(),
        "stores": s.stores.iter().map(|(st, n, p)| serde_json::json!({"store": st, "customers": n, "mean_churn_probability": p})).collect::<Vec<_>>(),
        "stages": s.stages.iter().map(|(k, v)| (k.to_string(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
        "total_seconds": s.total_seconds,
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
fn text<S: AsRef<str>>(values: &[S]) -> Column {
    let opts: Vec<Option<&str>> = values.iter().map(|s| Some(s.as_ref())).collect();
    Column::Text(TextColumn::from_options(&opts))
}

fn write_csv(t: &Table, dir: &Path, name: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    t.write_csv(&path)?;
    Ok(path)
}

fn summary_inertias(models: &[KMeans<f64>]) -> Vec<f64> {
    models.iter().map(KMeans::inertia).collect()
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
            "Telco churn (study 004): {} rows x 42 columns; {} duplicates dropped, {} sentinels 9999 -> missing, IMEI dropped",
            self.rows, self.duplicates, self.sentinels
        );
        let elbow: Vec<String> = self
            .elbow
            .iter()
            .map(|(k, i)| format!("{k}:{i:.0}"))
            .collect();
        println!(
            "segments: {} rows inside the IQR fences, min-max scaled; inertia {}; knee k = {}",
            self.clustered_rows,
            elbow.join(" "),
            self.k
        );
        println!(
            "silhouette {:.3}; adjusted Rand index vs the generator's groups {:.3} (all rows {:.3})",
            self.silhouette, self.ari, self.ari_all_rows
        );
        println!(
            "{:<22} {:>9} {:>7} {:>7} {:>9} {:>7} {:>9}  top SHAP features",
            "segment", "customers", "churn", "Low", "Moderate", "High", "Critical"
        );
        for (s, t) in self.segments.iter().zip(&self.tiers.rows) {
            println!(
                "{:<22} {:>9} {:>6.1}% {:>7} {:>9} {:>7} {:>9}  {}",
                s.name,
                s.customers,
                100.0 * s.churn_rate,
                t.low,
                t.moderate,
                t.high,
                t.critical,
                s.top_features
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let t = &self.tiers.total;
        println!(
            "{:<22} {:>9} {:>7} {:>7} {:>9} {:>7} {:>9}",
            "total", t.total, "", t.low, t.moderate, t.high, t.critical
        );
        println!(
            "churn on {} validation rows (stratified 70/30):  accuracy    AUC  churned P/R  retained P/R",
            self.split.1
        );
        for (name, m) in [("GBDT", &self.gbdt), ("logistic baseline", &self.logistic)] {
            println!(
                "  {:<45} {:>8.4} {:>6.4}  {:.3}/{:.3}   {:.3}/{:.3}",
                name, m.accuracy, m.auc, m.churned.0, m.churned.1, m.retained.0, m.retained.1
            );
        }
        let top: Vec<String> = self
            .stores
            .iter()
            .take(5)
            .map(|(s, _, p)| format!("{s} {:.1} %", 100.0 * p))
            .collect();
        println!(
            "stores with the highest mean churn probability: {}",
            top.join(", ")
        );
        let stages: Vec<String> = self
            .stages
            .iter()
            .map(|(k, v)| format!("{k} {v:.2}"))
            .collect();
        println!(
            "seconds: {}; total {:.2} (without generate)",
            stages.join(", "),
            self.total_seconds
        );
        let names: Vec<String> = self
            .files
            .iter()
            .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        if let Some(dir) = self.files.first().and_then(|f| f.parent()) {
            println!("wrote {}/{{{}}}", dir.display(), names.join(", "));
        }
    }
}

/// `--out DIR --rows N --seed S --write-features --write-table`.
fn parse_args(args: impl Iterator<Item = String>) -> std::result::Result<Options, String> {
    let mut o = Options::default();
    let mut args = args;
    while let Some(flag) = args.next() {
        if flag == "--write-features" || flag == "--write-table" {
            o.write_features |= flag == "--write-features";
            o.write_table |= flag == "--write-table";
            continue;
        }
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--out" => o.out = PathBuf::from(value()?),
            "--rows" => o.rows = value()?.parse().map_err(|e| format!("--rows: {e}"))?,
            "--seed" => o.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            other => {
                return Err(format!(
                    "unknown option {other} (try --out DIR --rows N --seed S --write-features --write-table)"
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
            eprintln!("telco_churn: {e}");
            std::process::exit(1);
        }
    }
}
