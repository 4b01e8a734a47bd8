"""The divergence guard: a forced NaN stops the run with the step and the losses named, keeps
the last good checkpoint, and `on_divergence=skip_batch` rolls bad batches back up to a limit."""

from pathlib import Path

import pytest
import torch

from tests.helpers import TINY
from tests.helpers.inprocess import SMALL, train_in_process
from tests.helpers.tensorboard_reader import scalars


def args(mnist: Path, run_dir: Path, *extra: str) -> list[str]:
    return [
        f"data.root={mnist}",
        "data.splits=[test]",
        f"hydra.run.dir={run_dir}",
        "trainer.max_steps=8",
        *TINY,
        *SMALL,
        *extra,
    ]


def poison(step: int, repeat: bool = False) -> list[str]:
    return [
        "+callbacks.poison._target_=tests.helpers.faults.PoisonAt",
        f"+callbacks.poison.step={step}",
        f"+callbacks.poison.repeat={repeat}",
    ]


def last(run_dir: Path) -> dict:
    return torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)


def all_finite(checkpoint: dict) -> bool:
    return all(torch.isfinite(v).all() for v in checkpoint["state_dict"].values())


def test_a_nan_stops_the_run_and_keeps_the_last_good_checkpoint(mnist_root, tmp_path, capsys):
    run_dir = tmp_path / "run"
    every_step = "callbacks.last_checkpoint.every_n_train_steps=1"
    result = train_in_process(*args(mnist_root, run_dir, every_step), *poison(4), capsys=capsys)

    assert result.returncode == 1
    assert "ganlab: error: training diverged at step 5: d_loss=nan, g_loss=nan" in result.stderr
    assert f"the last good checkpoint {run_dir / 'checkpoints' / 'last.ckpt'} is kept" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    checkpoint = last(run_dir)
    assert checkpoint["global_step"] == 4 and all_finite(checkpoint)


def test_deferred_checks_still_name_the_first_bad_step(mnist_root, tmp_path, capsys):
    run_dir = tmp_path / "run"
    every_4 = "callbacks.divergence.check_every_n_steps=4"
    result = train_in_process(*args(mnist_root, run_dir, every_4), *poison(1), capsys=capsys)
    assert result.returncode == 1
    assert "training diverged at step 2: d_loss=nan" in result.stderr
    assert "no checkpoint kept" in result.stderr
    assert not (run_dir / "checkpoints").exists()


def test_skip_batch_rolls_the_bad_batch_back(mnist_root, tmp_path, capsys):
    run_dir = tmp_path / "run"
    result = train_in_process(
        *args(mnist_root, run_dir, "on_divergence=skip_batch"), *poison(4), capsys=capsys
    )
    assert result.returncode == 0, result.stderr
    checkpoint = last(run_dir)
    assert checkpoint["global_step"] == 8 and all_finite(checkpoint)
    skipped = [value for _, value in scalars(run_dir)["skipped_batches"]]
    assert skipped == [0, 0, 0, 0, 1, 1, 1, 1]


@pytest.mark.parametrize("limit", [0, 2])
def test_skip_batch_stops_after_its_limit(mnist_root, tmp_path, capsys, limit):
    run_dir = tmp_path / "run"
    extra = ["on_divergence=skip_batch", f"callbacks.divergence.max_skipped_batches={limit}"]
    result = train_in_process(
        *args(mnist_root, run_dir, *extra), *poison(2, repeat=True), capsys=capsys
    )
    assert result.returncode == 1
    assert f"training diverged at step {3 + limit}: d_loss=nan" in result.stderr
    assert f"It kept diverging after {limit} skipped batches" in result.stderr


@pytest.mark.parametrize(("poisoned", "kept_step"), [(4, 3), (1, None)])
def test_a_checkpoint_of_diverged_weights_is_never_written(
    mnist_root, tmp_path, capsys, poisoned, kept_step
):
    """With deferred checks a save can come first: the guard refuses to write it."""
    run_dir = tmp_path / "run"
    extra = [
        "callbacks.divergence.check_every_n_steps=10",
        "callbacks.last_checkpoint.every_n_train_steps=3",
    ]
    result = train_in_process(*args(mnist_root, run_dir, *extra), *poison(poisoned), capsys=capsys)
    assert result.returncode == 1
    assert f"training diverged at step {poisoned + 1}: d_loss=nan" in result.stderr
    assert "; not saving this checkpoint;" in result.stderr
    if kept_step is None:
        assert "; no checkpoint kept." in result.stderr
        assert not (run_dir / "checkpoints" / "last.ckpt").exists()
    else:
        checkpoint = last(run_dir)
        assert checkpoint["global_step"] == kept_step and all_finite(checkpoint)
