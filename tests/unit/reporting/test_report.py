"""`python -m ganlab.report` on sweep folders written by hand (no training)."""

import csv
import json

import pytest
from matplotlib.figure import Figure
from omegaconf import OmegaConf
from torch.utils.tensorboard import SummaryWriter

from ganlab.report import main
from ganlab.reporting.events import read_curves
from ganlab.reporting.figures import metric_per_value, plot_numeric
from ganlab.reporting.runs import find_runs, label_runs, swept_keys
from ganlab.run.record import completed_record, write_record


def fake_run(sweep_dir, name, overrides, metrics=None):
    run_dir = sweep_dir / name
    (run_dir / ".hydra").mkdir(parents=True)
    OmegaConf.save(OmegaConf.create(list(overrides)), run_dir / ".hydra" / "overrides.yaml")
    if metrics is not None:
        write_record(run_dir, **completed_record(metrics, 10, 1, 3.0))
        with SummaryWriter(run_dir / "tensorboard") as writer:
            for step in range(10):
                writer.add_scalar("g_loss_step", metrics["g_loss_epoch"] + step, step)
    return run_dir


@pytest.fixture
def sweep_dir(tmp_path):
    for i, (lr, latent) in enumerate([("2e-4", 10), ("2e-4", 100), ("1e-3", 10), ("1e-3", 100)]):
        overrides = [f"model.optim.lr={lr}", f"model.latent_dim={latent}", "data.batch_size=8"]
        metrics = {"g_loss_epoch": i + 0.5} if i != 3 else None
        fake_run(tmp_path, str(i), overrides, metrics)
    fake_run(tmp_path, "10", ["model.optim.lr=5e-4", "model.latent_dim=10", "data.batch_size=8"])
    return tmp_path


def test_runs_in_job_order_with_what_was_swept(sweep_dir):
    runs, _ = find_runs(sweep_dir)
    assert [run.name for run in runs] == ["0", "1", "2", "3", "10"]
    swept = swept_keys(runs)
    assert swept == ["model.optim.lr", "model.latent_dim"]
    label_runs(runs, swept)
    assert runs[1].label == "lr=2e-4 latent_dim=100"
    assert [run.status for run in runs] == ["completed"] * 3 + ["incomplete"] * 2


def test_an_override_holding_an_interpolation_is_read_as_written(tmp_path):
    """ganlab.tune's trials name their run folder as `${paths.output_dir}`."""
    callback = "+callbacks.x={_target_:a.B,run_dir:${paths.output_dir}}"
    for lr in ("2e-4", "1e-3"):
        fake_run(tmp_path, lr, [f"model.optim.lr={lr}", callback], {"g_loss_epoch": 1.0})
    runs, unreadable = find_runs(tmp_path)
    assert not unreadable
    assert [run.overrides["callbacks.x"] for run in runs] == [callback.split("=", 1)[1]] * 2
    assert swept_keys(runs) == ["model.optim.lr"]


def test_report_writes_table_csv_and_figures(sweep_dir, capsys):
    main([str(sweep_dir)])
    printed = capsys.readouterr().out
    assert printed.count("| completed |") == 3 and printed.count("| incomplete |") == 2
    markdown = (sweep_dir / "report.md").read_text()
    assert "Swept: `model.optim.lr`, `model.latent_dim`" in markdown
    assert "Common overrides: `data.batch_size=8`" in markdown
    assert "![report_losses](report_losses.png)" in markdown
    with (sweep_dir / "report.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["run"] for row in rows] == ["0", "1", "2", "3", "10"]
    assert rows[2]["model.optim.lr"] == "1e-3" and float(rows[2]["g_loss_epoch"]) == 2.5
    assert read_curves(sweep_dir / "2")["g_loss_step"] == (
        list(range(10)),
        [2.5 + i for i in range(10)],
    )
    for name in ("report_metrics.png", "report_losses.png", "report_samples.png"):
        assert (sweep_dir / name).stat().st_size > 5000, name


@pytest.mark.fault
def test_report_replaces_its_own_files_and_no_one_elses(sweep_dir, capsys):
    main([str(sweep_dir)])
    main([str(sweep_dir)])  # its own report: replaced
    (sweep_dir / "report.csv").write_text("my own table")
    with pytest.raises(SystemExit) as stopped:
        main([str(sweep_dir)])
    assert stopped.value.code == 2
    assert "would replace report.csv" in capsys.readouterr().err
    assert (sweep_dir / "report.csv").read_text() == "my own table"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing"], "is not a folder"),
        (["."], "no run folders"),
        (["sweep", "--metrics", "fid"], "--metrics fid: no run recorded it; recorded: g_loss"),
        (["sweep", "--smoothing", "1"], "--smoothing must be in [0, 1)"),
    ],
)
def test_bad_input_stops_with_one_message(sweep_dir, tmp_path_factory, capsys, args, message):
    empty = tmp_path_factory.mktemp("empty")
    where = {"missing": str(empty / "missing"), ".": str(empty), "sweep": str(sweep_dir)}
    with pytest.raises(SystemExit) as exit_info:
        main([where.get(arg, arg) for arg in args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (sweep_dir / "report.md").exists()


def test_a_search_plots_its_sampled_numbers_on_a_log_axis(tmp_path):
    for i in range(10):
        lr = 10 ** (-5 + i * 0.3)
        fake_run(tmp_path, str(i), [f"model.optim.lr={lr}"], {"g_loss_epoch": float(i)})
    runs, _ = find_runs(tmp_path)
    ax = Figure().subplots()
    plot_numeric(ax, runs, "model.optim.lr", "g_loss_epoch")
    assert ax.get_xscale() == "log"
    assert len(ax.collections[0].get_offsets()) == 10
    metric_per_value(runs, ["model.optim.lr"], ["g_loss_epoch"], tmp_path / "metrics.png")
    assert (tmp_path / "metrics.png").stat().st_size > 5000


def test_without_curves_the_report_leaves_the_loss_figure_out(tmp_path, capsys):
    fake_run(tmp_path, "0", ["model.latent_dim=10"])
    fake_run(tmp_path, "1", ["model.latent_dim=100"])
    main([str(tmp_path)])
    assert capsys.readouterr().out.count("| incomplete |") == 2
    assert "report_losses" not in (tmp_path / "report.md").read_text()
    assert (tmp_path / "report_samples.png").is_file()


def test_an_evaluated_run_reports_its_evaluation_metrics_beside_its_record(tmp_path, capsys):
    evaluated = fake_run(tmp_path, "0", ["experiment=a"], {"g_loss_epoch": 1.0})
    fake_run(tmp_path, "1", ["experiment=b"], {"g_loss_epoch": 2.0})
    (evaluated / "evaluation" / "last").mkdir(parents=True)
    scores = {"metrics": {"fid": 12.5, "kid_mean": 0.01}, "n": 10}
    (evaluated / "evaluation" / "last" / "metrics.json").write_text(json.dumps(scores))
    runs, _ = find_runs(tmp_path)
    assert [run.name for run in runs] == ["0", "1"]
    assert runs[0].metrics == {"g_loss_epoch": 1.0, "fid": 12.5, "kid_mean": 0.01}
    main([str(tmp_path)])
    with (tmp_path / "report.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["experiment"], row["fid"]) for row in rows] == [("a", "12.5"), ("b", "")]
