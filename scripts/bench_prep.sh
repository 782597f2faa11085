#!/usr/bin/env bash
# Preprocessing speed: cartera vs scikit-learn / pandas on the same files, same machine, same run,
# alternating A B A B; medians and ratios as a Markdown table for docs/benchmarks.md.
#
# Usage: scripts/bench_prep.sh [ROUNDS]     (default: $BENCH_ROUNDS, else 7)
# Needs: pip install -r scripts/requirements.txt. Peers run through scripts/peers.py. Peak RSS:
# /usr/bin/time's %M for cartera, the peer child's getrusage; the largest over the rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-${BENCH_ROUNDS:-7}}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cargo build --release -q -p cartera-cli
cargo build --release -q -p cartera --example kernel_timings
bin=${CARGO_TARGET_DIR:-target}/release/cartera
ex=${CARGO_TARGET_DIR:-target}/release/examples/kernel_timings
"$bin" generate blobs --rows 371589 --features 42 --centers 5 --seed 1 --out "$tmp/blobs.csv" 2>/dev/null
"$bin" generate telco --rows 371589 --seed 7 --out "$tmp/telco.csv" 2>/dev/null

seconds() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['$2'])" "$1"; }
max() { echo $(( $1 > $2 ? $1 : $2 )); }
# Runs a cartera command under /usr/bin/time; its peak RSS (KiB) lands in $tmp/rss.
measured() { /usr/bin/time -o "$tmp/rss" -f %M "$@"; }
declare -A ours theirs ours_rss theirs_rss
for task in scale pca prep; do ours[$task]=""; theirs[$task]=""; ours_rss[$task]=0; theirs_rss[$task]=0; done
for _ in $(seq "$rounds"); do
  for task in scale pca; do
    measured "$ex" "$task" "$tmp/blobs.csv" > "$tmp/o.json"
    ours[$task]+=" $(seconds "$tmp/o.json" seconds)"
    ours_rss[$task]=$(max "${ours_rss[$task]}" "$(tail -n 1 "$tmp/rss")")
    python3 scripts/peers.py "$task" "$tmp/blobs.csv" > "$tmp/p.json"
    theirs[$task]+=" $(seconds "$tmp/p.json" seconds)"
    theirs_rss[$task]=$(max "${theirs_rss[$task]}" "$(seconds "$tmp/p.json" peak_rss_kib)")
  done
  measured "$bin" prep "$tmp/telco.csv" --out "$tmp/prepped.csv" --drop-duplicates \
    --sentinel DIAS_FRECUENCIA_RECARGA=9999 --drop-id-columns --impute mean --outliers drop \
    --scale minmax --one-hot --json "$tmp/o.json" 2>/dev/null
  ours[prep]+=" $(seconds "$tmp/o.json" prep_seconds)"
  ours_rss[prep]=$(max "${ours_rss[prep]}" "$(tail -n 1 "$tmp/rss")")
  python3 scripts/peers.py prep "$tmp/telco.csv" > "$tmp/p.json"
  theirs[prep]+=" $(seconds "$tmp/p.json" seconds)"
  theirs_rss[prep]=$(max "${theirs_rss[prep]}" "$(seconds "$tmp/p.json" peak_rss_kib)")
done

python3 - "${ours[scale]}" "${theirs[scale]}" "${ours[pca]}" "${theirs[pca]}" "${ours[prep]}" "${theirs[prep]}" "$rounds" \
  "${ours_rss[scale]} ${theirs_rss[scale]} ${ours_rss[pca]} ${theirs_rss[pca]} ${ours_rss[prep]} ${theirs_rss[prep]}" <<'PY'
import platform, statistics, subprocess, sys
import numpy as np, pandas as pd, sklearn
v = [[float(x) for x in a.split()] for a in sys.argv[1:7]]
rounds = sys.argv[7]
rss = [int(x) / 1024 for x in sys.argv[8].split()]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
print(f"Machine: {cpu}, 2 cores; {rustc}; scikit-learn {sklearn.__version__}, pandas {pd.__version__}, numpy {np.__version__} (OpenBLAS); {rounds} alternating rounds, medians\n")
print("| task | data | cartera | peer | ratio (peer / cartera) | peak RSS cartera | peak RSS peer |")
print("|---|---|---|---|---|---|---|")
rows = [
    ("standard scaling, fit + transform (`StandardScaler`)", "371,589 x 42 f64"),
    ("PCA to 10 components, fit + transform (`PCA(n_components=10)`)", "371,589 x 42 f64"),
    ("whole prep of the telco table (pandas + scikit-learn script)", "generated telco 371,589 x 42"),
]
for i, (task, data) in enumerate(rows):
    a, b = statistics.median(v[2 * i]), statistics.median(v[2 * i + 1])
    print(f"| {task} | {data} | {a:.3f} s | {b:.3f} s | {b / a:.1f}x | {rss[2 * i]:.0f} MiB | {rss[2 * i + 1]:.0f} MiB |")
PY
