"""`ganlab.report` on a sweep with runs it cannot read: each is listed with the reason and
the others are reported; a sweep in which no job completed exits 1."""

import json

import pytest
from omegaconf import OmegaConf

from ganlab.report import main
from ganlab.run.record import SweepOutcome, completed_record, failed_record, write_record
from tests.helpers import TINY
from tests.helpers.inprocess import train_in_process

pytestmark = pytest.mark.fault


def job(sweep_dir, name, record=None):
    run_dir = sweep_dir / name
    (run_dir / ".hydra").mkdir(parents=True)
    overrides = [f"model.optim.lr={name}e-4", "data.batch_size=8"]
    OmegaConf.save(OmegaConf.create(overrides), run_dir / ".hydra" / "overrides.yaml")
    if record is not None:
        write_record(run_dir, **record)
    return run_dir


BROKEN = {
    "truncated": lambda run: (run / "metrics.json").write_text('{"status": "compl'),
    "foreign": lambda run: (run / "metrics.json").write_text(json.dumps({"fid": 3.1})),
    "list": lambda run: (run / "metrics.json").write_text("[1, 2]"),
    "text_metric": lambda run: (run / "metrics.json").write_text(
        json.dumps({"status": "completed", "metrics": {"fid": "low"}})
    ),
    "binary": lambda run: (run / "metrics.json").write_bytes(b"\xff\xfe\x00"),
    "overrides": lambda run: (run / ".hydra" / "overrides.yaml").write_text("[a, b: {"),
    "overrides_mapping": lambda run: (run / ".hydra" / "overrides.yaml").write_text("a: 1\n"),
}
REASONS = {
    "truncated": "is not readable JSON",
    "foreign": "is not a ganlab run record: no 'status' text",
    "list": "it holds a JSON list, not an object",
    "text_metric": "metric 'fid' is 'low', not a number",
    "binary": "is not readable JSON",
    "overrides": "overrides.yaml is not readable YAML",
    "overrides_mapping": "overrides.yaml is not a list of key=value overrides",
}


@pytest.mark.parametrize("fault", sorted(BROKEN))
def test_a_run_that_cannot_be_read_is_listed_and_the_others_reported(tmp_path, capsys, fault):
    job(tmp_path, "1", completed_record({"g_loss_epoch": 1.5}, 10, 1, 2.0))
    job(tmp_path, "2", completed_record({"g_loss_epoch": 2.5}, 10, 1, 2.0))
    BROKEN[fault](job(tmp_path, "3", completed_record({"g_loss_epoch": 9.0}, 10, 1, 2.0)))

    main([str(tmp_path)])

    captured = capsys.readouterr()
    assert captured.out.count("| completed |") == 2
    assert f"ganlab.report: left out run 3: {tmp_path / '3'}" in captured.err
    assert REASONS[fault] in captured.err
    markdown = (tmp_path / "report.md").read_text()
    assert "1 run folder(s) could not be read and are left out:" in markdown
    assert f"- `3`: {tmp_path / '3'}" in markdown and REASONS[fault] in markdown


def test_only_unreadable_runs_is_a_usage_error(tmp_path, capsys):
    BROKEN["foreign"](job(tmp_path, "1", {}))
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path)])
    assert exit_info.value.code == 2
    assert "no readable run folders under" in capsys.readouterr().err


def test_a_failed_job_over_a_corrupt_record_is_still_recorded(tmp_path, monkeypatch):
    from ganlab import train

    run_dir = job(tmp_path, "1")
    (run_dir / "metrics.json").write_text("{")
    monkeypatch.setattr(
        train.HydraConfig,
        "get",
        lambda: OmegaConf.create({"runtime": {"output_dir": str(run_dir)}}),
    )
    train.record_failed_job(RuntimeError("boom"), 0.0, with_traceback=False)
    assert json.loads((run_dir / "metrics.json").read_text())["status"] == "failed"


def sweep_config(sweep_dir):
    return OmegaConf.create({"hydra": {"sweep": {"dir": str(sweep_dir)}}})


def test_a_sweep_in_which_every_job_failed_exits_1(tmp_path, capsys):
    failed = failed_record(RuntimeError("boom"), 1.0, None)
    job(tmp_path, "0", failed)
    job(tmp_path, "1", failed)
    BROKEN["truncated"](job(tmp_path, "2", failed))
    with pytest.raises(SystemExit) as exit_info:
        SweepOutcome().on_multirun_end(sweep_config(tmp_path))
    assert exit_info.value.code == 1
    assert f"all 3 jobs of the sweep in {tmp_path} failed" in capsys.readouterr().err


def test_a_sweep_with_one_completed_job_exits_normally(tmp_path):
    job(tmp_path, "0", failed_record(RuntimeError("boom"), 1.0, None))
    job(tmp_path, "1", completed_record({"g_loss_epoch": 1.5}, 10, 1, 2.0))
    SweepOutcome().on_multirun_end(sweep_config(tmp_path))


def test_a_real_sweep_whose_jobs_all_fail_exits_1(mnist_root, tmp_path, capsys):
    """`python -m ganlab.train -m` (in-process) with every job refused by its settings."""
    sweep_dir = tmp_path / "sweep"
    result = train_in_process(
        "--multirun",
        f"data.root={mnist_root}",
        "data.splits=[test]",
        f"hydra.sweep.dir={sweep_dir}",
        *TINY,
        "model.latent_dim=0,-1",
        capsys=capsys,
    )
    assert result.returncode == 1
    assert f"ganlab: error: all 2 jobs of the sweep in {sweep_dir} failed" in result.stderr
    statuses = [json.loads((sweep_dir / n / "metrics.json").read_text())["status"] for n in "01"]
    assert statuses == ["failed", "failed"]
