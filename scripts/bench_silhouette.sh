#!/usr/bin/env bash
# Cluster-quality scores: cartera vs scikit-learn on the same CSV files, same machine, same run,
# alternating (A B A B); medians and ratios as Markdown, plus the achieved distance evaluations
# per second and the peak memory of the exact silhouette on 100,000 x 20.
# Peak RSS: /usr/bin/time's %M of each whole process (the CSV read included, and for the
# peer the Python interpreter and its imports), the largest over the rounds.
#
# Usage: scripts/bench_silhouette.sh [ROUNDS]     (default: $BENCH_ROUNDS, else 3)
#   SKLEARN_100K=1 also runs scikit-learn's exact silhouette on 100,000 rows (10¹⁰ distances:
#   several minutes, longer than scripts/bench-vs-peers.sh's per-script limit) to measure its
#   peak memory; off by default.
# Needs: pip install -r scripts/requirements.txt. 2 threads on both sides.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-${BENCH_ROUNDS:-3}}
export RAYON_NUM_THREADS=2 OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo build --release -q -p cartera-cli
bin=${CARGO_TARGET_DIR:-target}/release/cartera

for n in 20000 100000 371589; do
  "$bin" generate blobs --rows "$n" --features 20 --centers 8 --seed 1 --out "$tmp/blobs_$n.csv" 2>/dev/null
done

# name key command... -> appends the JSON field `key` and the peak RSS (KiB) to $tmp/name.txt
run() {
  local name=$1 key=$2; shift 2
  /usr/bin/time -o "$tmp/rss" -f %M "$@" > "$tmp/out.json" 2>/dev/null
  python3 -c "import json; d=json.load(open('$tmp/out.json')); print(d['$key'], open('$tmp/rss').read().split()[-1])" >> "$tmp/$name.txt"
}
for _ in $(seq "$rounds"); do
  f="$tmp/blobs_20000.csv"; run cartera_exact silhouette_seconds "$bin" silhouette "$f" --labels "$f" --json -
  run sklearn_exact seconds python3 scripts/peers_silhouette.py exact "$tmp/blobs_20000.csv"
  f="$tmp/blobs_371589.csv"; run cartera_sampled silhouette_seconds "$bin" silhouette "$f" --labels "$f" --json - --sample-size 10000 --seed 0
  run sklearn_sampled seconds python3 scripts/peers_silhouette.py sampled "$tmp/blobs_371589.csv" 10000 0
  run cartera_chdb ch_db_seconds "$bin" silhouette "$f" --labels "$f" --json - --sample-size 1000 --seed 0
  run sklearn_chdb seconds python3 scripts/peers_silhouette.py chdb "$tmp/blobs_371589.csv"
done
f="$tmp/blobs_100000.csv"; run cartera_100k silhouette_seconds "$bin" silhouette "$f" --labels "$f" --json -
if [ -n "${SKLEARN_100K:-}" ]; then
  run sklearn_100k seconds python3 scripts/peers_silhouette.py samples "$tmp/blobs_100000.csv"
fi

python3 - "$tmp" "$rounds" <<'PY'
import os, statistics, subprocess, sys, sklearn
tmp, rounds = sys.argv[1], sys.argv[2]
def load(name):
    path = f"{tmp}/{name}.txt"
    if not os.path.exists(path):
        return None, None
    rows = [l.split() for l in open(path)]
    return statistics.median(float(r[0]) for r in rows), max(int(r[1]) for r in rows) / 1024
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
mhz = max(float(l.split(":")[1]) for l in open("/proc/cpuinfo") if l.startswith("cpu MHz"))
flags = open("/proc/cpuinfo").read()
# Peak f64 FMA rate of the 2 cores: 2 FMA pipes x 4 lanes (AVX2) per cycle, or 2 x 2 lanes of
# SSE2 multiply-add (what the default x86-64 target compiles to).
avx = " fma " in flags and " avx2 " in flags
fma_avx = 2 * 2 * 4 * mhz * 1e6
fma_sse = 2 * 2 * 2 * mhz * 1e6
print(f"2 cores at {mhz:.0f} MHz; {rustc}; scikit-learn {sklearn.__version__}; {rounds} alternating rounds, medians (CSV reading excluded)\n")
print("| score | data | cartera | scikit-learn | ratio | peak RSS cartera (max over rounds) | peak RSS scikit-learn (max over rounds) |")
print("|---|---|---|---|---|---|---|")
for name, what, data in [
    ("exact", "exact silhouette", "blobs 20,000 x 20, k = 8"),
    ("sampled", "silhouette, sample of 10,000", "blobs 371,589 x 20, k = 8"),
    ("chdb", "Calinski-Harabasz + Davies-Bouldin", "blobs 371,589 x 20, k = 8"),
]:
    c, cm = load(f"cartera_{name}")
    s, sm = load(f"sklearn_{name}")
    print(f"| {what} | {data} | {c:.3f} s | {s:.3f} s | {s / c:.1f}x | {cm:.0f} MiB | {sm:.0f} MiB |")
c, _ = load("cartera_exact")
pairs = 20000 * 20000  # ordered pairs, as scikit-learn evaluates them (cartera computes half)
print(f"\nExact 20,000 x 20: {pairs / c:.3e} distance evaluations/s (ordered pairs; each costs d = 20 multiply-adds): "
      f"{pairs * 20 / c / 1e9:.1f} G multiply-add/s equivalent, {100 * pairs * 20 / c / fma_sse:.0f}% of the 2 cores' SSE2 peak "
      f"({fma_sse / 1e9:.0f} G/s), {100 * pairs * 20 / c / fma_avx:.0f}% of the AVX2-FMA peak ({fma_avx / 1e9:.0f} G/s){'' if avx else ' (no AVX2/FMA on this CPU)'}.")
c, cm = load("cartera_100k")
s, sm = load("sklearn_100k")
line = f"Exact 100,000 x 20: cartera {c:.1f} s, peak RSS {cm:.0f} MiB (CSV table included)"
if s is not None:
    line += f"; scikit-learn `silhouette_samples` {s:.1f} s, peak RSS {sm:.0f} MiB"
print(line + ".")
PY
