#!/usr/bin/env python3
"""pandas equivalents of cartera-scoring's grouped tables, timed on the same CSV.

Usage: python3 scripts/peers_scoring.py DATA.csv [ROUNDS]   (default 5 rounds)

DATA.csv is written by `cargo run --release -p cartera-scoring --example scoring_timing --
DATA.csv`: 371,589 rows with score, y, retention, f0..f4 and the group columns g4 (4 levels)
and g500 (500 levels). The groups are converted to pandas `category` (cartera groups a
categorical column too); reading the CSV is not timed. Each operation, per group column:

  * gains:   stable sort by score descending; per group, 10 equal-count bins by position
             (cumcount * 10 // size); customers, responders, min/max score per bin, then
             cumulative sums, rates, capture and lift.
  * bands:   5 equal-count bands over all rows (stable sort by score descending); per (group,
             band) offers, responders, min/max score; effectiveness and a total row per group.
  * tiers:   Low/Moderate/High/Critical from retention (bounds 0.5, 0.7, 0.85, cartera's
             inclusive sides via numpy.select); counts per (group, tier) unstacked, shares, and
             the mean churn probability per group.
  * profile: groupby(g)[f0..f4].describe(), the overall describe(), group sizes, shares, the
             outcome rate per group and each mean relative to the overall mean.

Prints JSON: median seconds per operation and group column (keys as scoring_timing's).
"""
import json
import statistics
import sys
import time

import numpy as np
import pandas as pd

FEATURES = ["f0", "f1", "f2", "f3", "f4"]


def gains(df, g, bins=10):
    d = df.sort_values("score", ascending=False, kind="stable")
    pos = d.groupby(g, observed=True).cumcount().to_numpy()
    size = d.groupby(g, observed=True)["y"].transform("size").to_numpy()
    d = d.assign(bin=pos * bins // size + 1)
    t = d.groupby([g, "bin"], observed=True).agg(
        customers=("y", "size"),
        responders=("y", "sum"),
        min_score=("score", "min"),
        max_score=("score", "max"),
    )
    grp = t.groupby(level=0, observed=True)
    t["cum_customers"] = grp["customers"].cumsum()
    t["cum_responders"] = grp["responders"].cumsum()
    tot_c = grp["customers"].transform("sum")
    tot_r = grp["responders"].transform("sum")
    overall = tot_r / tot_c
    t["response_rate"] = t["responders"] / t["customers"]
    t["cum_response_rate"] = t["cum_responders"] / t["cum_customers"]
    t["capture"] = t["responders"] / tot_r
    t["cum_capture"] = t["cum_responders"] / tot_r
    t["lift"] = t["response_rate"] / overall
    t["cum_lift"] = t["cum_response_rate"] / overall
    return t


def bands(df, g, k=5):
    n = len(df)
    order = np.argsort(-df["score"].to_numpy(), kind="stable")
    band = np.empty(n, dtype=np.int64)
    band[order] = ((np.arange(n) + 1) * k - 1) // n + 1
    d = df.assign(band=band)
    t = d.groupby([g, "band"], observed=True).agg(
        offers=("y", "size"),
        sales=("y", "sum"),
        min_score=("score", "min"),
        max_score=("score", "max"),
    )
    t["effectiveness"] = t["sales"] / t["offers"]
    total = t.groupby(level=0, observed=True)[["offers", "sales"]].sum()
    total["effectiveness"] = total["sales"] / total["offers"]
    return t, total


def tiers(df, g, bounds=(0.5, 0.7, 0.85)):
    r = df["retention"].to_numpy()
    tier = np.select(
        [r < bounds[0], r < bounds[1], r <= bounds[2]], ["Critical", "High", "Moderate"], "Low"
    )
    d = df.assign(tier=pd.Categorical(tier, categories=["Low", "Moderate", "High", "Critical"]),
                  churn=1.0 - r)
    counts = d.groupby([g, "tier"], observed=False).size().unstack(fill_value=0)
    shares = counts.div(counts.sum(axis=1), axis=0)
    mean_churn = d.groupby(g, observed=True)["churn"].mean()
    return counts, shares, mean_churn


def profile(df, g):
    grp = df.groupby(g, observed=True)
    desc = grp[FEATURES].describe()
    overall = df[FEATURES].describe()
    size = grp.size()
    share = size / len(df)
    rate = grp["y"].mean()
    rel = grp[FEATURES].mean() / overall.loc["mean"]
    return desc, overall, size, share, rate, rel


def main():
    path = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    df = pd.read_csv(path)
    for g in ("g4", "g500"):
        df[g] = df[g].astype("category")
    out = {}
    for g in ("g4", "g500"):
        for name, f in (("gains", gains), ("bands", bands), ("tiers", tiers), ("profile", profile)):
            times = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                f(df, g)
                times.append(time.perf_counter() - t0)
            out[f"{name}_{g}"] = statistics.median(times)
    out["pandas"] = pd.__version__
    print(json.dumps(out))


if __name__ == "__main__":
    main()
