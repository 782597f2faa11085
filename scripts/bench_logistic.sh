#!/usr/bin/env bash
# Logistic regression speed: cartera vs scikit-learn (lbfgs) vs linfa-logistic on the same CSV,
# same machine, same run, alternating (A B A B), 2 threads; medians and ratios as Markdown.
#
# Usage: scripts/bench_logistic.sh [ROUNDS]     (default: $BENCH_ROUNDS, else 3)
# Needs: pip install -r scripts/requirements.txt; builds peers/linfa (outside the workspace).
#
# Data: `cartera generate classification --rows 371589 --features 42 --seed 0` (as
# make_classification), binary, C = 1. Each side reports its objective in scikit-learn >= 1.8's
# scale, (1/n) sum log-loss + ||w||^2 / (2 C n); the table shows whether cartera's objective is
# at or below scikit-learn's within 1e-8 relative ("same objective value"), for two tolerances.
# Fit and predict_proba times are the best of 3 inside each process (CSV reading excluded);
# the table gives the median over rounds. Peak RSS: /usr/bin/time's %M of each whole process
# (one process per row and round: CSV read, the 3 fits and 3 predict_proba; for the peer also
# the Python interpreter and its imports), the largest over the rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-${BENCH_ROUNDS:-3}}
export RAYON_NUM_THREADS=2 OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
target=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p cartera-cli
cargo build --release -q -p cartera-logistic --example logistic_timing
# peers/linfa keeps its own target dir (its binary path below), whatever CARGO_TARGET_DIR says.
(cd peers/linfa && env -u CARGO_TARGET_DIR cargo build --release -q --bin logistic)
bin=$target/release/cartera
timing=$target/release/examples/logistic_timing
linfa=peers/linfa/target/release/logistic
data=$tmp/classification_371589x42.csv
"$bin" generate classification --rows 371589 --features 42 --seed 0 --out "$data" 2>/dev/null
n=371589

# name command... -> appends the command's JSON line to $tmp/name.jsonl and its peak RSS (KiB)
# to $tmp/name.rss.
run() {
  local name=$1; shift
  /usr/bin/time -o "$tmp/rss" -f %M "$@" >> "$tmp/$name.jsonl"
  tail -n 1 "$tmp/rss" >> "$tmp/$name.rss"
}
for _ in $(seq "$rounds"); do
  for tol in 1e-4 1e-6; do
    run "cartera_f64_$tol" "$timing" "$data" 1 "$tol" f64 3
    run "sklearn_$tol" python3 scripts/peers_logistic.py "$data" 1 "$tol" 3
    run "cartera_f32_$tol" "$timing" "$data" 1 "$tol" f32 3
  done
  # linfa's tolerance is on the gradient of the summed loss: scale ours by n.
  run linfa "$linfa" "$data" 1 "$(python3 -c "print($n * 1e-4)")"
done

python3 - "$tmp" "$rounds" <<'PY'
import json, statistics, subprocess, sys, sklearn
tmp, rounds = sys.argv[1], sys.argv[2]
def load(name):
    rows = [json.loads(l) for l in open(f"{tmp}/{name}.jsonl")]
    med = lambda k: statistics.median(r[k] for r in rows)
    rss = max(int(l) for l in open(f"{tmp}/{name}.rss")) / 1024
    return med("fit_seconds"), med("predict_proba_seconds"), rows[-1], rss
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
print(f"2 threads (RAYON_NUM_THREADS=OMP_NUM_THREADS=2); {rustc}; scikit-learn {sklearn.__version__}; linfa-logistic 0.8; "
      f"{rounds} alternating rounds, medians of best-of-3 (CSV reading excluded)\n")
print("| 371,589 x 42, C = 1 | tol | fit | predict_proba | objective | n_iter | fit: sklearn / this | predict: sklearn / this | peak RSS, whole process (max over rounds) |")
print("|---|---|---|---|---|---|---|---|---|")
for tol in ("1e-4", "1e-6"):
    sf, sp, sr, sm = load(f"sklearn_{tol}")
    print(f"| scikit-learn lbfgs | {tol} | {sf:.3f} s | {sp:.4f} s | {sr['objective']:.12f} | {sr['n_iter']} | 1.0x | 1.0x | {sm:.0f} MiB |")
    for dt in ("f64", "f32"):
        cf, cp, cr, cm = load(f"cartera_{dt}_{tol}")
        rel = (cr["objective"] - sr["objective"]) / sr["objective"]
        same = "at or below" if rel <= 1e-8 else "ABOVE"
        print(f"| cartera {dt} | {tol} | {cf:.3f} s | {cp:.4f} s | {cr['objective']:.12f} ({same} sklearn's, {rel:+.1e}) | {cr['n_iter']} ({cr['n_evals']} evals) | {sf / cf:.1f}x | {sp / cp:.1f}x | {cm:.0f} MiB |")
lf, lp, lr, lm = load("linfa")
cf, cp, cr, _ = load("cartera_f64_1e-4")
print(f"| linfa-logistic | n x 1e-4 (sum scale) | {lf:.3f} s | {lp:.4f} s | {lr['objective']:.12f} | | linfa / cartera f64: {lf / cf:.1f}x | {lp / cp:.1f}x | {lm:.0f} MiB |")
PY
