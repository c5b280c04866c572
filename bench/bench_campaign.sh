#!/usr/bin/env bash
# The campaign runner's parallel speed-up: a 40-run campaign (5 policies x 8 seeds on the
# quickstart platform, surrogate, no early stop) with --jobs 1, then --jobs N, into fresh folders,
# for short runs (40 rounds) and longer ones (200 rounds); prints wall times and their ratio and
# checks the merged tables agree. Each process spends about 0.14 s starting: Debian's SimGrid is
# linked with ns-3, whose static initialisers run in every process, page-fault heavy, and page
# faults scale poorly on this VM, so short runs gain less.
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
"training.max_rounds" = ROUNDS
"training.stop_at_target" = false
[[axis]]
key = "policy.name"
values = ["fedavg", "random", "greedy", "fastest-first", "pact"]
TOML
t() { local s e; s=$(date +%s.%N); "$bin" campaign "$work/$1.toml" -o "$work/$1-j$2" -j "$2" --no-progress >/dev/null 2>&1; e=$(date +%s.%N); awk "BEGIN{print $e - $s}"; }
printf 'campaign of 40 runs on %s cores\n' "$(nproc)"
for rounds in 40 200; do
  sed "s/ROUNDS/$rounds/" "$work/c.toml" >"$work/r$rounds.toml"
  one=$(t "r$rounds" 1)
  many=$(t "r$rounds" "$jobs")
  cmp -s "$work/r$rounds-j1/runs.csv" "$work/r$rounds-j$jobs/runs.csv" && same=yes || same=NO
  printf '%s rounds a run:\n  --jobs 1: %6.2f s\n  --jobs %s: %6.2f s\n  speed-up: %.2fx (target: 1.8x at --jobs 2)\n  runs.csv identical: %s\n' \
    "$rounds" "$one" "$jobs" "$many" "$(awk "BEGIN{print $one / $many}")" "$same"
done
