#!/usr/bin/env python3
"""Peers for the TreeSHAP benchmark: LightGBM's predict(pred_contrib=True) and shap's
TreeExplainer.shap_values on the same models and rows as `benches/treeshap.rs`.

Usage: python3 scripts/peers_treeshap.py [--dir DIR] [--repeats N] [--threads T] [--prepare-only]
                                         [--case binary|multiclass]... [--peer lightgbm|shap]...

DIR (default $CARTERA_TREESHAP_DIR or /tmp/cartera-treeshap) receives, if not already there:
  * binary.txt: LightGBM binary model, 200 trees, 31 leaves, on a 42-feature
    make_classification table (20,000 training rows, seed 7); binary_rows.f64: 10,000 other
    rows (little-endian f64, row-major, 42 per row).
  * multiclass.txt: 4-class model, 100 rounds (400 trees), 31 leaves, 20 features;
    multiclass_rows.f64: 10,000 rows.
The Rust bench reads the same files. Prints one JSON object with the median seconds of each
peer over N repeats (LightGBM with num_threads=T; shap's C++ TreeSHAP is single-threaded).
--case and --peer (each repeatable; default: every case, both peers) restrict the run, so that
scripts/bench_treeshap.sh can measure each peer's peak memory on each case in its own process
(shap is only imported when it runs).
"""
import argparse
import json
import os
import statistics
import time

import lightgbm as lgb
import numpy as np
from sklearn.datasets import make_classification

CASES = {
    # name: (n_features, n_classes, rounds)
    "binary": (42, 2, 200),
    "multiclass": (20, 4, 100),
}
N_ROWS = 10_000


def prepare(d):
    os.makedirs(d, exist_ok=True)
    for name, (n_features, n_classes, rounds) in CASES.items():
        model_path = os.path.join(d, f"{name}.txt")
        rows_path = os.path.join(d, f"{name}_rows.f64")
        if os.path.exists(model_path) and os.path.exists(rows_path):
            continue
        x, y = make_classification(
            n_samples=20_000 + N_ROWS,
            n_features=n_features,
            n_informative=min(n_features, 12),
            n_redundant=4,
            n_classes=n_classes,
            n_clusters_per_class=2,
            random_state=7,
        )
        params = {"verbose": -1, "num_leaves": 31, "learning_rate": 0.05, "seed": 7,
                  "num_threads": 2, "deterministic": True}
        if n_classes == 2:
            params["objective"] = "binary"
        else:
            params.update(objective="multiclass", num_class=n_classes)
        b = lgb.train(params, lgb.Dataset(x[:20_000], y[:20_000]), num_boost_round=rounds)
        b.save_model(model_path)
        np.ascontiguousarray(x[20_000:], dtype="<f8").tofile(rows_path)


def load(d, name):
    n_features = CASES[name][0]
    b = lgb.Booster(model_file=os.path.join(d, f"{name}.txt"))
    x = np.fromfile(os.path.join(d, f"{name}_rows.f64"), dtype="<f8").reshape(-1, n_features)
    return b, x


def median_seconds(f, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=os.environ.get("CARTERA_TREESHAP_DIR", "/tmp/cartera-treeshap"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prepare-only", action="store_true")
    ap.add_argument("--case", action="append", choices=list(CASES))
    ap.add_argument("--peer", action="append", choices=["lightgbm", "shap"])
    args = ap.parse_args()
    prepare(args.dir)
    if args.prepare_only:
        return
    cases = args.case or list(CASES)
    peers = args.peer or ["lightgbm", "shap"]
    out = {"lightgbm": lgb.__version__, "threads": args.threads, "rows": N_ROWS, "results": {}}
    if "shap" in peers:
        import shap

        out["shap"] = shap.__version__
    for name in cases:
        b, x = load(args.dir, name)
        res = {"trees": b.num_trees()}
        if "lightgbm" in peers:
            res["lightgbm_pred_contrib_s"] = median_seconds(
                lambda: b.predict(x, pred_contrib=True, num_threads=args.threads), args.repeats)
        if "shap" in peers:
            ex = shap.TreeExplainer(b)
            res["shap_tree_explainer_s"] = median_seconds(
                lambda: ex.shap_values(x, check_additivity=False), args.repeats)
        out["results"][name] = res
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
