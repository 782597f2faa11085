#!/usr/bin/env bash
# Screenshot of a cartera HTML report with headless Chromium (docs/report.png).
#
#   scripts/report_screenshot.sh [REPORT.html] [OUT.png] [#HASH]
#
# REPORT.html defaults to out/report.html (as written by `cartera study telco --out out/`);
# OUT.png to docs/report.png; HASH to a look-up of the report's first customer, so the picture
# shows the look-up answered. Without a report at hand, write one with
#   cargo run --release -p cartera-cli -- study telco --out out/
# The viewport is 1280x1600; the PNG is checked to stay under 300 KB.
set -euo pipefail
cd "$(dirname "$0")/.."

report=${1:-out/report.html}
out=${2:-docs/report.png}
[[ -f "$report" ]] || { echo "error: no report at $report" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[[ -n "$browser" ]] || { echo "error: chromium is not installed (apt-get install chromium)" >&2; exit 1; }

if [[ $# -ge 3 ]]; then
  hash=$3
else
  # The first ID of the look-up block; plain characters only, so it needs no URL escaping.
  first_id=$(grep -o '"ids":\["[A-Za-z0-9_.-]*"' "$report" | head -n 1 | sed 's/.*\["//; s/"$//' || true)
  hash=${first_id:+#lookup=$first_id}
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
mkdir -p "$(dirname "$out")"
abs_report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
abs_out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
# A hung browser must not hang the script.
timeout 120 "$browser" --headless=new --no-sandbox --disable-gpu --no-first-run \
  --hide-scrollbars --user-data-dir="$profile" --window-size=1280,1600 \
  --screenshot="$abs_out" "file://$abs_report$hash" >/dev/null 2>&1

size=$(stat -c %s "$abs_out")
echo "wrote $out ($((size / 1024)) KB) from $report$hash"
if (( size > 300 * 1024 )); then
  echo "warning: $out is over 300 KB" >&2
fi
