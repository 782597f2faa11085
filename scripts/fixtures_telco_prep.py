#!/usr/bin/env python3
"""scikit-learn reference for the preprocessing steps on the generated telco table.

Usage: fixtures_telco_prep.py TELCO.csv OUT.json
TELCO.csv is `cartera generate telco --rows 3000 --seed 7`; the Rust test regenerates the same
table in memory. Stored: the imputer's statistics, each scaler's fitted statistics, column sums
and first rows of its output, PCA(5) on the standardised matrix, and the one-hot encoding of
the categorical columns after most-frequent imputation (feature names and column sums).
"""
import json
import sys

import numpy as np
import pandas as pd
import sklearn
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, RobustScaler, StandardScaler

ROWS = 50


def main():
    src, out = sys.argv[1], sys.argv[2]
    df = pd.read_csv(src)
    text = ["FECHA_ACTIVACION", "DIRECCION"]
    cat = [c for c in df.columns if df[c].dtype == object and c not in text]
    num = [c for c in df.columns if c not in cat and c not in text and c not in ("IMEI", "CHURN")]
    x_raw = np.ascontiguousarray(df[num].to_numpy(dtype=np.float64))
    imp = SimpleImputer(strategy="mean").fit(x_raw)
    x = np.ascontiguousarray(imp.transform(x_raw))
    doc = {
        "made_by": f"scripts/fixtures_telco_prep.py with scikit-learn {sklearn.__version__}",
        "source": "cartera generate telco --rows 3000 --seed 7",
        "numeric": num,
        "categorical": cat,
        "imputer_mean": imp.statistics_.tolist(),
    }
    for name, scaler in [
        ("standard", StandardScaler()),
        ("minmax", MinMaxScaler()),
        ("robust", RobustScaler()),
    ]:
        y = scaler.fit_transform(x)
        doc[name] = {"column_sums": y.sum(axis=0).tolist(), "first_rows": y[:ROWS].tolist()}
    z_in = StandardScaler().fit_transform(x)
    pca = PCA(n_components=5).fit(z_in)
    doc["pca"] = {
        "components": pca.components_.tolist(),
        "explained_variance": pca.explained_variance_.tolist(),
        "explained_variance_ratio": pca.explained_variance_ratio_.tolist(),
        "first_rows": pca.transform(z_in)[:ROWS].tolist(),
    }
    c = SimpleImputer(strategy="most_frequent").fit_transform(df[cat].astype(object))
    enc = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(c)
    oh = enc.transform(c)
    doc["one_hot"] = {
        "feature_names": enc.get_feature_names_out(cat).tolist(),
        "column_sums": oh.sum(axis=0).tolist(),
    }
    with open(out, "w") as f:
        json.dump(doc, f)
        f.write("\n")


if __name__ == "__main__":
    main()
