#!/usr/bin/env python3
"""scikit-learn's cluster-quality scores, timed on a CSV written by `cartera generate blobs`
(feature columns x0..x{d-1}, labels in `cluster`), printing one JSON object on stdout.

Usage: python3 scripts/peers_silhouette.py CASE IN.csv [SAMPLE_SIZE SEED]
  CASE: exact    silhouette_score(X, labels)                 (pairwise_distances_chunked)
        sampled  silhouette_score(X, labels, sample_size=SAMPLE_SIZE, random_state=SEED)
        chdb     calinski_harabasz_score and davies_bouldin_score (timed separately)
        samples  silhouette_samples(X, labels) (for the peak-memory comparison)

Reading the CSV is excluded from the timings; run with OMP_NUM_THREADS=2 for 2 threads.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.metrics import (
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_samples,
    silhouette_score,
)


def main():
    case, path = sys.argv[1], sys.argv[2]
    df = pd.read_csv(path)
    labels = df["cluster"].to_numpy()
    x = np.ascontiguousarray(df.drop(columns=["cluster"]).to_numpy(dtype=np.float64))
    out = {"case": case, "rows": x.shape[0], "features": x.shape[1], "sklearn": sklearn.__version__}
    t = time.perf_counter()
    if case == "exact":
        out["silhouette"] = float(silhouette_score(x, labels))
    elif case == "sampled":
        m, seed = int(sys.argv[3]), int(sys.argv[4])
        out["silhouette"] = float(silhouette_score(x, labels, sample_size=m, random_state=seed))
        out["sample_size"] = m
    elif case == "chdb":
        out["calinski_harabasz"] = float(calinski_harabasz_score(x, labels))
        out["calinski_harabasz_seconds"] = time.perf_counter() - t
        t2 = time.perf_counter()
        out["davies_bouldin"] = float(davies_bouldin_score(x, labels))
        out["davies_bouldin_seconds"] = time.perf_counter() - t2
    elif case == "samples":
        out["silhouette"] = float(silhouette_samples(x, labels).mean())
    else:
        sys.exit(f"unknown case {case!r}")
    out["seconds"] = time.perf_counter() - t
    print(json.dumps(out))


if __name__ == "__main__":
    main()
