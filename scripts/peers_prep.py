#!/usr/bin/env python3
"""Peer timings for the preprocessing tasks, one task per call, printed as JSON.

Usage: peers_prep.py TASK FILE.csv
  scale  StandardScaler().fit_transform on the columns x0..x41 (float64)
  pca    PCA(n_components=10).fit_transform on the same matrix
  prep   the study-004 prep of the generated telco table in pandas + scikit-learn:
         drop_duplicates, 9999 -> NaN in DIAS_FRECUENCIA_RECARGA, drop IMEI, mean imputation
         (numeric) and most-frequent (categorical), IQR row drop (1.5), MinMaxScaler,
         one-hot encoding of the categorical columns.
The CSV is read first and not timed (cartera's `prep --json` reports prep_seconds without
reading and writing, so both sides time the same work). Threads: numpy/BLAS use what they find.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import MinMaxScaler, StandardScaler


def matrix(path):
    df = pd.read_csv(path)
    return np.ascontiguousarray(df[[f"x{j}" for j in range(42)]].to_numpy(dtype=np.float64))


def prep(df):
    df = df.drop_duplicates()
    df = df.assign(DIAS_FRECUENCIA_RECARGA=df["DIAS_FRECUENCIA_RECARGA"].replace(9999, np.nan))
    df = df.drop(columns=["IMEI"])
    text = ["FECHA_ACTIVACION", "DIRECCION"]
    cat = [c for c in df.columns if df[c].dtype == object and c not in text]
    num = [c for c in df.columns if c not in cat and c not in text]
    x = SimpleImputer(strategy="mean").fit_transform(df[num])
    c = SimpleImputer(strategy="most_frequent").fit_transform(df[cat])
    q1, q3 = np.percentile(x, 25, axis=0), np.percentile(x, 75, axis=0)
    iqr = q3 - q1
    keep = np.all((x >= q1 - 1.5 * iqr) & (x <= q3 + 1.5 * iqr), axis=1)
    x, c = x[keep], c[keep]
    x = MinMaxScaler().fit_transform(x)
    dummies = pd.get_dummies(pd.DataFrame(c, columns=cat), dtype=np.float64).to_numpy()
    return np.hstack([x, dummies])


def main():
    task, path = sys.argv[1], sys.argv[2]
    if task in ("scale", "pca"):
        x = matrix(path)
        t = time.perf_counter()
        out = StandardScaler().fit_transform(x) if task == "scale" else PCA(n_components=10).fit_transform(x)
        seconds = time.perf_counter() - t
        shape = out.shape
    elif task == "prep":
        df = pd.read_csv(path)
        t = time.perf_counter()
        out = prep(df)
        seconds = time.perf_counter() - t
        shape = out.shape
    else:
        raise SystemExit(f"unknown task {task}")
    print(json.dumps({"task": task, "seconds": seconds, "shape": list(shape)}))


if __name__ == "__main__":
    main()
