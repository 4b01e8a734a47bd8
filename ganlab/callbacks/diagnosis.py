"""The training-health diagnosis, live: every `window` generator updates the callback reads
the health signals the module logged over that window (one host read per window, like the
divergence guard's), gives the window a verdict (`ganlab.diagnosis.rules`) and, when the
verdict changes, says so in the log, in the progress bar (`health`) and in every logger that
takes text (TensorBoard's Text tab). `RunSummary` writes the timeline into `metrics.json`."""

import logging
from typing import Any

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_only

from ganlab.callbacks.run_summary import comparable_hparams
from ganlab.callbacks.to_loggers import log_text
from ganlab.diagnosis.rules import NS_TRAITS, SIGNALS, SPARSE, Thresholds, windows
from ganlab.diagnosis.timeline import Phase, describe, timeline
from ganlab.options import Declared, Rule, at_least

log = logging.getLogger(__name__)
PROGRESS_BAR_KEY = "health"
TEXT_TAG = "diagnosis"


class Diagnosis(Callback, Declared):
    config_prefix = "callbacks.diagnosis."
    rules = (Rule("window", "integer", ">= 1", at_least(1)),)

    def __init__(self, window: int = 200, thresholds: dict[str, float] | None = None):
        self.check_values({"window": window})
        self.window = window
        self.thresholds = Thresholds(**(thresholds or {}))
        self.pending: list[tuple[int, list[str], torch.Tensor]] = []
        self.series: dict[str, list[tuple[int, float]]] = {}
        self.phases: list[Phase] = []
        self.settings: dict[str, Any] = {}
        self.loss: dict[str, bool] = dict(NS_TRAITS)

    def state_dict(self) -> dict[str, Any]:
        """The signals read so far: a resumed run's timeline starts at step 0."""
        return {"series": self.series}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.series = {
            name: [(int(step), float(value)) for step, value in points]
            for name, points in state_dict["series"].items()
        }

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.settings = comparable_hparams(trainer, pl_module)
        objective = getattr(pl_module, "objective", None)  # the module knows its loss
        if objective is not None:
            self.loss = objective.traits()

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any, idx: int
    ) -> None:
        # the step's own signals from the module, the epoch-wise ones from the loggers' view;
        # per step: only the signals' names are looked up, no merged copy of every metric
        step, logged = getattr(pl_module, "step_metrics", {}), trainer.callback_metrics
        found = {name: step.get(name, logged.get(name)) for name in SIGNALS}
        names = [name for name, value in found.items() if value is not None and value.numel() == 1]
        if names:
            values = torch.stack([found[name].detach().float().reshape(()) for name in names])
            self.pending.append((trainer.global_step - 1, names, values))
        if self.pending and trainer.global_step // self.window > self.pending[0][0] // self.window:
            self.close_window(trainer)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """The last (maybe partial) window, with the final grid's diversity and class
        coverage (the callbacks before this one measure them at the end of training)."""
        logged = trainer.callback_metrics
        names = [name for name in SPARSE if name in logged]
        if names:
            values = torch.stack([logged[name].detach().float().reshape(()) for name in names])
            self.pending.append((trainer.global_step - 1, names, values))
        if self.pending:
            self.close_window(trainer)

    def close_window(self, trainer: Trainer) -> None:
        """Read the window's values (one host read), then re-read the whole timeline."""
        pending, self.pending = self.pending, []
        flat = iter(torch.cat([values.float() for _, _, values in pending]).tolist())
        for step, names, _ in pending:
            for name in names:
                self.series.setdefault(name, []).append((step, next(flat)))
        before = self.phases[-1].verdict if self.phases else None
        self.phases = timeline(
            windows(self.series, self.window), self.thresholds, self.settings, self.loss
        )
        if self.phases and self.phases[-1].verdict != before:
            self.announce(trainer, self.phases[-1])

    @rank_zero_only
    def announce(self, trainer: Trainer, phase: Phase) -> None:
        text = describe(phase)
        log.info("diagnosis: %s", text)
        trainer.progress_bar_metrics[PROGRESS_BAR_KEY] = phase.verdict
        log_text(trainer.loggers, TEXT_TAG, text, phase.end)

    def record(self) -> dict[str, Any]:
        """The `diagnosis` block of `metrics.json`."""
        return {
            "verdict": self.phases[-1].verdict if self.phases else None,
            "window": self.window,
            "loss": self.loss,
            "timeline": [phase.as_record() for phase in self.phases],
        }
