"""Real processes: `kill -TERM` from outside once training runs (exit 143, last.ckpt, an
interrupted record, a resumable folder), and two runs started together on one folder (one
trains, the other is refused with one line)."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.helpers import REPO, TINY
from tests.helpers.inprocess import SMALL, train_in_process

pytestmark = pytest.mark.fault


def args(mnist: Path, run_dir: Path, *extra: str) -> list[str]:
    return [
        f"data.root={mnist}",
        "data.splits=[test]",
        f"hydra.run.dir={run_dir}",
        "logger=none",
        *TINY,
        *SMALL,
        "+callbacks.report._target_=tests.helpers.faults.ReportSteps",
        *extra,
    ]


def start(*arguments: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("HYDRA_FULL_ERROR", None)
    command = [sys.executable, "-m", "ganlab.train", *arguments]
    return subprocess.Popen(command, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)


def test_sigterm_from_outside_saves_records_and_exits_143(mnist_root, tmp_path):
    run_dir = tmp_path / "run"
    run = start(
        *args(mnist_root, run_dir, "trainer.max_steps=1000", "+callbacks.report.seconds=0.2")
    )
    lines = []
    for line in run.stderr:
        lines.append(line)
        if line.startswith("ganlab-test: step 1"):
            run.send_signal(signal.SIGTERM)
            break
    stderr = "".join(lines) + run.stderr.read()
    assert run.wait(timeout=120) == 143, stderr[-3000:]
    assert f"Continue with: python -m ganlab.train data.root={mnist_root}" in stderr
    assert f"resume=true hydra.run.dir={run_dir}" in stderr

    step = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)["global_step"]
    record = json.loads((run_dir / "metrics.json").read_text())
    assert step >= 1 and (record["status"], record["global_step"]) == ("interrupted", step)
    resumed = train_in_process(
        *args(mnist_root, run_dir, f"trainer.max_steps={step + 2}", "resume=true")
    )
    assert resumed.returncode == 0
    assert json.loads((run_dir / "metrics.json").read_text())["global_step"] == step + 2


def test_two_runs_started_together_on_one_folder(mnist_root, tmp_path):
    run_dir = tmp_path / "run"
    both = [
        start(*args(mnist_root, run_dir, "trainer.max_steps=6", "+callbacks.report.seconds=0.5"))
        for _ in range(2)
    ]
    results = sorted((run.wait(timeout=300), run.stderr.read()) for run in both)
    (trained, _), (refused, message) = results
    assert (trained, refused) == (0, 2), results
    assert f"ganlab: error: the run folder {run_dir} is in use by process" in message
    assert "Traceback" not in message
    record = json.loads((run_dir / "metrics.json").read_text())
    assert (record["status"], record["global_step"]) == ("completed", 6)
    assert (
        len(list((run_dir / ".hydra").iterdir())) == 3 and not (run_dir / ".ganlab.lock").exists()
    )
