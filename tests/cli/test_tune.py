"""`python -m ganlab.tune` as a user runs it: a 2-trial study of real training and evaluation
processes, continued by the same command, and the settings it refuses before any trial."""

import json
from pathlib import Path

import optuna
import pytest
from optuna.distributions import CategoricalDistribution
from optuna.trial import TrialState

from ganlab.run.folder import LOCK_FILE, MARKER
from ganlab.tune import main
from ganlab.tuning.study import JOURNAL, journal_storage
from tests.helpers.inprocess import cli_in_process

LATENT = "model.latent_dim"


def tune(out: Path, mnist_root: Path, *args: str, capsys=None):
    """The tuner in this process (its trials are processes of their own), tiny trials: one
    epoch of 8 steps on the 64-image fixture, 16 images scored."""
    train = (
        f"+train={{data.root:'{mnist_root}',data.splits:[test],data.batch_size:8,"
        "trainer.max_steps:8,trainer.accelerator:cpu,trainer.enable_model_summary:false,"
        "logger:none,callbacks.class_coverage.n:16,callbacks.periodic_metric.n:16,"
        "callbacks.periodic_metric.real_n:32}"
    )
    return cli_in_process(
        main,
        "ganlab.tune",
        f"out={out}",
        train,
        "evaluate.n=16",
        "evaluate.real_n=32",
        *args,
        capsys=capsys,
    )


def load(out: Path) -> optuna.Study:
    return optuna.load_study(study_name="ganlab", storage=journal_storage(out))


def evaluated(out: Path, number: int) -> float:
    record = out / "trials" / str(number) / "evaluation" / "last" / "metrics.json"
    return json.loads(record.read_text())["metrics"]["domain_fid"]


@pytest.mark.slow
def test_a_two_trial_study_runs_then_continues_where_it_stopped(mnist_root, tmp_path, capsys):
    out = tmp_path / "study"
    result = tune(out, mnist_root, "n_trials=2", capsys=capsys)
    assert result.returncode == 0, result.stderr[-3000:]

    study = load(out)
    first = study.get_trials()
    assert [t.state for t in first] == [TrialState.COMPLETE] * 2
    for trial in first:
        assert trial.value == evaluated(out, trial.number)
        # the periodic metric reached the trial (pruning's input), at the run's last step
        assert list(trial.intermediate_values) == [8]
        overrides = (out / "trials" / str(trial.number) / ".hydra" / "overrides.yaml").read_text()
        assert f"{LATENT}={trial.params[LATENT]}" in overrides
    summary = json.loads((out / "summary.json").read_text())
    assert summary["best"]["value"] == min(t.value for t in first)
    assert (out / MARKER).is_file() and not (out / LOCK_FILE).exists()

    # a tuner killed during trial 2: the trial stays running in the journal
    stopped = study.ask({LATENT: CategoricalDistribution(["10", "32", "100"])})
    result = tune(out, mnist_root, "n_trials=3", capsys=capsys)
    assert result.returncode == 0, result.stderr[-3000:]

    trials = load(out).get_trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 2 + [
        TrialState.FAIL,
        TrialState.COMPLETE,
    ]
    assert [t.value for t in trials[:2]] == [t.value for t in first]
    retry = trials[3]
    assert retry.user_attrs["retry_of"] == stopped.number == 2
    assert retry.params[LATENT] == stopped.params[LATENT]
    assert retry.value == evaluated(out, 3)
    assert sorted(p.name for p in (out / "trials").iterdir() if p.is_dir()) == ["0", "1", "3"]

    # the study is complete: the same command again runs nothing
    result = tune(out, mnist_root, "n_trials=3", capsys=capsys)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(load(out).get_trials()) == 4


def test_a_study_continued_with_other_settings_is_refused(mnist_root, tmp_path, capsys):
    out = tmp_path / "study"
    out.mkdir()
    (out / MARKER).write_text("")
    study = optuna.create_study(storage=journal_storage(out), study_name="ganlab")
    study.set_user_attr("settings", {"objective": "fid"})
    result = tune(out, mnist_root, capsys=capsys)
    assert result.returncode == 2
    assert "started with other settings" in result.stderr
    assert "objective was fid, now domain_fid" in result.stderr
    assert not (out / "trials").exists()


def test_a_folder_ganlab_did_not_make_is_refused(mnist_root, tmp_path, capsys):
    out = tmp_path / "theirs"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = tune(out, mnist_root, capsys=capsys)
    assert result.returncode == 2
    assert "holds files ganlab did not make (notes.txt)" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_another_study_in_the_folder_is_refused(mnist_root, tmp_path, capsys):
    out = tmp_path / "study"
    out.mkdir()
    (out / MARKER).write_text("")
    optuna.create_study(storage=journal_storage(out), study_name="other")
    result = tune(out, mnist_root, capsys=capsys)
    assert result.returncode == 2
    assert "holds the study 'other': continue it with study_name=other" in result.stderr
    assert optuna.get_all_study_names(journal_storage(out)) == ["other"]
    assert JOURNAL in {p.name for p in out.iterdir()}


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("objective=nn_l1", "objective=nn_l1 is not one of domain_fid, fid, kid_mean, modes"),
        ("n_trials=0", "n_trials must be an integer >= 1, got 0"),
        ("pruner._target_=optuna.pruners.Nope", "pruner: Error locating target"),
        ("+search_space={model.optim.beta2:0.9}", "search_space model.optim.beta2: 0.9 is not"),
    ],
)
def test_bad_settings_stop_before_anything_is_written(
    mnist_root, tmp_path, capsys, setting, message
):
    result = tune(tmp_path / "study", mnist_root, setting, capsys=capsys)
    assert result.returncode == 2 and message in result.stderr
    assert not (tmp_path / "study").exists()
