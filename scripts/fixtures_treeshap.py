#!/usr/bin/env python3
"""Reference fixtures for cartera's LightGBM import and TreeSHAP: small LightGBM models saved
as text, with LightGBM's own raw scores and `pred_contrib` output on a few hundred rows.

Usage: python3 scripts/fixtures_treeshap.py [OUT_DIR]   (default tests/fixtures)

Needs lightgbm 4.7.0, shap 0.51.0, scikit-learn (scripts/requirements.txt). Deterministic
(fixed seeds, one thread).

Writes, for each NAME below, `lightgbm_NAME.txt` (Booster.save_model) and `lightgbm_NAME.json`
holding `x` (rows, NaN stored as null), `raw` (predict(raw_score=True): n, or n x K),
`contrib` (predict(pred_contrib=True): n x K(d+1), LightGBM's flat layout) and, for `binary`,
shap's TreeExplainer `shap_values` and `expected_value` on the same rows:
  * binary: telco-like make_classification table, 12 features, 40 trees, 15 leaves.
  * multiclass: 4 clusters (KMeans labels on blobs), 8 features, 25 rounds x 4 classes.
  * regression_nan: L2 regression, 10 features with 15% NaN (missing type NaN) and a
    zero-inflated column trained with zero_as_missing in a second model `binary_zero`.
  * cross_entropy: LightGBM's `cross_entropy` objective (labels are probabilities in [0, 1];
    the output is the sigmoid of the raw score), 8 features, 30 trees, with LightGBM's
    `predict` probabilities as `proba`.
  * categorical: binary with two categorical columns (one with 40 levels, so category bitsets
    span two words) and 6 numerical columns; test rows include unseen, negative and NaN
    categories.

And the cartera-trained model exported to the same comparison: `cargo run --release -p
cartera-gbdt --example treeshap_export -- OUT_DIR` trains a 30-round, 15-leaf binary cartera
GBDT and writes it as LightGBM text (`treeshap_cartera_binary.txt`) with 200 held-out rows;
this script adds `treeshap_cartera_binary.json`: LightGBM's raw scores and pred_contrib and
shap's TreeExplainer values on that file (`--skip-cartera` skips this step).
"""
import json
import os
import subprocess
import sys

import lightgbm as lgb
import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs, make_classification

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
OUT = ARGS[0] if ARGS else os.path.join(ROOT, "tests", "fixtures")


def rows_json(x):
    return [[None if np.isnan(v) else float(v) for v in row] for row in x]


def write(name, booster, x_test, extra=None):
    path_txt = os.path.join(OUT, f"lightgbm_{name}.txt")
    booster.save_model(path_txt)
    raw = booster.predict(x_test, raw_score=True)
    contrib = booster.predict(x_test, pred_contrib=True)
    doc = {
        "source": f"scripts/fixtures_treeshap.py, lightgbm {lgb.__version__}",
        "model": f"lightgbm_{name}.txt",
        "n_features": int(x_test.shape[1]),
        "x": rows_json(x_test),
        "raw": np.asarray(raw).tolist(),
        "contrib": np.asarray(contrib).tolist(),
    }
    if extra:
        doc.update(extra)
    with open(os.path.join(OUT, f"lightgbm_{name}.json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    print(f"lightgbm_{name}: {booster.num_trees()} trees, {x_test.shape[0]} test rows")


def params(**kw):
    p = {
        "verbose": -1,
        "num_threads": 1,
        "seed": 7,
        "deterministic": True,
        "learning_rate": 0.1,
        "min_data_in_leaf": 10,
    }
    p.update(kw)
    return p


def binary():
    x, y = make_classification(
        n_samples=2000, n_features=12, n_informative=6, n_redundant=2, random_state=3
    )
    x = np.round(x, 4)
    b = lgb.train(params(objective="binary", num_leaves=15), lgb.Dataset(x[:1700], y[:1700]),
                  num_boost_round=40)
    xt = x[1700:2000]
    import shap

    ex = shap.TreeExplainer(b)
    sv = np.asarray(ex.shap_values(xt))
    ev = np.asarray(ex.expected_value).reshape(-1).tolist()
    write("binary", b, xt, {"shap_values": sv.tolist(), "shap_expected_value": ev,
                            "shap_version": shap.__version__})


def multiclass():
    x, _ = make_blobs(n_samples=1500, n_features=8, centers=4, cluster_std=2.5, random_state=5)
    x = np.round(x, 4)
    labels = KMeans(n_clusters=4, n_init=4, random_state=0).fit_predict(x)
    b = lgb.train(params(objective="multiclass", num_class=4, num_leaves=15),
                  lgb.Dataset(x[:1350], labels[:1350]), num_boost_round=25)
    write("multiclass", b, x[1350:1500])


def regression_nan():
    rng = np.random.default_rng(11)
    n = 2000
    x = np.round(rng.normal(size=(n, 10)), 4)
    y = x[:, 0] * 2 + np.sin(3 * x[:, 1]) + x[:, 2] * x[:, 3] + rng.normal(scale=0.3, size=n)
    mask = rng.random((n, 10)) < 0.15
    x[mask] = np.nan
    # Missingness itself carries signal so that NaN-default directions matter.
    y = y + np.where(np.isnan(x[:, 4]), 1.5, 0.0)
    b = lgb.train(params(objective="regression", num_leaves=20), lgb.Dataset(x[:1750], y[:1750]),
                  num_boost_round=30)
    write("regression_nan", b, x[1750:2000])

    # Zero as missing: a zero-inflated column.
    x2 = np.round(rng.normal(size=(n, 6)), 4)
    x2[rng.random((n, 6)) < 0.3] = 0.0
    y2 = ((x2[:, 0] + (x2[:, 1] == 0) * 1.0 + rng.normal(scale=0.5, size=n)) > 0.3).astype(int)
    b2 = lgb.train(params(objective="binary", num_leaves=15, zero_as_missing=True),
                   lgb.Dataset(x2[:1750], y2[:1750]), num_boost_round=20)
    xt = x2[1750:2000].copy()
    xt[::7, 2] = np.nan
    write("binary_zero", b2, xt)


def categorical():
    rng = np.random.default_rng(13)
    n = 2500
    num = np.round(rng.normal(size=(n, 6)), 4)
    c1 = rng.integers(0, 40, size=n)
    c2 = rng.integers(0, 5, size=n)
    effect1 = rng.normal(size=40)
    logit = num[:, 0] + effect1[c1] + (c2 == 3) * 1.5 - 0.5
    y = (logit + rng.logistic(size=n) > 0).astype(int)
    x = np.column_stack([num[:, :3], c1, num[:, 3:], c2]).astype(float)
    b = lgb.train(params(objective="binary", num_leaves=15, min_data_per_group=5, cat_smooth=1.0,
                         max_cat_to_onehot=4),
                  lgb.Dataset(x[:2200], y[:2200], categorical_feature=[3, 7]),
                  num_boost_round=30)
    xt = x[2200:2500].copy()
    xt[0, 3] = 45.0   # unseen category
    xt[1, 3] = -1.0   # negative category
    xt[2, 3] = np.nan
    xt[3, 7] = 70.0
    xt[4, 7] = np.nan
    write("categorical", b, xt)


def cross_entropy():
    rng = np.random.default_rng(17)
    n = 2000
    x = np.round(rng.normal(size=(n, 8)), 4)
    # A share per row (as a campaign's response rate per customer group), not a 0/1 label.
    logit = x[:, 0] - 0.8 * x[:, 1] + 0.5 * x[:, 2] * x[:, 3]
    y = np.round(1.0 / (1.0 + np.exp(-logit - rng.normal(scale=0.5, size=n))), 3)
    b = lgb.train(params(objective="cross_entropy", num_leaves=15),
                  lgb.Dataset(x[:1750], y[:1750]), num_boost_round=30)
    xt = x[1750:2000]
    write("cross_entropy", b, xt, {"proba": b.predict(xt).tolist()})


def cartera_exported():
    subprocess.run(["cargo", "run", "--release", "-q", "-p", "cartera-gbdt", "--example",
                    "treeshap_export", "--", OUT], check=True, cwd=ROOT)
    import shap

    path = os.path.join(OUT, "treeshap_cartera_binary.txt")
    b = lgb.Booster(model_file=path)
    with open(os.path.join(OUT, "treeshap_cartera_rows.json")) as f:
        x = np.array(json.load(f)["x"], dtype=float)
    ex = shap.TreeExplainer(b)
    doc = {
        "source": f"scripts/fixtures_treeshap.py, lightgbm {lgb.__version__}, shap {shap.__version__}",
        "model": "treeshap_cartera_binary.txt (trained by cartera, written by write_lightgbm_model)",
        "x": rows_json(x),
        "raw": b.predict(x, raw_score=True).tolist(),
        "contrib": b.predict(x, pred_contrib=True).tolist(),
        "shap_values": np.asarray(ex.shap_values(x)).tolist(),
        "shap_expected_value": np.asarray(ex.expected_value).reshape(-1).tolist(),
    }
    with open(os.path.join(OUT, "treeshap_cartera_binary.json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    os.remove(os.path.join(OUT, "treeshap_cartera_rows.json"))
    print(f"treeshap_cartera_binary: {b.num_trees()} trees, {x.shape[0]} rows")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    binary()
    multiclass()
    regression_nan()
    categorical()
    cross_entropy()
    if "--skip-cartera" not in sys.argv:
        cartera_exported()
