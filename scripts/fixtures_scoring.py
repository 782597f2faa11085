#!/usr/bin/env python3
"""Reference fixtures for cartera-scoring: scikit-learn metrics and pandas groupby describe.

Usage: python3 scripts/fixtures_scoring.py [OUT_DIR]   (default tests/fixtures)

Needs scikit-learn 1.9.1, scipy and pandas 2.2 (scripts/requirements.txt).

Writes:
  * scoring_metrics.json: binary cases (labels, scores stored exactly as JSON doubles) with
    roc_auc_score, average_precision_score, scipy's ks_2samp statistic, brier_score_loss and
    log_loss (when the scores are probabilities), the confusion matrix and per-class
    precision/recall/F1/support at threshold 0.5, and the thresholds maximising F1 and Youden's
    J over the distinct scores (ties: highest threshold). Cases: continuous probabilities,
    probabilities rounded to 2 decimals (many ties), 5 distinct values (heavy ties), logits
    (negative scores), a tiny hand case. Multi-class cases (K = 3 and 4): labels, predictions,
    probability rows, with accuracy_score, log_loss, confusion_matrix and
    precision_recall_fscore_support (zero_division=0).
  * scoring_profile.json: pandas `df.groupby(g)[features].describe()` and the overall
    `df[features].describe()`, group sizes and outcome means, for data/universal_bank.csv
    (grouped by Education, outcome Personal Loan) and data/telco_customer_churn.csv (grouped
    by Contract, TotalCharges has blanks = missing, outcome Churn == "Yes").
"""
import json
import os
import sys

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    log_loss,
    precision_recall_fscore_support,
    roc_auc_score,
)

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def best_threshold(y, s, crit):
    """Brute force over distinct scores, predicting positive when s >= t; ties: highest t."""
    y = np.asarray(y, bool)
    s = np.asarray(s, float)
    p, n = y.sum(), (~y).sum()
    best = None
    for t in sorted(set(s.tolist()), reverse=True):
        pred = s >= t
        tp = int((pred & y).sum())
        fp = int((pred & ~y).sum())
        fn = int(p - tp)
        if crit == "f1":
            v = 2 * tp / (2 * tp + fp + fn)
        else:
            v = tp / p - fp / n
        if best is None or v > best[1]:
            best = (t, v, tp, fp)
    return {"threshold": best[0], "value": best[1], "tp": best[2], "fp": best[3]}


def binary_case(name, y, s, proba):
    y = np.asarray(y, int)
    s = np.asarray(s, float)
    case = {
        "name": name,
        "y": y.tolist(),
        "score": s.tolist(),
        "roc_auc": roc_auc_score(y, s),
        "average_precision": average_precision_score(y, s),
        "ks": ks_2samp(s[y == 1], s[y == 0]).statistic.item(),
        "best_f1": best_threshold(y, s, "f1"),
        "best_youden": best_threshold(y, s, "youden"),
    }
    pred = (s >= 0.5).astype(int)
    pr, rc, f1, sup = precision_recall_fscore_support(y, pred, labels=[0, 1], zero_division=0)
    case["at_half"] = {
        "confusion": confusion_matrix(y, pred, labels=[0, 1]).tolist(),
        "precision": pr.tolist(),
        "recall": rc.tolist(),
        "f1": f1.tolist(),
        "support": sup.tolist(),
        "accuracy": accuracy_score(y, pred),
    }
    if proba:
        case["brier"] = brier_score_loss(y, s)
        case["log_loss"] = log_loss(y, np.column_stack([1 - s, s]), labels=[0, 1])
    return case


def multiclass_case(name, rng, n, k):
    logits = rng.normal(size=(n, k)) * 2.0
    proba = np.exp(logits)
    proba /= proba.sum(axis=1, keepdims=True)
    # Labels drawn from the probabilities, so the model is calibrated-ish; a few hard zeros
    # exercise the clipping.
    y = np.array([rng.choice(k, p=row) for row in proba])
    proba[0] = 0.0
    proba[0, (y[0] + 1) % k] = 1.0
    pred = proba.argmax(axis=1)
    pr, rc, f1, sup = precision_recall_fscore_support(
        y, pred, labels=list(range(k)), zero_division=0
    )
    return {
        "name": name,
        "k": k,
        "y": y.tolist(),
        "pred": pred.tolist(),
        "proba": proba.tolist(),
        "accuracy": accuracy_score(y, pred),
        "log_loss": log_loss(y, proba, labels=list(range(k))),
        "confusion": confusion_matrix(y, pred, labels=list(range(k))).tolist(),
        "precision": pr.tolist(),
        "recall": rc.tolist(),
        "f1": f1.tolist(),
        "support": sup.tolist(),
    }


def metrics():
    rng = np.random.default_rng(2024)
    n = 1500
    y = rng.random(n) < 0.3
    logit = rng.normal(size=n) + 1.2 * y
    p = 1 / (1 + np.exp(-logit))
    cases = [
        binary_case("continuous", y, p, True),
        binary_case("rounded_2dp", y, np.round(p, 2), True),
        binary_case("five_values", y, np.round(p * 4) / 4, True),
        binary_case("logits", y, logit, False),
        binary_case("hand", [0, 0, 1, 1, 1, 0], [0.1, 0.4, 0.35, 0.8, 0.4, 0.4], True),
    ]
    multi = [multiclass_case("k3", rng, 600, 3), multiclass_case("k4", rng, 400, 4)]
    return {
        "source": "scikit-learn 1.9.1 / scipy 1.17.1, scripts/fixtures_scoring.py",
        "binary": cases,
        "multiclass": multi,
    }


def profile_case(name, df, group, features, outcome):
    g = df.groupby(group)
    desc = g[features].describe()
    overall = df[features].describe()
    out = {"name": name, "group": group, "features": features, "groups": {}, "overall": {}}
    for key in desc.index:
        label = str(key)
        out["groups"][label] = {
            "size": int(g.size()[key]),
            "outcome_rate": float(outcome[df[group] == key].mean()),
            "describe": {
                f: {stat: (None if pd.isna(v) else float(v)) for stat, v in desc.loc[key, f].items()}
                for f in features
            },
        }
    out["overall"] = {
        "size": len(df),
        "outcome_rate": float(outcome.mean()),
        "describe": {f: {s: float(v) for s, v in overall[f].items()} for f in features},
    }
    return out


def profiles():
    bank = pd.read_csv(os.path.join(ROOT, "data/universal_bank.csv"))
    telco = pd.read_csv(os.path.join(ROOT, "data/telco_customer_churn.csv"))
    telco["TotalCharges"] = pd.to_numeric(telco["TotalCharges"].str.strip(), errors="coerce")
    return {
        "source": "pandas 2.2.3 groupby().describe(), scripts/fixtures_scoring.py",
        "cases": [
            profile_case(
                "universal_bank",
                bank,
                "Education",
                ["Age", "Experience", "Income", "CCAvg", "Mortgage"],
                bank["Personal Loan"],
            ),
            profile_case(
                "telco_customer_churn",
                telco,
                "Contract",
                ["tenure", "MonthlyCharges", "TotalCharges"],
                (telco["Churn"] == "Yes").astype(float),
            ),
        ],
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    for fname, obj in [("scoring_metrics.json", metrics()), ("scoring_profile.json", profiles())]:
        path = os.path.join(OUT, fname)
        with open(path, "w") as f:
            json.dump(obj, f)
        print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
