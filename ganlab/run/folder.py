"""Run folders are never reused by accident, and a refused run leaves no trace.

Hydra creates `hydra.run.dir` and writes `.hydra/{config,hydra,overrides}.yaml` and
`<job>.log` into it before the task runs, so the checks that protect an existing folder must
run earlier: `RunFolderGuard` is a Hydra callback whose `on_run_start` runs after the config is
composed and before the folder is touched. It refuses

- a folder that cannot be created or written;
- a new run in a folder that already holds something (a finished or crashed run): only a run
  that continues it (`resume=true`, or a `ckpt_path` inside it) may use it;
- `resume=true` on a folder without a `checkpoints/last.ckpt`;
- a checkpoint to continue that names code outside the trusted prefixes
  (`ganlab.run.checkpoint`): refused before Hydra writes anything.

It also records which of Hydra's own files existed, so that when the task then stops on a
usage error, `undo_run_folder` restores them (or removes the folder this run created):
nothing of an existing run is overwritten and no empty run folder is left behind.
Multirun jobs get numbered fresh folders from Hydra and are not guarded; nor are the
processes that join rank 0's run under DDP or SLURM.
"""

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from ganlab.errors import UsageError
from ganlab.run.checkpoint import read_checkpoint
from ganlab.run.cli import exit_with
from ganlab.run.resume import checkpoint_to_resume

HYDRA_FILES = ("config.yaml", "hydra.yaml", "overrides.yaml")


@dataclass
class FolderBefore:
    """What the run folder held before Hydra wrote into it."""

    folder: Path
    existed: bool
    hydra_subdir: str | None
    log_name: str
    hydra_files: dict[str, bytes] = field(default_factory=dict)
    log_size: int | None = None


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


def check_run_folder(
    folder: Path, resume: bool, ckpt_path: str | None, trusted_prefixes: Sequence[str] = ()
) -> None:
    """Refuse a folder this run must not use (see the module docstring)."""
    check_writable(folder)
    checkpoint = checkpoint_to_resume(resume, ckpt_path, folder)
    if checkpoint is not None:
        read_checkpoint(checkpoint, trusted_prefixes)
    continuing = resume or is_inside(ckpt_path, folder)
    if folder.is_dir() and any(folder.iterdir()) and not continuing:
        held = sorted(p.name for p in folder.iterdir())
        raise UsageError(
            f"the run folder {folder} already holds a run ({', '.join(held[:4])}): continue "
            f"it with resume=true hydra.run.dir={folder}, or start a new run in a new folder "
            f"(leave hydra.run.dir unset for a fresh timestamped one)"
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
        try:
            check_run_folder(
                folder,
                bool(config.get("resume")),
                config.get("ckpt_path"),
                config.get("trusted_prefixes") or (),
            )
        except UsageError as error:
            exit_with(error)
        before_this_run = snapshot(
            folder, config.hydra.output_subdir, f"{config.hydra.job.name}.log"
        )


def undo_run_folder() -> None:
    """After a usage error in the task: put the run folder back as it was before this run.

    Touches only Hydra's own files, so a folder that holds anything else stays as it is.
    """
    global before_this_run
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
    if not before.existed and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
