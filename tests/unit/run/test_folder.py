"""Run folders after a failure or alongside another run: a run that failed before its first
checkpoint is rerun (or resumed from nothing) in its own folder, its leftovers replaced and
nothing else touched; a live run's lock refuses a second run, a killed run's does not; a
sweep does not train over the run folders of an earlier sweep in its folder."""

import json
import os
import shutil
import socket
from pathlib import Path

import pytest
import torch

from ganlab.run import folder as folder_module
from ganlab.run.folder import LOCK_FILE, MARKER, acquire_lock, check_sweep_folder, release_lock
from tests.helpers import TINY
from tests.helpers.inprocess import SMALL, train_in_process

pytestmark = pytest.mark.fault


def args(mnist: Path, run_dir: Path, *extra: str) -> list[str]:
    return [
        f"data.root={mnist}",
        "data.splits=[test]",
        f"hydra.run.dir={run_dir}",
        "trainer.max_steps=2",
        *TINY,
        *SMALL,
        *extra,
    ]


def events(run_dir: Path) -> list[Path]:
    return list((run_dir / "tensorboard").glob("events.out.tfevents.*"))


def crashed_before_its_first_checkpoint(mnist: Path, run_dir: Path) -> None:
    crash = ["+callbacks.crash._target_=tests.helpers.faults.CrashAt", "+callbacks.crash.step=1"]
    assert train_in_process(*args(mnist, run_dir, *crash)).returncode == 1
    assert (run_dir / ".hydra").is_dir() and (run_dir / "train.log").is_file()
    assert events(run_dir) and not (run_dir / "checkpoints" / "last.ckpt").exists()


def test_a_run_that_failed_before_its_first_checkpoint_is_rerun_in_its_folder(
    mnist_root, tmp_path, capsys
):
    run_dir = tmp_path / "run"
    crashed_before_its_first_checkpoint(mnist_root, run_dir)
    (run_dir / "notes.txt").write_text("mine")
    old_events = events(run_dir)

    rerun = train_in_process(*args(mnist_root, run_dir), capsys=capsys)
    assert rerun.returncode == 0, rerun.stderr
    assert "holds a run that failed before its first checkpoint: starting over" in rerun.stderr
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert len(events(run_dir)) == 1 and not set(old_events) & set(events(run_dir))
    assert "CrashAt" not in (run_dir / ".hydra" / "overrides.yaml").read_text()
    assert (run_dir / "notes.txt").read_text() == "mine"
    assert json.loads((run_dir / "metrics.json").read_text())["status"] == "completed"


def test_resume_without_any_checkpoint_starts_fresh_with_a_note(mnist_root, tmp_path, capsys):
    run_dir = tmp_path / "run"
    crashed_before_its_first_checkpoint(mnist_root, run_dir)
    resumed = train_in_process(*args(mnist_root, run_dir, "resume=true"), capsys=capsys)
    assert resumed.returncode == 0, resumed.stderr
    assert "resume=true but" in resumed.stderr and "starting a fresh run there" in resumed.stderr
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()


def test_a_live_runs_lock_refuses_a_second_run_and_changes_nothing(mnist_root, tmp_path, capsys):
    run_dir = tmp_path / "run"
    lock = acquire_lock(run_dir)  # held here, as a live run holds it
    before = lock.read_bytes()
    try:
        second = train_in_process(*args(mnist_root, run_dir), capsys=capsys)
        assert os.listdir(run_dir) == [LOCK_FILE] and lock.read_bytes() == before
    finally:
        release_lock(lock)
    assert second.returncode == 2
    assert f"is in use by process {os.getpid()} on {socket.gethostname()}" in second.stderr
    assert second.stderr.count("\n") == 1


def test_a_killed_runs_lock_file_is_taken_over_and_released_at_the_end(mnist_root, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / LOCK_FILE).write_text("process 1 on elsewhere\n")  # no process holds it
    assert train_in_process(*args(mnist_root, run_dir)).returncode == 0
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert not (run_dir / LOCK_FILE).exists()


def a_finished_sweep(sweep_dir: Path) -> dict[Path, bytes]:
    """A sweep folder as a finished two-job sweep leaves it (the files that matter here)."""
    files = {
        sweep_dir / "0" / ".hydra" / "overrides.yaml": b"- model.latent_dim=8\n",
        sweep_dir / "0" / "metrics.json": b'{"status": "completed"}',
        sweep_dir / "1" / "checkpoints" / "last.ckpt": b"weights",
        sweep_dir / "multirun.yaml": b"hydra: {}\n",
    }
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def test_a_sweep_into_a_folder_holding_runs_is_refused_before_any_job(mnist_root, tmp_path, capsys):
    sweep_dir = tmp_path / "sweep"
    files = a_finished_sweep(sweep_dir)
    sweep = [f"hydra.sweep.dir={sweep_dir}", "model.latent_dim=8,16"]
    result = train_in_process(
        "--multirun", *args(mnist_root, tmp_path / "unused"), *sweep, capsys=capsys
    )
    assert result.returncode == 2
    assert f"the sweep folder {sweep_dir} already holds runs (0, 1): its jobs would" in (
        result.stderr
    )
    assert "continue them with resume=true" in result.stderr
    assert {path: path.read_bytes() for path in files} == files
    assert sorted(p.name for p in sweep_dir.iterdir()) == ["0", "1", "multirun.yaml"]


def test_a_sweep_may_continue_its_runs_or_share_a_folder_with_other_things(tmp_path):
    sweep_dir = tmp_path / "sweep"
    a_finished_sweep(sweep_dir)
    check_sweep_folder(sweep_dir, resume=True)
    others = tmp_path / "others"
    (others / "notes").mkdir(parents=True)
    (others / "optuna.db").write_bytes(b"")
    check_sweep_folder(others, resume=False)
    check_sweep_folder(tmp_path / "new", resume=False)


def contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("left", ["train.log", ".hydra/config.yaml", "notes.txt"])
def test_a_folder_ganlab_did_not_make_is_refused_whatever_it_holds(
    mnist_root, tmp_path, capsys, left
):
    """Another Hydra project's output looks like a failed ganlab run: it is not one."""
    run_dir = tmp_path / "theirs"
    (run_dir / left).parent.mkdir(parents=True, exist_ok=True)
    (run_dir / left).write_text("not ganlab's")
    before = contents(run_dir)
    for extra in ((), ("resume=true",)):
        result = train_in_process(*args(mnist_root, run_dir, *extra), capsys=capsys)
        assert result.returncode == 2
        assert "holds files ganlab did not make" in result.stderr
        assert contents(run_dir) == before


def test_a_checkpoint_inside_a_foreign_folder_does_not_hand_it_over(mnist_root, tmp_path, capsys):
    source = tmp_path / "source"
    assert train_in_process(*args(mnist_root, source)).returncode == 0
    theirs = tmp_path / "theirs"
    (theirs / "checkpoints").mkdir(parents=True)
    checkpoint = theirs / "checkpoints" / "last.ckpt"
    checkpoint.write_bytes((source / "checkpoints" / "last.ckpt").read_bytes())
    before = contents(theirs)
    run = args(mnist_root, theirs, f"ckpt_path={checkpoint}", "trainer.max_steps=3")
    result = train_in_process(*run, capsys=capsys)
    assert result.returncode == 2 and "holds files ganlab did not make" in result.stderr
    assert contents(theirs) == before


def test_a_guard_that_fails_unexpectedly_refuses_the_run(mnist_root, tmp_path, capsys, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("disk said no")

    monkeypatch.setattr(folder_module, "check_run_folder", broken)
    run_dir = tmp_path / "run"
    result = train_in_process(*args(mnist_root, run_dir), capsys=capsys)
    assert result.returncode == 1
    assert "cannot check the run folder" in result.stderr and "disk said no" in result.stderr
    assert not run_dir.exists()


def test_ganlab_marks_the_folders_it_makes_and_an_undone_run_leaves_none(mnist_root, tmp_path):
    run_dir = tmp_path / "run"
    assert train_in_process(*args(mnist_root, run_dir)).returncode == 0
    assert (run_dir / MARKER).is_file()
    refused = tmp_path / "refused"
    assert train_in_process(*args(mnist_root, refused, "data.batch_size=100000")).returncode == 2
    assert not refused.exists()


def test_a_copied_run_folder_resumes_into_its_own_last_checkpoint(mnist_root, tmp_path):
    original = tmp_path / "original"
    assert train_in_process(*args(mnist_root, original)).returncode == 0
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    resumed = train_in_process(*args(mnist_root, copy, "resume=true", "trainer.max_steps=3"))
    assert resumed.returncode == 0
    assert sorted(p.name for p in (copy / "checkpoints").glob("last*")) == ["last.ckpt"]
    assert torch.load(copy / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 3
    assert torch.load(original / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 2


def test_a_run_killed_before_its_record_is_completed_by_resume(mnist_root, tmp_path, capsys):
    """Killed between its final checkpoint and metrics.json: `resume=true` writes the record
    the final checkpoint carries, the one the uninterrupted run wrote (but its wall time)."""
    run_dir = tmp_path / "run"
    assert train_in_process(*args(mnist_root, run_dir)).returncode == 0
    written = json.loads((run_dir / "metrics.json").read_text())
    (run_dir / "metrics.json").unlink()  # the kill came before the record
    before = {p: p.stat().st_mtime_ns for p in run_dir.rglob("*") if p.is_file()}
    resumed = train_in_process(*args(mnist_root, run_dir, "resume=true"), capsys=capsys)
    assert resumed.returncode == 0 and "its record was cut short" in resumed.stderr
    completed = json.loads((run_dir / "metrics.json").read_text())
    assert completed.pop("wall_time_s") > 0
    written.pop("wall_time_s")
    assert completed == written
    after = {p: p.stat().st_mtime_ns for p in run_dir.rglob("*") if p.is_file()}
    assert set(after) - set(before) == {run_dir / "metrics.json"}
    assert all(after[p] == mtime for p, mtime in before.items())
