#!/usr/bin/env python3
"""Reference fixture for `cartera describe`: pandas' describe() of a CSV file.

Usage: describe_fixture.py IN.csv OUT.json [--licence TEXT]

The file is read with pandas under cartera's documented reading rules, so that both sides
summarise the same values:
  * missing markers: empty field, NA, NaN, null, ? (after trimming spaces);
  * a text column whose every non-missing value, trimmed, is a number is numeric.
Then, per column: count, missing, nunique and, for numeric columns, mean, std (ddof=1),
min, 25%, 50%, 75%, max exactly as DataFrame.describe() reports them; for text columns the
most frequent value and its count (and whether that top value is tied).
"""
import argparse
import json
import math

import numpy as np
import pandas as pd


def load(path):
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    out = {}
    for name in df.columns:
        s = df[name]
        stripped = s.str.strip(" \t")
        missing = stripped.isin(["", "NA", "NaN", "null", "?"]) | stripped.str.lower().eq("nan")
        values = s.where(~missing, None)
        numeric = pd.to_numeric(stripped.where(~missing, None), errors="coerce")
        if numeric[~missing].notna().all():
            out[name] = numeric.astype(float)
        else:
            out[name] = values
    return pd.DataFrame(out)


def clean(x):
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("out")
    ap.add_argument("--licence", default="")
    a = ap.parse_args()
    df = load(a.csv)
    cols = []
    for name in df.columns:
        s = df[name]
        entry = {
            "name": name,
            "numeric": bool(pd.api.types.is_float_dtype(s)),
            "count": int(s.notna().sum()),
            "missing": int(s.isna().sum()),
            "unique": int(s.nunique(dropna=True)),
        }
        if entry["numeric"]:
            d = s.describe()
            for key in ["mean", "std", "min", "25%", "50%", "75%", "max"]:
                entry[key] = clean(d.get(key)) if entry["count"] > 0 else None
        else:
            vc = s.value_counts(dropna=True)
            if len(vc) > 0:
                entry["top_tied"] = bool(len(vc) > 1 and vc.iloc[0] == vc.iloc[1])
                entry["top"] = None if entry["top_tied"] else str(vc.index[0])
                entry["freq"] = int(vc.iloc[0])
        cols.append(entry)
    doc = {
        "source": a.csv.split("/")[-1],
        "made_by": f"scripts/describe_fixture.py with pandas {pd.__version__}, numpy {np.__version__}",
        "licence_of_source_data": a.licence,
        "rows": int(len(df)),
        "columns": cols,
    }
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
