"""The averaged generator resumes exactly: a run that crashes after a step checkpoint and is
resumed ends with the EMA weights (and everything else) of the uninterrupted run."""

import pytest
import torch

from tests.helpers import TINY
from tests.helpers.inprocess import SMALL, train_in_process

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(autouse=True)
def restore_determinism_flag():
    """trainer.deterministic=true switches torch's global flag on for the whole process."""
    enabled = torch.are_deterministic_algorithms_enabled()
    yield
    torch.use_deterministic_algorithms(enabled)


def last(run_dir) -> dict:
    return torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)


def test_resumed_ema_weights_equal_the_uninterrupted_runs(mnist_root, tmp_path):
    common = [
        f"data.root={mnist_root}",
        "data.splits=[test]",
        "trainer.deterministic=true",
        "seed=5",
        *TINY,
        *SMALL,
        "model.ema.decay=0.8",
        "model.ema.start=1",
        "logger=none",
        "trainer.max_steps=6",  # 8 steps per epoch: the resume is mid-epoch
        "callbacks.last_checkpoint.every_n_train_steps=3",
    ]
    reference, run_dir = tmp_path / "uninterrupted", tmp_path / "crashed"
    assert train_in_process(*common, f"hydra.run.dir={reference}").returncode == 0
    crash = ["+callbacks.crash._target_=tests.helpers.faults.CrashAt", "+callbacks.crash.step=4"]
    assert train_in_process(*common, f"hydra.run.dir={run_dir}", *crash).returncode == 1
    assert last(run_dir)["global_step"] == 3  # saved by the step-3 checkpoint
    assert train_in_process(*common, f"hydra.run.dir={run_dir}", "resume=true").returncode == 0

    ours, theirs = last(run_dir)["state_dict"], last(reference)["state_dict"]
    averaged = [key for key in theirs if key.startswith("ema.generator.")]
    assert averaged and ours.keys() == theirs.keys()
    for key, value in theirs.items():
        assert torch.equal(ours[key], value), key
    weight = next(k for k in averaged if k.endswith("weight"))
    live = weight.removeprefix("ema.")
    assert not torch.equal(theirs[weight], theirs[live]), "the average is not the live generator"
