#!/usr/bin/env bash
# Every CelebA and LEGO-bricks preset at full length on one GPU, each evaluated with
# `python -m ganlab.evaluate`, then one table (ganlab.report) over all of them:
#   DATA=/datasets scripts/run_presets.sh [extra train overrides]      (or: make presets-gpu)
# DATA holds celeba/ and lego-brick-images/ (docs/data.md); OUT (default outputs/presets)
# gets one run folder per preset and report.md / report.csv / report_*.png. Rerunning skips
# completed runs and evaluations and resumes an interrupted run from its last.ckpt.
# Settings (environment): PY (python), N (evaluated samples; auto: the evaluation protocol's,
# 10,000 on a GPU), REAL_N (reference images; empty: the protocol's), RUNS (which runs, names
# as below), TRAINER (gpu) and DEVICE (cuda), DRY_RUN=1 (print the commands). The MNIST
# presets on a CPU, at full length on the test split (the only one offline):
#   RUNS="tf_tutorial_mnist rdfia_cgan_mnist rdfia_cdcgan_mnist report_dcgan_mnist
#   report_slope003_mnist" TRAINER=cpu DEVICE=cpu DATA=../shared/data OUT=outputs/mnist_presets \
#   scripts/run_presets.sh data.splits=[test]
set -euo pipefail

PY=${PY:-python}
DATA=${DATA:-${GANLAB_DATA:-data}}
OUT=${OUT:-outputs/presets}
N=${N:-auto}
TRAINER=${TRAINER:-gpu}
DEVICE=${DEVICE:-cuda}
REAL_N=${REAL_N:-}
# run name = experiment, or experiment+rdfia_variant for the RDFIA study's one-factor changes
RUNS=${RUNS:-"book_dcgan_bricks book_wgan_gp_celeba book_cgan_celeba_blond
rdfia_dcgan_celeba+baseline rdfia_dcgan_celeba+lr_1e-3 rdfia_dcgan_celeba+beta1_0.9
rdfia_dcgan_celeba+latent_10 rdfia_dcgan_celeba+latent_1000"}

# shellcheck source=scripts/run_helpers.sh
source "$(dirname "$0")/run_helpers.sh"

for name in $RUNS; do
    experiment=${name%%+*}
    overrides=("experiment=$experiment")
    if [[ "$name" == *+* ]]; then overrides+=("+rdfia_variant=${name#*+}"); fi
    folder="$OUT/$name"
    if completed "$folder"; then
        echo "ganlab: $name already trained ($folder/metrics.json)"
    else
        train_into "$folder" "$PY" "${overrides[@]}" "trainer=$TRAINER" "data.root=$DATA" "$@"
    fi
    if [[ -f "$folder/evaluation/last/metrics.json" ]]; then
        echo "ganlab: $name already evaluated"
    else
        run "$PY" -m ganlab.evaluate "ckpt_path=$folder/checkpoints/last.ckpt" "n=$N" \
            ${REAL_N:+"real_n=$REAL_N"} "data.root=$DATA" "device=$DEVICE"
    fi
done
run "$PY" -m ganlab.report "$OUT"
