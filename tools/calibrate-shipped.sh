#!/usr/bin/env bash
# Regenerates the shipped calibration files from real training (edgetrain calibrate):
# - configs/calibration/: the surrogate learning process's parameters (seed 1);
# - configs/predictors/: the planners' default loss predictors, fitted on another design and seed
#   (seed 2), so that under the surrogate no planner plans with the process's own parameters.
# About ten minutes each on two cores; the small VGG uses a smaller design, since each of its
# training steps costs some twenty LeNet-5 steps.
set -euo pipefail
cd "$(dirname "$0")/.."
e=build/edgetrain
for seed in 1 2; do
  out=configs/calibration
  [ $seed = 2 ] && out=configs/predictors
  s="--set scenario.seed=$seed"
  $e calibrate configs/quickstart.toml $s -o $out/lenet5-fashion-mnist.toml
  $e calibrate configs/quickstart.toml $s --set model.name=mlp -o $out/mlp-fashion-mnist.toml
  $e calibrate configs/quickstart.toml $s --set model.name=vgg-small --set training.local_steps=10 \
    --runs 12 --rounds 15 --nodes 6 --heldout-every 4 -o $out/vgg-small-fashion-mnist.toml
  $e calibrate configs/synthetic.toml $s -o $out/synthetic-mlp-synthetic.toml
done
