#!/usr/bin/env python3
"""LightGBM and scikit-learn HistGradientBoosting on the same CSV and split as cartera-gbdt.

Usage: peers_gbdt.py DATA.csv [lightgbm|lightgbm_quant|sklearn|all] [ROUNDS]
DATA.csv is written by `cargo run --release -p cartera-gbdt --example gbdt_fixture_data --
classification 371589 4` (last column `target`; empty cell = missing). Fit on the first 80 % of
rows, predict_proba on the rest, with the issue's parameters (200 rounds, 31 leaves, learning
rate 0.1, 255 bins, no early stopping); `lightgbm_quant` is LightGBM with quantized gradients
(`use_quantized_grad`, 4 bins, `quant_train_renew_leaf`), not part of `all`. Threads: set OMP_NUM_THREADS (the bench uses 2). Prints
one JSON line per tool with fit/predict seconds, validation AUC and log-loss, and peak RSS.
"""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss, roc_auc_score


def main():
    path = sys.argv[1]
    which = sys.argv[2] if len(sys.argv) > 2 else "all"
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    df = pd.read_csv(path)
    y = df["target"].to_numpy(np.float64)
    x = np.ascontiguousarray(df.drop(columns=["target"]).to_numpy(np.float64))
    del df
    nt = len(y) * 4 // 5
    tools = []
    if which in ("lightgbm", "all"):
        import lightgbm as lgb

        tools.append(("lightgbm", lambda: lgb.LGBMClassifier(
            n_estimators=rounds, num_leaves=31, learning_rate=0.1, max_bin=255,
            min_child_samples=20, subsample=1.0, colsample_bytree=1.0, verbose=-1)))
    if which == "lightgbm_quant":
        import lightgbm as lgb

        tools.append(("lightgbm_quant", lambda: lgb.LGBMClassifier(
            n_estimators=rounds, num_leaves=31, learning_rate=0.1, max_bin=255,
            min_child_samples=20, subsample=1.0, colsample_bytree=1.0, verbose=-1,
            use_quantized_grad=True, num_grad_quant_bins=4, quant_train_renew_leaf=True)))
    if which in ("sklearn", "all"):
        from sklearn.ensemble import HistGradientBoostingClassifier

        tools.append(("sklearn_hgb", lambda: HistGradientBoostingClassifier(
            max_iter=rounds, max_leaf_nodes=31, learning_rate=0.1, max_bins=255,
            min_samples_leaf=20, l2_regularization=0.0, early_stopping=False)))
    for name, make in tools:
        m = make()
        t = time.perf_counter()
        m.fit(x[:nt], y[:nt])
        fit = time.perf_counter() - t
        t = time.perf_counter()
        p = m.predict_proba(x[nt:])[:, 1]
        predict = time.perf_counter() - t
        print(json.dumps({
            "tool": name, "n_train": nt, "n_valid": len(y) - nt,
            "fit_seconds": round(fit, 4), "predict_seconds": round(predict, 4),
            "auc": round(float(roc_auc_score(y[nt:], p)), 6),
            "log_loss": round(float(log_loss(y[nt:], p)), 6),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }), flush=True)


if __name__ == "__main__":
    main()
