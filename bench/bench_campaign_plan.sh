#!/usr/bin/env bash
# What a large campaign costs before its first run: campaigns of 10^4, 10^5 and 10^6 runs over the
# quickstart scenario (three axes of 10 values and 10 to 1,000 seeds), each planned with --dry-run
# (every scenario loaded and checked, every pending command printed) into /dev/null: wall seconds,
# CPU seconds, peak memory, and microseconds a run. Then the 10^5-run campaign for real: seconds
# until its first run has started (plan.csv, commands.txt and pending.txt written first), after
# which it is stopped with SIGTERM.
#   bench/bench_campaign_plan.sh [build/edgetrain] [LARGEST=1000000]
set -euo pipefail
bin=$(realpath "${1:-build/edgetrain}")
largest=${2:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
campaign() { # $1: seeds
  cat <<TOML
[campaign]
scenario = "$root/configs/quickstart.toml"
seeds = [$(seq -s, 1 "$1")]
[[axis]]
key = "training.deadline_s"
values = [$(seq -s, 100 109)]
[[axis]]
key = "training.batch"
values = [$(seq -s, 10 19)]
[[axis]]
key = "training.local_steps"
values = [$(seq -s, 1 10)]
TOML
}
printf 'planning with --dry-run on %s cores (the program alone: %s MB)\n' "$(nproc)" \
  "$(/usr/bin/time -f %M "$bin" keys 2>&1 >/dev/null | awk '{printf "%.0f", $1 / 1024}')"
for seeds in 10 100 1000; do
  runs=$((seeds * 1000))
  [ "$runs" -le "$largest" ] || break
  campaign "$seeds" >"$work/c$seeds.toml"
  read -r wall cpu kb < <(/usr/bin/time -f '%e %U %S %M' "$bin" campaign "$work/c$seeds.toml" -o "$work/o$seeds" \
    --dry-run 2>&1 >/dev/null | awk '{print $1, $2 + $3, $4}')
  printf '  %8d runs: %7.2f s wall, %7.2f s CPU, %6.0f MB peak, %5.1f us a run\n' "$runs" "$wall" "$cpu" \
    "$(awk "BEGIN{print $kb / 1024}")" "$(awk "BEGIN{print 1e6 * $wall / $runs}")"
done
# The real thing: the time until the first run's log exists.
campaign 100 >"$work/real.toml"
start=$(date +%s.%N)
"$bin" campaign "$work/real.toml" -o "$work/real" --no-progress >/dev/null 2>&1 &
pid=$!
until compgen -G "$work/real/logs/*.log" >/dev/null; do
  kill -0 "$pid" 2>/dev/null || { echo "the campaign ended before any run started" >&2; exit 1; }
  sleep 0.05
done
first=$(date +%s.%N)
kill -TERM "$pid"
wait "$pid" || true
printf '  100000 runs for real: first run started after %.2f s (plan.csv %s MB, pending.txt %s MB)\n' \
  "$(awk "BEGIN{print $first - $start}")" "$(du -m "$work/real/plan.csv" | cut -f1)" \
  "$(du -m "$work/real/pending.txt" | cut -f1)"
