#!/usr/bin/env python3
"""The telco churn study (study 004) with pandas + scikit-learn + LightGBM + shap, step for step
as `examples/telco_churn.rs`, on the same table and the same train/validation split.

Usage: study_telco_peers.py TELCO.csv SPLIT.csv [--threads 2]

TELCO.csv is the generated table (`cargo run --release --example telco_churn -- --write-table`
writes it as telco.csv; it is the file `cartera generate telco --rows N --seed S` writes) and
SPLIT.csv is the example's split.csv (row of the de-duplicated table, IMEI, part): the script
checks that its own de-duplication gives the same rows (IMEI by IMEI) and fits the churn models
on the example's training rows, so validation accuracy and AUC are comparable.

Prints one JSON object: seconds per stage, the total (clean to tiers, without reading the CSV,
as the example's total leaves out generating the table), k at the knee, validation accuracy,
AUC and per-class precision/recall of LightGBM and of the logistic baseline, versions.
"""
import argparse
import json
import sys
import time

import lightgbm as lgb
import numpy as np
import pandas as pd
import shap
import sklearn
from sklearn.cluster import KMeans
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    precision_recall_fscore_support,
    roc_auc_score,
    silhouette_score,
)
from sklearn.preprocessing import MinMaxScaler, RobustScaler

ID, LABEL, STORE = "IMEI", "CHURN", "TIENDA"
TEXT = ["FECHA_ACTIVACION", "DIRECCION"]
SENTINEL_COLUMN = "DIAS_FRECUENCIA_RECARGA"
KS = list(range(2, 9))
N_INIT = 3
CLUSTER_TRAIN_ROWS = 50_000
SHAP_ROWS = 2_000


def kneedle(xs, ys, s=1.0):
    """Kneedle on a decreasing convex curve, the same rule as cartera's
    `kneedle_decreasing_convex` (offline variant of the kneed package)."""
    x = np.asarray(xs, float)
    y = np.asarray(ys, float)
    n = len(x)
    if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    xn = (x - x.min()) / np.ptp(x)
    yn = 1.0 - (y - y.min()) / np.ptp(y)
    d = yn - xn

    def is_max(i):
        return 0 < i < n - 1 and d[i] >= d[i - 1] and d[i] >= d[i + 1]

    def is_min(i):
        return 0 < i < n - 1 and d[i] <= d[i - 1] and d[i] <= d[i + 1]

    maxima = [i for i in range(n) if is_max(i)]
    if not maxima:
        return None
    mean_dx = (xn[-1] - xn[0]) / (n - 1)
    threshold, at = -np.inf, maxima[0]
    for i in range(maxima[0], n - 1):
        if is_max(i):
            threshold, at = d[i] - s * mean_dx, i
        if is_min(i):
            threshold = 0.0
        if d[i + 1] < threshold:
            return at
    return None


def quality(y, p):
    pred = (p > 0.5).astype(int)
    prec, rec, _, _ = precision_recall_fscore_support(y, pred, labels=[0, 1], zero_division=0)
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "auc": float(roc_auc_score(y, p)),
        "churned": {"precision": float(prec[1]), "recall": float(rec[1])},
        "retained": {"precision": float(prec[0]), "recall": float(rec[0])},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("split")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    stages = {}
    t = time.perf_counter()

    def lap(name):
        nonlocal t
        now = time.perf_counter()
        stages[name] = now - t
        t = now

    df = pd.read_csv(a.csv)
    split = pd.read_csv(a.split)
    lap("read")

    # 1. Clean.
    df = df.drop_duplicates(keep="first").reset_index(drop=True)
    df[SENTINEL_COLUMN] = df[SENTINEL_COLUMN].replace(9999, np.nan)
    imei = df[ID].to_numpy()
    df = df.drop(columns=[ID] + TEXT)
    churn = df[LABEL].to_numpy().astype(int)
    lap("clean")
    if len(split) != len(df) or not np.array_equal(split[ID].to_numpy(), imei):
        sys.exit("split.csv does not describe this table's de-duplicated rows (IMEI mismatch)")

    # 2. Segment: numeric behaviour columns, mean imputation, IQR inliers, min-max scaling.
    categorical = [c for c in df.columns if df[c].dtype == object]
    behaviour = [c for c in df.columns if c not in categorical and c != LABEL]
    x = SimpleImputer(strategy="mean").fit_transform(df[behaviour].to_numpy(np.float64))
    q1, q3 = np.quantile(x, 0.25, axis=0), np.quantile(x, 0.75, axis=0)
    iqr = q3 - q1
    inlier = np.all((x >= q1 - 1.5 * iqr) & (x <= q3 + 1.5 * iqr), axis=1)
    scaler = MinMaxScaler().fit(x[inlier])
    z = scaler.transform(x[inlier])
    lap("cluster_prep")

    models = [KMeans(n_clusters=k, n_init=N_INIT, random_state=0).fit(z) for k in KS]
    inertias = [m.inertia_ for m in models]
    knee = kneedle(KS, inertias)
    knee = 0 if knee is None else knee
    k = KS[knee]
    model = models[knee]
    cluster = model.predict(scaler.transform(x))
    lap("kmeans_elbow")

    sample = 10_000 if len(z) > 20_000 else None
    sil = silhouette_score(z, model.labels_, sample_size=sample, random_state=0)
    lap("cluster_quality")

    n = len(df)
    step = max(n // CLUSTER_TRAIN_ROWS, 1)
    xb = df[behaviour].to_numpy(np.float64)
    cm = lgb.LGBMClassifier(
        objective="multiclass", n_estimators=50, random_state=0, n_jobs=a.threads, verbose=-1
    ).fit(xb[::step], cluster[::step])
    shap_step = max(n // SHAP_ROWS, 1)
    sv = shap.TreeExplainer(cm).shap_values(xb[::shap_step][:SHAP_ROWS])
    sv = np.asarray(sv)
    # shap >= 0.45 returns (rows, features, classes); older versions a list per class.
    mean_abs = np.abs(sv).mean(axis=0) if sv.ndim == 3 and sv.shape[-1] == k else np.abs(sv).mean(axis=1).T
    top = {int(c): [behaviour[j] for j in np.argsort(-mean_abs[:, c])[:5]] for c in range(k)}
    lap("cluster_explain")

    # 3. Churn on the example's split; categorical columns one-hot.
    feats = pd.get_dummies(df.drop(columns=[LABEL]), columns=categorical, dtype=np.float64)
    train = (split["part"] == "train").to_numpy()
    valid = ~train
    xf = feats.to_numpy(np.float64)
    lap("churn_prep")

    gb = lgb.LGBMClassifier(
        n_estimators=200, learning_rate=0.1, num_leaves=31, random_state=0, n_jobs=a.threads,
        verbose=-1,
    ).fit(xf[train], churn[train])
    # Every row is scored once; the validation rows' scores are picked out of those.
    p_all = gb.predict_proba(xf)[:, 1]
    p_valid = p_all[valid]
    gbdt_q = quality(churn[valid], p_valid)
    lap("churn_gbdt")

    imp = SimpleImputer(strategy="mean").fit(xf[train])
    rs = RobustScaler().fit(imp.transform(xf[train]))
    lr = LogisticRegression(max_iter=200).fit(rs.transform(imp.transform(xf[train])), churn[train])
    p_lin = lr.predict_proba(rs.transform(imp.transform(xf[valid])))[:, 1]
    lin_q = quality(churn[valid], p_lin)
    lap("churn_logistic")

    # 4. Tiers per segment and churn probability per store.
    retention = 1.0 - p_all
    tier = np.select(
        [retention > 0.85, retention >= 0.70, retention >= 0.50], ["Low", "Moderate", "High"], "Critical"
    )
    tiers = pd.crosstab(cluster, tier)
    stores = pd.Series(p_all).groupby(df[STORE].to_numpy()).mean().sort_values(ascending=False)
    lap("tiers_stores")

    total = sum(v for s, v in stages.items() if s != "read")
    print(json.dumps({
        "tool": "pandas + scikit-learn + LightGBM + shap",
        "versions": {"pandas": pd.__version__, "sklearn": sklearn.__version__,
                     "lightgbm": lgb.__version__, "shap": shap.__version__},
        "threads": a.threads,
        "rows": int(n), "clustered_rows": int(inlier.sum()),
        "k": k, "silhouette": float(sil),
        "inertia": dict(zip(map(str, KS), map(float, inertias))),
        "top_features": top,
        "train": int(train.sum()), "valid": int(valid.sum()),
        "lightgbm": gbdt_q, "logistic": lin_q,
        "tier_counts": {str(c): tiers.loc[c].to_dict() for c in tiers.index},
        "top_stores": {s: float(v) for s, v in stores.head(5).items()},
        "stages": stages, "total_seconds": total,
    }, default=int))


if __name__ == "__main__":
    main()
