"""Pruning for `ganlab.tune`: each score of the run's periodic metric goes to its Optuna trial,
and the run stops early, cleanly (after the epoch, with its checkpoint and record), when the
study's pruner finds it already poor."""

from pathlib import Path

import optuna
from lightning.pytorch import Callback, LightningModule, Trainer
from optuna.pruners import BasePruner
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from ganlab.callbacks.periodic_metric import PeriodicMetric
from ganlab.errors import UsageError

PRUNED_AT = "pruned_at_step"
"""The trial attribute set when the pruner stops the run: the tuner reads it."""


class TrialPruning(Callback):
    """Reports `PeriodicMetric`'s metric at each score (step: generator updates) to the
    running trial of the study in `journal` that trains into `run_dir`, and stops the run when
    `pruner` (Optuna's, built from its `_target_` config) says so. `ganlab.tune`
    adds it to each trial's training, after `callbacks=metrics`."""

    def __init__(self, journal: str, run_dir: str, pruner: BasePruner | None = None):
        self.journal = journal
        self.run_dir = str(Path(run_dir).resolve())
        self.pruner = pruner
        self.trial: optuna.Trial | None = None
        self.metric: PeriodicMetric | None = None

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        metrics = [c for c in trainer.callbacks if isinstance(c, PeriodicMetric)]
        if not metrics or trainer.callbacks.index(metrics[0]) > trainer.callbacks.index(self):
            raise UsageError(
                "TrialPruning reads a periodic metric: add callbacks=metrics before it"
            )
        self.metric = metrics[0]
        study = optuna.load_study(
            study_name=None,
            storage=JournalStorage(JournalFileBackend(self.journal)),
            pruner=self.pruner,
        )
        running = [
            t
            for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            if t.user_attrs.get("run") == self.run_dir
        ]
        if not running:
            raise UsageError(
                f"no running trial of the study in {self.journal} trains into {self.run_dir}: "
                "TrialPruning is for the runs ganlab.tune starts"
            )
        # Optuna's own integrations report from another process the same way: by trial id
        self.trial = optuna.Trial(study, running[0]._trial_id)

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        step = trainer.global_step
        if self.trial is None or self.metric.last_scored_step != step:
            return
        self.trial.report(float(trainer.callback_metrics[self.metric.metric]), step)
        if self.trial.should_prune():
            self.trial.set_user_attr(PRUNED_AT, step)
            trainer.should_stop = True
