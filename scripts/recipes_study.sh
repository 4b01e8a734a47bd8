#!/usr/bin/env bash
# The recipes study of docs/results.md#recipes, on the CPU: every recipe of conf/recipe/ for
# 2,000 generator updates on batches of 64 (sweep=recipes), the default and BEST recipe over
# three seeds, each run scored by `python -m ganlab.evaluate` (Inception FID/KID on N samples
# against N test images, domain FID, class entropy, nn-L1), then one table (ganlab.report):
#   DATA=../shared/data BEST=ema scripts/recipes_study.sh
# Settings (environment): PY (python), DATA (holds MNIST/raw), OUT (default
# outputs/recipes), N (2000), BEST (the recipe repeated over seeds), STEPS (2000: a shorter
# pilot is STEPS=500 N=500), REPEAT (the recipes repeated over seeds 2 and 3: "default $BEST"),
# RECIPES (which recipes; "" for none: only the REPEAT seeds), EXTRA (more train overrides),
# DRY_RUN=1 (print only).
set -euo pipefail

PY=${PY:-python}
DATA=${DATA:-${GANLAB_DATA:-data}}
OUT=${OUT:-outputs/recipes}
N=${N:-2000}
BEST=${BEST:-ema}
STEPS=${STEPS:-2000}
# the recipes trained over seeds 2 and 3 as well
REPEAT=${REPEAT-default $BEST}
read -r -a EXTRA <<< "${EXTRA:-}"
# default: every recipe of conf/recipe/, the group `+recipe=` chooses from
RECIPES=${RECIPES-$(basename -s .yaml "$(dirname "$0")"/../conf/recipe/*.yaml)}

# shellcheck source=scripts/run_helpers.sh
source "$(dirname "$0")/run_helpers.sh"

jobs() {
    for recipe in $RECIPES; do echo "$recipe 1"; done
    for seed in 2 3; do for recipe in $REPEAT; do echo "$recipe $seed"; done; done
}

jobs | while read -r recipe seed; do
    folder="$OUT/$recipe/seed$seed"
    if ! completed "$folder"; then
        train_into "$folder" "$PY" "+recipe=$recipe" "seed=$seed" "trainer.max_steps=$STEPS" \
            trainer.max_epochs=-1 trainer.log_every_n_steps=50 data.batch_size=64 \
            "data.root=$DATA" "data.splits=[test]" "${EXTRA[@]}"
    fi
    if [[ ! -f "$folder/evaluation/last/metrics.json" ]]; then
        # real=mnist: against the whole test split, the small-data recipes too (not the
        # 1,000 images they trained on)
        run "$PY" -m ganlab.evaluate "ckpt_path=$folder/checkpoints/last.ckpt" "n=$N" \
            "real_n=$N" real=mnist "data.root=$DATA" "data.splits=[test]" device=cpu
    fi
done
run "$PY" -m ganlab.report "$OUT"
