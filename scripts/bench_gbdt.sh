#!/usr/bin/env bash
# cartera-gbdt vs LightGBM vs scikit-learn HistGradientBoosting on 371,589 x 42 (make_classification
# style, seed 4): fit on the first 80 % (297,271 rows, 200 rounds, 31 leaves, lr 0.1, 255 bins),
# predict_proba on the remaining 74,318 rows. Runs the tools alternately (A B C A B C ...), 2
# threads each; every run goes to stderr as a JSON line, the medians to stdout as Markdown.
# With QUANTIZED=1 (the default) each round also runs cartera and LightGBM with quantized
# gradients (4 bins, stochastic rounding, leaves renewed); QUANTIZED=0 skips them.
# Usage: scripts/bench_gbdt.sh [REPEATS=3] [ROUNDS=200]
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-${BENCH_ROUNDS:-3}}
rounds=${2:-200}
export RAYON_NUM_THREADS=2 OMP_NUM_THREADS=2
target=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p cartera-gbdt --examples
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$target/release/examples/gbdt_fixture_data" classification 371589 4 > "$tmp/data.csv"
runs="$tmp/runs.jsonl"
for i in $(seq "$repeats"); do
  /usr/bin/time -f '%M' -o "$tmp/rss" "$target/release/examples/gbdt_timing" "$tmp/data.csv" "$rounds" \
    | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); d["peak_rss_mb"]=round(int(open(sys.argv[1]).read().split()[-1])/1024,1); print(json.dumps(d))' "$tmp/rss" \
    | tee -a "$runs" >&2
  python3 scripts/peers_gbdt.py "$tmp/data.csv" lightgbm "$rounds" | tee -a "$runs" >&2
  python3 scripts/peers_gbdt.py "$tmp/data.csv" sklearn "$rounds" | tee -a "$runs" >&2
  if [ "${QUANTIZED:-1}" = 1 ]; then
    /usr/bin/time -f '%M' -o "$tmp/rss" "$target/release/examples/gbdt_timing" "$tmp/data.csv" "$rounds" renew \
      | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); d["peak_rss_mb"]=round(int(open(sys.argv[1]).read().split()[-1])/1024,1); print(json.dumps(d))' "$tmp/rss" \
      | tee -a "$runs" >&2
    python3 scripts/peers_gbdt.py "$tmp/data.csv" lightgbm_quant "$rounds" | tee -a "$runs" >&2
  fi
done
python3 - "$runs" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
med = {}
for tool in dict.fromkeys(r["tool"] for r in runs):
    rs = [r for r in runs if r["tool"] == tool]
    med[tool] = {k: statistics.median(r[k] for r in rs) for k in ("fit_seconds", "predict_seconds", "auc", "log_loss", "peak_rss_mb") if k in rs[0]}
c, l = med.get("cartera"), med.get("lightgbm")
out = {"medians": med}
if c and l:
    out["fit_ratio_vs_lightgbm"] = round(c["fit_seconds"] / l["fit_seconds"], 3)
    out["predict_speedup_vs_lightgbm"] = round(l["predict_seconds"] / c["predict_seconds"], 2)
    out["rss_ratio_vs_lightgbm"] = round(c["peak_rss_mb"] / l["peak_rss_mb"], 2)
if c and "sklearn_hgb" in med:
    out["fit_speedup_vs_sklearn"] = round(med["sklearn_hgb"]["fit_seconds"] / c["fit_seconds"], 2)
cq, lq = med.get("cartera_quant"), med.get("lightgbm_quant")
if cq and lq:
    out["quantized_fit_ratio_vs_lightgbm_quantized"] = round(cq["fit_seconds"] / lq["fit_seconds"], 3)
if cq and "sklearn_hgb" in med:
    out["quantized_fit_speedup_vs_sklearn"] = round(med["sklearn_hgb"]["fit_seconds"] / cq["fit_seconds"], 2)
names = {"cartera": "cartera", "lightgbm": "LightGBM", "sklearn_hgb": "scikit-learn HistGradientBoosting",
         "cartera_quant": "cartera, quantized gradients (`--quantized-grad`)",
         "lightgbm_quant": "LightGBM, quantized gradients (use_quantized_grad, renew leaves)"}
print(f"371,589 x 42 (make_classification style): fit on 297,271 rows, {len(runs) // max(len(med), 1)} alternating rounds, medians; 2 threads each\n")
print("| tool | fit | predict 74,318 rows | validation AUC | validation log-loss | peak RSS | fit: tool / cartera | predict: tool / cartera |")
print("|---|---|---|---|---|---|---|---|")
for tool, m in med.items():
    fr = f"{m['fit_seconds'] / c['fit_seconds']:.2f}x" if c else "n/a"
    pr = f"{m['predict_seconds'] / c['predict_seconds']:.2f}x" if c else "n/a"
    print(f"| {names.get(tool, tool)} | {m['fit_seconds']:.2f} s | {m['predict_seconds']:.3f} s | {m['auc']:.6f} | {m['log_loss']:.6f} | {m['peak_rss_mb']:.0f} MB | {fr} | {pr} |")
print()
print("JSON: " + json.dumps(out))
PY
