#!/usr/bin/env python3
"""Reference fixtures for cartera's PCA: scikit-learn's PCA on small matrices.

Usage: python3 scripts/fixtures_pca.py [OUT_DIR]   (default tests/fixtures)

Writes pca_random.json, pca_universal_bank.json and pca_eastwest_airlines.json. Each holds
the input matrix `x` (so the Rust tests need neither Python nor the CSV reader) and, for
n_components=3, n_components=0.9 (a variance fraction) and n_components=3 with whiten=True,
scikit-learn's components_, explained_variance_, explained_variance_ratio_,
singular_values_, mean_, noise_variance_, n_components_, the first rows of transform(x) and
of inverse_transform(transform(x)).

Inputs:
  * random: a deterministic 200 x 6 matrix with correlated columns and non-zero means;
  * universal_bank: first 500 rows of data/universal_bank.csv (MIT, dmba 0.2.4), ID dropped,
    every other column standardized (mean 0, population std 1, as StandardScaler);
  * eastwest_airlines: first 500 rows of data/eastwest_airlines_cluster.csv (MIT, dmba
    0.2.4; the file starts with a UTF-8 BOM), ID# dropped, standardized the same way.

The script refuses inputs where the reference is fragile (so that the Rust tests can compare
without any sign fiddling): near-equal eigenvalues among the kept components, a component
whose two largest |entries| are within 1e-6 of each other (the sign rule would hinge on
rounding), or a cumulative explained-variance ratio within 1e-9 of the fraction.
"""
import json
import os
import sys

import numpy as np
import pandas as pd
import sklearn
from sklearn.decomposition import PCA

HEAD_ROWS = 20
CASES = [
    {"name": "n3", "n_components": 3, "whiten": False},
    {"name": "fraction_0.9", "n_components": 0.9, "whiten": False},
    {"name": "n3_whiten", "n_components": 3, "whiten": True},
]


def random_matrix():
    rng = np.random.default_rng(20240607)
    z = rng.standard_normal((200, 6))
    # Mixing with distinct column scales gives correlated columns with well-separated
    # variances; the offsets make centring matter.
    mix = rng.standard_normal((6, 6)) * np.array([3.0, 2.0, 1.5, 1.0, 0.6, 0.3])[:, None]
    return z @ mix + np.array([5.0, -2.0, 0.5, 10.0, 0.0, -7.5])


def standardized_csv(path, id_column, rows=500):
    df = pd.read_csv(path, encoding="utf-8-sig").head(rows)
    df = df.drop(columns=[id_column])
    x = df.to_numpy(dtype=np.float64)
    std = x.std(axis=0)
    if np.any(std == 0):
        raise SystemExit(f"{path}: constant column in the first {rows} rows: "
                         f"{list(df.columns[std == 0])}")
    return (x - x.mean(axis=0)) / std, list(df.columns)


def check_robust(pca, x, n_components, name):
    everything = PCA().fit(x)
    ev_all = everything.explained_variance_
    k = pca.n_components_
    gaps = np.abs(np.diff(ev_all[: k + 1])) / ev_all[0]
    if np.any(gaps < 1e-6):
        raise SystemExit(f"{name}: near-equal eigenvalues among the kept components")
    for i, row in enumerate(pca.components_):
        top = np.sort(np.abs(row))[::-1]
        if len(top) > 1 and top[0] - top[1] < 1e-6:
            raise SystemExit(f"{name}: component {i} has two near-equal largest entries")
    if isinstance(n_components, float):
        cum = np.cumsum(everything.explained_variance_ratio_)
        if np.any(np.abs(cum - n_components) < 1e-9):
            raise SystemExit(f"{name}: a cumulative ratio is within 1e-9 of the fraction")


def fixture(name, x, source, licence, columns=None):
    out = {
        "name": name,
        "source": source,
        "licence": licence,
        "made_by": "scripts/fixtures_pca.py",
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "n_samples": x.shape[0],
        "n_features": x.shape[1],
        "columns": columns,
        "head_rows": HEAD_ROWS,
        "x": x.tolist(),
        "cases": [],
    }
    for case in CASES:
        pca = PCA(n_components=case["n_components"], whiten=case["whiten"]).fit(x)
        check_robust(pca, x, case["n_components"], f"{name}/{case['name']}")
        z = pca.transform(x)
        back = pca.inverse_transform(z)
        out["cases"].append({
            "name": case["name"],
            "n_components": case["n_components"],
            "whiten": case["whiten"],
            "svd_solver_used": pca._fit_svd_solver,
            "n_components_": int(pca.n_components_),
            "mean": pca.mean_.tolist(),
            "components": pca.components_.tolist(),
            "explained_variance": pca.explained_variance_.tolist(),
            "explained_variance_ratio": pca.explained_variance_ratio_.tolist(),
            "singular_values": pca.singular_values_.tolist(),
            "noise_variance": float(pca.noise_variance_),
            "transform_head": z[:HEAD_ROWS].tolist(),
            "inverse_transform_head": back[:HEAD_ROWS].tolist(),
        })
    return out


def main():
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "tests", "fixtures")
    fixtures = [
        fixture("random", random_matrix(),
                "numpy default_rng(20240607): 200 x 6 normal, mixed, offset (see script)",
                "generated (MIT OR Apache-2.0)"),
    ]
    x, cols = standardized_csv(os.path.join(root, "data", "universal_bank.csv"), "ID")
    fixtures.append(fixture("universal_bank", x,
                            "data/universal_bank.csv, first 500 rows, ID dropped, standardized",
                            "MIT (dmba 0.2.4)", cols))
    x, cols = standardized_csv(os.path.join(root, "data", "eastwest_airlines_cluster.csv"), "ID#")
    fixtures.append(fixture("eastwest_airlines", x,
                            "data/eastwest_airlines_cluster.csv, first 500 rows, ID# dropped, "
                            "standardized",
                            "MIT (dmba 0.2.4)", cols))
    for f in fixtures:
        path = os.path.join(out_dir, f"pca_{f['name']}.json")
        with open(path, "w") as fh:
            json.dump(f, fh, separators=(",", ":"))
            fh.write("\n")
        size = os.path.getsize(path)
        if size > 200_000:
            raise SystemExit(f"{path} is {size} bytes, over the 200 KB budget")
        print(f"wrote {path} ({size} bytes): "
              + ", ".join(f"{c['name']}->k={c['n_components_']} ({c['svd_solver_used']})"
                          for c in f["cases"]))


if __name__ == "__main__":
    main()
