#!/usr/bin/env bash
# K-Means speed: cartera vs scikit-learn (and linfa-clustering where it has the algorithm) on the
# same CSV files, same machine, same run, alternating (every comparison once per round, cartera
# first); medians of the fit time and ratios (peer time / cartera time) as Markdown tables.
#
# Usage: scripts/bench_kmeans.sh [ROUNDS]       (default: $BENCH_ROUNDS, else 5)
# Needs: pip install -r scripts/requirements.txt; builds peers/linfa (outside the workspace).
# Peak RSS: /usr/bin/time's %M of each process (CSV data included), the largest over the rounds.
# Threads: RAYON_NUM_THREADS and OMP_NUM_THREADS default to 2 (override from the environment).
#
# Comparisons (each side times the fit alone: the CSV is read, scaled and converted first):
# 1. f64, blobs 371,589 x 20 (8 centres, std 2 and 5, seed 1), k=8, n_init=10, seed 0:
#    `cartera kmeans --k 8 --n-init 10 --seed 0` (Lloyd) vs scikit-learn
#    KMeans(n_clusters=8, n_init=10, random_state=0, algorithm=lloyd|elkan) vs linfa-clustering
#    (n_runs 10, max 300 iterations, tolerance 1e-4).
# 2. f32, same files: `--precision f32` vs cartera f64 (comparison 1, same rounds, run right
#    after it; bar 1.6x) and vs scikit-learn KMeans (same parameters) fitted on a float32 array.
#    `cargo run --release -p cartera-kmeans --example precision_ratio` times the two in
#    alternating pairs inside one process.
# 3. Mini-batch, same files, k=8: `--algorithm minibatch --n-init 3 --batch-size 1024` vs
#    MiniBatchKMeans(n_clusters=8, n_init=3, random_state=0, batch_size=1024, max_iter=100,
#    tol=0.0, max_no_improvement=10, init_size=None (= 3 x 1024), reassignment_ratio=0.01,
#    compute_labels=True): these are the defaults of cartera's MiniBatchKMeansParams (which the
#    CLI uses apart from batch size and n_init) and scikit-learn 1.9's own defaults, written out;
#    n_init=3 on both sides (scikit-learn's "auto" would be 1). Inertia on both sides is over
#    every row against the final centres (cartera relabels the whole table after the fit;
#    scikit-learn's inertia_ with compute_labels=True). Bar: 2x at inertia within 2 %.
#    scikit-learn runs with OMP_NUM_THREADS=2 and again with 1; the faster is compared (its
#    per-batch OpenMP regions are tiny, and one thread can win).
# 4. Elbow k=2..10 on blobs 100,000 x 10 (5 centres, std 2, seed 1), n_init=10, seed 0:
#    `cartera kmeans --k 2..10` (Lloyd) — its `elbow_seconds` (the nine K-Means fits alone;
#    the CLI also scores a sampled silhouette per k, reported apart as `silhouette_seconds`) vs
#    a scikit-learn loop `for k in 2..10: KMeans(n_clusters=k, n_init=10, random_state=0,
#    algorithm=lloyd|elkan).fit(x)`, the faster of the two loops. Quality: the largest per-k
#    ratio of inertias cartera / scikit-learn (best of its two). Bar: 3x.
# 5. Scaled telco: `cartera generate telco --rows 371589 --seed 7` (the file of bench_prep.sh),
#    the 28 numeric columns that are neither the ID (IMEI) nor the target (CHURN) and have no
#    missing value (SALDO_PROMEDIO has some), standard-scaled, k=8, n_init=10, seed 0:
#    `cartera kmeans --columns ... --scale standard` (fit_seconds excludes scaling; the JSON's
#    scale_seconds has it) vs StandardScaler().fit_transform then KMeans (lloyd|elkan).
# linfa appears in comparison 1 only (it has no mini-batch; an f32, scaled or per-k run would
# need peers/linfa changes).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-${BENCH_ROUNDS:-5}}
export RAYON_NUM_THREADS=${RAYON_NUM_THREADS:-2} OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo build --release -q -p cartera-cli
# peers/linfa keeps its own target dir (its binary path below), whatever CARGO_TARGET_DIR says.
(cd peers/linfa && env -u CARGO_TARGET_DIR cargo build --release -q)
bin=${CARGO_TARGET_DIR:-target}/release/cartera
linfa=peers/linfa/target/release/cartera-peer-linfa
cols=$(python3 -c "print(','.join(f'x{j}' for j in range(20)))")
cols10=$(python3 -c "print(','.join(f'x{j}' for j in range(10)))")

for sd in 2 5; do
  "$bin" generate blobs --rows 371589 --features 20 --centers 8 --cluster-std "$sd" --seed 1 --out "$tmp/blobs_sd$sd.csv" 2>/dev/null
done
"$bin" generate blobs --rows 100000 --features 10 --centers 5 --cluster-std 2 --seed 1 --out "$tmp/elbow.csv" 2>/dev/null
"$bin" generate telco --rows 371589 --seed 7 --out "$tmp/telco.csv" 2>/dev/null
telco_cols=$(python3 - "$tmp/telco.csv" <<'PY'
import sys
import pandas as pd
df = pd.read_csv(sys.argv[1])
num = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and c not in ("IMEI", "CHURN")]
print(",".join(c for c in num if not df[c].isna().any()))
PY
)

run() { # name command... -> appends the command's JSON, with "peak_rss_kib", to $tmp/name.jsonl
  local name=$1; shift
  /usr/bin/time -o "$tmp/rss" -f %M "$@" > "$tmp/out.json" 2>/dev/null
  python3 -c "import json; d=json.load(open('$tmp/out.json')); d['peak_rss_kib']=int(open('$tmp/rss').read().split()[-1]); print(json.dumps(d))" >> "$tmp/$name.jsonl"
}
for _ in $(seq "$rounds"); do
  for sd in 2 5; do
    f="$tmp/blobs_sd$sd.csv"
    # 1. f64, and cartera's f32 fit right after its f64 one (2.): the f32 bar compares the
    # two, and the VM's speed can drift within the minute the peers' runs take
    run "cartera_sd$sd" "$bin" kmeans "$f" --columns "$cols" --k 8 --n-init 10 --seed 0 --json -
    run "cartera_f32_sd$sd" "$bin" kmeans "$f" --columns "$cols" --k 8 --n-init 10 --seed 0 --precision f32 --json -
    run "sklearn_lloyd_sd$sd" python3 scripts/peers.py kmeans "$f" 8 10 0 lloyd
    run "sklearn_elkan_sd$sd" python3 scripts/peers.py kmeans "$f" 8 10 0 elkan
    run "linfa_sd$sd" "$linfa" kmeans "$f" 8 10 0
    # 2. f32 peers
    run "sklearn_lloyd_f32_sd$sd" python3 scripts/peers.py kmeans "$f" 8 10 0 lloyd --dtype float32
    run "sklearn_elkan_f32_sd$sd" python3 scripts/peers.py kmeans "$f" 8 10 0 elkan --dtype float32
    # 3. mini-batch
    run "cartera_mb_sd$sd" "$bin" kmeans "$f" --columns "$cols" --k 8 --algorithm minibatch --n-init 3 --batch-size 1024 --seed 0 --json -
    run "sklearn_mb_sd$sd" python3 scripts/peers.py kmeans "$f" 8 3 0 minibatch --batch-size 1024
    # Its steps are short OpenMP regions: on 2 busy cores one thread can be several times
    # faster than two, so the peer's better thread count is the one compared.
    OMP_NUM_THREADS=1 run "sklearn_mb1_sd$sd" python3 scripts/peers.py kmeans "$f" 8 3 0 minibatch --batch-size 1024
  done
  # 4. elbow
  run cartera_elbow "$bin" kmeans "$tmp/elbow.csv" --columns "$cols10" --k 2..10 --n-init 10 --seed 0 --json -
  run sklearn_lloyd_elbow python3 scripts/peers.py kmeans "$tmp/elbow.csv" 2..10 10 0 lloyd
  run sklearn_elkan_elbow python3 scripts/peers.py kmeans "$tmp/elbow.csv" 2..10 10 0 elkan
  # 5. scaled telco
  run cartera_telco "$bin" kmeans "$tmp/telco.csv" --columns "$telco_cols" --scale standard --k 8 --n-init 10 --seed 0 --json -
  run sklearn_lloyd_telco python3 scripts/peers.py kmeans "$tmp/telco.csv" 8 10 0 lloyd --columns "$telco_cols" --scale standard
  run sklearn_elkan_telco python3 scripts/peers.py kmeans "$tmp/telco.csv" 8 10 0 elkan --columns "$telco_cols" --scale standard
done

python3 - "$tmp" "$rounds" "$telco_cols" <<'PY'
import json, statistics, subprocess, sys, sklearn
tmp, rounds, telco_cols = sys.argv[1], sys.argv[2], sys.argv[3].split(",")

def runs(name):
    return [json.loads(l) for l in open(f"{tmp}/{name}.jsonl")]

def load(name, key=None):
    """Median seconds, smallest inertia, largest peak RSS (MiB) over the rounds."""
    rs = runs(name)
    secs = [r[key] if key else r.get("fit_seconds", r.get("seconds")) for r in rs]
    return statistics.median(secs), min(r["inertia"] for r in rs), max(r["peak_rss_kib"] for r in rs) / 1024

rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
print(f"2 cores; {rustc}; scikit-learn {sklearn.__version__}; linfa-clustering 0.8; {rounds} alternating rounds, medians of the fit time (CSV reading excluded)\n")
print("| data | k, n_init | cartera | scikit-learn lloyd | scikit-learn elkan | linfa | best sklearn / cartera | linfa / cartera | inertia cartera / sklearn | peak RSS cartera / sklearn lloyd / linfa |")
print("|---|---|---|---|---|---|---|---|---|---|")
for sd in (2, 5):
    c, ci, cm = load(f"cartera_sd{sd}")
    l, li, lm = load(f"sklearn_lloyd_sd{sd}")
    e, ei, _ = load(f"sklearn_elkan_sd{sd}")
    n, ni, nm = load(f"linfa_sd{sd}")
    best = min(l, e)
    print(f"| blobs 371,589 x 20, 8 centres, std {sd} | 8, 10 | {c:.3f} s | {l:.3f} s | {e:.3f} s | {n:.3f} s | {best / c:.1f}x | {n / c:.1f}x | {ci / min(li, ei):.4f} | {cm:.0f} / {lm:.0f} / {nm:.0f} MiB |")

print("\n**f32**: `cartera kmeans --precision f32` (k=8, n_init=10, seed 0, Lloyd) vs cartera f64 (the rows above, same rounds; bar 1.6x) and vs scikit-learn `KMeans(n_clusters=8, n_init=10, random_state=0)` on a float32 array\n")
print("| data | cartera f32 | cartera f64 | scikit-learn lloyd f32 | scikit-learn elkan f32 | f64 / f32 | best sklearn f32 / cartera f32 | inertia cartera f32 / f64 | inertia cartera f32 / sklearn f32 | peak RSS cartera f32 / f64 / sklearn lloyd f32 |")
print("|---|---|---|---|---|---|---|---|---|---|")
for sd in (2, 5):
    c, ci, cm = load(f"cartera_f32_sd{sd}")
    c64, ci64, cm64 = load(f"cartera_sd{sd}")
    l, li, lm = load(f"sklearn_lloyd_f32_sd{sd}")
    e, ei, _ = load(f"sklearn_elkan_f32_sd{sd}")
    print(f"| blobs 371,589 x 20, 8 centres, std {sd} | {c:.3f} s | {c64:.3f} s | {l:.3f} s | {e:.3f} s | {c64 / c:.2f}x | {min(l, e) / c:.1f}x | {ci / ci64:.6f} | {ci / min(li, ei):.4f} | {cm:.0f} / {cm64:.0f} / {lm:.0f} MiB |")

print("\n**Mini-batch**: `cartera kmeans --algorithm minibatch --k 8 --n-init 3 --batch-size 1024 --seed 0` vs scikit-learn `MiniBatchKMeans(n_clusters=8, n_init=3, random_state=0, batch_size=1024, max_iter=100, tol=0.0, max_no_improvement=10, reassignment_ratio=0.01)`; inertia over every row on both sides (bar: 2x at inertia within 2 %)\n")
print("| data | k, n_init, batch | cartera | scikit-learn 2 threads | scikit-learn 1 thread | best sklearn / cartera | inertia cartera / sklearn | steps cartera / sklearn | peak RSS cartera / sklearn |")
print("|---|---|---|---|---|---|---|---|---|")
for sd in (2, 5):
    c, ci, cm = load(f"cartera_mb_sd{sd}")
    s, si, sm = load(f"sklearn_mb_sd{sd}")
    s1, si1, _ = load(f"sklearn_mb1_sd{sd}")
    c_steps = runs(f"cartera_mb_sd{sd}")[0]["n_steps"]
    s_steps = runs(f"sklearn_mb_sd{sd}")[0]["n_steps"]
    print(f"| blobs 371,589 x 20, 8 centres, std {sd} | 8, 3, 1024 | {c:.3f} s | {s:.3f} s | {s1:.3f} s | {min(s, s1) / c:.1f}x | {ci / min(si, si1):.4f} | {c_steps} / {s_steps} | {cm:.0f} / {sm:.0f} MiB |")

print("\n**Elbow**: `cartera kmeans --k 2..10 --n-init 10 --seed 0` (Lloyd; `elbow_seconds` = the nine K-Means fits; the CLI's sampled silhouettes are `silhouette_seconds`) vs the scikit-learn loop `for k in 2..10: KMeans(n_clusters=k, n_init=10, random_state=0, algorithm=lloyd|elkan).fit(x)` (bar 3x over the faster loop)\n")
print("| data | k, n_init | cartera K-Means fits | cartera silhouettes | cartera total | scikit-learn lloyd loop | scikit-learn elkan loop | best sklearn / cartera fits | max over k of inertia cartera / sklearn | peak RSS cartera / sklearn lloyd |")
print("|---|---|---|---|---|---|---|---|---|---|")
c, _, cm = load("cartera_elbow", "elbow_seconds")
sil, _, _ = load("cartera_elbow", "silhouette_seconds")
tot, _, _ = load("cartera_elbow", "fit_seconds")
l, _, lm = load("sklearn_lloyd_elbow")
e, _, _ = load("sklearn_elkan_elbow")
ours = {p["k"]: p["inertia"] for p in runs("cartera_elbow")[0]["elbow"]}
theirs = {}
for name in ("sklearn_lloyd_elbow", "sklearn_elkan_elbow"):
    for r in runs(name):
        for p in r["elbow"]:
            theirs[p["k"]] = min(theirs.get(p["k"], float("inf")), p["inertia"])
worst = max(ours[k] / theirs[k] for k in ours)
print(f"| blobs 100,000 x 10, 5 centres, std 2 | 2..10, 10 | {c:.3f} s | {sil:.3f} s | {tot:.3f} s | {l:.3f} s | {e:.3f} s | {min(l, e) / c:.1f}x | {worst:.4f} | {cm:.0f} / {lm:.0f} MiB |")

print(f"\n**Scaled telco**: generated telco 371,589 rows (seed 7), the {len(telco_cols)} complete numeric columns (not IMEI, CHURN), standard-scaled (untimed on both sides), k=8, n_init=10, seed 0: `cartera kmeans --scale standard` vs StandardScaler + `KMeans(n_clusters=8, n_init=10, random_state=0)`\n")
print("| data | k, n_init | cartera | scikit-learn lloyd | scikit-learn elkan | best sklearn / cartera | inertia cartera / sklearn | peak RSS cartera / sklearn lloyd |")
print("|---|---|---|---|---|---|---|---|")
c, ci, cm = load("cartera_telco")
l, li, lm = load("sklearn_lloyd_telco")
e, ei, _ = load("sklearn_elkan_telco")
print(f"| telco 371,589 x {len(telco_cols)}, standard-scaled | 8, 10 | {c:.3f} s | {l:.3f} s | {e:.3f} s | {min(l, e) / c:.1f}x | {ci / min(li, ei):.4f} | {cm:.0f} / {lm:.0f} MiB |")
PY
