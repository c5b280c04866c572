#!/usr/bin/env bash
# The campaign runner's parallel speed-up: one 40-run campaign (5 policies x 8 seeds on the
# quickstart platform, surrogate, 40 rounds each, no early stop) with --jobs 1, then --jobs 2,
# into fresh folders; prints both wall times and their ratio, and checks the merged tables agree.
#   bench/bench_campaign.sh [build/edgetrain] [JOBS=2]
set -euo pipefail
bin=$(realpath "${1:-build/edgetrain}")
jobs=${2:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/c.toml" <<TOML
[campaign]
name = "bench"
scenario = "$root/configs/quickstart.toml"
seeds = [1, 2, 3, 4, 5, 6, 7, 8]
[campaign.set]
"learning.process" = "surrogate"
"training.max_rounds" = 40
"training.stop_at_target" = false
[[axis]]
key = "policy.name"
values = ["fedavg", "random", "greedy", "fastest-first", "pact"]
TOML
t() { local s e; s=$(date +%s.%N); "$bin" campaign "$work/c.toml" -o "$work/$1" -j "$2" --no-progress >/dev/null 2>&1; e=$(date +%s.%N); awk "BEGIN{print $e - $s}"; }
one=$(t j1 1)
many=$(t "j$jobs" "$jobs")
cmp -s "$work/j1/runs.csv" "$work/j$jobs/runs.csv" && same=yes || same=NO
printf 'campaign of 40 runs on %s cores\n' "$(nproc)"
printf '  --jobs 1: %6.2f s\n  --jobs %s: %6.2f s\n  speed-up: %.2fx (target: 1.8x at --jobs 2)\n  runs.csv identical: %s\n' \
  "$one" "$jobs" "$many" "$(awk "BEGIN{print $one / $many}")" "$same"
