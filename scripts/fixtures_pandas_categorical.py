#!/usr/bin/env python3
"""A LightGBM model trained on a pandas DataFrame with `category` columns, for `cartera explain
--lightgbm` on a CSV holding the category names (tests/fixtures/lightgbm_pandas_categorical.*).

Usage: fixtures_pandas_categorical.py [OUT_DIR]   (default tests/fixtures; run from the root)

LightGBM's Python package trains on the categories' codes and writes each `category` column's
categories, in code order, on the model's last line (`pandas_categorical`). Writes the model
(`.txt`), the rows to explain as CSV with the category names (`.csv`: two categorical columns,
one numeric between them, a missing value and a category the model never saw), and
LightGBM's `pred_contrib` and raw scores on them (`.json`); the unseen category is passed to
LightGBM as pandas does with the training categories set (missing).

A second model (`lightgbm_pandas_categorical_numbers.*`) has `category` columns whose categories
are numbers (`Education` 1-3, `Tier` 1.5/3.0), which a CSV reader sees as numbers, and a column
named with a space (`Monthly Spend`), which LightGBM stores as `Monthly_Spend`; its rows hold an
unseen number, a blank and a category written `3.0` for the category 3.
"""
import json
import os
import sys

import lightgbm as lgb
import numpy as np
import pandas as pd

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures"


def fit_and_write(stem, df, y):
    """Fits the shared small classifier on `df` and writes it as `<stem>.txt`."""
    m = lgb.LGBMClassifier(n_estimators=12, num_leaves=6, min_child_samples=10, verbose=-1,
                           deterministic=True, random_state=0, n_jobs=1).fit(df, y)
    m.booster_.save_model(os.path.join(OUT, f"{stem}.txt"))
    return m


def write_contributions(stem, m, df, rows, categorical):
    """Writes `<stem>.json`: LightGBM's raw scores and pred_contrib on `rows`, its
    `categorical` columns given the training frame's categories (an unseen one is missing)."""
    x = rows.copy()
    for c in categorical:
        x[c] = pd.Categorical(x[c], categories=df[c].cat.categories)
    doc = {
        "source": f"scripts/fixtures_pandas_categorical.py, lightgbm {lgb.__version__}",
        "raw": m.booster_.predict(x, raw_score=True).tolist(),
        "contrib": m.booster_.predict(x, pred_contrib=True).tolist(),
    }
    with open(os.path.join(OUT, f"{stem}.json"), "w") as f:
        json.dump(doc, f)
        f.write("\n")


def main():
    rng = np.random.default_rng(5)
    n = 600
    plan = rng.choice(["basic", "family", "premium", "student"], n)
    spend = np.round(rng.gamma(2.0, 30.0, n), 2)
    region = rng.choice(["north", "south", "east"], n)
    z = (plan == "premium") * 1.2 - (plan == "student") * 0.8 + spend / 60 + (region == "east") * 0.7
    y = (rng.random(n) < 1 / (1 + np.exp(-(z - 1.5)))).astype(int)
    df = pd.DataFrame({"plan": pd.Categorical(plan), "spend": spend, "region": pd.Categorical(region)})
    m = fit_and_write("lightgbm_pandas_categorical", df, y)
    rows = pd.DataFrame({
        "plan": ["basic", "premium", "student", "family", "premium", None],
        "spend": [10.0, 95.5, 40.0, np.nan, 60.0, 33.0],
        "region": ["east", "north", "unseen", "south", "east", "north"],
    })
    rows.to_csv(os.path.join(OUT, "lightgbm_pandas_categorical.csv"), index=False)
    write_contributions("lightgbm_pandas_categorical", m, df, rows, ["plan", "region"])


def numbers():
    rng = np.random.default_rng(8)
    n = 800
    edu = rng.choice([1, 2, 3], n)
    spend = np.round(rng.gamma(2.0, 30.0, n), 2)
    tier = rng.choice([1.5, 3.0], n)
    z = (edu == 3) * 1.3 - (edu == 1) * 0.9 + spend / 50 + (tier == 3.0) * 0.6
    y = (rng.random(n) < 1 / (1 + np.exp(-(z - 1.5)))).astype(int)
    df = pd.DataFrame({"Education": pd.Categorical(edu), "Monthly Spend": spend,
                       "Tier": pd.Categorical(tier)})
    m = fit_and_write("lightgbm_pandas_categorical_numbers", df, y)
    csv = ("Education,Monthly Spend,Tier\n1,10.0,1.5\n3,95.5,3.0\n2,40.0,3\n4,20.0,1.5\n"
           ",60.0,3.0\n3.0,33.0,\n")
    with open(os.path.join(OUT, "lightgbm_pandas_categorical_numbers.csv"), "w") as f:
        f.write(csv)
    rows = pd.read_csv(os.path.join(OUT, "lightgbm_pandas_categorical_numbers.csv"))
    write_contributions("lightgbm_pandas_categorical_numbers", m, df, rows, ["Education", "Tier"])


if __name__ == "__main__":
    main()
    numbers()
