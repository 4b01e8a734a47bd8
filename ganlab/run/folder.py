"""Run folders are never reused by accident, and a refused run leaves no trace.

Hydra creates `hydra.run.dir` and writes `.hydra/{config,hydra,overrides}.yaml` and
`<job>.log` into it before the task runs, so the checks that protect an existing folder must
run earlier: `RunFolderGuard` is a Hydra callback whose `on_run_start` runs after the config is
composed and before the folder is touched. It refuses

- a folder that cannot be created or written;
- a folder another live run holds (`ganlab.run.lock`: the guard takes the folder's lock first);
- a folder that holds anything and is not ganlab's: ganlab marks each run folder it creates
  (or finds empty) with `MARKER`, and writes into no other, whatever it holds (another
  project's `.hydra/` and `train.log` included; a `ckpt_path` inside it changes nothing);
- a new run in a ganlab folder that already holds a run (a finished one, or one with
  checkpoints): only a run that continues it (`resume=true`, or a `ckpt_path` inside it) may
  use it. A run that failed before its first checkpoint is the exception: a new run (or
  `resume=true`, which starts fresh on a folder without checkpoints) replaces its leftovers
  (`.hydra/`, the job log, logger files, its `metrics.json`) and touches nothing else;
- `resume=true` on a folder with checkpoints but no `checkpoints/last.ckpt`;
- a checkpoint to continue that names code outside the trusted prefixes
  (`ganlab.run.checkpoint`): refused before Hydra writes anything.

The guard fails closed: an unexpected error while checking refuses the run with one line
(Hydra would turn an exception of a callback into a warning and run anyway).

A run continuing a checkpoint that already reached `trainer.max_steps` (or `max_epochs`) says
so and exits 0 with nothing written.

It also records which of Hydra's own files existed, so that when the task then stops on a
usage error, `undo_run_folder` restores them (or removes the folder this run created):
nothing of an existing run is overwritten and no empty run folder is left behind.
A sweep is checked once, before its first job: Hydra numbers its job folders 0, 1, … inside
`hydra.sweep.dir`, so a sweep into a folder that already holds run folders would train over
them. It is refused unless it continues them (`resume=true`); a fresh timestamped sweep
folder holds nothing. The jobs themselves, and the processes that join rank 0's run under DDP
or SLURM, are not guarded.
"""

import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from ganlab.errors import GanlabError, UsageError, one_line
from ganlab.run import lock
from ganlab.run.checkpoint import read_checkpoint
from ganlab.run.cli import exit_with
from ganlab.run.record import (
    COMPLETED,
    RECORD_FILE,
    UnreadableRecord,
    read_record,
    record_problem,
    write_record,
)
from ganlab.run.resume import CHECKPOINTS, checkpoint_to_resume, holds_checkpoints

MARKER = ".ganlab-run"
"""The file that makes a folder ganlab's: written by the guard into a folder it creates or
finds empty, before anything else is."""
HYDRA_FILES = ("config.yaml", "hydra.yaml", "overrides.yaml")
LOGGER_FOLDERS = ("tensorboard", "csv")
LOGGER_FILES = ("events.out.tfevents.*", "hparams.yaml", "metrics.csv")


class AlreadyFinished(GanlabError):
    """The checkpoint to continue already reached the run's step or epoch limit."""

    exit_code = 0

    def __init__(self, message: str, checkpoint: dict):
        super().__init__(message)
        self.checkpoint = checkpoint


def completed_from(folder: Path, checkpoint: dict) -> bool:
    """A run killed between its final checkpoint and its record: write the record that
    checkpoint carries (`RunSummary`'s state), unless the folder holds a completed one."""
    try:
        record = read_record(folder)
    except UnreadableRecord:
        record = None
    if isinstance(record, dict) and record.get("status") == COMPLETED:
        return False
    states = checkpoint.get("callbacks") or {}
    saved = [s["record"] for k, s in states.items() if "RunSummary" in k and "record" in s]
    if not saved or record_problem(saved[0]) is not None:
        return False
    write_record(folder, **saved[0])
    return True


@dataclass(frozen=True)
class Limits:
    """The trainer's `max_steps` and `max_epochs` (None or -1: no limit)."""

    max_steps: int | None = None
    max_epochs: int | None = None


@dataclass
class FolderBefore:
    """What the run folder held before Hydra wrote into it."""

    folder: Path
    existed: bool
    hydra_subdir: str | None
    log_name: str
    hydra_files: dict[str, bytes] = field(default_factory=dict)
    log_size: int | None = None
    marked: bool = True


before_this_run: FolderBefore | None = None
"""Set by `RunFolderGuard.on_run_start`; the only channel from the Hydra callback to the task."""


def nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_writable(folder: Path) -> None:
    existing = nearest_existing(folder)
    if not existing.is_dir():
        raise UsageError(
            f"cannot create the run folder {folder}: {existing} is a file; choose another "
            f"folder with hydra.run.dir=PATH"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(
            f"cannot write the run folder {folder}: {existing} is not writable; choose "
            f"another folder with hydra.run.dir=PATH"
        )


def is_inside(path: str | None, folder: Path) -> bool:
    return path is not None and Path(path).expanduser().resolve().is_relative_to(folder)


def held_entries(folder: Path) -> list[str]:
    """What the folder holds, less the run lock and ganlab's marker."""
    if not folder.is_dir():
        return []
    return sorted(
        p.name for p in folder.iterdir() if not p.name.startswith((lock.LOCK_FILE, MARKER))
    )


def is_ganlab_folder(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def check_owned(folder: Path) -> list[str]:
    """What the folder holds; refused unless it is empty or ganlab's."""
    held = held_entries(folder)
    if held and not is_ganlab_folder(folder):
        raise UsageError(
            f"the run folder {folder} holds files ganlab did not make ({', '.join(held[:4])}"
            f"{', …' if len(held) > 4 else ''}): ganlab writes only into folders it created; "
            f"choose another hydra.run.dir (leave it unset for a fresh timestamped one), and "
            f"to continue a checkpoint from there give ckpt_path=PATH"
        )
    return held


def failed_before_first_checkpoint(folder: Path, hydra_subdir: str | None, log_name: str) -> bool:
    """A ganlab run folder (Hydra's files or the job log) with no checkpoint and no completed
    record: what a run that crashed or was killed before its first save leaves."""
    marked = (hydra_subdir is not None and (folder / hydra_subdir).is_dir()) or (
        folder / log_name
    ).is_file()
    if not marked or holds_checkpoints(folder):
        return False
    try:
        record = read_record(folder)
    except (OSError, ValueError):
        return True  # a half-written record of the failed run
    return not isinstance(record, dict) or record.get("status") != COMPLETED


def leftovers(folder: Path, hydra_subdir: str | None, log_name: str) -> Iterator[Path]:
    """The files a failed run left that a new run writes again."""
    if hydra_subdir is not None:
        yield from (folder / hydra_subdir / name for name in HYDRA_FILES)
    yield folder / log_name
    yield folder / RECORD_FILE
    for name in LOGGER_FOLDERS:
        for pattern in LOGGER_FILES:
            yield from (folder / name).glob(pattern)
    yield from (folder / CHECKPOINTS).glob(".*.tmp")  # a save the kill cut short


def replace_leftovers(folder: Path, hydra_subdir: str | None, log_name: str) -> list[str]:
    """Remove a failed run's leftovers (and the folders they leave empty); their names."""
    removed = []
    for path in leftovers(folder, hydra_subdir, log_name):
        if path.is_file():
            path.unlink()
            removed.append(str(path.relative_to(folder)))
    for name in (hydra_subdir, *LOGGER_FOLDERS, CHECKPOINTS):
        path = folder / name if name else None
        if path is not None and path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return removed


def check_not_finished(path: Path, checkpoint: dict, limits: Limits) -> None:
    step = checkpoint.get("global_step", 0)
    progress = checkpoint.get("loops", {}).get("fit_loop", {}).get("epoch_progress", {})
    epochs = progress.get("current", {}).get("processed", 0)
    reached = None
    if limits.max_steps not in (None, -1) and step >= limits.max_steps:
        reached = f"trainer.max_steps={limits.max_steps}"
    elif limits.max_epochs not in (None, -1) and epochs >= limits.max_epochs:
        reached = f"trainer.max_epochs={limits.max_epochs}"
    if reached:
        raise AlreadyFinished(
            f"{path} is at step {step} after {epochs} epoch(s), which already reaches {reached}: "
            f"nothing to train, nothing changed; raise {reached.split('=')[0]} to train longer",
            checkpoint,
        )


def check_run_folder(
    folder: Path,
    resume: bool,
    ckpt_path: str | None,
    trusted_prefixes: Sequence[str] = (),
    limits: Limits = Limits(),
    hydra_subdir: str | None = ".hydra",
    log_name: str = "train.log",
) -> bool:
    """Refuse a folder this run must not use (see the module docstring); True when it holds
    a failed run's leftovers for this run to replace."""
    check_writable(folder)
    checkpoint = checkpoint_to_resume(resume, ckpt_path, folder)
    if checkpoint is not None:
        check_not_finished(checkpoint, read_checkpoint(checkpoint, trusted_prefixes), limits)
    held = check_owned(folder)
    if not held:
        return False
    if checkpoint is not None and (resume or is_inside(ckpt_path, folder)):
        return False
    if failed_before_first_checkpoint(folder, hydra_subdir, log_name):
        return True
    raise UsageError(
        f"the run folder {folder} already holds a run ({', '.join(held[:4])}): continue "
        f"it with resume=true hydra.run.dir={folder}, or start a new run in a new folder "
        f"(leave hydra.run.dir unset for a fresh timestamped one)"
    )


def check_sweep_folder(folder: Path, resume: bool, hydra_subdir: str | None = ".hydra") -> None:
    """Refuse a sweep whose folder already holds run folders, unless it continues them."""
    if resume or not folder.is_dir():
        return
    runs = sorted(
        path.name
        for path in folder.iterdir()
        if path.is_dir()
        and (
            (hydra_subdir is not None and (path / hydra_subdir).is_dir())
            or (path / RECORD_FILE).is_file()
            or holds_checkpoints(path)
        )
    )
    if runs:
        raise UsageError(
            f"the sweep folder {folder} already holds runs ({', '.join(runs[:4])}"
            f"{', …' if len(runs) > 4 else ''}): its jobs would train over them; continue them "
            f"with resume=true hydra.sweep.dir={folder}, or choose another hydra.sweep.dir "
            f"(leave it unset for a fresh timestamped one)"
        )


def snapshot(folder: Path, hydra_subdir: str | None, log_name: str) -> FolderBefore:
    before = FolderBefore(folder, folder.exists(), hydra_subdir, log_name)
    if hydra_subdir is not None:
        for name in HYDRA_FILES:
            path = folder / hydra_subdir / name
            if path.is_file():
                before.hydra_files[name] = path.read_bytes()
    log = folder / log_name
    before.log_size = log.stat().st_size if log.is_file() else None
    return before


def is_secondary_rank() -> bool:
    """A process that joins rank 0's run: Lightning's DDP re-launch (LOCAL_RANK, NODE_RANK) or
    a SLURM task. It shares rank 0's folder, which rank 0 has already checked."""
    return any(
        os.environ.get(name, "0") != "0" for name in ("LOCAL_RANK", "NODE_RANK", "SLURM_PROCID")
    )


class RunFolderGuard(Callback):
    """Hydra callback (see the module docstring); registered in conf/train.yaml."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        global before_this_run
        if is_secondary_rank():
            return
        folder = Path(config.hydra.run.dir).expanduser().resolve()
        hydra_subdir, log_name = config.hydra.output_subdir, f"{config.hydra.job.name}.log"
        existed = folder.exists()
        held_lock = None
        try:
            check_writable(folder)
            check_owned(folder)  # before the lock file goes in
            held_lock = lock.acquire(folder)
            limits = Limits(
                OmegaConf.select(config, "trainer.max_steps"),
                OmegaConf.select(config, "trainer.max_epochs"),
            )
            failed_run = check_run_folder(
                folder,
                bool(config.get("resume")),
                config.get("ckpt_path"),
                config.get("trusted_prefixes") or (),
                limits,
                hydra_subdir,
                log_name,
            )
        except Exception as error:  # fail closed: any error refuses the run
            if held_lock is not None:
                lock.release(held_lock)
            if not existed and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
            if isinstance(error, AlreadyFinished):
                note = str(error)
                if bool(config.get("resume")) and completed_from(folder, error.checkpoint):
                    note = (
                        f"{folder} finished training but its record was cut short: wrote "
                        f"{RECORD_FILE} from the final checkpoint; nothing else changed"
                    )
                print(f"ganlab: note: {note}", file=sys.stderr)
                sys.exit(0)
            if not isinstance(error, GanlabError):
                error = GanlabError(
                    f"cannot check the run folder {folder} ({type(error).__name__}: "
                    f"{one_line(error)[:200]}): nothing was written; fix that, or choose "
                    f"another hydra.run.dir"
                )
            exit_with(error)
        marked = is_ganlab_folder(folder)
        if not marked:
            (folder / MARKER).write_text("a ganlab run folder: ganlab writes only here\n")
        if failed_run:
            removed = replace_leftovers(folder, hydra_subdir, log_name)
            print(
                f"ganlab: note: {folder} holds a run that failed before its first checkpoint: "
                f"starting over there, replacing its {', '.join(removed) or 'files'}",
                file=sys.stderr,
            )
        before_this_run = snapshot(folder, hydra_subdir, log_name)
        before_this_run.existed, before_this_run.marked = existed, marked

    def on_run_end(self, config: DictConfig, **kwargs: Any) -> None:
        release_run_lock()

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        if is_secondary_rank():
            return
        folder = Path(config.hydra.sweep.dir).expanduser().resolve()
        try:
            check_sweep_folder(folder, bool(config.get("resume")), config.hydra.output_subdir)
        except GanlabError as error:
            exit_with(error)


def release_run_lock() -> None:
    """Release the lock this process took on its run folder, if any."""
    if before_this_run is not None:
        lock.release(before_this_run.folder / lock.LOCK_FILE)


def undo_run_folder() -> None:
    """After a usage error in the task: put the run folder back as it was before this run.

    Touches only Hydra's own files, so a folder that holds anything else stays as it is.
    """
    global before_this_run
    release_run_lock()
    before, before_this_run = before_this_run, None
    if before is None or not HydraConfig.initialized():
        return
    if Path(HydraConfig.get().runtime.output_dir).resolve() != before.folder:
        return
    folder = before.folder
    if before.hydra_subdir is not None:
        hydra_dir = folder / before.hydra_subdir
        for name in HYDRA_FILES:
            path = hydra_dir / name
            if name in before.hydra_files:
                path.write_bytes(before.hydra_files[name])
            else:
                path.unlink(missing_ok=True)
        if hydra_dir.is_dir() and not any(hydra_dir.iterdir()):
            hydra_dir.rmdir()
    log = folder / before.log_name
    if before.log_size is None:
        log.unlink(missing_ok=True)
    elif log.is_file():
        os.truncate(log, before.log_size)
    if not before.marked:
        (folder / MARKER).unlink(missing_ok=True)
    if not before.existed and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
