"""Which run-folder locks a new run takes over: its own process's, a dead process's on this
host, its own SLURM job's from another node (a requeue); never a live one or a stranger's."""

import json
import os
import socket

import pytest

from ganlab.errors import UsageError
from ganlab.run.folder import LOCK_FILE, Owner, acquire_lock, read_owner, release_lock

pytestmark = pytest.mark.fault


def locked(folder, pid: int, host: str, slurm_job: str | None = None):
    folder.mkdir(exist_ok=True)
    path = folder / LOCK_FILE
    path.write_text(json.dumps({"pid": pid, "host": host, "slurm_job": slurm_job}))
    return path


def test_a_requeued_slurm_job_takes_over_its_own_lock_from_another_node(tmp_path, monkeypatch):
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    locked(tmp_path, 1, "node-a", "4242")
    taken = acquire_lock(tmp_path)
    assert read_owner(taken) == Owner(os.getpid(), socket.gethostname(), "4242")
    release_lock(taken)
    assert not taken.exists()


@pytest.mark.parametrize(("job", "lock_job"), [(None, None), ("4242", "17")])
def test_a_lock_from_another_host_refuses_the_run(tmp_path, monkeypatch, job, lock_job):
    if job is None:
        monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    else:
        monkeypatch.setenv("SLURM_JOB_ID", job)
    path = locked(tmp_path, 1, "node-a", lock_job)
    with pytest.raises(UsageError, match="is in use by process 1 on node-a"):
        acquire_lock(tmp_path)
    release_lock(path)  # not ours: kept
    assert path.exists()
