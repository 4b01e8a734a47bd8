"""A run folder belongs to whoever made it, holds one live run at a time, and a refused run
leaves no trace (docs/reliability.md, "The run folder is never taken over"). Hydra writes into
`hydra.run.dir` before the task runs, so `RunFolderGuard`, a Hydra callback, checks first and
fails closed; `undo_run_folder` puts Hydra's files back when the task stops on a usage error.
"""

import atexit
import contextlib
import fcntl
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from ganlab.errors import GanlabError, UsageError, one_line
from ganlab.run.checkpoint import read_checkpoint
from ganlab.run.cli import exit_with
from ganlab.run.record import COMPLETED, RECORD_FILE, record_problem, status, write_record
from ganlab.run.resume import CHECKPOINTS, checkpoint_to_resume

MARKER = ".ganlab-run"
LOCK_FILE = ".ganlab.lock"
HYDRA_FILES = ("config.yaml", "hydra.yaml", "overrides.yaml")
LOGGER_FILES = [
    f"{folder}/{name}"
    for folder in ("tensorboard", "csv")
    for name in ("events.out.tfevents.*", "hparams.yaml", "metrics.csv")
]


held_locks: dict[Path, int] = {}
"""The lock files this process holds, each with its open descriptor (the lock lives on it)."""


def acquire_lock(folder: Path) -> Path:
    """Lock `folder` (created if need be) for this process; the lock's path. The lock is the
    operating system's (`flock`): it ends with the process, however that ends, so a lock file
    left by a killed run is no lock."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / LOCK_FILE
    while True:
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            holder = ""  # the holder's "process PID on HOST": one line at most, whatever it holds
            with contextlib.suppress(OSError):
                holder = lock.read_text(errors="replace").strip()[:120].split("\n")[0]
            raise UsageError(
                f"the run folder {folder} is in use by {holder or 'another run'} ({LOCK_FILE}): "
                f"wait for that run to end, or choose another folder with hydra.run.dir=PATH"
            ) from None
        with contextlib.suppress(FileNotFoundError):
            if os.stat(lock).st_ino == os.fstat(descriptor).st_ino:
                break  # else the holder removed the file meanwhile: lock the new one
        os.close(descriptor)
    os.ftruncate(descriptor, 0)
    os.write(descriptor, f"process {os.getpid()} on {socket.gethostname()}\n".encode())
    held_locks[lock] = descriptor
    atexit.register(release_lock, lock)
    return lock


def release_lock(lock: Path) -> None:
    """Remove the lock if this process holds it."""
    descriptor = held_locks.pop(lock, None)
    if descriptor is not None:
        lock.unlink(missing_ok=True)
        os.close(descriptor)


class AlreadyFinished(GanlabError):
    """The checkpoint to continue already reached the run's step or epoch limit (exit 0)."""

    exit_code = 0


@dataclass
class Before:
    """What this run's folder held before the guard and Hydra wrote into it."""

    folder: Path
    existed: bool
    files: dict[Path, bytes | None]


before_this_run: Before | None = None
"""Set by `RunFolderGuard.on_run_start`; the only channel from the Hydra callback to the task."""


RUN_FOLDER_FIX = (
    "choose another hydra.run.dir (leave it unset for a fresh timestamped one), and to continue "
    "a checkpoint from there give ckpt_path=PATH"
)


def check_owned(folder: Path, fix: str = RUN_FOLDER_FIX) -> list[str]:
    """What the folder holds; refused unless it is empty or ganlab's."""
    held = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    held = [name for name in held if not name.startswith((LOCK_FILE, MARKER))]
    if held and not (folder / MARKER).is_file():
        raise UsageError(
            f"the run folder {folder} holds files ganlab did not make ({', '.join(held[:4])}"
            f"{', …' if len(held) > 4 else ''}): ganlab writes only into folders it created; {fix}"
        )
    return held


def log_name(config: DictConfig) -> str:
    return f"{config.hydra.job.name}.log"


def remove_if_empty(folder: Path) -> None:
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def leftovers(folder: Path, hydra_subdir: str | None, log_name: str) -> list[Path]:
    """What a run that failed before its first checkpoint left, and a new run writes again;
    None of it when the folder holds a checkpoint or a completed record."""
    if any((folder / CHECKPOINTS).glob("*.ckpt")) or status(folder) == COMPLETED:
        return []
    hydra = [f"{hydra_subdir}/{name}" for name in HYDRA_FILES] if hydra_subdir else []
    globs = [*hydra, log_name, RECORD_FILE, *LOGGER_FILES, f"{CHECKPOINTS}/.*.tmp"]
    return [path for pattern in globs for path in folder.glob(pattern) if path.is_file()]


def check_not_finished(path: Path, checkpoint: dict, config: DictConfig, folder: Path) -> None:
    """Stop (exit 0) before a run that would train nothing; with `resume=true`, first write the
    record of a run killed between its final checkpoint and its record."""
    step = checkpoint.get("global_step", 0)
    progress = checkpoint.get("loops", {}).get("fit_loop", {}).get("epoch_progress", {})
    done = {"max_steps": step, "max_epochs": progress.get("current", {}).get("processed", 0)}
    for key, value in done.items():
        limit = OmegaConf.select(config, f"trainer.{key}")
        if limit in (None, -1) or value < limit:
            continue
        if config.get("resume") and completed_from(folder, checkpoint):
            raise AlreadyFinished(
                f"{folder} finished training but its record was cut short: wrote "
                f"{RECORD_FILE} from the final checkpoint; nothing else changed"
            )
        raise AlreadyFinished(
            f"{path} is at step {step} after {done['max_epochs']} epoch(s), which already "
            f"reaches trainer.{key}={limit}: nothing to train, nothing changed; raise "
            f"trainer.{key} to train longer"
        )


def check_run_folder(folder: Path, config: DictConfig) -> list[Path]:
    """Refuse a folder this run must not use (see the module docstring); the leftovers of a
    failed run for this run to replace."""
    resume, ckpt_path = bool(config.get("resume")), config.get("ckpt_path")
    checkpoint = checkpoint_to_resume(resume, ckpt_path, folder)
    if checkpoint is not None:
        read = read_checkpoint(checkpoint, config.get("trusted_prefixes") or ())
        check_not_finished(checkpoint, read, config, folder)
    held = check_owned(folder)
    inside = ckpt_path is not None and Path(ckpt_path).expanduser().resolve().is_relative_to(folder)
    if not held or (checkpoint is not None and (resume or inside)):
        return []
    found = leftovers(folder, config.hydra.output_subdir, log_name(config))
    if found:
        return found
    raise UsageError(
        f"the run folder {folder} already holds a run ({', '.join(held[:4])}): continue "
        f"it with resume=true hydra.run.dir={folder}, or start a new run in a new folder "
        f"(leave hydra.run.dir unset for a fresh timestamped one)"
    )


def completed_from(folder: Path, checkpoint: dict) -> bool:
    """A run killed between its final checkpoint and its record: write the record that
    checkpoint carries (`RunSummary`'s state), unless the folder holds a completed one."""
    states = checkpoint.get("callbacks") or {}
    saved = [s["record"] for k, s in states.items() if "RunSummary" in k and "record" in s]
    if status(folder) == COMPLETED or not saved or record_problem(saved[0]) is not None:
        return False
    write_record(folder, **saved[0])
    return True


def is_secondary_rank() -> bool:
    """A process that joins rank 0's run (a DDP re-launch, a SLURM task)."""
    ranks = ("LOCAL_RANK", "NODE_RANK", "SLURM_PROCID")
    return any(os.environ.get(name, "0") != "0" for name in ranks)


class RunFolderGuard(Callback):
    """Hydra callback (see the module docstring); registered in conf/train.yaml."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        global before_this_run
        if is_secondary_rank():
            return
        folder = Path(config.hydra.run.dir).expanduser().resolve()
        existed, held_lock = folder.exists(), None
        try:
            check_owned(folder)  # before the lock file goes in
            held_lock = acquire_lock(folder)
            replaced = check_run_folder(folder, config)
        except Exception as error:  # fail closed: any error refuses the run
            if held_lock is not None:
                release_lock(held_lock)
            if not existed:
                remove_if_empty(folder)
            if isinstance(error, OSError):
                error = UsageError(
                    f"cannot make or lock the run folder {folder} ({error.strerror or error}: "
                    f"{error.filename}); choose another folder with hydra.run.dir=PATH"
                )
            elif not isinstance(error, GanlabError):
                error = GanlabError(
                    f"cannot check the run folder {folder} ({type(error).__name__}: "
                    f"{one_line(error)[:200]}): nothing was written; fix that, or choose "
                    f"another hydra.run.dir"
                )
            exit_with(error)
        marker = folder / MARKER
        saved = {marker: marker.read_bytes() if marker.is_file() else None}
        marker.write_text("a ganlab run folder: ganlab writes only here\n")
        if replaced:
            for path in replaced:
                path.unlink()
                if path.parent != folder:
                    remove_if_empty(path.parent)
            names = ", ".join(str(path.relative_to(folder)) for path in replaced)
            print(
                f"ganlab: note: {folder} holds a run that failed before its first checkpoint: "
                f"starting over there, replacing its {names}",
                file=sys.stderr,
            )
        hydra = config.hydra.output_subdir
        files = [*(folder / hydra / n for n in HYDRA_FILES if hydra), folder / log_name(config)]
        saved |= {path: path.read_bytes() if path.is_file() else None for path in files}
        before_this_run = Before(folder, existed, saved)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        if is_secondary_rank():
            return
        folder = Path(config.hydra.sweep.dir).expanduser().resolve()
        try:
            check_sweep_folder(folder, bool(config.get("resume")), config.hydra.output_subdir)
        except GanlabError as error:
            exit_with(error)


def check_sweep_folder(folder: Path, resume: bool, hydra_subdir: str | None = ".hydra") -> None:
    """Refuse a sweep whose folder already holds run folders, unless it continues them."""
    if resume or not folder.is_dir():
        return
    names = [name for name in (hydra_subdir, RECORD_FILE, CHECKPOINTS) if name]
    runs = sorted(p.name for p in folder.iterdir() if any((p / n).exists() for n in names))
    if runs:
        raise UsageError(
            f"the sweep folder {folder} already holds runs ({', '.join(runs[:4])}"
            f"{', …' if len(runs) > 4 else ''}): its jobs would train over them; continue them "
            f"with resume=true hydra.sweep.dir={folder}, or choose another hydra.sweep.dir "
            f"(leave it unset for a fresh timestamped one)"
        )


def release_run_lock() -> None:
    """The training task ended, however it ended (an in-process caller goes on)."""
    if before_this_run is not None:
        release_lock(before_this_run.folder / LOCK_FILE)


def undo_run_folder() -> None:
    """After a usage error in the task: put back Hydra's files as they were before this run,
    and remove the marker and the folder if this run made them."""
    global before_this_run
    before, before_this_run = before_this_run, None
    if before is None:
        return
    release_lock(before.folder / LOCK_FILE)
    if not HydraConfig.initialized():
        return
    if Path(HydraConfig.get().runtime.output_dir).resolve() != before.folder:
        return
    for path, content in before.files.items():
        if content is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(content)
        if path.parent != before.folder:
            remove_if_empty(path.parent)
    if not before.existed:
        remove_if_empty(before.folder)
