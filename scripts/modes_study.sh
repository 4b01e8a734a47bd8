#!/usr/bin/env bash
# The mode-coverage study of docs/results.md#mode-coverage, on the CPU: the default DCGAN and
# the recipes of RECIPES on Stacked MNIST (data=stacked_mnist, drawn from the MNIST splits
# present) for STEPS generator updates on batches of 64, over SEEDS, each scored by
# `python -m ganlab.evaluate metrics=[modes]` on N samples (PacGAN's 26,000), then one table:
#   DATA=../shared/data scripts/modes_study.sh
# Settings (environment): PY (python), DATA (holds MNIST/raw), OUT (default outputs/modes),
# N (26000), STEPS (500), SEEDS ("1 2 3"), RECIPES ("default r3gan"), EXTRA (more train
# overrides), DRY_RUN=1 (print only).
set -euo pipefail

PY=${PY:-python}
DATA=${DATA:-${GANLAB_DATA:-data}}
OUT=${OUT:-outputs/modes}
N=${N:-26000}
STEPS=${STEPS:-500}
SEEDS=${SEEDS:-1 2 3}
RECIPES=${RECIPES:-default r3gan}
read -r -a EXTRA <<< "${EXTRA:-}"

# shellcheck source=scripts/run_helpers.sh
source "$(dirname "$0")/run_helpers.sh"

for seed in $SEEDS; do
    for recipe in $RECIPES; do
        folder="$OUT/$recipe/seed$seed"
        if ! completed "$folder"; then
            train_into "$folder" "$PY" data=stacked_mnist "+recipe=$recipe" "seed=$seed" \
                "trainer.max_steps=$STEPS" trainer.max_epochs=-1 trainer.log_every_n_steps=50 \
                data.batch_size=64 "data.root=$DATA" "data.splits=[test]" "${EXTRA[@]}"
        fi
        if [[ ! -f "$folder/evaluation/last/metrics.json" ]]; then
            run "$PY" -m ganlab.evaluate "ckpt_path=$folder/checkpoints/last.ckpt" "n=$N" \
                "metrics=[modes]" "data.root=$DATA" "data.splits=[test]" device=cpu
        fi
    done
done
run "$PY" -m ganlab.report "$OUT"
