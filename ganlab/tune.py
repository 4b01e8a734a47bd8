"""Tune training settings on sample quality: `python -m ganlab.tune [key=value ...]`.

Each trial is a short `ganlab.train` run with `train`'s overrides and the trial's values from
`search_space`, scored by `ganlab.evaluate` on `objective`; Optuna's sampler picks the next
values, its pruner stops a run whose periodic metric is already poor. The study lives in
`out` (an Optuna file journal): the same command again continues it, up to `n_trials`
finished trials, and runs again the trials a stopped tuner left unfinished.
"""

import json
import signal
import sys
from pathlib import Path

import hydra
import optuna
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from optuna.trial import TrialState

from ganlab.errors import UsageError, one_line
from ganlab.run import cli
from ganlab.run.atomic import write_text_atomically
from ganlab.run.cli import run_reporting_errors
from ganlab.run.config import CONF_DIR
from ganlab.run.folder import LOCK_FILE, acquire_lock, release_lock
from ganlab.run.rules import check_tool_options
from ganlab.tuning.space import distributions, overrides
from ganlab.tuning.study import finished, open_study, retry_unfinished, study_folder
from ganlab.tuning.trial import OBJECTIVES, TrialFailed, Trials

SUMMARY = "summary.json"


def check_settings(cfg: DictConfig) -> str:
    """The objective's direction, once the plain settings are checked."""
    if cfg.objective not in OBJECTIVES:
        raise UsageError(f"objective={cfg.objective} is not one of {', '.join(OBJECTIVES)}")
    check_tool_options(cfg)
    return OBJECTIVES[cfg.objective]


def summary(study: optuna.Study) -> dict:
    trials = [
        {
            "number": t.number,
            "state": t.state.name.lower(),
            "value": t.value if t.state == TrialState.COMPLETE else None,
            "params": t.params,
            "run": t.user_attrs.get("run"),
        }
        for t in study.get_trials(deepcopy=False)
    ]
    best = min if study.direction == optuna.study.StudyDirection.MINIMIZE else max
    complete = [t for t in trials if t["value"] is not None]
    return {
        "study": study.study_name,
        "objective": study.user_attrs["settings"]["objective"],
        "direction": study.direction.name.lower(),
        "best": best(complete, key=lambda t: t["value"]) if complete else None,
        "trials": trials,
    }


def built(cfg: DictConfig, key: str, **kwargs: object) -> object:
    """`cfg[key]` instantiated (the sampler, the pruner): a bad one stops the study before its
    first trial, not inside each."""
    try:
        return instantiate(cfg[key], **kwargs)
    except Exception as error:
        raise UsageError(f"{key}: {one_line(error)}") from None


def locked(folder: Path) -> Path:
    """The study folder's lock: one tuner at a time, so a trial left running is a stopped one."""
    try:
        return acquire_lock(folder)
    except UsageError:
        raise UsageError(
            f"another tuner works in {folder} ({LOCK_FILE}): wait for it to end, or give "
            f"this study another study_name="
        ) from None


def stop_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM as Ctrl+C: the running trial's processes are ended and the trial stays
    unfinished in the journal, for the next run to run again."""
    raise KeyboardInterrupt(signal.Signals(signum).name)


def run_trials(study: optuna.Study, trials: Trials, n_trials: int) -> None:
    """Trials until the study holds `n_trials` finished ones (this run tries that many at
    most); a trial the tuner is stopped during stays running in the journal."""
    for _ in range(n_trials - len(finished(study))):
        trial = study.ask()
        try:
            value = trials.run(trial)
        except optuna.TrialPruned as pruned:
            study.tell(trial, state=TrialState.PRUNED)
            print(f"trial {trial.number}: pruned, {pruned}")
        except TrialFailed as failed:
            study.tell(trial, state=TrialState.FAIL)
            print(f"trial {trial.number}: failed, {failed}")
        except Exception:
            study.tell(trial, state=TrialState.FAIL)
            raise
        else:
            study.tell(trial, value)
            print(f"trial {trial.number}: {trials.objective} {value:.4f}")


def tune(cfg: DictConfig) -> dict:
    direction = check_settings(cfg)
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # each trial gets a line of ours
    settings = {
        key: OmegaConf.to_container(cfg[key], resolve=True)
        for key in ("train", "evaluate", "search_space")
    }
    settings["objective"] = cfg.objective
    space = distributions(settings["search_space"])
    sampler = built(cfg, "sampler", seed=cfg.seed)
    if cfg.pruner is not None:
        built(cfg, "pruner")  # checked here, used inside each trial's training
    folder = study_folder(cfg.out)
    held = locked(folder)
    try:
        study = open_study(folder, cfg.study_name, direction, settings)
        if study.trials:  # a continued study draws other numbers than its first run did
            sampler = built(cfg, "sampler", seed=cfg.seed + len(study.trials))
        study.sampler = sampler
        for number in retry_unfinished(study):
            print(f"trial {number} did not finish (the tuner stopped): it runs again")
        pruner = OmegaConf.to_container(cfg.pruner, resolve=True) if cfg.pruner else None
        trials = Trials(
            folder,
            cfg.objective,
            overrides(settings["train"]),
            overrides(settings["evaluate"]),
            space,
            pruner,
        )
        previous = signal.signal(signal.SIGTERM, stop_on_sigterm)
        try:
            run_trials(study, trials, cfg.n_trials)
        except KeyboardInterrupt as stop:
            signum = signal.SIGTERM if str(stop) == signal.SIGTERM.name else signal.SIGINT
            print(
                f"ganlab: note: stopped by {signum.name}; the same command continues the study "
                f"in {folder}, running the unfinished trial again",
                file=sys.stderr,
            )
            sys.exit(128 + signum)
        finally:
            signal.signal(signal.SIGTERM, previous)
        result = summary(study)
        write_text_atomically(folder / SUMMARY, json.dumps(result, indent=2) + "\n", "summary")
    finally:
        release_lock(held)
    if result["best"] is not None:
        best = result["best"]
        print(
            f"best: trial {best['number']}, {cfg.objective} {best['value']:.4f}, {best['params']}"
        )
    print(f"wrote {folder / SUMMARY}")
    return result


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="tune")
def main(cfg: DictConfig) -> None:
    run_reporting_errors(tune, cfg)


def entry() -> None:
    """Console script `ganlab-tune`."""
    cli.run(main)


if __name__ == "__main__":
    entry()
