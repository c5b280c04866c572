#!/usr/bin/env bash
# Rewrites the README's scenario reference (between the keys markers) from `edgetrain keys`, so
# the table is always what the program validates against. Run after changing the schema:
#   tools/update-readme-keys.sh [build/edgetrain]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/edgetrain}
table=$(mktemp)
trap 'rm -f "$table" README.md.new' EXIT
"$bin" keys > "$table"
awk -v table="$table" '
  /<!-- keys:begin -->/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
  /<!-- keys:end -->/ { skip = 0 }
  !skip { print }
' README.md > README.md.new
mv README.md.new README.md
