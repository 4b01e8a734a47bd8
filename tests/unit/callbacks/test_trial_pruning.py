"""Pruning for ganlab.tune: the periodic metric reaches the trial at each score, and a run the
pruner finds poor stops after that epoch, cleanly."""

import optuna
import pytest
from optuna.pruners import MedianPruner
from optuna.trial import FrozenTrial, create_trial

from ganlab.callbacks.trial_pruning import PRUNED_AT, TrialPruning
from ganlab.errors import UsageError
from ganlab.run.fit import train
from ganlab.run.record import read_record
from ganlab.tuning.study import JOURNAL, journal_storage
from tests.helpers import TINY
from tests.helpers.checkpoints import compose_train


def trial_run(mnist_root, tmp_path, earlier: float, *extra: str) -> tuple[FrozenTrial, dict]:
    """A trial trained for 2 epochs of 2 steps, after one finished trial that scored `earlier`
    at both epochs; the trial as the journal then holds it, and the run's record."""
    study = optuna.create_study(storage=journal_storage(tmp_path), study_name="s")
    scores = {2: earlier, 4: earlier}
    study.add_trial(create_trial(value=earlier, intermediate_values=scores))
    trial = study.ask()
    run_dir = tmp_path / "run"
    trial.set_user_attr("run", str(run_dir.resolve()))
    pruning = TrialPruning(str(tmp_path / JOURNAL), str(run_dir), MedianPruner(n_startup_trials=1))
    cfg = compose_train(
        f"data.root={mnist_root}",
        "data.splits=[test]",
        "callbacks=metrics",
        "callbacks.periodic_metric.n=16",
        "callbacks.periodic_metric.real_n=32",
        "trainer.max_epochs=2",
        "+trainer.limit_train_batches=2",
        "logger=none",
        f"paths.output_dir={run_dir}",
        *TINY,
        *extra,
    )
    train(cfg, extra_callbacks=[pruning])
    (now,) = (t for t in study.get_trials() if t.number == trial.number)
    return now, read_record(run_dir)


def test_a_run_worse_than_the_median_stops_after_its_first_score(mnist_root, tmp_path):
    trial, record = trial_run(mnist_root, tmp_path, earlier=0.0)
    assert list(trial.intermediate_values) == [2] and trial.intermediate_values[2] > 0
    assert trial.user_attrs[PRUNED_AT] == 2
    assert record["status"] == "completed" and record["global_step"] == 2


def test_a_run_better_than_the_median_trains_on_and_reports_every_score(mnist_root, tmp_path):
    trial, record = trial_run(mnist_root, tmp_path, earlier=1e9)
    assert list(trial.intermediate_values) == [2, 4]
    assert record["metrics"]["domain_fid"] == trial.intermediate_values[4]
    assert PRUNED_AT not in trial.user_attrs
    assert record["global_step"] == 4


def test_without_a_periodic_metric_the_run_stops_before_training(mnist_root, tmp_path):
    with pytest.raises(UsageError, match="reads a periodic metric: add callbacks=metrics"):
        no_metric = ("callbacks.periodic_metric=null", "callbacks.best_checkpoint=null")
        trial_run(mnist_root, tmp_path, 0.0, *no_metric)
    assert not (tmp_path / "run" / "checkpoints").exists()
