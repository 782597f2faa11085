//! # cartera-study
//!
//! The four customer-analytics studies cartera is built for, end to end: from a raw customer
//! table to named segments, an explained churn or purchase model, and the business tables
//! that decide a campaign, written as CSV and JSON tables, SVG charts, a self-contained HTML
//! report and one CRM campaign list per segment.
//!
//! | [`Study`] | source | what it does |
//! |---|---|---|
//! | [`Study::Telco`] | study 004 | duplicates, sentinel, IQR outliers, min-max, elbow → k-means, GBDT on the cluster labels explained with TreeSHAP, churn GBDT and logistic baseline, risk tiers per segment, churn per store |
//! | [`Study::Bank`] | studies 001/003 | mean imputation, outliers kept, k in 3..6 by elbow and silhouette, PCA, segments profiled with their conversion rate |
//! | [`Study::Atm`] | study 002 | standard scaling of frequency and amount, k-means (k = 3, 10 restarts, seed 0), segments named from their profiles |
//! | [`Study::Propensity`] | study 000 | logistic and GBDT purchase models, gains and lift, five score bands and their strategies, multi-product offers, mass versus targeted campaign |
//!
//! Each study runs on its embedded default (a generated table, fixed seed) or on a user's
//! [`Table`] whose columns are mapped to roles ([`RoleMap`]). Results are computed first and
//! written into a hidden folder next to the output folder, which is renamed into place only
//! when everything succeeded.
//!
//! ```
//! use cartera_study::{Input, NoProgress, Study, StudyParams, StudyReport};
//!
//! // Study 002 on 600 generated ATM customers, without writing files.
//! let outcome = StudyParams::new(Study::Atm).rows(Some(600)).run(Input::Generated, &NoProgress)?;
//! let StudyReport::Atm(atm) = &outcome.report else { unreachable!() };
//! assert_eq!(atm.k, 3);
//! let mut names: Vec<&str> = atm.segments.iter().map(|s| s.name.as_str()).collect();
//! names.sort();
//! assert_eq!(names, ["frequent spenders", "occasional users", "regular users"]);
//! // One campaign list per segment; every customer in exactly one of them.
//! let listed: usize = outcome.campaigns.iter().map(|c| c.entries.len()).sum();
//! assert_eq!(listed, 600);
//! # Ok::<(), cartera_core::Error>(())
//! ```
//!
//! With [`StudyParams::out_dir`] set, the same call writes the folder described in the
//! README: `summary.json`, the study's tables (`*.csv`, `*.json`), its charts (`*.svg`),
//! `report.html` and `campaign_<segment>.csv`.
//!
//! Figures do not depend on the number of threads: every crate underneath reduces in fixed
//! blocks, and the study itself samples rows with seeded streams.

use std::path::PathBuf;

use cartera_core::{Error, Result};
use cartera_preprocess::Table;
use serde::{Deserialize, Serialize};

mod atm;
mod bank;
pub mod choose_k;
mod common;
mod html;
pub mod model_file;
mod models;
mod output;
mod plots;
mod progress;
mod propensity;
pub mod report;
mod roles;
mod telco;

pub use atm::{AtmReport, AtmSegment};
pub use bank::{BankReport, BankSegment, KChoice};
pub use common::{CampaignEntry, CampaignList};
pub use models::ModelQuality;
pub use progress::{NoProgress, Progress, StepTime};
pub use propensity::{ProductModel, PropensityReport};
pub use roles::{Role, RoleMap};
pub use telco::{StoreChurn, TelcoCleaning, TelcoReport, TelcoSegment};

use output::OutputDir;

/// Which study to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Study {
    /// Study 004: prepaid-telco churn, segments and retention tiers.
    #[default]
    Telco,
    /// Studies 001/003: bank customer segmentation.
    Bank,
    /// Study 002: ATM usage segments and CRM hand-off.
    Atm,
    /// Study 000: purchase propensity, score bands and campaign economics.
    Propensity,
}

impl Study {
    /// Every study.
    pub const ALL: [Study; 4] = [Study::Telco, Study::Bank, Study::Atm, Study::Propensity];

    /// The study's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Study::Telco => "telco",
            Study::Bank => "bank",
            Study::Atm => "atm",
            Study::Propensity => "propensity",
        }
    }

    /// Rows of the embedded default table: the source studies' sizes (371,589 telco
    /// customers, the 45,211 rows of the UCI bank table, 1,000 ATM customers).
    pub fn default_rows(self) -> usize {
        match self {
            Study::Telco => 371_589,
            Study::Bank | Study::Propensity => 45_211,
            Study::Atm => 1_000,
        }
    }
}

impl std::str::FromStr for Study {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Study::ALL
            .into_iter()
            .find(|st| st.name() == s)
            .ok_or_else(|| {
                Error::invalid_param("study", s, "expected telco, bank, atm or propensity")
            })
    }
}

/// Where a study's customers come from.
#[derive(Debug, Clone)]
pub enum Input {
    /// The embedded default: the study's generator with [`StudyParams::rows`] rows and
    /// [`StudyParams::seed`].
    Generated,
    /// A user's table; columns are found through [`StudyParams::roles`].
    Table(Table),
}

impl Input {
    /// The user's table, or the generator's run as a timed step named `what`.
    fn or_generate(
        self,
        cx: &mut Context<'_>,
        what: &str,
        generate: impl FnOnce() -> Result<Table>,
    ) -> Result<Table> {
        match self {
            Input::Generated => cx.step(what, generate),
            Input::Table(t) => Ok(t),
        }
    }
}

/// How to run a study.
///
/// Defaults: [`Study::Telco`], the study's default number of rows, seed 42, no role mapping
/// (the generated tables' column names), no output folder (figures only).
#[derive(Debug, Clone, PartialEq)]
pub struct StudyParams {
    study: Study,
    rows: Option<usize>,
    seed: u64,
    roles: RoleMap,
    out_dir: Option<PathBuf>,
    positive_class: Option<String>,
}

impl Default for StudyParams {
    fn default() -> Self {
        StudyParams {
            study: Study::Telco,
            rows: None,
            seed: 42,
            roles: RoleMap::new(),
            out_dir: None,
            positive_class: None,
        }
    }
}

impl StudyParams {
    /// The defaults for `study`.
    pub fn new(study: Study) -> Self {
        StudyParams {
            study,
            ..Self::default()
        }
    }

    cartera_core::setter!(/// Which study (default telco).
        study: Study);
    cartera_core::setter!(/// Rows of the generated table (default: [`Study::default_rows`]); ignored for a user's table.
        rows: Option<usize>);
    cartera_core::setter!(/// Seed of the generated table, the splits, samples and models (default 42).
        seed: u64);
    cartera_core::setter!(/// Which user columns play which role (default: none mapped).
        roles: RoleMap);
    cartera_core::setter!(/// Folder to write the results into (default none: compute only).
        out_dir: Option<PathBuf>);
    cartera_core::setter!(/// The target's positive class (churned, bought): default the value that reads as "yes"
        /// (`1`, `yes`, `true`, `churn`, ...), else the larger of the two.
        positive_class: Option<String>);

    /// The study to run.
    pub fn get_study(&self) -> Study {
        self.study
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`rows`) for 0 rows, or fewer than 200 for the telco and
    /// propensity studies (their models need both classes in both parts of the split).
    pub fn validate(&self) -> Result<()> {
        if let Some(r) = self.rows {
            let min = match self.study {
                Study::Telco | Study::Propensity | Study::Bank => 200,
                Study::Atm => 10,
            };
            if r < min {
                return Err(Error::invalid_param(
                    "rows",
                    r,
                    format!("the {} study needs at least {min} rows", self.study.name()),
                ));
            }
        }
        Ok(())
    }

    /// Run the study, reporting each step to `progress`.
    ///
    /// The output folder (if any) is checked before any work and written only at the end; on
    /// error nothing is left there (an earlier result in the folder is kept).
    ///
    /// # Errors
    /// Invalid parameters; a mapped column missing from the table, a target with one class, a
    /// store column with one value ([`Error::InvalidParameter`] naming the role and column);
    /// an output folder that cannot be written ([`Error::Io`]); and any error of the crates
    /// underneath (non-numeric features, too few rows).
    pub fn run(&self, input: Input, progress: &dyn Progress) -> Result<StudyOutcome> {
        self.validate()?;
        let out = self.out_dir.as_deref().map(OutputDir::create).transpose()?;
        let mut cx = Context {
            params: self,
            progress,
            times: Vec::new(),
            out,
            notes: Vec::new(),
            figures: Vec::new(),
        };
        let rows = self.rows.unwrap_or(self.study.default_rows());
        let (report, campaigns, n_rows, look_up) = match self.study {
            Study::Telco => {
                let (table, groups) = match input {
                    Input::Generated => {
                        let (t, g) = cx.step("generating the telco table", || {
                            cartera_preprocess::datasets::telco_churn_with_groups(rows, self.seed)
                        })?;
                        (t, Some(g))
                    }
                    Input::Table(t) => (t, None),
                };
                let (report, customers, lists) = telco::run(&mut cx, table, groups)?;
                let t0 = cx.begin("writing the tables");
                telco::write(&mut cx, &report, &customers)?;
                cx.end("writing the tables", t0);
                let n = customers.ids.len();
                let look_up = report::Customers {
                    ids: customers.ids,
                    segment: Some(customers.segment.iter().map(|&s| s as u32).collect()),
                    score: Some(customers.churn_probability),
                    tier: Some(customers.tier.iter().map(|&t| t as u8).collect()),
                };
                (StudyReport::Telco(Box::new(report)), lists, n, look_up)
            }
            Study::Bank => {
                let table = input.or_generate(&mut cx, "generating the bank table", || {
                    cartera_preprocess::datasets::bank_customers(rows, self.seed)
                })?;
                let n = table.n_rows();
                let (report, lists, look_up) = bank::run(&mut cx, table)?;
                (StudyReport::Bank(Box::new(report)), lists, n, look_up)
            }
            Study::Atm => {
                let table = input.or_generate(&mut cx, "generating the ATM table", || {
                    cartera_preprocess::datasets::atm_customers(rows, self.seed)
                })?;
                let n = table.n_rows();
                let (report, lists, look_up) = atm::run(&mut cx, table)?;
                (StudyReport::Atm(Box::new(report)), lists, n, look_up)
            }
            Study::Propensity => {
                let table = input.or_generate(&mut cx, "generating the bank table", || {
                    cartera_preprocess::datasets::bank_customers(rows, self.seed)
                })?;
                let n = table.n_rows();
                let (report, lists, look_up) = propensity::run(&mut cx, table)?;
                (StudyReport::Propensity(Box::new(report)), lists, n, look_up)
            }
        };
        let mut outcome = StudyOutcome {
            study: self.study,
            n_rows,
            report,
            campaigns,
            scores: look_up.score.clone(),
            files: Vec::new(),
            out_dir: None,
            steps: Vec::new(),
            notes: Vec::new(),
        };
        if cx.out.is_some() {
            let t0 = cx.begin("writing campaign lists and the report");
            for list in &outcome.campaigns {
                cx.csv(&list.file, &list.to_table()?)?;
            }
            let figures = std::mem::take(&mut cx.figures);
            match html::render(&outcome, look_up, &figures) {
                Ok(text) => cx.text("report.html", &text)?,
                Err(e) => cx.notes.push(format!("report.html not written: {e}")),
            }
            cx.end("writing campaign lists and the report", t0);
        }
        outcome.steps = std::mem::take(&mut cx.times);
        outcome.notes = std::mem::take(&mut cx.notes);
        if let Some(out) = cx.out.take() {
            let mut out = out;
            out.json("summary.json", &outcome.summary_json())?;
            outcome.files = out.commit()?;
            outcome.files.sort();
            outcome.out_dir = self.out_dir.clone();
        }
        Ok(outcome)
    }
}

/// The figures of one study.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "study", rename_all = "snake_case")]
pub enum StudyReport {
    /// Study 004.
    Telco(Box<TelcoReport>),
    /// Studies 001/003.
    Bank(Box<BankReport>),
    /// Study 002.
    Atm(Box<AtmReport>),
    /// Study 000.
    Propensity(Box<PropensityReport>),
}

/// What a study produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudyOutcome {
    /// The study run.
    pub study: Study,
    /// Customers studied (after removing duplicates, for the telco study).
    pub n_rows: usize,
    /// Its figures.
    pub report: StudyReport,
    /// One CRM campaign list per segment; every customer is in exactly one.
    pub campaigns: Vec<CampaignList>,
    /// Each customer's score, in table order (churn probability for telco, purchase
    /// probability for propensity; `None` for the segmentation studies).
    #[serde(skip)]
    pub scores: Option<Vec<f64>>,
    /// Files written to the output folder, sorted (empty without one).
    pub files: Vec<String>,
    /// The output folder, when one was written.
    pub out_dir: Option<PathBuf>,
    /// Wall time of each step.
    pub steps: Vec<StepTime>,
    /// Non-fatal problems (a chart that could not be drawn), one sentence each.
    pub notes: Vec<String>,
}

impl StudyOutcome {
    /// The figures as JSON, as written to `summary.json` (campaign lists summarised as
    /// segment sizes).
    pub fn summary_json(&self) -> serde_json::Value {
        let lists: Vec<serde_json::Value> = self
            .campaigns
            .iter()
            .map(|c| serde_json::json!({"segment": c.segment, "file": c.file, "customers": c.entries.len()}))
            .collect();
        serde_json::json!({
            "study": self.study,
            "n_rows": self.n_rows,
            "report": self.report,
            "campaign_lists": lists,
            "steps": self.steps,
            "notes": self.notes,
        })
    }

    /// A short, readable summary: one line per key figure.
    pub fn summary_lines(&self) -> Vec<String> {
        let mut l = Vec::new();
        match &self.report {
            StudyReport::Telco(r) => {
                l.push(format!(
                    "telco churn study: {} customers ({} duplicates removed, {} sentinels to missing)",
                    self.n_rows, r.cleaning.duplicates_removed, r.cleaning.sentinels_replaced
                ));
                l.push(format!(
                    "segments: k = {} (elbow knee {}), silhouette {:.3}{}",
                    r.k,
                    r.elbow.knee.map_or("none".into(), |k| k.to_string()),
                    r.silhouette,
                    r.adjusted_rand_index
                        .map_or(String::new(), |a| format!(", ARI vs generator {a:.3}"))
                ));
                for s in &r.segments {
                    l.push(format!(
                        "  {:<22} {:>7} customers  predicted churn {:>5.1} %  tiers L/M/H/C {}/{}/{}/{}",
                        s.name,
                        s.size,
                        100.0 * s.mean_churn_probability,
                        s.tiers[0],
                        s.tiers[1],
                        s.tiers[2],
                        s.tiers[3]
                    ));
                }
                for q in [&r.churn_gbdt, &r.churn_logistic] {
                    l.push(format!(
                        "churn {:<8}: accuracy {:.3}, AUC {:.3}, churned precision {:.2} recall {:.2}, retained precision {:.2} recall {:.2}",
                        q.model, q.accuracy, q.auc, q.precision[1], q.recall[1], q.precision[0], q.recall[0]
                    ));
                }
                let t = &r.tiers.total;
                l.push(format!(
                    "risk tiers: Low {}, Moderate {}, High {}, Critical {}",
                    t.low, t.moderate, t.high, t.critical
                ));
                if let Some(s) = r.stores.first() {
                    l.push(format!(
                        "highest predicted churn by store: {} ({:.1} %)",
                        s.store,
                        100.0 * s.mean_churn_probability
                    ));
                }
            }
            StudyReport::Bank(r) => {
                l.push(format!(
                    "bank segmentation study: {} customers",
                    self.n_rows
                ));
                l.push(format!(
                    "k = {} (elbow knee {}, best silhouette k = {}), silhouette {:.3}, PCA {} components",
                    r.k,
                    r.choice.elbow_knee.map_or("none".into(), |k| k.to_string()),
                    r.choice.best_silhouette_k,
                    r.silhouette,
                    r.pca_components
                ));
                for s in &r.segments {
                    // Without a target there is no conversion to show (NaN in the JSON).
                    if r.overall_conversion.is_nan() {
                        l.push(format!("  {:<28} {:>7} customers", s.name, s.size));
                        continue;
                    }
                    l.push(format!(
                        "  {:<28} {:>7} customers  conversion {:>5.1} % (overall {:.1} %)",
                        s.name,
                        s.size,
                        100.0 * s.conversion_rate,
                        100.0 * r.overall_conversion
                    ));
                }
            }
            StudyReport::Atm(r) => {
                l.push(format!(
                    "ATM segmentation study: {} customers, k = {}, silhouette {:.3}",
                    self.n_rows, r.k, r.silhouette
                ));
                for s in &r.segments {
                    l.push(format!(
                        "  {:<18} {:>6} customers  {:.1} withdrawals/month, {:.2} average",
                        s.name, s.size, s.mean_frequency, s.mean_amount
                    ));
                }
            }
            StudyReport::Propensity(r) => {
                l.push(format!(
                    "purchase propensity study: {} customers",
                    self.n_rows
                ));
                for q in [&r.gbdt, &r.logistic] {
                    l.push(format!(
                        "purchase {:<8}: AUC {:.3}, accuracy {:.3}",
                        q.model, q.auc, q.accuracy
                    ));
                }
                l.push(format!(
                    "top decile: lift {:.2}, captures {:.1} % of buyers",
                    r.gains.rows.first().map_or(f64::NAN, |g| g.lift),
                    100.0 * r.gains.rows.first().map_or(f64::NAN, |g| g.cum_capture)
                ));
                for b in &r.bands.rows {
                    l.push(format!(
                        "  band {}: {:>6} offers, effectiveness {:.1} %",
                        b.band,
                        b.offers,
                        100.0 * b.effectiveness
                    ));
                }
                // This table's economics first: the study's own table is the same on every
                // input (a reproduction of its published figures) and says so.
                l.push(format!(
                    "campaign on this table: mass profit {:.0}, targeted (best {:.0} % by score) profit {:.0}",
                    r.model_campaign.mass.profit,
                    100.0 * propensity::TARGET_SHARE,
                    r.model_campaign.targeted.profit
                ));
                l.push(format!(
                    "study 000's published campaign, reproduced: mass profit {:.0}, targeted profit {:.0}",
                    r.campaign.mass.profit, r.campaign.targeted.profit
                ));
            }
        }
        if let Some(dir) = &self.out_dir {
            l.push(format!(
                "{} files written to {}",
                self.files.len(),
                dir.display()
            ));
        }
        for n in &self.notes {
            l.push(format!("note: {n}"));
        }
        l
    }
}

/// State of one run: parameters, progress, step times and the staging folder.
pub(crate) struct Context<'a> {
    pub(crate) params: &'a StudyParams,
    progress: &'a dyn Progress,
    times: Vec<StepTime>,
    out: Option<OutputDir>,
    notes: Vec<String>,
    /// Charts drawn so far, `(file name, SVG)`, for the HTML report.
    figures: Vec<(String, String)>,
}

impl Context<'_> {
    /// Run one step, reported and timed.
    pub(crate) fn step<T>(&mut self, name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        progress::step(self.progress, &mut self.times, name, f)
    }

    /// Start a step whose work needs `self` (see [`step`](Self::step) otherwise).
    pub(crate) fn begin(&mut self, name: &str) -> std::time::Instant {
        self.progress.start(name);
        std::time::Instant::now()
    }

    /// End a step started with [`begin`](Self::begin).
    pub(crate) fn end(&mut self, name: &str, t0: std::time::Instant) {
        let seconds = t0.elapsed().as_secs_f64();
        self.progress.finish(name, seconds);
        self.times.push(StepTime {
            step: name.to_string(),
            seconds,
        });
    }

    /// Whether files are being written (charts are drawn only then).
    pub(crate) fn writing(&self) -> bool {
        self.out.is_some()
    }

    /// Write a table as CSV (when writing).
    pub(crate) fn csv(&mut self, name: &str, table: &Table) -> Result<()> {
        match &mut self.out {
            Some(o) => o.csv(name, table),
            None => Ok(()),
        }
    }

    /// Write a value as JSON (when writing).
    pub(crate) fn json<T: Serialize>(&mut self, name: &str, value: &T) -> Result<()> {
        match &mut self.out {
            Some(o) => o.json(name, value),
            None => Ok(()),
        }
    }

    /// Write a text file (when writing).
    pub(crate) fn text(&mut self, name: &str, text: &str) -> Result<()> {
        match &mut self.out {
            Some(o) => o.text(name, text),
            None => Ok(()),
        }
    }

    /// Write a chart (when writing); a chart that cannot be drawn becomes a note, not a
    /// failure of the study.
    pub(crate) fn svg(&mut self, name: &str, chart: impl FnOnce() -> Result<String>) -> Result<()> {
        if !self.writing() {
            return Ok(());
        }
        match chart() {
            Ok(svg) => {
                self.text(name, &svg)?;
                self.figures.push((name.to_string(), svg));
                Ok(())
            }
            Err(e) => {
                self.notes.push(format!("{name} not drawn: {e}"));
                Ok(())
            }
        }
    }
}
