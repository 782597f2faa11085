#!/usr/bin/env bash
# Scoring tables speed: cartera-scoring vs the pandas groupby equivalents
# (scripts/peers_scoring.py) on the same 371,589-row CSV, grouped by a 4-level and a
# 500-level column; alternating rounds (A B A B), 2 threads each, medians as Markdown.
#
# Usage: scripts/bench_scoring.sh [ROUNDS]       (default: $BENCH_ROUNDS, else 5)
# Each round runs every operation 5 times per side and reports its median; the table gives the
# median over rounds. Reading the CSV is not timed on either side (cartera generates the same
# rows in memory; pandas reads the CSV cartera wrote).
# Peak RSS: /usr/bin/time's %M of each side's whole process, the largest over the rounds. Each
# side computes all eight tables in one process, so the figure is the peak of that process (the
# 371,589-row table in memory, every table 5 times; for pandas also the interpreter, its imports
# and read_csv), the same on every row: not a per-table figure.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-${BENCH_ROUNDS:-5}}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export RAYON_NUM_THREADS=2 OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2
cargo build --release -q -p cartera-scoring --example scoring_timing
bin=${CARGO_TARGET_DIR:-target}/release/examples/scoring_timing
"$bin" "$tmp/scored.csv" 1 > /dev/null

# name command... -> appends the command's JSON line to $tmp/name.jsonl and its peak RSS (KiB)
# to $tmp/name.rss.
run() {
  local name=$1; shift
  /usr/bin/time -o "$tmp/rss" -f %M "$@" >> "$tmp/$name.jsonl"
  tail -n 1 "$tmp/rss" >> "$tmp/$name.rss"
}
for _ in $(seq "$rounds"); do
  run cartera "$bin" "" 5
  run pandas python3 scripts/peers_scoring.py "$tmp/scored.csv" 5
done

python3 - "$tmp" "$rounds" <<'PY'
import json, statistics, subprocess, sys
tmp, rounds = sys.argv[1], sys.argv[2]
def load(name):
    rows = [json.loads(l) for l in open(f"{tmp}/{name}.jsonl")]
    rss = max(int(l) for l in open(f"{tmp}/{name}.rss")) / 1024
    return rows, {k: statistics.median(r[k] for r in rows) for k in rows[0] if k != "pandas"}, rss
_, c, cm = load("cartera")
prow, p, pm = load("pandas")
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
print(f"2 threads; {rustc}; pandas {prow[0]['pandas']}; {rounds} alternating rounds, medians\n")
print("| table | groups | cartera | pandas | pandas / cartera | peak RSS cartera (one process, all 8 tables; max over rounds) | peak RSS pandas (one process, all 8 tables; max over rounds) |")
print("|---|---|---|---|---|---|---|")
for op in ("gains", "bands", "tiers", "profile"):
    for g, levels in (("g4", 4), ("g500", 500)):
        k = f"{op}_{g}"
        print(f"| {op} (371,589 rows) | {levels} | {c[k] * 1e3:.1f} ms | {p[k] * 1e3:.1f} ms | {p[k] / c[k]:.1f}x | {cm:.0f} MiB | {pm:.0f} MiB |")
PY
