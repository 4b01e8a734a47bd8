"""`python -m ganlab.diagnose RUN_DIR` on a run made to fail reads back from its TensorBoard
events (or its CSV log) the same timeline the live callback wrote into metrics.json, and
`python -m ganlab.report` shows it in the run's row."""

import json
import shutil
from argparse import Namespace

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from ganlab.diagnose import main
from ganlab.report import report
from tests.helpers import TINY
from tests.helpers.inprocess import SMALL, train_in_process


def test_diagnose_prints_the_timeline_the_run_recorded(mnist_root, tmp_path, capsys):
    run_dir = tmp_path / "run"
    result = train_in_process(
        f"data.root={mnist_root}",
        "data.splits=[test]",
        f"hydra.run.dir={run_dir}",
        "trainer.max_steps=30",
        *TINY,
        *SMALL,
        "data.batch_size=16",
        "model.optim.lr=2e-4",
        "model.optim.lr_d=2e-3",
        "callbacks.diagnosis.window=5",
        "logger=[tensorboard,csv]",
        capsys=capsys,
    )
    assert result.returncode == 0, result.stderr
    original = (run_dir / "metrics.json").read_text()
    recorded = json.loads(original)["diagnosis"]
    assert recorded["verdict"] == "discriminator dominates"
    lines = [
        f"steps {p['start_step']}-{p['end_step']}: {p['verdict']} ({p['evidence']})"
        + ("; try " + " ".join(p["remedies"]) if p["remedies"] else "")
        for p in recorded["timeline"]
    ]
    assert "model.optim.lr_d=0.0005" in lines[-1]

    assert any(
        "diagnosis/text_summary" in accumulator.Tags()["tensors"]
        for events in (run_dir / "tensorboard").rglob("events.out.tfevents.*")
        if (accumulator := EventAccumulator(str(events))).Reload()
    )
    main([str(run_dir)])
    assert capsys.readouterr().out.splitlines() == lines
    shutil.rmtree(run_dir / "tensorboard")
    main([str(run_dir)])
    assert capsys.readouterr().out.splitlines() == lines
    (run_dir / "metrics.json").write_text('{"broken": ')  # a record nobody can read
    main([str(run_dir)])
    printed = capsys.readouterr()
    assert "is not readable JSON" in printed.err and "diagnosing from the logs alone" in printed.err
    assert printed.out.splitlines() == lines
    (run_dir / "metrics.json").write_text(original)

    table = report(Namespace(sweep_dir=run_dir, metrics=None, curves=None, smoothing=0.6))
    header, _, row = table.splitlines()[:3]
    column = [c.strip() for c in header.split("|")].index("diagnosis")
    assert row.split("|")[column].strip().startswith("discriminator dominates ")


def test_diagnose_refuses_a_folder_without_logged_signals(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit:
        main([str(tmp_path)])
    assert exit.value.code == 2
    assert "no logged signals under" in capsys.readouterr().err
