"""Exact resume: a run interrupted at an epoch boundary, or SIGKILLed mid-epoch and resumed
from its last step checkpoint, ends bit-identical to the uninterrupted run (CPU,
trainer.deterministic=true), with its counters and TensorBoard curves continuing."""

import json
import time
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from tests.helpers import TINY, run_cli
from tests.helpers.inprocess import SMALL, train_in_process

pytestmark = pytest.mark.fault

STEPS_PER_EPOCH = 8  # 64 fixture images, batches of 8


def args(mnist: Path, run_dir: Path, *extra: str) -> list[str]:
    return [
        f"data.root={mnist}",
        "data.splits=[test]",
        f"hydra.run.dir={run_dir}",
        "trainer.deterministic=true",
        "seed=5",
        *TINY,
        *SMALL,
        *extra,
    ]


@pytest.fixture(autouse=True, scope="module")
def restore_determinism_flag():
    """trainer.deterministic=true switches torch's global flag on for the whole process."""
    enabled = torch.are_deterministic_algorithms_enabled()
    yield
    torch.use_deterministic_algorithms(enabled)


@pytest.fixture(scope="module")
def uninterrupted(mnist_root, tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("resume") / "uninterrupted"
    assert train_in_process(*args(mnist_root, run_dir, "trainer.max_epochs=2")).returncode == 0
    return run_dir


def last(run_dir: Path) -> dict:
    return torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)


def assert_same_training_state(run_dir: Path, reference: Path) -> None:
    ours, theirs = last(run_dir), last(reference)
    assert (ours["global_step"], ours["epoch"]) == (theirs["global_step"], theirs["epoch"])
    assert ours["state_dict"].keys() == theirs["state_dict"].keys()
    for key, value in ours["state_dict"].items():
        assert torch.equal(value, theirs["state_dict"][key]), key
    for mine, other in zip(ours["optimizer_states"], theirs["optimizer_states"], strict=True):
        for index, state in mine["state"].items():
            for name, value in state.items():
                assert torch.equal(value, other["state"][index][name]), (index, name)


def logged_steps(events: Path, tag: str = "g_loss_step") -> list[tuple[int, float]]:
    accumulator = EventAccumulator(str(events), size_guidance={"scalars": 0})
    accumulator.Reload()
    return [(e.step, e.value) for e in accumulator.Scalars(tag)]


def event_files(run_dir: Path) -> list[Path]:
    files = (run_dir / "tensorboard").glob("events.out.tfevents.*")
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def test_resume_at_an_epoch_boundary_is_bit_identical(mnist_root, uninterrupted, tmp_path):
    run_dir = tmp_path / "interrupted"
    assert train_in_process(*args(mnist_root, run_dir, "trainer.max_epochs=1")).returncode == 0
    assert last(run_dir)["global_step"] == STEPS_PER_EPOCH
    (first_fit_s,) = [
        state["wall_time_s"]
        for key, state in last(run_dir)["callbacks"].items()
        if "RunSummary" in key
    ]
    started = time.monotonic()
    resumed = train_in_process(*args(mnist_root, run_dir, "trainer.max_epochs=2", "resume=true"))
    assert resumed.returncode == 0
    # the record's wall time is both fits: the first one's, carried in the checkpoint, and this
    second_fit_s = json.loads((run_dir / "metrics.json").read_text())["wall_time_s"] - first_fit_s
    assert 0 < second_fit_s < time.monotonic() - started

    assert_same_training_state(run_dir, uninterrupted)
    first, second = event_files(run_dir)
    reference = logged_steps(event_files(uninterrupted)[0])
    # the second run's curve starts where the first stopped and matches the uninterrupted one
    assert logged_steps(first) + logged_steps(second) == reference
    assert logged_steps(second)[0][0] == STEPS_PER_EPOCH


def test_sigkill_mid_epoch_loses_only_the_steps_since_the_last_checkpoint(
    mnist_root, uninterrupted, tmp_path
):
    run_dir = tmp_path / "killed"
    every_3 = "callbacks.last_checkpoint.every_n_train_steps=3"
    killed = run_cli(
        "ganlab.train",
        *args(mnist_root, run_dir, "trainer.max_epochs=2", every_3),
        "+callbacks.kill._target_=tests.helpers.faults.KillAt",
        "+callbacks.kill.step=5",
    )
    assert killed.returncode == -9, killed.stderr[-2000:]
    checkpoint = last(run_dir)
    assert checkpoint["global_step"] == 3 and checkpoint["epoch"] == 0  # steps 4 and 5 lost

    resumed = train_in_process(*args(mnist_root, run_dir, "trainer.max_epochs=2", every_3))
    assert resumed.returncode == 2, "a new run must not take over the killed run's folder"
    resumed = train_in_process(
        *args(mnist_root, run_dir, "trainer.max_epochs=2", every_3, "resume=true")
    )
    assert resumed.returncode == 0

    assert_same_training_state(run_dir, uninterrupted)
    steps = [step for step, _ in logged_steps(event_files(run_dir)[-1])]
    assert steps == list(range(3, 2 * STEPS_PER_EPOCH)), "the curve continues from step 3"


def test_wgan_gp_resumes_mid_epoch_bit_identical(mnist_root, tmp_path, capsys):
    """n_critic critic updates (each on its own real batch) and the gradient penalty's double
    backward live inside one training step, so a checkpoint between steps resumes exactly."""
    common = [
        f"data.root={mnist_root}",
        "data.splits=[test]",
        "trainer.deterministic=true",
        "seed=5",
        *TINY,
        *(arg for arg in SMALL if not arg.startswith("model=")),
        "model=wgan_gp",
        "model.n_critic=2",  # 4 generator steps per epoch
        "trainer.max_epochs=2",
        "callbacks.last_checkpoint.every_n_train_steps=2",
    ]
    reference, run_dir = tmp_path / "uninterrupted", tmp_path / "crashed"
    assert train_in_process(*common, f"hydra.run.dir={reference}").returncode == 0

    crash = [
        "+callbacks.crash._target_=tests.helpers.faults.CrashAt",
        "+callbacks.crash.step=3",
    ]
    crashed = train_in_process(*common, f"hydra.run.dir={run_dir}", *crash, capsys=capsys)
    assert crashed.returncode == 1 and "simulated crash after step 3" in crashed.stderr
    assert last(run_dir)["global_step"] == 2
    resumed = train_in_process(*common, f"hydra.run.dir={run_dir}", "resume=true")
    assert resumed.returncode == 0
    assert_same_training_state(run_dir, reference)


def test_sigterm_mid_epoch_saves_that_step_and_resumes_bit_identical(
    mnist_root, uninterrupted, tmp_path, capsys
):
    """A real SIGTERM (preemption) after step 5: last.ckpt at step 5, an interrupted record, a
    line saying how to continue, exit 143; resumed twice, the second resume changes nothing."""
    run_dir = tmp_path / "preempted"
    signal_at_5 = ["+callbacks.sig._target_=tests.helpers.faults.SignalAt", "+callbacks.sig.step=5"]
    stopped = train_in_process(
        *args(mnist_root, run_dir, "trainer.max_epochs=2", *signal_at_5), capsys=capsys
    )
    assert stopped.returncode == 143, stopped.stderr[-2000:]
    assert f"resume=true hydra.run.dir={run_dir}" in stopped.stderr
    assert (last(run_dir)["global_step"], last(run_dir)["epoch"]) == (5, 0)
    record = json.loads((run_dir / "metrics.json").read_text())
    assert (record["status"], record["global_step"]) == ("interrupted", 5)
    assert record["error"] == "interrupted by SIGTERM after step 5"

    resumed = train_in_process(*args(mnist_root, run_dir, "trainer.max_epochs=2", "resume=true"))
    assert resumed.returncode == 0
    assert_same_training_state(run_dir, uninterrupted)
    assert json.loads((run_dir / "metrics.json").read_text())["status"] == "completed"

    files = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    again = train_in_process(
        *args(mnist_root, run_dir, "trainer.max_epochs=2", "resume=true"), capsys=capsys
    )
    assert again.returncode == 0
    assert "which already reaches trainer.max_epochs=2: nothing to train" in again.stderr
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == files


def test_sigint_inside_an_n_critic_cycle_waits_for_the_step_to_end(mnist_root, tmp_path, capsys):
    """Ctrl+C during the first critic update of step 3: the step's 2 critic updates and its
    generator update all happen, and last.ckpt holds exactly 3 whole steps."""
    run_dir = tmp_path / "ctrl_c"
    common = [arg for arg in args(mnist_root, run_dir) if not arg.startswith("model=")]
    stopped = train_in_process(
        *common,
        "model=wgan_gp",
        "model.n_critic=2",
        "trainer.max_steps=8",
        "+callbacks.sig._target_=tests.helpers.faults.SignalInsideStep",
        "+callbacks.sig.step=2",
        capsys=capsys,
    )
    assert stopped.returncode == 130, stopped.stderr[-2000:]
    assert "interrupted by SIGINT after step 3" in stopped.stderr
    checkpoint = last(run_dir)
    assert checkpoint["global_step"] == 3
    generator_state, critic_state = (s["state"][0] for s in checkpoint["optimizer_states"])
    assert int(generator_state["step"]) == 3 and int(critic_state["step"]) == 2 * 3
