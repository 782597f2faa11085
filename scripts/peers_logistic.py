#!/usr/bin/env python3
"""Peer timing for the logistic-regression benchmarks: scikit-learn's LogisticRegression(lbfgs).

Usage: python3 scripts/peers_logistic.py FILE.csv C TOL [REPEATS]

FILE.csv holds columns x0, x1, ... and the target y (as written by `cartera generate
classification`). Fits LogisticRegression(C=C, solver="lbfgs", tol=TOL, max_iter=10000) and
times the fit and predict_proba on all rows (best of REPEATS, default 3). Prints one JSON line
with the objective (1/n) sum log-loss + ||w||^2 / (2 C n), the scikit-learn >= 1.8 scaling
that cartera also uses, so both sides can be compared at the same objective value.
Set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS to fix the thread count (bench_logistic.sh uses 2).
"""
import json
import sys
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression


def objective(x, y, coef, intercept, c):
    z = x @ coef[0] + intercept[0]
    loss = np.logaddexp(0, z) - y * z
    n = len(y)
    return float(loss.sum() / n + (coef ** 2).sum() / (2 * c * n))


def main():
    path, c, tol = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    df = pd.read_csv(path)
    cols = [k for k in df.columns if k.startswith("x")]
    x = np.ascontiguousarray(df[cols].to_numpy(dtype=np.float64))
    y = df["y"].to_numpy().astype(np.int64)
    fit_best = proba_best = float("inf")
    model = None
    for _ in range(repeats):
        t = time.perf_counter()
        model = LogisticRegression(C=c, solver="lbfgs", tol=tol, max_iter=10000).fit(x, y)
        fit_best = min(fit_best, time.perf_counter() - t)
        t = time.perf_counter()
        p = model.predict_proba(x)
        proba_best = min(proba_best, time.perf_counter() - t)
        del p
    print(
        json.dumps(
            {
                "peer": "scikit-learn",
                "version": sklearn.__version__,
                "fit_seconds": fit_best,
                "predict_proba_seconds": proba_best,
                "objective": objective(x, y, model.coef_, model.intercept_, c),
                "n_iter": int(model.n_iter_[0]),
            }
        )
    )


if __name__ == "__main__":
    main()
