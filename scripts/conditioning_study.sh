#!/usr/bin/env bash
# The conditioning study of docs/results.md#conditioning-methods, on the CPU: the sources'
# cDCGAN (model=cdcgan_concat, or MODEL) with each conditioning method of METHODS for STEPS
# generator updates on batches of 64, over SEEDS, each run scored by `python -m
# ganlab.evaluate` (label accuracy by ganlab's MNIST classifier, domain FID, class entropy; N
# samples against N test images), then one table (ganlab.report):
#   DATA=../shared/data scripts/conditioning_study.sh
# Two shards share the machine's cores: SHARD=0/2 and SHARD=1/2 run every other job.
# Settings (environment): PY (python), DATA (holds MNIST/raw), OUT (default
# outputs/conditioning), MODEL (cdcgan_concat), N (2000), STEPS (2000), SEEDS ("1 2 3"),
# METHODS (names below), SHARD (i/n, default 0/1), EXTRA (more train overrides), DRY_RUN=1
# (print only).
set -euo pipefail

PY=${PY:-python}
DATA=${DATA:-${GANLAB_DATA:-data}}
OUT=${OUT:-outputs/conditioning}
MODEL=${MODEL:-cdcgan_concat}
N=${N:-2000}
STEPS=${STEPS:-2000}
SEEDS=${SEEDS:-1 2 3}
METHODS=${METHODS:-concat projection aux batch_norm none projection_sn concat_sn}
SHARD=${SHARD:-0/1}
read -r -a EXTRA <<< "${EXTRA:-}"

# shellcheck source=scripts/run_helpers.sh
source "$(dirname "$0")/run_helpers.sh"

# the overrides that choose a method, each on MODEL
# as the projection discriminator is usually trained: the hinge loss and spectral norm
HINGE_SN="model.loss=hinge model.net.discriminator.spectral_norm=true"
D=model.net.discriminator.conditioning
overrides() {
    case $1 in
        concat) echo "" ;;
        projection) echo "$D=projection" ;;
        projection_sn) echo "$HINGE_SN $D=projection" ;;  # model=cdcgan since this study
        concat_sn) echo "$HINGE_SN" ;;  # projection_sn's control
        batch_norm) echo "model.net.generator.conditioning=batch_norm" ;;
        aux) echo "model.auxiliary_classifier_weight=1" ;;
        none) echo "$D=none" ;;
        *) echo "unknown method '$1' (see overrides in $0)" >&2 && exit 2 ;;
    esac
}

for method in $METHODS; do overrides "$method" > /dev/null; done  # an unknown one stops here

jobs() {
    for seed in $SEEDS; do for method in $METHODS; do echo "$method $seed"; done; done
}

jobs | awk -v shard="${SHARD%/*}" -v shards="${SHARD#*/}" '(NR - 1) % shards == shard' |
    while read -r method seed; do
        folder="$OUT/$method/seed$seed"
        read -r -a method_overrides <<< "$(overrides "$method")"
        if ! completed "$folder"; then
            train_into "$folder" "$PY" "model=$MODEL" "seed=$seed" "trainer.max_steps=$STEPS" \
                trainer.max_epochs=-1 trainer.log_every_n_steps=50 data.batch_size=64 \
                "data.root=$DATA" "data.splits=[test]" "${method_overrides[@]}" "${EXTRA[@]}"
        fi
        if [[ ! -f "$folder/evaluation/last/metrics.json" ]]; then
            run "$PY" -m ganlab.evaluate "ckpt_path=$folder/checkpoints/last.ckpt" "n=$N" \
                "real_n=$N" "metrics=[domain_fid,label_accuracy,class_entropy]" \
                "data.root=$DATA" "data.splits=[test]" device=cpu
        fi
    done
if [[ "$SHARD" == 0/* ]]; then run "$PY" -m ganlab.report "$OUT"; fi
