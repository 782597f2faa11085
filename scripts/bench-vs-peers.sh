#!/usr/bin/env bash
# Every side-by-side benchmark in one command: builds release, measures the memory floor, runs
# every scripts/bench_*.sh (each prints a Markdown section: cartera and its peers alternately,
# A B A B, medians and ratios), and rewrites the section of docs/benchmarks.md between
# <!-- harness:begin --> and <!-- harness:end --> with the machine, versions, thread counts,
# date and every table. Nothing outside the markers is touched.
#
# Usage: scripts/bench-vs-peers.sh [--rounds N] [--timeout SECONDS] [--only a,b] [--no-write]
#                                  [--docs-only]
#   --rounds N      alternating rounds per task (exported as BENCH_ROUNDS; default 5)
#   --timeout S     per-script limit; a script that fails or times out is skipped with a note
#                   (default 3600)
#   --only a,b      run only bench_a.sh, bench_b.sh (the section then lists only those)
#   --no-write      print the section instead of writing docs/benchmarks.md
#   --docs-only     rewrite the section's explanations without running anything (the
#                   recorded "Latest run" tables are kept)
#
# Set-up on a fresh clone (Debian/Ubuntu):
#   curl https://sh.rustup.rs -sSf | sh -s -- -y     # Rust (see rust-version in Cargo.toml)
#   pip install -r scripts/requirements.txt          # the Python peers, pinned
# Threads: RAYON_NUM_THREADS, OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS are set
# to BENCH_THREADS (default 2) for both sides, so cartera and its peers use the same cores.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5 timeout_s=3600 only="" write=1 docs_only=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --no-write) write=0; shift ;;
    --docs-only) docs_only=1; shift ;;
    *) echo "usage: scripts/bench-vs-peers.sh [--rounds N] [--timeout S] [--only a,b] [--no-write] [--docs-only]" >&2; exit 2 ;;
  esac
done

threads=${BENCH_THREADS:-2}
export BENCH_ROUNDS=$rounds
export RAYON_NUM_THREADS=$threads OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads MKL_NUM_THREADS=$threads

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
section="$out/section.md"

# The explanations: kept here so that every rewrite of the section carries them.
cat > "$section" <<'MD'
<!-- harness:begin -->
## Every task side by side, and the regression guard

This section is written by `scripts/bench-vs-peers.sh`; edit the script, not the text.

### One command

```sh
pip install -r scripts/requirements.txt     # scikit-learn, LightGBM, shap, pandas, statsmodels (pinned)
scripts/bench-vs-peers.sh --rounds 5        # builds release, runs every scripts/bench_*.sh
```

The command builds cartera in release mode, measures the memory floor, then runs every
`scripts/bench_*.sh`. Each of those generates its data with `cartera generate` (fixed seeds),
times cartera (the `*_seconds` of the CLI's `--json`, which leave out CSV reading and writing,
or a release example that times the kernel alone) and the peer (`scripts/peers.py TASK`, which
dispatches to the per-crate `scripts/peers_<crate>.py` and times the same work on the same
file), alternating the two (A B A B …) for the given number of rounds, and prints a Markdown
table of medians. A script that fails or exceeds `--timeout` is skipped with a note; the others
still run. Both sides get the same threads (`RAYON_NUM_THREADS`, `OMP_NUM_THREADS`,
`OPENBLAS_NUM_THREADS`, `MKL_NUM_THREADS` = `BENCH_THREADS`, default 2).

### How to read the tables

* **ratio** = peer time / cartera time, written `3.2x`: cartera takes 1/3.2 of the peer's time.
  Below `1.0x` the peer is faster. Only ratios are comparable across machines; seconds are not.
* Times are **medians** over the alternating rounds, of the same work on the same file in the
  same run: a noisy machine slows both sides alike, but a ratio from a busy machine still carries
  more noise than one from a quiet machine (each table says how many rounds it used).
* **peak RSS** is the largest resident memory of the process doing the task, in MiB:
  `/usr/bin/time`'s `%M` of the whole process (the Python interpreter and its imports included
  for the peers; `scripts/peers.py`'s tasks use `getrusage` of the child), including the data
  read. Each table says whether it is the maximum over rounds and, where one process runs
  several tasks (scoring), that it is that process's peak.
* The **memory floor** is one read pass over a matrix of the same shape: no kernel that must
  see every value once can beat it, so a kernel's time divided by the floor says how many
  passes' worth of time it spends (`cargo bench --bench memory_floor`).

### The regression guard in CI

`scripts/guard.sh` runs a small, fixed set of ten kernels (`benches/guard.rs`: standard
scaling, PCA fit, CSV parsing, K-Means Lloyd fit and k-means++ seeding, exact silhouette,
logistic fit, GBDT training and prediction, TreeSHAP) on small fixed inputs under
valgrind, and compares each kernel's **instruction count** (callgrind's `Ir`) with the committed
`benches/guard_baseline.json`. Instruction counts do not move with the machine's load, so the
guard does not flap; it fails (exit 1) when one kernel's count grows by more than **5 %** (the
threshold is `THRESHOLD_PERCENT` in `benches/guard_check.rs`, nowhere else) or a baselined
kernel disappears, and prints a table (here from the documented experiment below, where the
scaling kernel was given a second, useless fit pass):

```text
| kernel | baseline Ir | current Ir | change | status (fails above +5%) |
|---|---:|---:|---:|---|
| kmeans::kmeans_lloyd_fit::blobs_2000x8_k5 | 4,914,157 | 4,914,209 | +0.00% | ok |
| preprocess::standard_scaler_fit_transform::blobs_2000x16 | 791,555 | 1,145,292 | +44.69% | REGRESSED |
```

`.ci/run` calls it after the tests, installing valgrind (`apt-get install -y valgrind`) and
the runner (`cargo install gungraun-runner --version 0.20.0 --locked`) when missing. A
downstream CI does the same:

```sh
sudo apt-get install -y valgrind
cargo install gungraun-runner --version 0.20.0 --locked
scripts/guard.sh                  # exit 0: no kernel grew more than 5 %; 1: one did (table printed)
```

When a change is *meant* to cost instructions (or saves some, which the table reports as
`improved`), refresh and commit the baseline with the change, so the review shows the new counts:

```sh
scripts/guard.sh --refresh && git add benches/guard_baseline.json
```

What instruction counts cannot see: branch mispredictions and memory latency. The GBDT
prediction rewrite of 2026-11-29 (rows walked through each tree in lock step, without
branches) executes 24 % *more* instructions on the guard's 2,000 x 10 input (7,401,621 →
9,172,936), because a branch-free walk does a little arithmetic where a branch used to guess,
and yet runs 2.3x faster on the benchmark data (mispredicted splits cost more than the extra
instructions). The guard failed on it, as it should on any such trade, and the baseline was
refreshed with the change. A faster kernel with more instructions is a judgement call the
wall-clock benchmarks must support.

Counts depend on the compiler, so the baseline records `rustc --version` and the guard says so
when the toolchain differs; refresh after a toolchain upgrade. Each kernel runs with one thread
on rayon's pool built on the benchmark's own thread, so that callgrind counts all the work and
the same work on every run. The last guard run on this machine took GUARD_SECONDS, build
included (budget: 5 minutes; callgrind itself needs about 15 s, the rest is the release build,
which `.ci/run` has already done in its `cargo bench --no-run` step).

#### Does it catch a regression? The experiment (2026-11-29, 2-core AMD EPYC VM)

* The comparison itself is tested at the start of every guard run (`guard_check self-test`, on
  synthetic counts): +5.0 % passes, +5.0001 % fails, a doubled count fails, -10 % is reported
  as improved and passes, a kernel missing from the run fails, a kernel new to the run passes.
* A deliberate slowdown, then reverted: in `benches/guard.rs` the scaling benchmark was given an
  extra `StandardScaler::fit` before its `fit_transform` (one more pass over the data), and the
  Lloyd benchmark a 10,000-iteration busy loop. `scripts/guard.sh` exited 1: scaling
  791,555 → 1,145,292 instructions (+44.69 %, `REGRESSED`), Lloyd 4,914,157 → 4,954,205
  (+0.81 %, `ok`: the loop's 40,000 instructions are under the bar, as they should be).
  After the revert the guard passed again with the baseline's counts.
* Repeatability: over repeated runs of the same binary the scaling, PCA and CSV counts were
  identical to the instruction; the two K-Means kernels moved by at most 90 instructions
  (0.002 %) over nine runs (the source of that wobble was not traced). Either way, three
  orders of magnitude under the 5 % bar.
* Why the thread pool is built on the benchmark's own thread: with rayon's default pool (one
  worker thread besides the benchmark's), callgrind attributed only 642,614 instructions to
  the Lloyd fit instead of 4,914,157 (87 % of the work ran on the worker, outside the measured
  call stack), and the CSV parse lost 16 %: a guard measured that way would miss most
  regressions in parallel code.
MD

if [[ $docs_only -eq 0 ]]; then
  cargo build --release -q -p cartera-cli
  # Machine and versions.
  cpu=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
  cores=$(nproc)
  mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
  rustc_v=$(rustc --version)
  py_v=$(python3 scripts/peers.py --versions 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(", ".join(f"{k} {v}" for k, v in d.items() if v))' || echo "Python peers not installed")
  {
    echo
    echo "### Latest run"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'); machine: $cpu, $cores cores, $mem; $rustc_v; $py_v;"
    echo "threads: $threads for both sides; $rounds alternating rounds per task."
  } >> "$section"

  # The memory floor (criterion), as GB/s.
  echo "==> memory floor" >&2
  if timeout "$timeout_s" cargo bench -q --bench memory_floor -- --warm-up-time 1 --measurement-time 3 > "$out/floor.txt" 2> "$out/floor.err"; then
    python3 - "$out/floor.txt" >> "$section" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
# criterion prints "<name>\n time: [lo mid hi]\n thrpt: [lo mid hi]" (throughput in GiB/s).
units = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}
print("\n#### Memory floor (one read pass, summing; `cargo bench --bench memory_floor`)\n")
print("| matrix | threads | time | GB/s |")
print("|---|---|---|---|")
for m in re.finditer(r"read_sum_f64_(\d+)x(\d+)_(\d+)_threads\s+time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", text):
    rows, cols, thr, t, unit = m.group(1), m.group(2), m.group(3), float(m.group(4)), m.group(5)
    sec = t * units.get(unit, float("nan"))
    gb = int(rows) * int(cols) * 8 / sec / 1e9
    print(f"| {int(rows):,} x {cols} f64 ({int(rows) * int(cols) * 8 / 1e6:.0f} MB) | {thr} | {sec * 1e3:.1f} ms | {gb:.1f} |")
PY
  else
    printf '\n#### Memory floor\n\nSkipped: `cargo bench --bench memory_floor` failed or timed out (%s s).\n' "$timeout_s" >> "$section"
  fi

  # Every bench_*.sh, each one a subsection.
  for script in scripts/bench_*.sh; do
    name=$(basename "$script" .sh); name=${name#bench_}
    if [[ -n "$only" && ",$only," != *",$name,"* ]]; then continue; fi
    echo "==> $script (rounds $rounds)" >&2
    printf '\n#### %s (`%s`)\n\n' "$name" "$script" >> "$section"
    started=$(date +%s)
    set +e
    timeout "$timeout_s" bash "$script" > "$out/$name.md" 2> "$out/$name.err"
    rc=$?
    set -e
    took=$(( $(date +%s) - started ))
    if [[ $rc -eq 0 && -s "$out/$name.md" ]]; then
      cat "$out/$name.md" >> "$section"
      printf '\n(%s s for this script.)\n' "$took" >> "$section"
    elif [[ $rc -eq 124 ]]; then
      printf 'Skipped: timed out after %s s.\n' "$timeout_s" >> "$section"
    else
      printf 'Skipped: the script failed (exit %s) after %s s; last error line: `%s`\n' \
        "$rc" "$took" "$(tail -n 1 "$out/$name.err" | tr -d '`' | cut -c1-200)" >> "$section"
    fi
  done
else
  # Keep the recorded run: only the explanations above are rewritten.
  python3 - docs/benchmarks.md >> "$section" <<'PY'
import sys
doc = open(sys.argv[1], encoding="utf-8").read()
start, end = doc.find("\n### Latest run"), doc.find("<!-- harness:end -->")
if 0 <= start < end:
    print(doc[start:end].rstrip("\n"))
else:
    print("\n### Latest run\n\nNot recorded here: run `scripts/bench-vs-peers.sh` on a quiet machine.")
PY
fi
echo "<!-- harness:end -->" >> "$section"

guard_seconds=$(sed -n 's/^guard: whole run \([0-9]*\) s$/\1/p' "${CARGO_TARGET_DIR:-target}/guard-last-run.txt" 2>/dev/null | tail -n 1 || true)
guard_text="a few minutes"; [[ -n "$guard_seconds" ]] && guard_text="$guard_seconds s"
sed -i "s/GUARD_SECONDS/$guard_text/" "$section"

if [[ $write -eq 0 ]]; then
  cat "$section"
  exit 0
fi
python3 - docs/benchmarks.md "$section" <<'PY'
import sys
doc_path, section_path = sys.argv[1], sys.argv[2]
doc = open(doc_path, encoding="utf-8").read()
section = open(section_path, encoding="utf-8").read().rstrip("\n")
begin, end = "<!-- harness:begin -->", "<!-- harness:end -->"
if doc.count(begin) != 1 or doc.count(end) != 1 or doc.index(begin) > doc.index(end):
    raise SystemExit(f"{doc_path}: expected one {begin} ... {end} pair")
head, rest = doc.split(begin, 1)
_, tail = rest.split(end, 1)
open(doc_path, "w", encoding="utf-8").write(head + section + tail)
PY
echo "bench-vs-peers: rewrote the harness section of docs/benchmarks.md" >&2
