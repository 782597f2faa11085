#!/usr/bin/env bash
# CSV read time and memory: cartera vs pandas.read_csv on the same generated telco file,
# same machine, same run, alternating A B A B. Prints a Markdown table for docs/benchmarks.md.
#
# Usage: scripts/bench_csv_read.sh [ROWS] [ROUNDS]   (defaults: 371589 rows, $BENCH_ROUNDS or 7)
# Needs: pip install -r scripts/requirements.txt
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-371589}
rounds=${2:-${BENCH_ROUNDS:-7}}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cargo build --release -q -p cartera-cli
bin=${CARGO_TARGET_DIR:-target}/release/cartera
"$bin" generate telco --rows "$rows" --seed 7 --out "$tmp/telco.csv" 2>/dev/null
size=$(stat -c %s "$tmp/telco.csv")

ours=(); theirs=()
for _ in $(seq "$rounds"); do
  "$bin" describe "$tmp/telco.csv" --json "$tmp/d.json" >/dev/null
  ours+=("$(python3 -c "import json;print(json.load(open('$tmp/d.json'))['read_seconds'])")")
  python3 scripts/peers.py csv_read "$tmp/telco.csv" > "$tmp/p.json"
  theirs+=("$(python3 -c "import json;print(json.load(open('$tmp/p.json'))['seconds'])")")
done

peak_kib() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1; }
cartera_rss=$(peak_kib "$bin" describe "$tmp/telco.csv")
pandas_rss=$(peak_kib python3 scripts/peers.py csv_read "$tmp/telco.csv")
table_bytes=$(python3 -c "import json;print(json.load(open('$tmp/d.json'))['table_bytes'])")

python3 - "$rows" "$size" "$table_bytes" "$cartera_rss" "$pandas_rss" "${ours[*]}" "${theirs[*]}" <<'PY'
import platform, statistics, subprocess, sys
import pandas as pd
rows, size, table_bytes, c_rss, p_rss = map(int, sys.argv[1:6])
ours = [float(x) for x in sys.argv[6].split()]
theirs = [float(x) for x in sys.argv[7].split()]
mo, mt = statistics.median(ours), statistics.median(theirs)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
numeric_payload = rows * 42 * 8
print(f"Machine: {cpu}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores; {rustc}; pandas {pd.__version__}")
print(f"File: generated telco, {rows:,} rows x 42 columns, {size/1e6:.1f} MB; {len(ours)} alternating rounds, medians\n")
print("| task | cartera | pandas | ratio (pandas / cartera) |")
print("|---|---|---|---|")
print(f"| read CSV (`Table::read_csv` vs `pd.read_csv`) | {mo:.3f} s | {mt:.3f} s | {mt/mo:.1f}x |")
print(f"| peak RSS of the process (read; cartera also describes) | {c_rss/1024:.0f} MiB | {p_rss/1024:.0f} MiB | {p_rss/c_rss:.1f}x |")
print(f"\nTable in memory: {table_bytes/2**20:.0f} MiB = {table_bytes/numeric_payload:.2f}x the numeric payload "
      f"({rows:,} x 42 x 8 bytes = {numeric_payload/2**20:.0f} MiB).")
print(f"cartera rounds: {' '.join(f'{x:.3f}' for x in ours)}; pandas rounds: {' '.join(f'{x:.3f}' for x in theirs)}")
PY
