#!/usr/bin/env bash
# Every CelebA and LEGO-bricks preset at full length on one GPU, each evaluated with
# `python -m ganlab.evaluate`, then one table (ganlab.report) over all of them:
#   DATA=/datasets scripts/run_presets.sh [extra train overrides]      (or: make presets-gpu)
# DATA holds celeba/ and lego-brick-images/ (docs/data.md); OUT (default outputs/presets)
# gets one run folder per preset and report.md / report.csv / report_*.png. Rerunning skips
# completed runs and evaluations and resumes an interrupted run from its last.ckpt.
# Settings (environment): PY (python), N (evaluated samples; auto: the evaluation protocol's,
# 10,000 on a GPU), REAL_N (reference images; empty: the protocol's), SET (faces_and_bricks, or
# mnist: every MNIST preset and the five jobs of sweep=rdfia_mnist), RUNS (which runs, names as
# below; default: SET's), TRAINER (gpu) and DEVICE (cuda), DRY_RUN=1 (print the commands).
# The MNIST presets at full length on the test split (the only one offline), on a CPU:
#   SET=mnist TRAINER=cpu DEVICE=cpu N=2000 REAL_N=2000 DATA=../shared/data \
#   OUT=outputs/mnist_presets scripts/run_presets.sh data.splits=[test]     (or: make presets-mnist)
set -euo pipefail

PY=${PY:-python}
DATA=${DATA:-${GANLAB_DATA:-data}}
OUT=${OUT:-outputs/presets}
N=${N:-auto}
TRAINER=${TRAINER:-gpu}
DEVICE=${DEVICE:-cuda}
REAL_N=${REAL_N:-}
# run name = experiment, or experiment+rdfia_variant for the RDFIA study's one-factor changes
VARIANTS="baseline lr_1e-3 beta1_0.9 latent_10 latent_1000"
case ${SET:-faces_and_bricks} in
    faces_and_bricks) DEFAULT_RUNS="book_dcgan_bricks book_wgan_gp_celeba book_cgan_celeba_blond
        $(for v in $VARIANTS; do echo "rdfia_dcgan_celeba+$v"; done)" ;;
    mnist) DEFAULT_RUNS="tf_tutorial_mnist report_slope003_mnist rdfia_cgan_mnist
        rdfia_cdcgan_mnist report_dcgan_mnist
        $(for v in $VARIANTS; do echo "rdfia_dcgan_mnist+$v"; done)" ;;
    *) echo "ganlab: SET=$SET is not a preset set; use SET=faces_and_bricks or SET=mnist" >&2
       exit 2 ;;
esac
RUNS=${RUNS:-$DEFAULT_RUNS}

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
