#!/usr/bin/env bash
# The campaign runner's parallel speed-up: three 40-run campaigns, each with --jobs 1 then --jobs N
# into fresh folders; prints wall times, their ratio, and whether the merged tables agree.
#   startup:  runs that stop as they start (exit 2, recorded as failed): the fixed cost of a run
#   short:    5 FL policies x 8 seeds on the quickstart platform, surrogate, 40 rounds (~0.04 s a run)
#   planning: PACT, greedy, fastest-first, FedAvg x 10 seeds on edge-cloud-100, 8 rounds (~0.5 s)
# Then the same for two programs that only fault pages in (300 MB, 10 times) and only compute,
# to show what this machine's two cores give for each kind of work.
#   bench/bench_campaign.sh [build/edgetrain] [JOBS=2]
set -euo pipefail
bin=$(realpath "${1:-build/edgetrain}")
jobs=${2:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/short.toml" <<TOML
[campaign]
scenario = "$root/configs/quickstart.toml"
seeds = [1, 2, 3, 4, 5, 6, 7, 8]
[campaign.set]
"learning.process" = "surrogate"
"training.max_rounds" = 40
"training.stop_at_target" = false
[[axis]]
key = "policy.name"
values = ["fedavg", "random", "fedavg-deadline", "fed-dropout", "fedprox-partial"]
TOML
# Runs that stop at their start (the optimum refuses more than 2 trainers, exit 2): what a run
# costs before it simulates anything (fork, scenario and platform, exit), and how that scales.
cat >"$work/startup.toml" <<TOML
[campaign]
scenario = "$root/configs/quickstart.toml"
seeds = [$(seq -s, 1 40)]
[campaign.set]
"learning.process" = "surrogate"
"policy.name" = "optimum"
"policy.optimum.max_nodes" = 2
TOML
cat >"$work/planning.toml" <<TOML
[campaign]
scenario = "$root/configs/edge-cloud-100.toml"
seeds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
[campaign.set]
"training.max_rounds" = 8
[[axis]]
key = "policy.name"
values = ["pact", "greedy", "fastest-first", "fedavg"]
TOML
now() { date +%s.%N; }
# Wall seconds and CPU seconds (user + system, the runs included) of one campaign.
t() {
  local TIMEFORMAT='%R %U %S' out
  out=$({ time "$bin" campaign "$work/$1.toml" -o "$work/$1-j$2" -j "$2" --no-progress >/dev/null 2>&1 || true; } 2>&1)
  awk '{printf "%s %s", $1, $2 + $3}' <<<"$out"
}
printf 'on %s cores, --jobs 1 against --jobs %s (target: 1.8x at --jobs 2); wall (CPU) seconds\n' "$(nproc)" "$jobs"
for c in startup short planning; do
  read -r one one_cpu <<<"$(t $c 1)"
  read -r many many_cpu <<<"$(t $c "$jobs")"
  cmp -s "$work/$c-j1/runs.csv" "$work/$c-j$jobs/runs.csv" && same=yes || same=NO
  printf '  %-9s 40 runs: %6.2f s (%5.2f), %6.2f s (%5.2f), speed-up %.2fx, runs.csv identical: %s\n' "$c" "$one" \
    "$one_cpu" "$many" "$many_cpu" "$(awk "BEGIN{print $one / $many}")" "$same"
done
# The machine itself: page faults against plain computation, one process then two at once.
cat >"$work/faults.c" <<'C'
#include <sys/mman.h>
int main(void) {
  for (int k = 0; k < 10; k++) {
    const unsigned long n = 300UL << 20;
    volatile char* p = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (unsigned long i = 0; i < n; i += 4096) p[i] = 1;
    munmap((void*)p, n);
  }
  return 0;
}
C
cat >"$work/compute.c" <<'C'
int main(void) { volatile double x = 0; for (long i = 0; i < 400000000L; i++) x += i * 1e-9; return 0; }
C
for p in faults compute; do
  cc -O1 "$work/$p.c" -o "$work/$p"
  s=$(now); "$work/$p"; m=$(now); "$work/$p" & "$work/$p"; wait; e=$(now)
  printf '  %-9s alone %5.2f s, two at once %5.2f s: %.2fx the throughput\n' "$p" "$(awk "BEGIN{print $m - $s}")" \
    "$(awk "BEGIN{print $e - $m}")" "$(awk "BEGIN{print 2 * ($m - $s) / ($e - $m)}")"
done
