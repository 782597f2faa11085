#!/usr/bin/env bash
# Scoring tables speed: cartera-scoring vs the pandas groupby equivalents
# (scripts/peers_scoring.py) on the same 371,589-row CSV, grouped by a 4-level and a
# 500-level column; alternating rounds (A B A B), 2 threads each, medians as Markdown.
#
# Usage: scripts/bench_scoring.sh [ROUNDS]       (default: $BENCH_ROUNDS, else 5)
# Each round runs every operation 5 times per side and reports its median; the table gives the
# median over rounds. Reading the CSV is not timed on either side (cartera generates the same
# rows in memory; pandas reads the CSV cartera wrote).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-${BENCH_ROUNDS:-5}}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export RAYON_NUM_THREADS=2 OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2
cargo build --release -q -p cartera-scoring --example scoring_timing
bin=${CARGO_TARGET_DIR:-target}/release/examples/scoring_timing
"$bin" "$tmp/scored.csv" 1 > /dev/null

for _ in $(seq "$rounds"); do
  "$bin" "" 5 >> "$tmp/cartera.jsonl"
  python3 scripts/peers_scoring.py "$tmp/scored.csv" 5 >> "$tmp/pandas.jsonl"
done

python3 - "$tmp" "$rounds" <<'PY'
import json, statistics, subprocess, sys
tmp, rounds = sys.argv[1], sys.argv[2]
def load(name):
    rows = [json.loads(l) for l in open(f"{tmp}/{name}.jsonl")]
    return rows, {k: statistics.median(r[k] for r in rows) for k in rows[0] if k != "pandas"}
_, c = load("cartera")
prow, p = load("pandas")
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
print(f"2 threads; {rustc}; pandas {prow[0]['pandas']}; {rounds} alternating rounds, medians\n")
print("| table | groups | cartera | pandas | pandas / cartera |")
print("|---|---|---|---|---|")
for op in ("gains", "bands", "tiers", "profile"):
    for g, levels in (("g4", 4), ("g500", 500)):
        k = f"{op}_{g}"
        print(f"| {op} (371,589 rows) | {levels} | {c[k] * 1e3:.1f} ms | {p[k] * 1e3:.1f} ms | {p[k] / c[k]:.1f}x |")
PY
