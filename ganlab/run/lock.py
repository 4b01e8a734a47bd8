"""One live run per run folder: `.ganlab.lock` names the owning process and host, created in
one step (a hard link fails on an existing name). A lock is stale, and taken over, when its
process on this host is gone (or is this one), or when it names this SLURM job from another
node (a requeue); any other refuses the run. It goes when the run ends or the process exits."""

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


def me() -> Owner:
    return Owner(os.getpid(), socket.gethostname(), os.environ.get("SLURM_JOB_ID"))


def read_owner(lock: Path) -> Owner | None:
    try:
        fields = json.loads(lock.read_text())
        return Owner(int(fields["pid"]), str(fields["host"]), fields.get("slurm_job"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_stale(owner: Owner | None) -> bool:
    now = me()
    if owner is None or owner.host != now.host:
        return owner is None or (now.slurm_job is not None and owner.slurm_job == now.slurm_job)
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # another user's live process
    return owner.pid == now.pid


def acquire(folder: Path) -> Path:
    """Lock `folder` (created if need be) for this process; the lock's path."""
    folder.mkdir(parents=True, exist_ok=True)
    lock, owner = folder / LOCK_FILE, me()
    temp = lock.with_name(f"{LOCK_FILE}.{owner.pid}.tmp")
    temp.write_text(json.dumps(asdict(owner)) + "\n")
    try:
        for _ in range(3):
            with contextlib.suppress(FileExistsError):
                os.link(temp, lock)
                atexit.register(release, lock)
                return lock
            seen = read_owner(lock)
            if not is_stale(seen):
                break
            aside = lock.with_name(f"{LOCK_FILE}.stale.{owner.pid}")
            with contextlib.suppress(FileNotFoundError):
                os.rename(lock, aside)  # another process may have replaced it: put theirs back
                if read_owner(aside) != seen:
                    with contextlib.suppress(FileExistsError):
                        os.link(aside, lock)
                aside.unlink()
    finally:
        temp.unlink(missing_ok=True)
    seen = read_owner(lock)
    holder = f"process {seen.pid} on {seen.host}" if seen else "another run"
    raise UsageError(
        f"the run folder {folder} is in use by {holder} ({LOCK_FILE}): wait for that run to "
        f"end, or choose another folder with hydra.run.dir=PATH; if no such run is alive, "
        f"delete {lock}"
    )


def release(lock: Path) -> None:
    """Remove the lock if this process holds it."""
    if read_owner(lock) == me():
        lock.unlink(missing_ok=True)
