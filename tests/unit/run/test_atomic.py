"""Atomic checkpoints: a SIGKILL during a save, or a save that fails, leaves the previous
checkpoint loadable and unchanged."""

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from ganlab.run import atomic as checkpoint_io
from ganlab.run.atomic import AtomicCheckpointIO, Taken, WriteError, write_atomically
from ganlab.run.config import CONF_DIR
from tests.helpers import REPO

pytestmark = pytest.mark.fault

SAVE_FOREVER = """
import sys, torch
from ganlab.run.atomic import AtomicCheckpointIO
io, version = AtomicCheckpointIO(), 0
while True:  # 16 MB checkpoints, each filled with its version number
    io.save_checkpoint({"version": version, "weights": torch.full((2**22,), float(version))},
                       sys.argv[1])
    version += 1
"""


def temp_files(path: Path) -> list[Path]:
    return list(path.parent.glob(f".{path.name}.*.tmp"))


def test_sigkill_during_a_save_leaves_a_loadable_checkpoint(tmp_path):
    path = tmp_path / "last.ckpt"
    saver = subprocess.Popen(
        [sys.executable, "-c", SAVE_FOREVER, str(path)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        deadline = time.monotonic() + 120
        while not (path.exists() and temp_files(path)):  # a save after the first one is running
            assert saver.poll() is None and time.monotonic() < deadline, "the saver stopped"
            time.sleep(0.001)
        saver.send_signal(signal.SIGKILL)
    finally:
        saver.kill()
        saver.wait()
    assert temp_files(path), "the kill landed outside a save; the test proved nothing"

    checkpoint = torch.load(path, weights_only=True)
    assert torch.equal(checkpoint["weights"], torch.full((2**22,), float(checkpoint["version"])))
    AtomicCheckpointIO().save_checkpoint({"version": -1}, path)
    assert not temp_files(path), "the next save removes what the killed one left"


class DiskFull:
    """`torch.save` that writes part of the file, then fails (or is interrupted)."""

    def __init__(self, error: BaseException):
        self.error = error

    def __call__(self, obj, file) -> None:
        file.write(b"half a checkpoint")
        raise self.error


@pytest.mark.parametrize(
    "error", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()]
)
def test_a_failed_save_keeps_the_old_checkpoint(tmp_path, monkeypatch, error):
    path = tmp_path / "last.ckpt"
    AtomicCheckpointIO().save_checkpoint({"step": 1}, path)
    before = path.read_bytes()
    monkeypatch.setattr(checkpoint_io.torch, "save", DiskFull(error))

    expected = WriteError if isinstance(error, OSError) else KeyboardInterrupt
    with pytest.raises(expected) as raised:
        AtomicCheckpointIO().save_checkpoint({"step": 2}, path)

    assert path.read_bytes() == before
    assert not temp_files(path)
    if expected is WriteError:
        assert f"cannot write checkpoint {path} (No space left on device)" in str(raised.value)
        assert raised.value.exit_code == 1


def test_the_trainer_saves_through_it(tmp_path):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose(
            "train", overrides=["trainer.accelerator=cpu", f"trainer.default_root_dir={tmp_path}"]
        )
    trainer = instantiate(cfg.trainer, logger=False)
    assert isinstance(trainer.strategy.checkpoint_io, AtomicCheckpointIO)


def test_two_writers_of_one_output_cannot_both_succeed(tmp_path):
    """Without overwrite, a file that appears while ganlab writes (another command writing
    the same out=) is kept, and this write stops with one line."""
    path = tmp_path / "samples.npz"

    def write(file):
        path.write_bytes(b"the other command's")  # it finishes first
        file.write(b"ours")

    with pytest.raises(Taken, match="appeared while ganlab was writing it"):
        write_atomically(path, write, "samples", keep_existing=True)
    assert path.read_bytes() == b"the other command's"
    assert [p.name for p in tmp_path.iterdir()] == ["samples.npz"]  # no temporary file left
    write_atomically(tmp_path / "new.npz", lambda file: file.write(b"ours"), keep_existing=True)
    assert (tmp_path / "new.npz").read_bytes() == b"ours"
