"""`last.ckpt` at least every `max_unsaved_steps` generator updates or `max_unsaved_minutes`,
counted from the last save (or the start of this run's training, after a resume)."""

from types import SimpleNamespace

import pytest
import torch

from ganlab.callbacks import LastCheckpoint
from ganlab.callbacks import checkpoint as module
from ganlab.errors import UsageError
from tests.helpers import TINY
from tests.helpers.inprocess import SMALL, train_in_process


def trainer_at(step: int) -> SimpleNamespace:
    return SimpleNamespace(global_step=step, world_size=1)


def test_a_step_bound_is_counted_from_the_last_save(tmp_path):
    last = LastCheckpoint(dirpath=tmp_path, save_last=True, save_top_k=0, max_unsaved_steps=3)
    last.on_train_start(trainer_at(10), None)  # a resumed run starts counting at its step
    assert not last.overdue(trainer_at(12)) and last.overdue(trainer_at(13))


def test_a_time_bound_is_counted_from_the_last_save(tmp_path, monkeypatch):
    now = [100.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: now[0])
    last = LastCheckpoint(dirpath=tmp_path, save_last=True, save_top_k=0, max_unsaved_minutes=2)
    last.on_train_start(trainer_at(0), None)
    now[0] += 119
    assert not last.overdue(trainer_at(1_000_000))
    now[0] += 1
    assert last.overdue(trainer_at(1_000_001))


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"max_unsaved_steps": 0}, "max_unsaved_steps must be >= 1 (or null), got 0"),
        ({"max_unsaved_minutes": -1}, "max_unsaved_minutes must be > 0 (or null), got -1"),
    ],
)
def test_bounds_are_checked(tmp_path, option, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        LastCheckpoint(dirpath=tmp_path, **option)


def test_a_crash_loses_at_most_the_steps_since_the_bound(mnist_root, tmp_path):
    run_dir = tmp_path / "run"
    result = train_in_process(
        f"data.root={mnist_root}",
        "data.splits=[test]",
        f"hydra.run.dir={run_dir}",
        "logger=none",
        *TINY,
        *SMALL,
        "callbacks.last_checkpoint.max_unsaved_steps=3",
        "+callbacks.crash._target_=tests.helpers.faults.CrashAt",
        "+callbacks.crash.step=5",
    )
    assert result.returncode == 1
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint["global_step"] == 3
