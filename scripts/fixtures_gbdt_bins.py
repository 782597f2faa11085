#!/usr/bin/env python3
"""LightGBM's bins of single features, for cartera-gbdt's binning tests
(tests/fixtures/gbdt_bins_lightgbm.json).

Usage: fixtures_gbdt_bins.py [OUT.json]   (run from the repository root)

Each case is one column binned by LightGBM 4.7 (`lgb.Dataset(...).construct()`, every row in
the bin-construction sample, `feature_pre_filter=False` so no feature is dropped). The bin of
every row is read from the dataset's text dump (`Dataset._dump_text`), and the case stores:

* numerical: `num_bin` (LightGBM's `feature_num_bin`, the NaN bin included), `bin_max` (the
  largest value of each value bin, in bin order, `null` for an empty bin) and `nan_bin` (the
  bin of the NaN rows, `null` when the feature has no NaN bin);
* categorical: `num_bin` and `codes` (the category of each bin from bin 1; LightGBM's bin 0
  holds missing values, negative codes and the categories not kept).

A case's values are `columns[column]`, runs of `[value, count]` (`null` = NaN), or a CSV column
when the case has `csv` (blank = NaN).
"""
import json
import re
import sys
import tempfile

import lightgbm as lgb
import numpy as np
import pandas as pd


def lightgbm_bins(x, max_bin, categorical):
    ds = lgb.Dataset(
        x.reshape(-1, 1), np.zeros(len(x)),
        params=dict(verbose=-1, max_bin=max_bin, feature_pre_filter=False),
        categorical_feature=[0] if categorical else "auto",
    ).construct()
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as f:
        ds._dump_text(f.name)
        text = f.read().split("feature 0:")[1]
    bins = np.array([int(s) for s in re.findall(r"(\d+),", text)])
    assert len(bins) == len(x)
    return int(ds.feature_num_bin(0)), bins


def numerical(name, x, max_bin, source):
    num_bin, bins = lightgbm_bins(x, max_bin, False)
    nan = np.isnan(x)
    nan_bins = set(bins[nan].tolist())
    assert len(nan_bins) <= 1
    nan_bin = nan_bins.pop() if nan_bins else None
    bin_max = []
    for b in range(num_bin):
        if b == nan_bin:
            continue
        v = x[(bins == b) & ~nan]
        bin_max.append(float(v.max()) if len(v) else None)
    return {"name": name, "max_bin": max_bin, **source, "num_bin": num_bin,
            "bin_max": bin_max, "nan_bin": nan_bin}


def categorical(name, x, max_bin, source):
    num_bin, bins = lightgbm_bins(x, max_bin, True)
    codes = []
    for b in range(1, num_bin):
        c = set(x[bins == b].astype(int).tolist())
        assert len(c) == 1
        codes.append(c.pop())
    return {"name": name, "max_bin": max_bin, **source, "num_bin": num_bin, "codes": codes}


def runs(x):
    """`x` as runs of equal values, `[value, count]` (`null` = NaN)."""
    out = []
    for v in x:
        v = None if np.isnan(v) else float(v)
        if out and out[-1][0] == v:
            out[-1][1] += 1
        else:
            out.append([v, 1])
    return out


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/gbdt_bins_lightgbm.json"
    rng = np.random.default_rng(7)
    ones = np.repeat(np.arange(1, 21, dtype=float), 3)
    mixed = np.round(rng.normal(3.0, 12.0, 300))
    mixed[rng.random(300) < 0.2] = 0.0
    wide = np.round(rng.lognormal(5.0, 1.2, 1500), 2)
    columns = {
        "positive": ones,
        "positive_nan": np.concatenate([ones, np.full(4, np.nan)]),
        "zeros": np.concatenate([np.zeros(5), ones]),
        "zeros_nan": np.concatenate([np.zeros(5), ones, np.full(4, np.nan)]),
        "mixed": mixed,
        "mixed_nan": np.concatenate([mixed, np.full(10, np.nan)]),
        "wide": wide,
        "wide_nan": np.concatenate([wide, np.full(9, np.nan)]),
        # 20 categories of 10 rows, NaN and negative codes: LightGBM keeps categories past
        # max_bin until they cover 99 % of the rows.
        "cat_spread": np.concatenate(
            [np.repeat(np.arange(20, dtype=float), 10), [np.nan] * 3, [-1.0, -2.0]]),
        # One large category and ten of 5 rows: kept until 99 % of the rows are covered and
        # max_bin is reached.
        "cat_covered": np.concatenate(
            [np.full(1000, 7.0), np.repeat(np.arange(10, 20, dtype=float), 5)]),
        # Categories seen fewer than 3 times are not kept, except among the first two.
        "cat_rare": np.concatenate(
            [np.full(50, 3.0), [9.0, 9.0], [4.0], np.repeat(np.arange(20, 26, dtype=float), 4),
             [30.0, 31.0]]),
        "cat_two_rare": np.concatenate([np.full(50, 3.0), [5.0], [4.0], [6.0]]),
        # 300 categories of 4 rows: more than max_bin - 1 = 254 are needed to cover 99 %.
        "cat_many": np.repeat(np.arange(300, dtype=float), 4),
        # 254 categories of 100 rows and 10 of 3 rows: 99 % covered by max_bin - 1 = 254.
        "cat_many_covered": np.concatenate(
            [np.repeat(np.arange(254, dtype=float), 100),
             np.repeat(np.arange(254, 264, dtype=float), 3)]),
    }
    num = []
    for column, max_bin in [
        ("positive", 8), ("positive_nan", 8), ("zeros", 8), ("zeros_nan", 8),
        ("mixed", 16), ("mixed_nan", 16), ("mixed", 2), ("mixed_nan", 2), ("mixed_nan", 3),
        ("wide", 255), ("wide_nan", 255), ("wide_nan", 64),
    ]:
        num.append(numerical(f"{column}_{max_bin}", columns[column], max_bin, {"column": column}))
    telco = pd.to_numeric(pd.read_csv("data/telco_customer_churn.csv")["TotalCharges"],
                          errors="coerce").to_numpy(np.float64)
    for max_bin in (255, 32):
        num.append(numerical(f"telco_total_charges_{max_bin}", telco, max_bin,
                             {"csv": "data/telco_customer_churn.csv", "column": "TotalCharges"}))
    cat = []
    for column, max_bin in [
        ("cat_spread", 16), ("cat_covered", 8), ("cat_rare", 255), ("cat_two_rare", 255),
        ("cat_many", 255), ("cat_many_covered", 255),
    ]:
        cat.append(categorical(f"{column}_{max_bin}", columns[column], max_bin, {"column": column}))
    doc = {"made_by": f"scripts/fixtures_gbdt_bins.py with LightGBM {lgb.__version__}",
           "columns": {k: runs(v) for k, v in columns.items()},
           "numerical": num, "categorical": cat}
    with open(out, "w") as f:
        json.dump(doc, f)
        f.write("\n")
    for c in num:
        print(c["name"], "max_bin", c["max_bin"], "num_bin", c["num_bin"], "nan_bin", c["nan_bin"],
              "value bins", len(c["bin_max"]))
    for c in cat:
        print(c["name"], "max_bin", c["max_bin"], "num_bin", c["num_bin"], "codes", c["codes"][:10])


if __name__ == "__main__":
    main()
