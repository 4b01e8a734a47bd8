"""Sweeps as a user runs them: `python -m ganlab.train sweep=...` (a subprocess), then
`python -m ganlab.report` on the sweep folder."""

import csv
import itertools
import json

import pytest

from ganlab.report import main as report_main
from ganlab.reporting.events import read_curves
from tests.helpers import TINY, run_cli
from tests.helpers.hparams_reader import hparams_summary
from tests.helpers.tensorboard_reader import scalars

OPTIONAL = "an optional extra: pip install -e '.[sweep]'"


def sweep(mnist_root, sweep_dir, *overrides):
    return run_cli(
        "ganlab.train",
        "--multirun",
        f"data.root={mnist_root}",
        "data.splits=[test]",
        "trainer.max_steps=2",
        f"hydra.sweep.dir={sweep_dir}",
        *TINY,
        *overrides,
    )


def record(run_dir) -> dict:
    return json.loads((run_dir / "metrics.json").read_text())


@pytest.fixture(scope="module")
def smoke_sweep(mnist_root, tmp_path_factory):
    """The smoke study (lr x latent size, 2 x 2 jobs), cut to 2 steps per job."""
    sweep_dir = tmp_path_factory.mktemp("sweeps") / "smoke"
    result = sweep(mnist_root, sweep_dir, "sweep=smoke")
    assert result.returncode == 0, result.stderr[-3000:]
    return sweep_dir


def test_every_job_writes_a_complete_run_folder(smoke_sweep):
    runs = sorted(p for p in smoke_sweep.iterdir() if p.is_dir())
    assert [p.name for p in runs] == ["0", "1", "2", "3"]
    for run_dir in runs:
        assert (run_dir / ".hydra" / "config.yaml").is_file()
        assert (run_dir / "checkpoints" / "last.ckpt").is_file()
        assert list((run_dir / "samples").glob("*.png"))
        done = record(run_dir)
        assert done["status"] == "completed" and done["error"] is None
        assert done["global_step"] == 2 and done["wall_time_s"] > 0
        assert set(done["metrics"]) == {
            "d_loss_epoch",
            "g_loss_epoch",
            "d_real_epoch",
            "d_fake_epoch",
            "d_acc_real_epoch",
            "d_acc_fake_epoch",
            "grad_norm_g_epoch",
            "grad_norm_d_epoch",
            "sample_diversity",
            "sample_class_entropy",
        }
    assert len(read_curves(runs[0], ["g_loss_step"])["g_loss_step"][0]) == 2


def test_the_jobs_cover_the_study_grid(smoke_sweep):
    seen = set()
    for run_dir in sorted(p for p in smoke_sweep.iterdir() if p.is_dir()):
        overrides = (run_dir / ".hydra" / "overrides.yaml").read_text()
        lr = next(v for v in ("0.0002", "0.001") if f"model.optim.lr={v}\n" in overrides)
        latent = next(v for v in ("10", "100") if f"model.latent_dim={v}\n" in overrides)
        seen.add((lr, latent))
    assert seen == set(itertools.product(("0.0002", "0.001"), ("10", "100")))


def test_hparams_tab_gets_each_runs_values_and_final_metrics(smoke_sweep):
    lrs = set()
    for run_dir in sorted(p for p in smoke_sweep.iterdir() if p.is_dir()):
        params, metrics = hparams_summary(run_dir)
        config = (run_dir / ".hydra" / "config.yaml").read_text()
        assert f"latent_dim: {int(params['model.latent_dim'])}\n" in config
        assert params["model"] == "dcgan" and params["seed"] == 42
        assert params["data.batch_size"] == 8 and params["trainer.max_steps"] == 2
        assert set(metrics) == {f"final/{name}" for name in record(run_dir)["metrics"]}
        final = scalars(run_dir)
        assert final["final/g_loss_epoch"] == [(2, record(run_dir)["metrics"]["g_loss_epoch"])]
        assert len(final["g_loss_epoch"]) == 1, "the training curve gets no extra point"
        lrs.add(params["model.optim.lr"])
    assert lrs == {2e-4, 1e-3}


def test_report_has_one_row_per_job_and_the_figures(smoke_sweep, capsys):
    report_main([str(smoke_sweep)])
    printed = capsys.readouterr().out
    assert printed.count("| completed |") == 4
    with (smoke_sweep / "report.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4
    assert {(r["model.optim.lr"], r["model.latent_dim"]) for r in rows} == {
        ("0.0002", "10"), ("0.0002", "100"), ("0.001", "10"), ("0.001", "100")
    }  # fmt: skip
    assert all(float(r["g_loss_epoch"]) > 0 for r in rows)
    for name in ("report_metrics.png", "report_losses.png", "report_samples.png"):
        assert (smoke_sweep / name).stat().st_size > 10_000, name


@pytest.mark.fault
def test_a_failing_job_is_recorded_and_the_next_still_runs(mnist_root, tmp_path, capsys):
    """A sweep over a config group: the dcgan64 networks cannot take 36x36 images (36 is no
    base·2^k with base 3..7), the 28x28 tutorial networks can: job 0 fails."""
    sweep_dir = tmp_path / "failing"
    result = sweep(mnist_root, sweep_dir, "model=dcgan64,dcgan", "data.image_size=36")
    assert result.returncode == 0, result.stderr[-3000:]
    failed, completed = record(sweep_dir / "0"), record(sweep_dir / "1")
    assert failed["status"] == "failed" and "base·2^k" in failed["error"]
    assert failed["global_step"] is None and failed["metrics"] == {}
    log = (sweep_dir / "0" / "train.log").read_text()
    assert f"ganlab: job failed: {failed['error']}" in log
    assert completed["status"] == "completed" and completed["global_step"] == 2
    assert (sweep_dir / "1" / "checkpoints" / "last.ckpt").is_file()
    report_main([str(sweep_dir)])
    table = capsys.readouterr().out
    assert "| 0 | dcgan64 | failed |" in table and "base·2^k" in table
    assert "| 1 | dcgan | completed |" in table


def test_a_single_run_still_fails_with_exit_code_2_and_no_record(mnist_root, tmp_path):
    result = run_cli(
        "ganlab.train",
        f"data.root={mnist_root}",
        "data.splits=[test]",
        "model.latent_dim=0",
        f"hydra.run.dir={tmp_path / 'run'}",
        *TINY,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert not (tmp_path / "run" / "metrics.json").exists()


def test_slurm_launcher_preset_composes_with_a_study():
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason=OPTIONAL)
    result = run_cli(
        "ganlab.train",
        "sweep=rdfia_grid",
        "hydra/launcher=slurm",
        "hydra.launcher.partition=gpu",
        "trainer=gpu",
        "--cfg",
        "hydra",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for line in (
        "_target_: hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher",
        "partition: gpu",
        "gpus_per_node: 1",
        "model.latent_dim: 10,100,1000",
        "mode: MULTIRUN",
    ):
        assert line in result.stdout, line
