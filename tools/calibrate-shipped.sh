#!/usr/bin/env bash
# Regenerates the shipped calibration files from real training (edgetrain calibrate):
# - configs/calibration/: the surrogate learning process's parameters (seed 1);
# - configs/predictors/: the planners' default loss predictors, fitted on another design and seed
#   (seed 2), so that under the surrogate no planner plans with the process's own parameters.
# Runs two at a time (-j 2). LeNet-5, the model of the shipped scenarios, gets the largest design
# (32 runs of 30 rounds, one in 8 four times as long): some 25 minutes per seed on two cores; its
# surrogate calibration adds a second design of 64 runs (seed 3, some 30 minutes) and fits the 96
# runs merged (their traces, one file, beside it: runs 0-31 seed 1's, 32-95 seed 3's). The
# small VGG gets a smaller one, since each of its training steps costs some twenty LeNet-5 steps.
# Usage: tools/calibrate-shipped.sh [--refit] [--fidelity DIR]... [MODEL...]
#   (lenet5 mlp vgg-small synthetic; default: all)
# LeNet-5's files also fit the per-layer weights and the dropout exponent to DISTREAL's trained
# short runs (the DSE cache shipped beside configs/pareto/lenet5-hetero-50.csv).
# --refit redoes each fit from the traces beside its file (minutes, no training), with the same
# design options, so that the file's header still tells the design and seed its runs had.
# --fidelity DIR puts an `edgetrain fidelity` folder's figures in LeNet-5's surrogate file header
# (the model the shipped campaigns train); DIR must have been measured on that very fit, so refit
# first, run the fidelity studies, then refit again with them:
#   tools/calibrate-shipped.sh --refit lenet5
#   build/edgetrain fidelity configs/campaigns/quickstart-policies.toml -o results/quickstart-fidelity -j 2
#   build/edgetrain fidelity configs/campaigns/distreal-heterogeneity.toml -o results/distreal-het-fidelity -j 2
#   tools/calibrate-shipped.sh --refit --fidelity results/quickstart-fidelity \
#     --fidelity results/distreal-het-fidelity lenet5
set -euo pipefail
cd "$(dirname "$0")/.."
e=build/edgetrain
refit=0
[ "${1:-}" = --refit ] && refit=1 && shift
fidelity=()
while [ "${1:-}" = --fidelity ]; do fidelity+=(--fidelity "$2"); shift 2; done
models=("$@")
[ ${#models[@]} = 0 ] && models=(lenet5 mlp vgg-small synthetic)
for seed in 1 2; do
  out=configs/calibration
  [ $seed = 2 ] && out=configs/predictors
  for m in "${models[@]}"; do
    scenario=configs/quickstart.toml
    case $m in
      lenet5) f=lenet5-fashion-mnist design=(--runs 32 --rounds 30
        --layer-speeds configs/pareto/lenet5-hetero-50.csv.cache.csv --layer-scenario configs/distreal-hetero-50.toml) ;;
      mlp) f=mlp-fashion-mnist design=(--set model.name=mlp) ;;
      vgg-small) f=vgg-small-fashion-mnist design=(--set model.name=vgg-small --set training.local_steps=10
        --runs 12 --rounds 15 --nodes 6 --long-every 6 --long-factor 2) ;;
      synthetic) f=synthetic-mlp-synthetic scenario=configs/synthetic.toml design=() ;;
      *) echo "unknown model $m" >&2; exit 2 ;;
    esac
    from=()
    [ $refit = 1 ] && from=(--from-traces $out/$f.toml.traces.csv)
    if [ $refit = 0 ] && [ $m = lenet5 ] && [ $seed = 1 ]; then
      extra=$(mktemp -d)
      $e calibrate $scenario --set scenario.seed=3 -j 2 --runs 64 --rounds 30 -o $extra/$f.toml
      $e calibrate $scenario --set scenario.seed=1 -j 2 "${design[@]}" -o $extra/seed1.toml
      from=(--from-traces $extra/seed1.toml.traces.csv --from-traces $extra/$f.toml.traces.csv)
    fi
    notes=()
    [ $m = lenet5 ] && [ $seed = 1 ] && notes=("${fidelity[@]}")
    $e calibrate $scenario --set scenario.seed=$seed -j 2 "${from[@]}" "${design[@]}" "${notes[@]}" -o $out/$f.toml
  done
done
# Refit once more from the file's own traces (the merged ones for LeNet-5), so that the header's
# command line is the one --refit repeats.
[ $refit = 0 ] && exec "$0" --refit "${models[@]}"

