"""One live run per run folder: a lock file naming the owning process and host.

`acquire` creates `RUN_DIR/.ganlab.lock` holding `{"pid": …, "host": …}` in one step (written
to a temporary file, then hard-linked to the lock name, which fails if the name exists), so two
runs started together on one folder cannot both take it. A lock left by a process that died
(SIGKILL, a power cut) is stale when its host is this one and its pid is not alive (or is this
process, which a new run in the same process takes over), or when it names this process's SLURM
job from another host: SLURM runs one incarnation of a job at a time, so a requeued job that
lands on another node takes over the lock its killed predecessor left. Stale locks are broken;
live ones and other locks from other hosts (whose processes cannot be checked) refuse the run
with one line. The lock is released when the run ends and, at the latest, when the process
exits.
"""

import atexit
import contextlib
import json
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path

from ganlab.errors import UsageError

LOCK_FILE = ".ganlab.lock"


@dataclass(frozen=True)
class Owner:
    pid: int
    host: str
    slurm_job: str | None = None

    @classmethod
    def this_process(cls) -> "Owner":
        return cls(os.getpid(), socket.gethostname(), os.environ.get("SLURM_JOB_ID"))


def read_owner(lock: Path) -> Owner | None:
    """The lock's owner; None when it is gone or is not a ganlab lock."""
    try:
        fields = json.loads(lock.read_text())
        job = fields.get("slurm_job")
        return Owner(int(fields["pid"]), str(fields["host"]), None if job is None else str(job))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def is_stale(owner: Owner | None) -> bool:
    """A lock ganlab can take over: unreadable, or left by a dead process (or by an earlier
    run of this very process) on this host."""
    if owner is None:
        return True
    me = Owner.this_process()
    if owner.host != me.host:
        return me.slurm_job is not None and owner.slurm_job == me.slurm_job
    return owner.pid == me.pid or not is_alive(owner.pid)


def try_create(lock: Path, owner: Owner) -> bool:
    """Create the lock with its content in one step; False when it exists."""
    temp = lock.with_name(f"{lock.name}.{owner.pid}.tmp")
    temp.write_text(json.dumps(asdict(owner)) + "\n")
    try:
        os.link(temp, lock)
        return True
    except FileExistsError:
        return False
    finally:
        temp.unlink(missing_ok=True)


def break_stale(lock: Path, seen: Owner | None) -> None:
    """Move the stale lock aside; if another process replaced it meanwhile, put theirs back."""
    aside = lock.with_name(f"{lock.name}.stale.{os.getpid()}")
    try:
        os.rename(lock, aside)
    except FileNotFoundError:
        return
    if read_owner(aside) != seen:
        with contextlib.suppress(FileExistsError):
            os.link(aside, lock)
    aside.unlink(missing_ok=True)


def in_use(folder: Path, lock: Path, owner: Owner | None) -> UsageError:
    holder = f"process {owner.pid} on {owner.host}" if owner else "another run"
    return UsageError(
        f"the run folder {folder} is in use by {holder} ({lock.name}): wait for that run to "
        f"end, or choose another folder with hydra.run.dir=PATH; if no such run is alive, "
        f"delete {lock}"
    )


def acquire(folder: Path) -> Path:
    """Lock `folder` (created if need be) for this process; the lock's path."""
    folder.mkdir(parents=True, exist_ok=True)
    lock, me = folder / LOCK_FILE, Owner.this_process()
    for _ in range(3):
        if try_create(lock, me):
            atexit.register(release, lock)
            return lock
        owner = read_owner(lock)
        if not is_stale(owner):
            raise in_use(folder, lock, owner)
        break_stale(lock, owner)
    raise in_use(folder, lock, read_owner(lock))


def release(lock: Path) -> None:
    """Remove the lock if this process holds it."""
    if read_owner(lock) == Owner.this_process():
        lock.unlink(missing_ok=True)
