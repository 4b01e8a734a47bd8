# Shared by run_presets.sh and recipes_study.sh (sourced): print and run a command (DRY_RUN=1:
# print only), tell a completed run folder, and train into a folder, resuming from its checkpoints.

run() {
    echo "+ $*"
    if [[ "${DRY_RUN:-0}" != 1 ]]; then "$@"; fi
}

completed() {
    [[ -f "$1/metrics.json" ]] && grep -q '"status": "completed"' "$1/metrics.json"
}

# train_into FOLDER PYTHON OVERRIDES...: `PYTHON -m ganlab.train OVERRIDES hydra.run.dir=FOLDER`,
# with resume=true when FOLDER has checkpoints.
train_into() {
    local folder=$1 python=$2
    shift 2
    local resume=()
    if [[ -d "$folder/checkpoints" ]]; then resume=(resume=true); fi
    run "$python" -m ganlab.train "$@" "hydra.run.dir=$folder" "${resume[@]}"
}
