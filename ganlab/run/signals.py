"""SIGTERM and SIGINT wait for the end of the current training step.

Left alone, Python's SIGINT raises `KeyboardInterrupt` wherever the process is (half way through
an `n_critic` cycle, inside a checkpoint write), and Lightning's own SIGTERM handler only sets
`trainer.received_sigterm`, which its loop turns into a silent exit 0 with nothing saved. While
`deferred_signals()` is active both only note which signal came; `ganlab.callbacks.Interruption`
acts on it between two training steps (saves `last.ckpt`, records the run as interrupted, exits
128 + signal). A second Ctrl+C stops at once, for a step that hangs.

The handlers are installed before `trainer.fit` and Lightning keeps them: its signal connector,
registered when fitting starts, calls a SIGTERM handler it finds after its own, and it leaves the
SLURM requeue signal (SIGUSR1) to its own handler, which saves `hpc_ckpt_N.ckpt` and requeues the
job; the SIGTERM that follows the requeue is then ours.
"""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

DEFERRED = (signal.SIGTERM, signal.SIGINT)

received: signal.Signals | None = None
"""The first deferred signal that arrived while `deferred_signals()` was active."""


def pending() -> signal.Signals | None:
    return received


def note_signal(signum: int, frame: FrameType | None) -> None:
    global received
    if received == signal.SIGINT and signum == signal.SIGINT:
        raise KeyboardInterrupt
    received = received or signal.Signals(signum)


@contextmanager
def deferred_signals() -> Iterator[None]:
    """Defer SIGTERM and SIGINT for the block (main thread only: Python delivers signals there)."""
    global received
    received = None
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, note_signal) for signum in DEFERRED}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
