"""One trial: a short `python -m ganlab.train` with the trial's values into `trials/N/`, then
`python -m ganlab.evaluate` on its last checkpoint; the commands a user types, each in a
process of its own (its output in `trials/N.log`), so a trial is an ordinary run folder
that every ganlab tool reads and `resume=true` continues."""

import json
import math
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.distributions import BaseDistribution

from ganlab.callbacks.trial_pruning import PRUNED_AT
from ganlab.errors import GanlabError, UsageError
from ganlab.metrics.evaluator import parse_metrics
from ganlab.run.record import RECORD_FILE
from ganlab.tuning.space import override_value, suggested_overrides
from ganlab.tuning.study import JOURNAL

OBJECTIVES = {
    "domain_fid": "minimize",
    "fid": "minimize",
    "kid_mean": "minimize",
    "modes": "maximize",
}
"""What a study can optimise (a field of `ganlab.evaluate`), and which way."""


class TrialFailed(GanlabError):
    """A trial's training or evaluation failed at run time (diverged, crashed): the trial is
    recorded as failed and the study goes on."""


def quoted(text: object) -> str:
    """A string as a quoted override value (a path may hold any character)."""
    return "'" + str(text).replace("\\", "\\\\").replace("'", "\\'") + "'"


def last_error(log: Path) -> str:
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ganlab: error:")]
    return (errors or lines or ["no output"])[-1]


def run_tool(module: str, arguments: list[str], log: Path) -> None:
    """`python -m module arguments…`, its output appended to `log`. Exit 2 (the settings are
    wrong) stops the study; any other failure fails the trial."""
    with log.open("a") as out:
        out.write(f"$ python -m {module} {' '.join(arguments)}\n")
        out.flush()
        code = subprocess.run(
            [sys.executable, "-m", module, *arguments],
            stdout=out,
            stderr=subprocess.STDOUT,
        ).returncode
    if code != 0:
        kind = UsageError if code == 2 else TrialFailed
        raise kind(f"python -m {module} exited with {code}: {last_error(log)} (all of it: {log})")


def score(record: Path, objective: str) -> float:
    """The objective in `ganlab.evaluate`'s metrics.json."""
    result = json.loads(record.read_text())
    value = result["metrics"].get(objective)
    if value is None:
        (group,) = parse_metrics([objective])
        reason = result["unavailable"].get(group, "not computed")
        raise UsageError(f"objective={objective} is unavailable for these runs: {reason}")
    if not math.isfinite(value):
        raise TrialFailed(f"{objective} is {value} ({record})")
    return value


@dataclass(frozen=True)
class Trials:
    """What every trial of the study shares."""

    folder: Path
    objective: str
    train: list[str]
    evaluate: list[str]
    space: Mapping[str, BaseDistribution]
    pruner: Mapping[str, Any] | None

    def pruning(self) -> list[str]:
        """The periodic metric (the objective, scored against the training data) and the
        callback that reports it to the trial; none without a pruner."""
        if self.pruner is None:
            return []
        callback = (
            "{_target_:ganlab.callbacks.trial_pruning.TrialPruning,"
            f"journal:{quoted(self.folder / JOURNAL)},run_dir:${{paths.output_dir}},"
            f"pruner:{override_value(self.pruner)}}}"
        )
        return [
            "callbacks=metrics",
            f"callbacks.periodic_metric.metric={self.objective}",
            f"+callbacks.trial_pruning={callback}",
        ]

    def run(self, trial: optuna.Trial) -> float:
        """Train and evaluate; raises `optuna.TrialPruned` when the run was stopped early."""
        run_dir = self.folder / "trials" / str(trial.number)
        log = run_dir.with_name(f"{trial.number}.log")
        log.parent.mkdir(exist_ok=True)
        trial.set_user_attr("run", str(run_dir))
        chosen = suggested_overrides(trial, self.space)
        print(f"trial {trial.number}: {' '.join(chosen)}", flush=True)
        train = [*self.train, *chosen, *self.pruning(), f"hydra.run.dir={quoted(run_dir)}"]
        run_tool("ganlab.train", train, log)
        (now,) = (t for t in trial.study.get_trials(deepcopy=False) if t.number == trial.number)
        if PRUNED_AT in now.user_attrs:
            raise optuna.TrialPruned(f"stopped at step {now.user_attrs[PRUNED_AT]}")
        out = run_dir / "evaluation" / "last"
        evaluate = [
            f"ckpt_path={quoted(run_dir / 'checkpoints' / 'last.ckpt')}",
            f"metrics=[{self.objective}]",
            *self.evaluate,
            f"out={quoted(out)}",
        ]
        run_tool("ganlab.evaluate", evaluate, log)
        return score(out / RECORD_FILE, self.objective)
