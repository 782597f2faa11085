//! The fitted preprocessing pipeline seen from outside: study 004's steps on the generated telco
//! table, save / load / apply to next month's file, and every bad input as a typed error.

#![allow(clippy::unwrap_used)] // tests: a panic is a failed test

use cartera_core::Error;
use cartera_preprocess::datasets::{bank_customers, telco_churn};
use cartera_preprocess::impute::ImputeStrategy;
use cartera_preprocess::pca::NComponents;
use cartera_preprocess::pipeline::{FittedPipeline, OutlierAction, PrepConfig};
use cartera_preprocess::scale::ScalerKind;
use cartera_preprocess::{Column, ColumnType, Table};

fn study004() -> PrepConfig {
    PrepConfig::new()
        .drop_duplicates(true)
        .sentinel("DIAS_FRECUENCIA_RECARGA", "9999")
        .drop_id_columns(true)
        .impute(ImputeStrategy::Mean)
        .outliers(OutlierAction::Drop)
        .scale(ScalerKind::MinMax)
        .one_hot(true)
}

fn numeric(t: &Table, name: &str) -> Vec<f64> {
    t.column(name).unwrap().as_numeric().unwrap().to_vec()
}

#[test]
fn study_004_steps_on_the_generated_telco_table() {
    let raw = telco_churn(20_000, 11).unwrap();
    let sentinels = numeric(&raw, "DIAS_FRECUENCIA_RECARGA")
        .iter()
        .filter(|&&v| v == 9999.0)
        .count();
    let (pipeline, out, s) = study004().fit(&raw).unwrap();

    assert_eq!(s.rows_in, 20_000);
    assert_eq!(s.duplicates_removed, 100);
    // Duplicates are removed before sentinels are counted.
    assert!(s.sentinel_replacements[0].1 <= sentinels && s.sentinel_replacements[0].1 > 0);
    // The device ID and the (nearly unique) address are both identifier-like.
    let dropped: Vec<&str> = s.dropped_columns.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(dropped, vec!["IMEI", "DIRECCION"]);
    assert!(
        s.imputed
            .iter()
            .any(|(c, n)| c == "DIAS_FRECUENCIA_RECARGA" && *n == s.sentinel_replacements[0].1)
    );
    assert!(s.outlier_rows_dropped > 0);
    assert_eq!(s.rows_out, 19_900 - s.outlier_rows_dropped);
    assert_eq!(s.kept_rows.len(), s.rows_out);
    assert!(s.kept_rows.windows(2).all(|w| w[0] < w[1]));

    // Every numeric feature is in [0, 1] after min-max scaling (up to rounding of scikit-learn's
    // `x * scale + min` formula), and spans it.
    for name in pipeline.numeric_features() {
        let v = numeric(&out, name);
        assert!(
            v.iter().all(|x| (-1e-12..=1.0 + 1e-12).contains(x)),
            "{name}"
        );
        let (lo, hi) = v
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(*x), b.max(*x)));
        // (CHURN is constant here: the IQR rule drops every churner, as pandas code would.)
        if hi > lo {
            assert!(
                lo.abs() < 1e-12 && (hi - 1.0).abs() < 1e-12,
                "{name}: [{lo}, {hi}]"
            );
        }
    }
    assert!(out.names().iter().any(|n| n == "TIENDA_T01"));
    assert!(out.column("TIENDA").is_err());
    // Text columns pass through untouched.
    assert_eq!(
        out.column_type("FECHA_ACTIVACION").unwrap(),
        ColumnType::Text
    );
    // kept_rows point back at the raw table: the passthrough date and the label match.
    for i in [0, 123, s.rows_out - 1] {
        let k = s.kept_rows[i];
        assert_eq!(
            out.column("FECHA_ACTIVACION").unwrap().get_string(i),
            raw.column("FECHA_ACTIVACION").unwrap().get_string(k)
        );
    }
}

#[test]
fn saved_pipeline_applies_the_same_steps_to_next_month() {
    let this_month = telco_churn(10_000, 1).unwrap();
    let next_month = telco_churn(8_000, 2).unwrap();
    let config = study004().outliers(OutlierAction::Clip);
    let (pipeline, fitted_out, _) = config.fit(&this_month).unwrap();

    let reloaded = FittedPipeline::from_json(&pipeline.to_json().unwrap()).unwrap();
    assert_eq!(reloaded, pipeline);
    let (again, _) = reloaded.transform(&this_month).unwrap();
    assert_eq!(again, fitted_out);

    let (next, s) = reloaded.transform(&next_month).unwrap();
    assert_eq!(next.names(), fitted_out.names());
    assert_eq!(s.rows_in, 8_000);
    // Next month is scaled with this month's statistics and clipped to this month's fences:
    // finite, and nearly all within this month's [0, 1] range.
    for name in pipeline.numeric_features() {
        let v = numeric(&next, name);
        assert!(v.iter().all(|x| x.is_finite()), "{name}");
        let inside = v.iter().filter(|x| (0.0..=1.0).contains(*x)).count();
        assert!(
            inside as f64 >= 0.95 * v.len() as f64,
            "{name}: {inside} of {}",
            v.len()
        );
    }
}

#[test]
fn pca_by_fraction_on_bank() {
    let bank = bank_customers(3_000, 4).unwrap();
    let config = PrepConfig::new()
        .scale(ScalerKind::Standard)
        .one_hot(true)
        .pca(NComponents::VarianceFraction(0.8));
    let (p, out, s) = config.fit(&bank).unwrap();
    let k = s.pca_components.unwrap();
    assert!(k >= 1 && out.names().iter().any(|n| n == "PC1"));
    let total: f64 = s.explained_variance_ratio.iter().sum();
    assert!(total >= 0.8, "{total}");
    let without_last: f64 = s.explained_variance_ratio[..k - 1].iter().sum();
    assert!(without_last < 0.8);
    assert_eq!(p.pca().unwrap().n_components(), k);
    // PCA replaced the numeric features; nothing numeric except PCs is left.
    assert!(
        out.names()
            .iter()
            .all(|n| n.starts_with("PC") || out.column_type(n).unwrap() != ColumnType::Numeric)
    );
}

#[test]
fn transform_checks_the_columns() {
    let t = bank_customers(500, 1).unwrap();
    let (p, _, _) = PrepConfig::new()
        .scale(ScalerKind::Standard)
        .fit(&t)
        .unwrap();
    let missing = t.drop(&["balance"]).unwrap();
    let e = p.transform(&missing).unwrap_err();
    assert!(
        matches!(&e, Error::UnknownColumn { name, .. } if name == "balance"),
        "{e}"
    );
    let mut extra = t.clone();
    extra
        .push_column("surprise", Column::Numeric(vec![0.0; 500]))
        .unwrap();
    let e = p.transform(&extra).unwrap_err();
    assert!(e.to_string().contains("surprise"), "{e}");
    let mut retyped = t.drop(&["age"]).unwrap();
    let ages: Vec<Option<String>> = (0..500).map(|i| Some(format!("a{i}"))).collect();
    retyped
        .push_column(
            "age",
            Column::Categorical(cartera_preprocess::CategoricalColumn::from_options(&ages)),
        )
        .unwrap();
    assert!(matches!(
        p.transform(&retyped),
        Err(Error::ColumnType { .. })
    ));
}

#[test]
fn damaged_pipeline_files_are_model_format_errors() {
    let t = bank_customers(300, 1).unwrap();
    let (p, _, _) = PrepConfig::new().scale(ScalerKind::Robust).fit(&t).unwrap();
    let json = p.to_json().unwrap();
    // Saved by an editor as "UTF-8 with BOM": still read.
    assert_eq!(
        FittedPipeline::from_json(&format!("\u{feff}{json}")).unwrap(),
        p
    );
    let truncated = &json[..json.len() / 2];
    let e = FittedPipeline::from_json(truncated).unwrap_err();
    assert!(
        matches!(e, Error::ModelFormat { .. }) && e.to_string().contains("truncated"),
        "{e}"
    );
    let other_version = json.replacen("\"version\": 1", "\"version\": 99", 1);
    let e = FittedPipeline::from_json(&other_version).unwrap_err();
    assert!(e.to_string().contains("version 99"), "{e}");
    let other_kind = json.replacen("cartera-pipeline", "cartera-kmeans", 1);
    assert!(
        FittedPipeline::from_json(&other_kind)
            .unwrap_err()
            .to_string()
            .contains("cartera-kmeans")
    );
    let damaged = json.replacen("\"numeric_features\"", "\"numeric_featurez\"", 1);
    assert!(matches!(
        FittedPipeline::from_json(&damaged),
        Err(Error::ModelFormat { .. })
    ));
    assert!(matches!(
        FittedPipeline::from_json("{}"),
        Err(Error::ModelFormat { .. })
    ));
}

#[test]
fn bad_configurations_name_the_column() {
    let t = telco_churn(2_000, 5).unwrap();
    let e = PrepConfig::new().columns(&["NOPE"]).fit(&t).unwrap_err();
    assert!(matches!(&e, Error::UnknownColumn { name, .. } if name == "NOPE"));
    let e = PrepConfig::new()
        .columns(&["DIRECCION"])
        .fit(&t)
        .unwrap_err();
    assert!(matches!(e, Error::ColumnType { .. }));
    // Scaling a column with missing values without imputing first.
    let e = PrepConfig::new()
        .columns(&["SALDO_PROMEDIO", "ARPU_PROMEDIO"])
        .scale(ScalerKind::Standard)
        .fit(&t)
        .unwrap_err();
    assert!(
        e.to_string().contains("SALDO_PROMEDIO") && e.to_string().contains("impute"),
        "{e}"
    );
    // Using a dropped ID column as a feature.
    let e = PrepConfig::new()
        .drop_id_columns(true)
        .columns(&["IMEI"])
        .fit(&t)
        .unwrap_err();
    assert!(e.to_string().contains("dropped"), "{e}");
    assert!(PrepConfig::new().iqr_factor(-1.0).fit(&t).is_err());
    // A sentinel on a missing column.
    assert!(matches!(
        PrepConfig::new().sentinel("NOPE", "1").fit(&t),
        Err(Error::UnknownColumn { .. })
    ));
    // A column entirely missing cannot be mean-imputed: named in the error.
    let mut empty = t.clone();
    empty
        .push_column("VACIO", Column::Numeric(vec![f64::NAN; 2_000]))
        .unwrap();
    let e = PrepConfig::new()
        .impute(ImputeStrategy::Mean)
        .fit(&empty)
        .unwrap_err();
    assert!(e.to_string().contains("VACIO"), "{e}");
}

#[test]
fn same_result_with_one_and_four_threads() {
    let t = telco_churn(30_000, 8).unwrap();
    let run = |n: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
            .install(|| study004().pca(NComponents::Count(5)).fit(&t).unwrap().1)
    };
    let (a, b) = (run(1), run(4));
    assert_eq!(a.names(), b.names());
    for name in a.names() {
        let (x, y) = (a.column(name).unwrap(), b.column(name).unwrap());
        match (x.as_numeric(), y.as_numeric()) {
            (Some(x), Some(y)) => {
                let worst = x
                    .iter()
                    .zip(y)
                    .map(|(p, q)| (p - q).abs())
                    .fold(0.0, f64::max);
                assert!(worst <= 1e-9, "{name}: {worst:e}");
            }
            _ => assert!(x == y, "{name}"),
        }
    }
}

#[test]
fn category_codes_for_trees_survive_next_months_file() {
    let raw = telco_churn(5_000, 3).unwrap();
    let config = PrepConfig::new().drop_id_columns(true).codes(true);
    let (pipeline, out, _) = config.fit(&raw).unwrap();
    let cats = pipeline.code_columns();
    assert!(!cats.is_empty());
    assert_eq!(&cats[..], pipeline.categorical_features());
    // Every categorical column became numeric codes in 0..levels, missing as NaN.
    for name in &cats {
        let Column::Categorical(orig) = raw.column(name).unwrap() else {
            panic!("{name} is categorical in the raw table")
        };
        let codes = numeric(&out, name);
        let levels = orig.levels().len() as f64;
        assert!(
            codes
                .iter()
                .all(|c| c.is_nan() || (0.0..levels).contains(c))
        );
        assert!(codes.iter().any(|c| !c.is_nan()));
    }
    // Next month's file lists its levels in another order and has a new one: codes follow the
    // fitted categories, and the new level is missing.
    let name = &cats[0];
    let Column::Categorical(orig) = raw.column(name).unwrap() else {
        unreachable!()
    };
    let first = orig.levels()[0].clone();
    let mut values: Vec<Option<&str>> = (0..raw.n_rows()).map(|i| orig.get(i)).collect();
    values[0] = Some("a level never seen");
    values[1] = Some(first.as_str());
    let mut next = raw.clone();
    next.replace_column(
        name,
        Column::Categorical(cartera_preprocess::CategoricalColumn::from_options(&values)),
    )
    .unwrap();
    let again = FittedPipeline::from_json(&pipeline.to_json().unwrap()).unwrap();
    let (t, _) = again.transform(&next).unwrap();
    let codes = numeric(&t, name);
    assert!(codes[0].is_nan(), "an unseen category is missing");
    assert_eq!(codes[1], 0.0, "codes index the fitted, sorted categories");
    assert_eq!(codes[2..], numeric(&out, name)[2..]);
    // One-hot wins when both are asked for.
    let (p2, _, _) = config.one_hot(true).fit(&raw).unwrap();
    assert!(p2.code_columns().is_empty());
}

/// A pipeline with no numeric step (one-hot only, as for trees) leaves the numeric columns
/// bit for bit as they were, at fit and at transform, missing values included.
#[test]
fn one_hot_only_passes_numeric_columns_through() {
    let raw = telco_churn(3_000, 5).unwrap();
    let config = PrepConfig::new()
        .drop_id_columns(true)
        .sentinel("DIAS_FRECUENCIA_RECARGA", "9999")
        .one_hot(true);
    let (pipeline, fitted, _) = config.fit(&raw).unwrap();
    let (again, _) = pipeline.transform(&raw).unwrap();
    assert_eq!(fitted, again);
    let mut cleaned = raw.clone();
    cartera_preprocess::clean::replace_sentinel(&mut cleaned, "DIAS_FRECUENCIA_RECARGA", "9999")
        .unwrap();
    assert!(!pipeline.numeric_features().is_empty());
    for name in pipeline.numeric_features() {
        let want = numeric(&cleaned, name);
        let got = numeric(&fitted, name);
        assert_eq!(want.len(), got.len());
        for (a, b) in want.iter().zip(&got) {
            assert_eq!(a.to_bits(), b.to_bits(), "{name}");
        }
    }
    let sentinel = numeric(&fitted, "DIAS_FRECUENCIA_RECARGA");
    assert!(
        sentinel.iter().any(|v| v.is_nan()),
        "the sentinel became missing"
    );
}

/// A fitted pipeline told to ignore unknown categories is the pipeline a refit with that
/// policy gives (same statistics), encodes an unseen category as all zeros where the original
/// refuses it, and leaves the original as it was.
#[test]
fn a_fitted_pipeline_takes_another_unknown_category_policy_without_a_refit() {
    use cartera_preprocess::encode::UnknownCategory;
    let plans = ["basic", "plus", "pro"];
    let table = |plan: &[&str]| {
        Table::from_columns(vec![
            (
                "spend".into(),
                Column::Numeric((0..plan.len()).map(|i| i as f64 * 1.5).collect()),
            ),
            (
                "plan".into(),
                Column::Categorical(cartera_preprocess::CategoricalColumn::from_options(
                    &plan.iter().map(|p| Some(*p)).collect::<Vec<_>>(),
                )),
            ),
        ])
        .unwrap()
    };
    let train: Vec<&str> = (0..30).map(|i| plans[i % 3]).collect();
    let config = PrepConfig::new()
        .impute(ImputeStrategy::Mean)
        .scale(ScalerKind::Standard)
        .one_hot(true);
    let (strict, _, _) = config.clone().fit(&table(&train)).unwrap();
    let lenient = strict.with_unknown_categories(UnknownCategory::Ignore);
    let (refit, _, _) = config
        .unknown_categories(UnknownCategory::Ignore)
        .fit(&table(&train))
        .unwrap();
    assert_eq!(lenient, refit);
    let next = table(&["plus", "vip"]);
    // The original still refuses it (the copy did not change it).
    assert!(strict.transform(&next).is_err());
    let (out, _) = lenient.transform(&next).unwrap();
    assert_eq!(numeric(&out, "plan_plus"), [1.0, 0.0]);
    assert_eq!(numeric(&out, "plan_basic"), [0.0, 0.0]);
    assert_eq!(numeric(&out, "plan_pro"), [0.0, 0.0]);
}

/// A step's fitted state deleted or tampered with is an error naming it when the file is read
/// (it was skipped: unscaled values, no PCA, outliers kept), and so are the format and version
/// of a pipeline held inside another file (a `cartera train` model).
#[test]
fn a_missing_or_tampered_fitted_step_is_refused_at_load() {
    let t = telco_churn(400, 3).unwrap();
    let (p, _, _) = study004()
        .outliers(OutlierAction::Clip)
        .scale(ScalerKind::Standard)
        .pca(NComponents::VarianceFraction(0.9))
        .fit(&t)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&p.to_json().unwrap()).unwrap();
    assert!(serde_json::from_value::<FittedPipeline>(v.clone()).is_ok());
    let refused = |edit: &dyn Fn(&mut serde_json::Value), says: &str| {
        let mut w = v.clone();
        edit(&mut w);
        let e = FittedPipeline::from_json(&w.to_string())
            .unwrap_err()
            .to_string();
        assert!(e.contains(says), "{says}: {e}");
        // Embedded in another file, the same checks run.
        let e = serde_json::from_value::<FittedPipeline>(w)
            .unwrap_err()
            .to_string();
        assert!(e.contains(says), "{says}: {e}");
    };
    let remove = |key: &'static str| {
        move |w: &mut serde_json::Value| {
            w.as_object_mut().unwrap().remove(key);
        }
    };
    refused(
        &remove("scaler"),
        "asks for `scaler`, whose fitted state is missing",
    );
    refused(&remove("pca"), "asks for `pca`");
    refused(&remove("fences"), "asks for `fences`");
    refused(&remove("one_hot"), "asks for `one_hot`");
    refused(
        &|w| {
            w["scaler"]["stats"].as_object_mut().unwrap().remove("mean");
        },
        "scaler `mean` is missing",
    );
    refused(
        &|w| {
            w["scaler"]["stats"]["scale"].as_array_mut().unwrap().pop();
        },
        "scaler `scale` holds",
    );
    // A zero divisor (every row would become infinities, blamed on the input).
    refused(
        &|w| {
            w["scaler"]["stats"]["scale"][1] = serde_json::json!(0.0);
        },
        "scaler `scale` of feature 1 (0-based) is 0",
    );

    refused(
        &|w| {
            w["categorical_fill"].as_array_mut().unwrap().clear();
        },
        "`categorical_fill` names []",
    );
    refused(
        &|w| {
            let cats = &mut w["one_hot"]["columns"][0]["categories"];
            let first = cats[0].clone();
            cats.as_array_mut().unwrap().push(first);
        },
        "twice",
    );
    refused(
        &|w| {
            let first = w["input_columns"][0].clone();
            w["input_columns"].as_array_mut().unwrap().push(first);
        },
        "appears twice in the pipeline's input_columns",
    );
    refused(&|w| w["version"] = 2.into(), "version 2");
    // What loading refuses, fitting refuses too.
    let e = PrepConfig::new()
        .columns(&["CHURN", "CHURN"])
        .fit(&t)
        .unwrap_err()
        .to_string();
    assert!(e.contains("is named twice"), "{e}");
    refused(&|w| w["format"] = "zzz".into(), "zzz");
}

/// A file of one customer infers its string columns as text (too few repeats to look
/// categorical); the pipeline reads them as the categories it was fitted on, so scoring one
/// row needs no declared types. A category unseen at fit time is still refused.
#[test]
fn a_one_row_file_of_text_columns_is_transformed_as_categories() {
    use cartera_preprocess::CsvOptions;
    let rows: String = (0..40)
        .map(|i| format!("{},{}\n", ["a", "b", "c"][i % 3], 20 + i))
        .collect();
    let opts = CsvOptions::default();
    let train =
        Table::read_csv_bytes(format!("plan,age\n{rows}").as_bytes(), "train", &opts).unwrap();
    assert_eq!(train.column_type("plan").unwrap(), ColumnType::Categorical);
    let (p, fitted, _) = PrepConfig::new().one_hot(true).fit(&train).unwrap();
    let one = Table::read_csv_bytes(b"plan,age\nb,30\n", "one", &opts).unwrap();
    assert_eq!(one.column_type("plan").unwrap(), ColumnType::Text);
    let (out, _) = p.transform(&one).unwrap();
    assert_eq!(out.names(), fitted.names());
    assert_eq!(numeric(&out, "plan_b"), vec![1.0]);
    assert_eq!(numeric(&out, "plan_a"), vec![0.0]);
    assert_eq!(numeric(&out, "age"), vec![30.0]);
    let unseen = Table::read_csv_bytes(b"plan,age\nz,30\n", "unseen", &opts).unwrap();
    assert!(p.transform(&unseen).is_err());
}

/// `exclude` keeps a target out of the features (passed through untouched, not scaled or
/// encoded); `drop_first` leaves out each one-hot feature's first category; both survive a
/// save and load. Unknown or doubly named columns are refused.
#[test]
fn exclude_keeps_a_target_out_and_drop_first_leaves_a_dummy_out() {
    let mut t = Table::new();
    let age: Vec<f64> = (0..30).map(|i| 20.0 + i as f64).collect();
    let y: Vec<f64> = (0..30).map(|i| (i % 2) as f64).collect();
    let plan: Vec<Option<&str>> = (0..30).map(|i| Some(["a", "b", "c"][i % 3])).collect();
    let yes: Vec<Option<&str>> = (0..30).map(|i| Some(["no", "yes"][i % 2])).collect();
    t.push_column("age", Column::Numeric(age)).unwrap();
    t.push_column("y", Column::Numeric(y.clone())).unwrap();
    t.push_column(
        "plan",
        Column::Categorical(cartera_preprocess::CategoricalColumn::from_options(&plan)),
    )
    .unwrap();
    t.push_column(
        "churn",
        Column::Categorical(cartera_preprocess::CategoricalColumn::from_options(&yes)),
    )
    .unwrap();
    let config = PrepConfig::new()
        .scale(ScalerKind::Standard)
        .one_hot(true)
        .drop_first(true)
        .exclude(&["y", "churn"]);
    let (p, out, _) = config.fit(&t).unwrap();
    assert_eq!(p.numeric_features(), ["age"]);
    assert_eq!(p.categorical_features(), ["plan"]);
    assert_eq!(numeric(&out, "y"), y, "the excluded target is not scaled");
    assert_eq!(out.column_type("churn").unwrap(), ColumnType::Categorical);
    let names = out.names();
    assert!(!names.iter().any(|n| n == "plan_a"), "{names:?}");
    assert!(names.iter().any(|n| n == "plan_b") && names.iter().any(|n| n == "plan_c"));
    let again = FittedPipeline::from_json(&p.to_json().unwrap()).unwrap();
    assert_eq!(again.transform(&t).unwrap().0, out);
    // Without drop_first the first category is there.
    let (_, all, _) = config.clone().drop_first(false).fit(&t).unwrap();
    assert!(all.names().iter().any(|n| n == "plan_a"));
    assert!(matches!(
        PrepConfig::new().exclude(&["nope"]).fit(&t),
        Err(Error::UnknownColumn { .. })
    ));
    assert!(matches!(
        PrepConfig::new().columns(&["age", "y"]).exclude(&["y"]).fit(&t),
        Err(Error::InvalidParameter { ref name, .. }) if name == "exclude"
    ));
}

/// Excluded columns are never dropped as identifiers or constants; `drop_first` cannot go
/// with unknown categories ignored (all-zero indicators already mean the first category), and
/// a drop-first pipeline told to ignore them later refuses an unseen category instead of
/// reading it as the first; a one-row file with a blank categorical cell is transformed.
#[test]
fn exclude_survives_the_drop_steps_and_drop_first_never_hides_an_unseen_category() {
    use cartera_preprocess::CsvOptions;
    use cartera_preprocess::encode::UnknownCategory;
    let rows: String = (0..40)
        .map(|i| format!("{i},src,{},{}\n", ["a", "b", "c"][i % 3], 20 + i % 7))
        .collect();
    let opts = CsvOptions::default();
    let t =
        Table::read_csv_bytes(format!("id,src,plan,age\n{rows}").as_bytes(), "t", &opts).unwrap();
    let (p, out, _) = PrepConfig::new()
        .drop_id_columns(true)
        .drop_constant_columns(true)
        .exclude(&["id", "src"])
        .fit(&t)
        .unwrap();
    assert!(out.names().iter().any(|n| n == "id") && out.names().iter().any(|n| n == "src"));
    assert!(p.dropped_columns().is_empty(), "{:?}", p.dropped_columns());
    let (_, out, _) = PrepConfig::new()
        .drop_id_columns(true)
        .drop_constant_columns(true)
        .fit(&t)
        .unwrap();
    assert!(!out.names().iter().any(|n| n == "id" || n == "src"));

    let one_hot = PrepConfig::new().one_hot(true).drop_first(true);
    match one_hot
        .clone()
        .unknown_categories(UnknownCategory::Ignore)
        .fit(&t)
    {
        Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, "drop_first"),
        other => panic!("{other:?}"),
    }
    let (p, _, _) = one_hot.columns(&["plan", "age"]).fit(&t).unwrap();
    let p = p.with_unknown_categories(UnknownCategory::Ignore);
    let next =
        Table::read_csv_bytes(b"id,src,plan,age\n1,src,a,20\n2,src,z,21\n", "n", &opts).unwrap();
    let e = p.transform(&next).unwrap_err().to_string();
    assert!(e.contains("\"z\"") && e.contains("drop_first"), "{e}");
    // A blank cell in a one-row file reads as a numeric column of missing values.
    let blank = Table::read_csv_bytes(b"id,src,plan,age\n1,src,,20\n", "b", &opts).unwrap();
    assert_eq!(blank.column_type("plan").unwrap(), ColumnType::Numeric);
    let (enc, _) = p.transform(&blank).unwrap();
    assert_eq!(numeric(&enc, "plan_b"), vec![0.0]);
    assert_eq!(
        p.output_columns().unwrap(),
        enc.names().to_vec(),
        "output_columns names what transform returns"
    );
}

/// A file to score has no target and may lack the identifiers the pipeline drops: the
/// pipeline fitted with them transforms it all the same (the features come out the same as
/// from the full table), while a missing feature is still an error naming it.
#[test]
fn a_file_without_the_target_or_dropped_columns_is_transformed() {
    use cartera_preprocess::CsvOptions;
    let rows: String = (0..60)
        .map(|i| {
            format!(
                "C{i:03},{},{},{},{}\n",
                ["a", "b", "c"][i % 3],
                20 + i % 9,
                1.5 * (i % 4) as f64,
                i % 2
            )
        })
        .collect();
    let t = Table::read_csv_bytes(
        format!("customer,plan,age,spend,churn\n{rows}").as_bytes(),
        "t",
        &CsvOptions::default(),
    )
    .unwrap();
    let (p, full, _) = PrepConfig::new()
        .drop_id_columns(true)
        .exclude(&["churn"])
        .scale(ScalerKind::Standard)
        .one_hot(true)
        .fit(&t)
        .unwrap();
    assert_eq!(p.dropped_columns()[0].name, "customer");
    assert!(full.names().iter().any(|n| n == "churn"));
    for lacking in [&["churn"][..], &["customer"], &["customer", "churn"]] {
        let (out, _) = p.transform(&t.drop(lacking).unwrap()).unwrap();
        let want: Vec<&String> = full
            .names()
            .iter()
            .filter(|n| *n != "churn" || !lacking.contains(&"churn"))
            .collect();
        assert_eq!(
            out.names().iter().collect::<Vec<_>>(),
            want,
            "without {lacking:?}"
        );
        for name in ["age", "spend", "plan_b"] {
            assert_eq!(
                numeric(&out, name),
                numeric(&full, name),
                "{name} without {lacking:?}"
            );
        }
    }
    let e = p
        .transform(&t.drop(&["churn", "age"]).unwrap())
        .unwrap_err();
    assert!(
        matches!(&e, Error::UnknownColumn { name, .. } if name == "age"),
        "{e}"
    );
}

/// A pipeline file whose one-hot step lists no category, or whose `drop_first` disagrees with
/// its configuration, is refused at load (the first panicked with drop_first).
#[test]
fn a_one_hot_step_without_categories_is_refused_at_load() {
    let mut t = Table::new();
    let plan: Vec<Option<&str>> = (0..12).map(|i| Some(["a", "b"][i % 2])).collect();
    t.push_column(
        "plan",
        Column::Categorical(cartera_preprocess::CategoricalColumn::from_options(&plan)),
    )
    .unwrap();
    let (p, _, _) = PrepConfig::new()
        .one_hot(true)
        .drop_first(true)
        .fit(&t)
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&p.to_json().unwrap()).unwrap();
    let mut empty = json.clone();
    empty["one_hot"]["columns"][0]["categories"] = serde_json::json!([]);
    let e = FittedPipeline::from_json(&empty.to_string())
        .unwrap_err()
        .to_string();
    assert!(e.contains("lists no category"), "{e}");
    let mut mismatch = json;
    mismatch["config"]["drop_first"] = serde_json::json!(false);
    let e = FittedPipeline::from_json(&mismatch.to_string())
        .unwrap_err()
        .to_string();
    assert!(e.contains("drop_first"), "{e}");
}
