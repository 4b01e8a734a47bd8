"""The run-folder lock is the operating system's: a live holder, in this process or another,
refuses a second run; a lock file left by a killed run is no lock."""

import os
import signal
import socket
import subprocess
import sys

import pytest

from ganlab.errors import UsageError
from ganlab.run.folder import LOCK_FILE, acquire_lock, release_lock

pytestmark = pytest.mark.fault

HOLD = (
    "import sys, time; from pathlib import Path; from ganlab.run.folder import acquire_lock; "
    "acquire_lock(Path(sys.argv[1])); print('held', flush=True); time.sleep(600)"
)


def test_a_held_lock_refuses_a_second_holder_and_is_released(tmp_path):
    lock = acquire_lock(tmp_path)
    assert lock.read_text() == f"process {os.getpid()} on {socket.gethostname()}\n"
    with pytest.raises(UsageError, match=f"is in use by process {os.getpid()} on "):
        acquire_lock(tmp_path)
    release_lock(lock)
    assert not lock.exists()
    release_lock(acquire_lock(tmp_path))


def test_a_lock_file_left_by_a_killed_run_is_no_lock(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(UsageError, match=f"in use by process {holder.pid} on"):
            acquire_lock(tmp_path)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert (tmp_path / LOCK_FILE).is_file()  # left behind by the kill
    lock = acquire_lock(tmp_path)
    assert lock.read_text().startswith(f"process {os.getpid()} ")
    release_lock(lock)


def test_releasing_a_lock_this_process_does_not_hold_keeps_it(tmp_path):
    (tmp_path / LOCK_FILE).write_text("process 1 on elsewhere\n")
    release_lock(tmp_path / LOCK_FILE)
    assert (tmp_path / LOCK_FILE).is_file()
