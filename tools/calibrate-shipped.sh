#!/usr/bin/env bash
# Regenerates the shipped calibration files of the surrogate learning process, one per built-in
# model, from real training (edgetrain calibrate). Minutes each on two cores; the small VGG uses a
# smaller design, since each of its training steps costs some twenty LeNet-5 steps.
set -euo pipefail
cd "$(dirname "$0")/.."
e=build/edgetrain
out=configs/calibration
$e calibrate configs/quickstart.toml -o $out/lenet5-fashion-mnist.toml
$e calibrate configs/quickstart.toml --set model.name=mlp -o $out/mlp-fashion-mnist.toml
$e calibrate configs/quickstart.toml --set model.name=vgg-small --set training.local_steps=10 \
  --runs 12 --rounds 15 --nodes 6 --heldout-every 4 -o $out/vgg-small-fashion-mnist.toml
$e calibrate configs/synthetic.toml -o $out/synthetic-mlp-synthetic.toml
