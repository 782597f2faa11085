#!/usr/bin/env bash
# K-Means speed: cartera vs scikit-learn (lloyd and elkan) vs linfa-clustering on the same CSV
# files, same machine, same run, alternating; medians and ratios as Markdown.
#
# Usage: scripts/bench_kmeans.sh [ROUNDS]       (default: $BENCH_ROUNDS, else 5)
# Needs: pip install -r scripts/requirements.txt; builds peers/linfa (outside the workspace).
# Peak RSS: /usr/bin/time's %M of each process (CSV data included), the largest over the rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-${BENCH_ROUNDS:-5}}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo build --release -q -p cartera-cli
(cd peers/linfa && cargo build --release -q)
bin=${CARGO_TARGET_DIR:-target}/release/cartera
linfa=peers/linfa/target/release/cartera-peer-linfa
cols=$(python3 -c "print(','.join(f'x{j}' for j in range(20)))")

for sd in 2 5; do
  "$bin" generate blobs --rows 371589 --features 20 --centers 8 --cluster-std "$sd" --seed 1 --out "$tmp/blobs_sd$sd.csv" 2>/dev/null
done

run() { # name command... -> appends "seconds inertia peak_rss_kib" to $tmp/name.txt
  local name=$1; shift
  /usr/bin/time -o "$tmp/rss" -f %M "$@" > "$tmp/out.json" 2>/dev/null
  python3 -c "import json,sys; d=json.load(open('$tmp/out.json')); print(d.get('fit_seconds', d.get('seconds')), d['inertia'], open('$tmp/rss').read().split()[-1])" >> "$tmp/$name.txt"
}
for sd in 2 5; do
  f="$tmp/blobs_sd$sd.csv"
  for _ in $(seq "$rounds"); do
    run "cartera_sd$sd" "$bin" kmeans "$f" --columns "$cols" --k 8 --n-init 10 --seed 0 --json -
    run "sklearn_lloyd_sd$sd" python3 scripts/peers.py kmeans "$f" 8 10 0 lloyd
    run "sklearn_elkan_sd$sd" python3 scripts/peers.py kmeans "$f" 8 10 0 elkan
    run "linfa_sd$sd" "$linfa" kmeans "$f" 8 10 0
  done
done

python3 - "$tmp" "$rounds" <<'PY'
import statistics, subprocess, sys, sklearn
tmp, rounds = sys.argv[1], sys.argv[2]
def load(name):
    rows = [l.split() for l in open(f"{tmp}/{name}.txt")]
    return statistics.median(float(r[0]) for r in rows), min(float(r[1]) for r in rows), max(int(r[2]) for r in rows) / 1024
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
PY
