#!/usr/bin/env bash
# The performance regression guard: instruction counts of a fixed set of kernels
# (benches/guard.rs) under valgrind, compared with the committed baseline
# benches/guard_baseline.json. Exits 1 when a kernel's count grows by more than the threshold
# (THRESHOLD_PERCENT in benches/guard_check.rs, the only place it is written) or a baselined
# kernel disappears, 2 on a set-up error, 0 otherwise. Prints the comparison as a Markdown table.
#
# Usage: scripts/guard.sh            compare with the baseline (what .ci/run does)
#        scripts/guard.sh --refresh  rewrite the baseline from this run (after a meant change;
#                                    commit benches/guard_baseline.json with the change)
#
# Needs valgrind and gungraun-runner of exactly the version pinned for the gungraun
# dev-dependency in Cargo.toml (.ci/run installs both when missing):
#   apt-get install -y valgrind
#   cargo install gungraun-runner --version 0.20.0 --locked
set -euo pipefail
cd "$(dirname "$0")/.."

# The runner must match the gungraun library exactly: read the pin from Cargo.toml.
runner_version=$(sed -n 's/^gungraun = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
if [[ -z "$runner_version" ]]; then
  echo "guard: no pinned \`gungraun = \"=x.y.z\"\` dev-dependency in Cargo.toml" >&2; exit 2
fi
baseline=benches/guard_baseline.json

mode=compare
case "${1:-}" in
  "") ;;
  --refresh) mode=refresh ;;
  *) echo "usage: scripts/guard.sh [--refresh]" >&2; exit 2 ;;
esac

if ! command -v valgrind >/dev/null; then
  echo "guard: valgrind is missing (apt-get install -y valgrind)" >&2; exit 2
fi
if ! command -v gungraun-runner >/dev/null; then
  echo "guard: gungraun-runner is missing (cargo install gungraun-runner --version $runner_version --locked)" >&2
  exit 2
fi
found=$(gungraun-runner --version | awk '{print $NF}')
if [[ "$found" != "$runner_version" ]]; then
  echo "guard: gungraun-runner $found found, $runner_version needed (cargo install gungraun-runner --version $runner_version --locked --force)" >&2
  exit 2
fi

# The toolchain is recorded in the baseline: a compiler upgrade alone can move counts.
export GUARD_RUSTC="$(rustc --version)"
export GUARD_VALGRIND="$(valgrind --version)"
export GUARD_GUNGRAUN="gungraun $runner_version"
# One thread: the counts must not depend on scheduling (benches/guard.rs also runs rayon's
# pool on the benchmark's own thread, so that callgrind sees all of the work).
export RAYON_NUM_THREADS=1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

start=$(date +%s)
# The comparison logic first, on synthetic counts: a guard that cannot fail is worse than none.
cargo bench -q --bench guard_check -- self-test
# gungraun prints one JSON summary per benchmark on stdout; its progress goes to stderr.
cargo bench -q --bench guard -- --output-format=json > "$tmp/summary.jsonl"
status=0
cargo bench -q --bench guard_check -- "$mode" "$baseline" "$tmp/summary.jsonl" || status=$?
# The duration is kept for docs/benchmarks.md (scripts/bench-vs-peers.sh quotes it).
echo "guard: whole run $(( $(date +%s) - start )) s" | tee "${CARGO_TARGET_DIR:-target}/guard-last-run.txt"
exit "$status"
