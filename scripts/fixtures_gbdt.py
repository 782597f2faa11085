#!/usr/bin/env python3
"""LightGBM reference figures for cartera-gbdt's quality tests (tests/fixtures/gbdt_lightgbm.json).

Usage: fixtures_gbdt.py [OUT.json]   (run from the repository root)
Generated sets come from `cargo run --release -p cartera-gbdt --example gbdt_fixture_data`, which
the Rust tests regenerate in memory; the real set is data/universal_bank.csv. Every set is split
in order: first 80 % of rows train, the rest validate. LightGBM runs with the parameters of the
issue (200 rounds, 31 leaves, learning rate 0.1, 255 bins, boost_from_average, no bagging) and
`deterministic=True`; the fixture stores its validation AUC, log-loss and accuracy, and under
`quantized` the same figures with quantized gradients (`use_quantized_grad`, 4 bins, stochastic
rounding, `quant_train_renew_leaf`), the reference of cartera's quantized training.
"""
import io
import json
import subprocess
import sys

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

SETS = [
    ("telco_40000_seed7", ["telco", "40000", "7"], "binary"),
    ("telco_groups_10000_seed7", ["telco_groups", "10000", "7"], "multiclass"),
    ("telco_cat_40000_seed7", ["telco_cat", "40000", "7"], "binary"),
    ("classification_10000_seed4", ["classification", "10000", "4"], "binary"),
]


def generated(args):
    out = subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "cartera-gbdt", "--example", "gbdt_fixture_data", "--"] + args,
        check=True, capture_output=True, text=True,
    ).stdout
    df = pd.read_csv(io.StringIO(out))
    x = df.drop(columns=["target"])
    cats = [i for i, c in enumerate(x.columns) if c.startswith("cat_")]
    return x.to_numpy(np.float64), df["target"].to_numpy(np.float64), cats


def universal_bank():
    df = pd.read_csv("data/universal_bank.csv")
    y = df["Personal Loan"].to_numpy(np.float64)
    x = df.drop(columns=["ID", "ZIP Code", "Personal Loan"]).to_numpy(np.float64)
    return x, y


def lightgbm_figures(x, y, kind, cats=()):
    n_train = len(y) * 4 // 5
    params = dict(n_estimators=200, num_leaves=31, learning_rate=0.1, max_bin=255,
                  min_child_samples=20, min_child_weight=1e-3, subsample=1.0, colsample_bytree=1.0,
                  reg_alpha=0.0, reg_lambda=0.0, deterministic=True, force_row_wise=True,
                  n_jobs=2, verbose=-1, random_state=0)
    yv = y[n_train:]

    def figures(extra):
        objective = "binary" if kind == "binary" else "multiclass"
        m = lgb.LGBMClassifier(objective=objective, **params, **extra)
        # Categorical columns (`cat_*`, level codes) split by LightGBM's own method, with its
        # defaults (max_cat_to_onehot 4, max_cat_threshold 32, cat_l2 10, cat_smooth 10,
        # min_data_per_group 100).
        m.fit(x[:n_train], y[:n_train], categorical_feature=list(cats) if cats else "auto")
        p = m.predict_proba(x[n_train:])
        out = {"accuracy": float(accuracy_score(yv, p.argmax(axis=1))),
               "log_loss": float(log_loss(yv, p, labels=list(range(p.shape[1]))))}
        if kind == "binary":
            out["auc"] = float(roc_auc_score(yv, p[:, 1]))
        return out

    doc = {"n_rows": int(len(y)), "n_train": int(n_train), "kind": kind, "categorical": list(cats)}
    doc.update(figures({}))
    doc["quantized"] = figures(dict(use_quantized_grad=True, num_grad_quant_bins=4,
                                    stochastic_rounding=True, quant_train_renew_leaf=True))
    return doc


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/gbdt_lightgbm.json"
    doc = {"made_by": f"scripts/fixtures_gbdt.py with LightGBM {lgb.__version__}", "sets": {}}
    for name, args, kind in SETS:
        x, y, cats = generated(args)
        doc["sets"][name] = lightgbm_figures(x, y, kind, cats)
    x, y = universal_bank()
    doc["sets"]["universal_bank"] = lightgbm_figures(x, y, "binary")
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
