#!/usr/bin/env python3
"""LightGBM trees on features with missing values, for cartera-gbdt's exact-agreement test
(tests/fixtures/gbdt_nan_lightgbm.json).

Usage: fixtures_gbdt_nan.py [OUT.json]   (run from the repository root)

LightGBM leaves a feature's first bin out of its histograms when that bin is the feature's
`most_freq_bin` (the bin of zero, for a feature without negative values), and its scan that
sends missing values right then counts the left side's rows as the leaf's rows minus the
estimated counts of the other bins. These sets put NaN into features of every kind: integers
with zeros (first bin implicit), positive integers only (LightGBM's first bin is an empty zero
bin), values of both signs (every bin stored) and a value holding 85 % of the rows (the most
frequent bin is not the first). The data are generated here (numpy, fixed seeds) and stored in
the fixture with LightGBM's raw scores (to 12 decimals) on the training rows after each listed number of rounds:
default LGBMClassifier parameters (31 leaves, learning rate 0.1, 255 bins, min_child_samples
20, min_child_weight 1e-3, no bagging), deterministic and row-wise.
"""
import json
import sys

import lightgbm as lgb
import numpy as np

ROUNDS = [40]


def single(seed=1, n=3000):
    """One integer feature 0..199 with 10 % NaN (the case an analyst reported)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 200, n).astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-(x - 100) / 40))).astype(int)
    x[rng.random(n) < 0.1] = np.nan
    return x[:, None], y


def mixed(seed=2, n=4000):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 61, n).astype(float)            # zeros: first bin implicit
    b = rng.integers(1, 151, n).astype(float)           # positive only: empty zero bin
    c = np.round(rng.normal(size=n), 2)                 # both signs: every bin stored
    d = np.where(rng.random(n) < 0.85, 3.0, rng.integers(4, 21, n).astype(float))  # 85 % one value
    z = (a - 30) / 15 + (b - 75) / 50 + c + (d - 3) / 4
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    x = np.column_stack([a, b, c, d])
    for j, frac in enumerate([0.12, 0.08, 0.10, 0.05]):
        x[rng.random(n) < frac, j] = np.nan
    # Missingness carries signal, so that the direction of missing values matters.
    y = np.where(np.isnan(x[:, 0]) & (rng.random(n) < 0.5), 1, y)
    return x, y


def raw_scores(x, y):
    out = {}
    for rounds in ROUNDS:
        m = lgb.LGBMClassifier(n_estimators=rounds, deterministic=True, force_row_wise=True,
                               n_jobs=2, verbose=-1, random_state=0)
        m.fit(x, y)
        out[str(rounds)] = [round(float(v), 12) for v in m.predict(x, raw_score=True)]
    return out


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/gbdt_nan_lightgbm.json"
    doc = {"made_by": f"scripts/fixtures_gbdt_nan.py with LightGBM {lgb.__version__}", "sets": {}}
    for name, (x, y) in [("single", single()), ("mixed", mixed())]:
        doc["sets"][name] = {
            "x": [[None if np.isnan(v) else float(v) for v in row] for row in x],
            "y": [int(v) for v in y],
            "raw_scores": raw_scores(x, y),
        }
    with open(out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
