//! `cartera study`: one of the four studies end to end, on the embedded default table or on
//! the user's CSV, written to an output folder (tables, charts, report.html, campaign lists).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use cartera_core::{Error, Result};
use cartera_study::{Input, Progress, RoleMap, Study, StudyParams};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The study to run.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum StudyArg {
    /// Study 004: telco churn, segments, risk tiers and campaigns.
    Telco,
    /// Studies 001/003: bank customer segmentation with conversion per segment.
    Bank,
    /// Study 002: ATM usage segments and CRM campaign lists.
    Atm,
    /// Study 000: purchase propensity, score bands and campaign economics.
    Propensity,
}

impl From<StudyArg> for Study {
    fn from(s: StudyArg) -> Self {
        match s {
            StudyArg::Telco => Study::Telco,
            StudyArg::Bank => Study::Bank,
            StudyArg::Atm => Study::Atm,
            StudyArg::Propensity => Study::Propensity,
        }
    }
}

/// Flags of `cartera study`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which study.
    #[arg(value_enum)]
    study: StudyArg,
    /// Your customer table (CSV with a header); default: the study's generated table.
    #[arg(long, value_name = "FILE.csv")]
    input: Option<PathBuf>,
    /// Which column plays which role: `id=COL`, `target=COL`, `store=COL` (or `group=COL`),
    /// `features=A,B,C` (repeatable; unmapped roles use the generated table's column names).
    #[arg(long = "map", value_name = "ROLE=COLUMN")]
    map: Vec<String>,
    /// Output folder (replaced as a whole when the study succeeds); default `study-<STUDY>`.
    /// It must be new, empty or an earlier study's output: a folder holding other files is
    /// refused, so a study never deletes anything it did not write.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Rows of the generated table (default: the source study's size).
    #[arg(long, value_name = "N")]
    rows: Option<usize>,
    /// The target's positive class (the churned or buying customers' value): default the value
    /// that reads as yes (`1`, `yes`, `true`, `churn`, ...), else the larger of the two, with a
    /// note. The atm study has no target.
    #[arg(long, value_name = "VALUE")]
    positive_class: Option<String>,
    /// Seed of the generated table, splits, samples and models.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// No progress on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// Print the study's figures as JSON to FILE (`-` or no value: stdout) instead of the
    /// text summary.
    #[arg(long, value_name = "FILE|-", num_args = 0..=1, default_missing_value = "-")]
    json: Option<String>,
    #[command(flatten)]
    csv: super::CsvArgs,
}

/// A spinner on stderr naming the running step; finished steps are listed with their time.
struct Spinner {
    bar: ProgressBar,
}

impl Spinner {
    fn new(visible: bool) -> Self {
        let bar = if visible {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Spinner { bar }
    }
}

impl Progress for Spinner {
    fn start(&self, name: &str) {
        self.bar.reset_elapsed();
        self.bar.set_message(name.to_string());
    }

    fn finish(&self, name: &str, seconds: f64) {
        // Only steps a person waits for are listed; the spinner shows the others in passing.
        if seconds >= 1.0 {
            self.bar.println(format!("  {name}: {seconds:.1} s"));
        }
    }
}

/// Run the command.
pub fn run(a: Args) -> Result<()> {
    if a.out.as_deref().is_some_and(super::is_stdout) {
        return Err(Error::invalid_param(
            "--out",
            "-",
            "a study writes a folder of files; name the folder",
        ));
    }
    // --out is a folder here; only --json must be a file (checked before the study runs).
    super::check_outputs(None, a.json.as_deref())?;
    let roles = RoleMap::parse(&a.map)?;
    let study = Study::from(a.study);
    if let (Some(p), Study::Atm) = (&a.positive_class, study) {
        return Err(Error::invalid_param(
            "--positive-class",
            p,
            "the atm study has no target (it segments); the flag would be ignored",
        ));
    }
    let input = match &a.input {
        Some(path) => Input::Table(super::read_table(path, &a.csv.options()?)?),
        None => Input::Generated,
    };
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("study-{}", study.name())));
    let params = StudyParams::new(study)
        .rows(a.rows)
        .seed(a.seed)
        .roles(roles)
        .positive_class(a.positive_class.clone())
        .out_dir(Some(out));
    let spinner = Spinner::new(!a.quiet && std::io::stderr().is_terminal());
    let result = params.run(input, &spinner);
    spinner.bar.finish_and_clear();
    let outcome = result?;
    match &a.json {
        Some(target) => super::write_json(target, &outcome.summary_json())?,
        None => {
            for line in outcome.summary_lines() {
                println!("{line}");
            }
        }
    }
    Ok(())
}
