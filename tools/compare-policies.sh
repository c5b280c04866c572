#!/usr/bin/env bash
# Runs one scenario under several policies (and seeds) and prints a Markdown table of what each
# reached: rounds, time and energy to the target. Campaigns (issue 7) will do this properly; this
# is the small version the PACT docs' tables come from.
#   tools/compare-policies.sh SCENARIO.toml "pact fedavg greedy" [SEEDS] [--set k=v ...]
set -euo pipefail
bin=${EDGETRAIN:-build/edgetrain}
scenario=$1 policies=$2 seeds=${3:-1}
shift 3 || shift $#
sets=("$@")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
field() { sed -n "s/^  \"$2\": \(.*\),\?$/\1/p" "$1" | tr -d ',"'; }
echo "| policy | seed | reached | rounds | time to target (s) | energy to target (J) | energy total (J) |"
echo "|---|---|---|---|---|---|---|"
for p in $policies; do
  for s in $seeds; do
    dir="$out/$p-$s"
    if ! "$bin" run "$scenario" --out "$dir" --no-progress --seed "$s" --set "policy.name=$p" "${sets[@]}" \
      >/dev/null 2>"$out/err"; then
      echo "| $p | $s | $(grep -m1 "^error" "$out/err" || tail -1 "$out/err") | | | | |"
      continue
    fi
    j="$dir/summary.json"
    printf '| %s | %s | %s | %s | %.2f | %.1f | %.1f |\n' "$p" "$s" "$(field "$j" reached_target)" \
      "$(field "$j" rounds)" "$(field "$j" time_to_target_s | sed 's/null/nan/')" \
      "$(field "$j" energy_to_target_j | sed 's/null/nan/')" "$(field "$j" energy_j)"
  done
done
