#!/usr/bin/env python3
"""Reference fixtures for cartera-silhouette: scikit-learn's silhouette_samples,
silhouette_score, calinski_harabasz_score and davies_bouldin_score.

Usage: python3 scripts/fixtures_silhouette.py [OUT_DIR]   (default tests/fixtures)

Needs scikit-learn 1.9.1 (scripts/requirements.txt) and cargo (the generated telco matrix is
made by `cargo run -p cartera-silhouette --example silhouette_fixture_data -- 2000 7`).

Writes (each holds per-sample silhouettes, silhouette, calinski_harabasz, davies_bouldin):
  * silhouette_blobs.json: 1,200 x 6 blobs around 4 centres (rounded to 6 significant digits,
    the stored matrix is the input), cases: the true labels; the same labels renamed to
    non-contiguous values with one row moved into a singleton cluster; k-means labels for k=7.
  * silhouette_telco.json: 2,000 x 8 standardized numeric columns of the generated telco
    table (rounded to 5 significant digits, stored), labels from scikit-learn's KMeans (k=4).
  * silhouette_eastwest.json: data/eastwest_airlines_cluster.csv (MIT), ID# and Award?
    dropped, the other 10 columns standardized (population std). The matrix is not stored
    (the Rust test reads the CSV); labels from KMeans (k=5) are.
  * silhouette_credit_scoring.json: ../shared/data/credit_scoring.csv (GPL-3: only these
    derived numbers are committed, never the table), columns Seniority, Time, Age, Expenses,
    Amount standardized; labels from KMeans (k=4). The Rust test runs when the file is there.
"""
import io
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import sklearn
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import (
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_samples,
    silhouette_score,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CREDIT = os.path.join(ROOT, "..", "shared", "data", "credit_scoring.csv")


def round_sig(x, digits):
    return np.array([[float(f"{v:.{digits - 1}e}") for v in row] for row in x])


def case(x, labels):
    labels = np.asarray(labels)
    return {
        "labels": labels.tolist(),
        "samples": silhouette_samples(x, labels).tolist(),
        "silhouette": float(silhouette_score(x, labels)),
        "calinski_harabasz": float(calinski_harabasz_score(x, labels)),
        "davies_bouldin": float(davies_bouldin_score(x, labels)),
    }


def kmeans_labels(x, k):
    return KMeans(n_clusters=k, n_init=4, random_state=0).fit(x).labels_


def blobs():
    x, y = make_blobs(n_samples=1200, n_features=6, centers=4, cluster_std=2.0, random_state=5)
    x = round_sig(x, 6)
    renamed = np.array([3 * int(v) + 11 for v in y])
    renamed[37] = 1000  # a singleton cluster
    return {
        "x": x.tolist(),
        "cases": {
            "true": case(x, y),
            "renamed_singleton": case(x, renamed),
            "kmeans7": case(x, kmeans_labels(x, 7)),
        },
    }


def telco():
    csv = subprocess.run(
        ["cargo", "run", "-q", "-p", "cartera-silhouette", "--example", "silhouette_fixture_data", "--", "2000", "7"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    df = pd.read_csv(io.StringIO(csv))
    x = round_sig(df.to_numpy(dtype=float), 5)
    return {"columns": list(df.columns), "x": x.tolist(), "cases": {"kmeans4": case(x, kmeans_labels(x, 4))}}


def standardized(df, cols):
    x = df[cols].to_numpy(dtype=float)
    return (x - x.mean(axis=0)) / x.std(axis=0)


def eastwest():
    df = pd.read_csv(os.path.join(ROOT, "data", "eastwest_airlines_cluster.csv"), encoding="utf-8-sig")
    cols = [c for c in df.columns if c not in ("ID#", "Award?")]
    x = standardized(df, cols)
    return {"columns": cols, "cases": {"kmeans5": case(x, kmeans_labels(x, 5))}}


def credit_scoring():
    df = pd.read_csv(CREDIT)
    cols = ["Seniority", "Time", "Age", "Expenses", "Amount"]
    x = standardized(df, cols)
    return {"columns": cols, "cases": {"kmeans4": case(x, kmeans_labels(x, 4))}}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "fixtures")
    meta = {
        "made_by": "scripts/fixtures_silhouette.py",
        "sklearn_version": sklearn.__version__,
    }
    makers = [("blobs", blobs), ("telco", telco), ("eastwest", eastwest)]
    if os.path.exists(CREDIT):
        makers.append(("credit_scoring", credit_scoring))
    else:
        print(f"skipped credit_scoring: {CREDIT} not present", file=sys.stderr)
    for name, make in makers:
        path = os.path.join(out, f"silhouette_{name}.json")
        with open(path, "w") as f:
            json.dump({**meta, **make()}, f, separators=(",", ":"))
            f.write("\n")
        print(f"wrote {path} ({os.path.getsize(path)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
