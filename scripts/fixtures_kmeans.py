#!/usr/bin/env python3
"""Reference fixtures for cartera's K-Means: scikit-learn's KMeans on small matrices.

Usage: python3 scripts/fixtures_kmeans.py [OUT_DIR]   (default tests/fixtures)

Needs scikit-learn 1.9.1 (scripts/requirements.txt) and cargo (the generated telco table is
made by `cargo run -p cartera-kmeans --example kmeans_fixture_data -- telco`).

Writes:
  * kmeans_given.json: small matrices (stored exactly, 17 significant digits) with given
    initial centres and n_init=1; for Lloyd and Elkan, scikit-learn's labels_, inertia_,
    n_iter_ and cluster_centers_. Cases: overlapping blobs, the same with sample weights,
    max_iter=3 (not converged), a far-away initial centre (empty-cluster relocation), and tol=0.
  * kmeans_blobs.json: 2,000 x 6 blobs around 5 centres (rounded to 6 significant digits, the
    stored matrix is the input); best inertia_ of k-means++ with n_init=10 for k = 5 and 8.
  * kmeans_telco.json: 3,000 x 8 standardized numeric columns of the generated telco table
    (rounded to 5 significant digits); best inertia_ for k = 4 and 6 (k-means++, n_init=10), and
    a given-centres Lloyd/Elkan case.
  * kmeans_eastwest.json: data/eastwest_airlines_cluster.csv (MIT; UTF-8 BOM), ID# and Award?
    dropped, the other 10 columns standardized (population std, as StandardScaler). The matrix is
    not stored (the Rust test reads the CSV and standardizes it); holds best inertia_ for k = 3
    and 5 (k-means++, n_init=10) and a given-centres case (rows 0, 100, 200, 300, 400 as
    centres) with labels_, inertia_ and n_iter_.
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_given(x, init, sample_weight=None, max_iter=300, tol=1e-4):
    out = {}
    for algorithm in ["lloyd", "elkan"]:
        km = KMeans(
            n_clusters=init.shape[0],
            init=init,
            n_init=1,
            max_iter=max_iter,
            tol=tol,
            algorithm=algorithm,
        ).fit(x, sample_weight=sample_weight)
        out[algorithm] = {
            "labels": km.labels_.tolist(),
            "inertia": float(km.inertia_),
            "n_iter": int(km.n_iter_),
            "centers": km.cluster_centers_.tolist(),
        }
    return out


def best_inertia(x, k):
    km = KMeans(n_clusters=k, init="k-means++", n_init=10, random_state=0).fit(x)
    return float(km.inertia_)


def rounded(x, digits):
    return np.array([[float(f"{v:.{digits}g}") for v in row] for row in x])


def given_cases():
    rng = np.random.default_rng(20261129)
    cases = []
    x, _ = make_blobs(n_samples=500, n_features=4, centers=5, cluster_std=2.5, random_state=3)
    init = x[rng.choice(500, size=5, replace=False)]
    cases.append({"name": "blobs_overlapping", "x": x, "init": init})
    w = rng.uniform(0.0, 3.0, size=500)
    w[::7] = 0.0
    cases.append({"name": "blobs_weighted", "x": x, "init": init, "sample_weight": w})
    cases.append({"name": "blobs_max_iter_3", "x": x, "init": init, "max_iter": 3})
    far = init.copy()
    far[2] = 100.0
    cases.append({"name": "empty_cluster_relocated", "x": x, "init": far})
    x2, _ = make_blobs(n_samples=300, n_features=3, centers=3, cluster_std=3.0, random_state=11)
    init2 = x2[:3]
    cases.append({"name": "tol_zero", "x": x2, "init": init2, "tol": 0.0})
    out = []
    for c in cases:
        res = run_given(
            c["x"],
            c["init"],
            sample_weight=c.get("sample_weight"),
            max_iter=c.get("max_iter", 300),
            tol=c.get("tol", 1e-4),
        )
        entry = {
            "name": c["name"],
            "x": c["x"].tolist(),
            "init": c["init"].tolist(),
            "max_iter": c.get("max_iter", 300),
            "tol": c.get("tol", 1e-4),
            **res,
        }
        if "sample_weight" in c:
            entry["sample_weight"] = c["sample_weight"].tolist()
        out.append(entry)
    return {"cases": out}


def blobs():
    x, _ = make_blobs(n_samples=2000, n_features=6, centers=5, cluster_std=1.5, random_state=42)
    x = rounded(x, 6)
    return {"x": x.tolist(), "inertia": {str(k): best_inertia(x, k) for k in [5, 8]}}


def telco():
    csv = subprocess.run(
        ["cargo", "run", "-q", "-p", "cartera-kmeans", "--example", "kmeans_fixture_data", "--", "telco"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    df = pd.read_csv(io.StringIO(csv))
    x = rounded(df.to_numpy(), 5)
    init = x[[0, 500, 1000, 1500, 2000, 2500]]
    return {
        "columns": list(df.columns),
        "x": x.tolist(),
        "inertia": {str(k): best_inertia(x, k) for k in [4, 6]},
        "given": {"init": init.tolist(), **run_given(x, init)},
    }


def eastwest():
    df = pd.read_csv(os.path.join(ROOT, "data", "eastwest_airlines_cluster.csv"), encoding="utf-8-sig")
    cols = [c for c in df.columns if c not in ("ID#", "Award?")]
    x = df[cols].to_numpy(dtype=float)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    init_rows = [0, 100, 200, 300, 400]
    res = run_given(x, x[init_rows])
    for r in res.values():
        del r["centers"]
    return {
        "columns": cols,
        "inertia": {str(k): best_inertia(x, k) for k in [3, 5]},
        "given": {"init_rows": init_rows, **res},
    }


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "fixtures")
    meta = {"sklearn": sklearn.__version__, "numpy": np.__version__}
    for name, make in [("given", given_cases), ("blobs", blobs), ("telco", telco), ("eastwest", eastwest)]:
        data = {"generated_by": "scripts/fixtures_kmeans.py", **meta, **make()}
        path = os.path.join(out_dir, f"kmeans_{name}.json")
        with open(path, "w") as f:
            json.dump(data, f, separators=(",", ":"))
        size = os.path.getsize(path)
        print(f"{path}: {size / 1000:.0f} KB")
        if size > 300_000:
            raise SystemExit(f"{path} is larger than 300 KB")


if __name__ == "__main__":
    main()
