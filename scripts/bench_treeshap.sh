#!/usr/bin/env bash
# TreeSHAP, cartera vs LightGBM pred_contrib and shap TreeExplainer, same models and rows,
# 2 threads, alternating A B A B; prints each side's medians.
#
# Usage: scripts/bench_treeshap.sh [ROUNDS]   (default 2 rounds of each side)
# The models (200-tree binary on 42 features, 4-class x 100 rounds on 20 features) and their
# 10,000 rows are made once by scripts/peers_treeshap.py in $CARTERA_TREESHAP_DIR.
# Each round runs, per case, cartera, then LightGBM, then shap, each in its own process, so
# that each gets its own peak RSS (/usr/bin/time's %M of the whole process, the largest over
# the rounds). cartera's process is the criterion bench binary (benches/treeshap.rs) filtered to
# the case's fast TreeSHAP: it loads both cases' models and rows and builds their explainers
# before filtering, so its figure covers that set-up too. Each peer's process is the Python
# interpreter with its imports (shap only in the shap run), the case's model and rows.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-${BENCH_ROUNDS:-2}}
export CARTERA_TREESHAP_DIR=${CARTERA_TREESHAP_DIR:-/tmp/cartera-treeshap}
export RAYON_NUM_THREADS=2 OMP_NUM_THREADS=2
target=${CARGO_TARGET_DIR:-target}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

python3 scripts/peers_treeshap.py --prepare-only
# The bench binary itself (not `cargo bench`, whose own memory /usr/bin/time would also count).
bench=$(cargo bench --bench treeshap --no-run -q --message-format=json | python3 -c '
import json, sys
for line in sys.stdin:
    d = json.loads(line)
    if d.get("reason") == "compiler-artifact" and d.get("executable") and d["target"]["name"] == "treeshap":
        print(d["executable"])')
[[ -x "$bench" ]] || { echo "bench_treeshap.sh: no treeshap bench executable found" >&2; exit 1; }

for i in $(seq "$rounds"); do
  for c in binary multiclass; do
    echo "== round $i, $c: cartera" >&2
    # criterion writes under $CARGO_TARGET_DIR/criterion (set so, as cargo would).
    CARGO_TARGET_DIR=$target /usr/bin/time -o "$out/rss" -f %M \
      "$bench" --bench "treeshap/fast/$c" >/dev/null 2>"$out/bench.err" \
      || { cat "$out/bench.err" >&2; exit 1; }
    tail -n 1 "$out/rss" >>"$out/cartera_rss_$c.txt"
    for f in "$target"/criterion/treeshap/fast_"$c"_*/new/estimates.json; do
      case_=$(basename "$(dirname "$(dirname "$f")")")
      python3 -c 'import json,sys; print(sys.argv[2], json.load(open(sys.argv[1]))["median"]["point_estimate"]/1e9)' \
        "$f" "$case_" >>"$out/cartera.txt"
    done
    for peer in lightgbm shap; do
      echo "== round $i, $c: $peer" >&2
      /usr/bin/time -o "$out/rss" -f %M \
        python3 scripts/peers_treeshap.py --repeats 1 --case "$c" --peer "$peer" >>"$out/peers.jsonl"
      tail -n 1 "$out/rss" >>"$out/${peer}_rss_$c.txt"
      echo >>"$out/peers.jsonl"
    done
  done
done

python3 - "$out" <<'EOF'
import json, statistics, sys, collections
d = sys.argv[1]
ours = collections.defaultdict(list)
for line in open(f"{d}/cartera.txt"):
    case, s = line.split()
    ours[case].append(float(s))
text = open(f"{d}/peers.jsonl").read()
dec, peers, i = json.JSONDecoder(), collections.defaultdict(list), 0
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    obj, i = dec.raw_decode(text, i)
    for case, res in obj["results"].items():
        for k, v in res.items():
            if k.endswith("_s"):
                peers[f"{case}/{k}"].append(v)
result = {"cartera_median_s": {k: statistics.median(v) for k, v in ours.items()},
          "peers_median_s": {k: statistics.median(v) for k, v in peers.items()}}
for case in ("binary", "multiclass"):
    fast = [v for k, v in result["cartera_median_s"].items() if k.startswith(f"fast_{case}")]
    if fast:
        for peer in ("lightgbm_pred_contrib_s", "shap_tree_explainer_s"):
            p = result["peers_median_s"].get(f"{case}/{peer}")
            if p:
                result.setdefault("speedup", {})[f"{case} vs {peer[:-2]}"] = round(p / fast[0], 1)
def rss(side, case):
    try:
        return max(int(l) for l in open(f"{d}/{side}_rss_{case}.txt")) / 1024
    except (OSError, ValueError):
        return None
print("2 threads on both sides; medians of alternating rounds; 10,000 rows per case; peak RSS of "
      "each side's own process per case, the largest over the rounds (cartera's: the criterion "
      "bench process, which also loads the other case's model)\n")
print("| case | cartera (Fast TreeSHAP v2) | LightGBM pred_contrib | shap TreeExplainer | LightGBM / cartera | shap / cartera "
      "| peak RSS cartera (max over rounds) | peak RSS LightGBM (max over rounds) | peak RSS shap (max over rounds) |")
print("|---|---|---|---|---|---|---|---|---|")
labels = {"binary": "binary, 200 trees, 31 leaves, 42 features", "multiclass": "4 classes x 100 rounds, 20 features"}
for case in ("binary", "multiclass"):
    fast = [v for k, v in result["cartera_median_s"].items() if k.startswith(f"fast_{case}")]
    lgb = result["peers_median_s"].get(f"{case}/lightgbm_pred_contrib_s")
    shp = result["peers_median_s"].get(f"{case}/shap_tree_explainer_s")
    if not fast:
        continue
    c = fast[0]
    cell = lambda v: f"{v:.2f} s" if v else "n/a"
    ratio = lambda v: f"{v / c:.1f}x" if v else "n/a"
    mib = lambda v: f"{v:.0f} MiB" if v else "n/a"
    print(f"| {labels[case]} | {c:.2f} s | {cell(lgb)} | {cell(shp)} | {ratio(lgb)} | {ratio(shp)} "
          f"| {mib(rss('cartera', case))} | {mib(rss('lightgbm', case))} | {mib(rss('shap', case))} |")
EOF
