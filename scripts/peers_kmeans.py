#!/usr/bin/env python3
"""scikit-learn KMeans on the x* columns of a CSV (as written by `cartera generate blobs`).

Usage: peers_kmeans.py FILE.csv K N_INIT SEED ALGORITHM(lloyd|elkan)
Prints one JSON line: seconds of the fit alone (the CSV is read first, untimed) and inertia.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans


def main():
    path, k, n_init, seed, algorithm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    df = pd.read_csv(path)
    x = np.ascontiguousarray(df[[c for c in df.columns if c.startswith("x")]].to_numpy(dtype=np.float64))
    t = time.perf_counter()
    m = KMeans(n_clusters=k, n_init=n_init, random_state=seed, algorithm=algorithm).fit(x)
    seconds = time.perf_counter() - t
    print(json.dumps({"peer": f"scikit-learn {algorithm}", "seconds": seconds, "inertia": float(m.inertia_), "n_iter": int(m.n_iter_)}))


if __name__ == "__main__":
    main()
