"""SIGTERM and SIGINT wait for the end of the current training step.

Python's SIGINT would raise wherever the process is (inside an `n_critic` cycle, a checkpoint
write), and Lightning's SIGTERM handler only sets `trainer.received_sigterm`, a silent exit 0.
While `deferred_signals()` is active both are only noted; `ganlab.callbacks.Interruption` acts
between two steps. A second Ctrl+C stops at once. Lightning, whose handlers are registered when
fitting starts, calls the SIGTERM handler it finds after its own and keeps SLURM's requeue
signal (SIGUSR1) to itself.
"""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

received: signal.Signals | None = None


def pending() -> signal.Signals | None:
    """The first deferred signal that arrived, if any."""
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
    main = threading.current_thread() is threading.main_thread()
    deferred = (signal.SIGTERM, signal.SIGINT) if main else ()
    previous = {signum: signal.signal(signum, note_signal) for signum in deferred}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
