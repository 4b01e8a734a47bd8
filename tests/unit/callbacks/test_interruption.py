"""Deferred signals and Lightning's own handlers: SIGTERM reaches both ganlab and Lightning
(under SLURM auto-requeue too, where Lightning keeps its requeue handler), nothing acts on it
mid-step, and the previous handlers come back after the run."""

import os
import signal

import pytest
from lightning.pytorch import Trainer
from lightning.pytorch.plugins.environments import SLURMEnvironment

from ganlab.callbacks import interruption
from ganlab.callbacks.interruption import deferred_signals

pytestmark = pytest.mark.fault

SLURM_JOB = {"SLURM_NTASKS": "1", "SLURM_JOB_NAME": "train", "SLURM_JOB_ID": "123"}


@pytest.mark.parametrize("slurm", [False, True], ids=["plain", "slurm_requeue"])
def test_sigterm_is_noted_by_ganlab_and_lightning(slurm, monkeypatch):
    for name, value in SLURM_JOB.items():
        if slurm:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)
    plugins = [SLURMEnvironment(auto_requeue=True)] if slurm else []
    trainer = Trainer(accelerator="cpu", logger=False, plugins=plugins)
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1)}
    with deferred_signals():
        trainer._signal_connector.register_signal_handlers()  # what fit does when it starts
        requeue = signal.getsignal(signal.SIGUSR1)
        os.kill(os.getpid(), signal.SIGTERM)
        assert interruption.received == signal.SIGTERM and trainer.received_sigterm
        assert (requeue is not before[signal.SIGUSR1]) == slurm, "Lightning's requeue handler"
        trainer._signal_connector.teardown()
    assert {s: signal.getsignal(s) for s in before} == before


def test_a_second_ctrl_c_stops_at_once():
    with deferred_signals():
        os.kill(os.getpid(), signal.SIGINT)
        assert interruption.received == signal.SIGINT
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
