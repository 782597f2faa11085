#!/usr/bin/env python3
"""scikit-learn KMeans / MiniBatchKMeans on columns of a CSV (default: the x* columns written by `cartera generate blobs`).

Usage: peers_kmeans.py FILE.csv K N_INIT SEED ALGORITHM [options]
  K          a number of clusters, or a range A..B (inclusive): one fit per k, in a loop
             (the elbow), timed as a whole; `inertia` is then the sum over k and `elbow`
             lists each k's inertia
  ALGORITHM  lloyd | elkan   KMeans(n_clusters=K, n_init=N_INIT, random_state=SEED,
                             algorithm=ALGORITHM), scikit-learn's defaults otherwise
                             (max_iter=300, tol=1e-4, init='k-means++')
             minibatch       MiniBatchKMeans(n_clusters=K, n_init=N_INIT, random_state=SEED,
                             batch_size=1024, max_iter=100, tol=0.0, max_no_improvement=10,
                             init_size=None (3 x batch_size), reassignment_ratio=0.01,
                             compute_labels=True): the defaults of cartera's
                             MiniBatchKMeansParams, written out; with compute_labels=True
                             `inertia_` is over every row against the final centres
Options:
  --dtype float64|float32   the array given to fit (scikit-learn clusters float32 natively)
  --columns a,b,c           columns to cluster on (default: every column named x*)
  --scale standard          StandardScaler().fit_transform first (untimed: `scale_seconds`)
  --batch-size N            minibatch only (default 1024)

Prints one JSON line: `seconds` of the fit(s) alone (the CSV is read, and scaled, first,
untimed), `inertia`, `n_iter`, and the parameters used.
"""
import argparse
import json
import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.preprocessing import StandardScaler


def parse_k(text):
    if ".." in text:
        a, b = (int(v) for v in text.split("..", 1))
        if a < 1 or b <= a:
            raise SystemExit(f"peers_kmeans.py: bad K range {text!r}")
        return list(range(a, b + 1))
    return [int(text)]


def model(args, k):
    if args.algorithm == "minibatch":
        return MiniBatchKMeans(
            n_clusters=k,
            n_init=args.n_init,
            random_state=args.seed,
            batch_size=args.batch_size,
            max_iter=100,
            tol=0.0,
            max_no_improvement=10,
            init_size=None,
            reassignment_ratio=0.01,
            compute_labels=True,
        )
    return KMeans(n_clusters=k, n_init=args.n_init, random_state=args.seed, algorithm=args.algorithm)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path")
    p.add_argument("k")
    p.add_argument("n_init", type=int)
    p.add_argument("seed", type=int)
    p.add_argument("algorithm", choices=["lloyd", "elkan", "minibatch"])
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    p.add_argument("--columns", default=None)
    p.add_argument("--scale", choices=["standard"], default=None)
    p.add_argument("--batch-size", type=int, default=1024)
    args = p.parse_args()
    ks = parse_k(args.k)

    df = pd.read_csv(args.path)
    cols = args.columns.split(",") if args.columns else [c for c in df.columns if c.startswith("x")]
    x = df[cols].to_numpy(dtype=np.float64)
    del df
    t = time.perf_counter()
    if args.scale == "standard":
        x = StandardScaler().fit_transform(x)
    scale_seconds = time.perf_counter() - t
    # Conversion to the fit's dtype is part of the preparation, as in cartera (--precision).
    x = np.ascontiguousarray(x, dtype=np.dtype(args.dtype))

    fits = []
    t = time.perf_counter()
    for k in ks:
        fits.append(model(args, k).fit(x))
    seconds = time.perf_counter() - t

    peer = "scikit-learn " + ("minibatch" if args.algorithm == "minibatch" else args.algorithm)
    out = {
        "peer": peer,
        "seconds": seconds,
        "scale_seconds": scale_seconds if args.scale else 0.0,
        "inertia": float(sum(m.inertia_ for m in fits)),
        "n_iter": int(sum(m.n_iter_ for m in fits)),
        "dtype": args.dtype,
        "rows": int(x.shape[0]),
        "columns": len(cols),
        "params": {k: v for k, v in fits[0].get_params().items() if k != "n_clusters"},
    }
    if len(ks) > 1:
        out["elbow"] = [{"k": k, "inertia": float(m.inertia_), "n_iter": int(m.n_iter_)} for k, m in zip(ks, fits)]
    if args.algorithm == "minibatch":
        out["n_steps"] = int(fits[0].n_steps_)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
