#!/usr/bin/env bash
# The telco churn study end to end (study 004): `examples/telco_churn.rs` against the same
# pipeline in pandas + scikit-learn + LightGBM + shap (`scripts/study_telco_peers.py`), on the
# same generated table and the same train/validation split, run alternately (A B A B ...).
#
# Usage: scripts/bench_study.sh            (BENCH_ROUNDS rounds, default 2; ROWS default 371589)
# Both sides get 2 threads (RAYON_NUM_THREADS=2, OMP_NUM_THREADS=2, LightGBM n_jobs=2). Each
# side's total is clean-to-tiers, without producing the table (generating it in memory on the
# cartera side, reading the CSV on the peer side; both are printed). Prints a Markdown table of
# medians: total seconds each, the ratio peer/cartera, validation accuracy and AUC of each
# churn GBDT and their difference (the issue's bar: within 0.005), k and the adjusted Rand
# index of the segmentation against the generator's groups (bar: >= 0.8), and each side's peak
# RSS: /usr/bin/time's %M of the whole process (one process per side and round runs the whole
# study, so this is the study's peak: the table generated in memory on the cartera side, the CSV
# read plus the interpreter and its imports on the peer side), the largest over the rounds.
# Runs go to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${BENCH_ROUNDS:-2}
ROWS=${ROWS:-371589}
SEED=${SEED:-0}
export RAYON_NUM_THREADS=2 OMP_NUM_THREADS=2
TARGET=${CARGO_TARGET_DIR:-target}
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"

cargo build --release --example telco_churn >&2
EXAMPLE="$TARGET/release/examples/telco_churn"

# Warm-up run: writes the table and the split the peer reads (not timed in the results);
# skipped when WORK already holds them from an earlier run with the same ROWS and SEED.
if [ ! -f "$WORK/cartera/telco.csv" ] || [ ! -f "$WORK/cartera/split.csv" ]; then
  "$EXAMPLE" --rows "$ROWS" --seed "$SEED" --out "$WORK/cartera" --write-table >&2
fi

for r in $(seq 1 "$ROUNDS"); do
  echo "round $r: cartera" >&2
  /usr/bin/time -o "$WORK/cartera_$r.rss" -f %M \
    "$EXAMPLE" --rows "$ROWS" --seed "$SEED" --out "$WORK/cartera" >&2
  cp "$WORK/cartera/summary.json" "$WORK/cartera_$r.json"
  echo "round $r: peers" >&2
  /usr/bin/time -o "$WORK/peer_$r.rss" -f %M \
    python3 scripts/study_telco_peers.py "$WORK/cartera/telco.csv" "$WORK/cartera/split.csv" \
    --threads 2 > "$WORK/peer_$r.json"
  cat "$WORK/peer_$r.json" >&2
done

python3 - "$WORK" "$ROUNDS" <<'EOF'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
c = [json.load(open(f"{work}/cartera_{r}.json")) for r in range(1, rounds + 1)]
p = [json.load(open(f"{work}/peer_{r}.json")) for r in range(1, rounds + 1)]
ct = statistics.median(x["total_seconds"] for x in c)
pt = statistics.median(x["total_seconds"] for x in p)
cg = statistics.median(x["stages"]["generate"] for x in c)
pr = statistics.median(x["stages"]["read"] for x in p)
# Peak RSS in MiB: the last line of each /usr/bin/time -f %M file (KiB), the largest over rounds.
rss = lambda side: max(int(open(f"{work}/{side}_{r}.rss").read().split()[-1]) for r in range(1, rounds + 1)) / 1024
cm, pm = rss("cartera"), rss("peer")
c0, p0 = c[0], p[0]
auc_c, auc_p = c0["gbdt"]["auc"], p0["lightgbm"]["auc"]
print(f"Telco churn study end to end, {c0['rows']:,} rows, 2 threads, median of {rounds} rounds (A B alternating)\n")
print("| | cartera (examples/telco_churn.rs) | pandas + scikit-learn + LightGBM + shap |")
print("|---|---|---|")
print(f"| total, clean to tiers (s) | {ct:.2f} | {pt:.2f} |")
print(f"| ratio peer / cartera | {pt / ct:.2f}x | |")
print(f"| table in (not in total, s) | generate {cg:.2f} | read_csv {pr:.2f} |")
print(f"| peak RSS, whole study process (MiB, max over rounds) | {cm:.0f} | {pm:.0f} |")
stages = [s for s in c0["stages"] if s != "generate"]
for s in stages:
    cs = statistics.median(x["stages"][s] for x in c)
    ps = statistics.median(x["stages"].get(s, float("nan")) for x in p)
    print(f"| {s} (s) | {cs:.2f} | {ps:.2f} |")
print(f"| k at the knee | {c0['k']} | {p0['k']} |")
print(f"| adjusted Rand index vs generator groups | {c0['adjusted_rand_index']:.3f} | |")
print(f"| churn GBDT validation accuracy | {c0['gbdt']['accuracy']:.4f} | {p0['lightgbm']['accuracy']:.4f} |")
print(f"| churn GBDT validation AUC | {auc_c:.4f} | {auc_p:.4f} |")
print(f"| AUC difference (cartera - LightGBM; bar within 0.005) | {auc_c - auc_p:+.4f} | |")
print(f"| logistic baseline AUC | {c0['logistic']['auc']:.4f} | {p0['logistic']['auc']:.4f} |")
EOF
