"""Which checkpoint a run continues (`ckpt_path=PATH` or `resume=true`), and whether it fits:
its model and data settings must be the checkpoint's (Lightning would load the old optimizer
state over new settings without a word; another batch size or split trains later steps on
other images), except where the data is read from and how fast a step runs."""

import sys
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch import LightningDataModule, LightningModule
from omegaconf import DictConfig

from ganlab.errors import GanlabError, UsageError
from ganlab.run.checkpoint import read_checkpoint

CHECKPOINTS = "checkpoints"
MAX_LISTED = 3
SPEED_ONLY = ("compile", "channels_last", "cpu_tricks")
"""How fast a step runs, never what it computes: a run may resume with other values."""
DATA_LOCATION_ONLY = ("root", "path", "download", "num_workers", "pin_memory", "on_device")
"""Where the images are and how they are loaded, never which ones a step trains on."""


def checkpoint_to_resume(resume: bool, ckpt_path: str | None, run_dir: Path) -> Path | None:
    """The checkpoint this run continues; None for a fresh run (also `resume=true` on a
    folder without any checkpoint)."""
    if resume and ckpt_path:
        raise UsageError(
            "give either resume=true (continue the run folder hydra.run.dir) or "
            "ckpt_path=PATH, not both"
        )
    if ckpt_path:
        return Path(ckpt_path).expanduser()  # read_checkpoint names a missing file
    last = run_dir / CHECKPOINTS / "last.ckpt"
    if not resume or last.is_file():
        return last if resume else None
    if any((run_dir / CHECKPOINTS).glob("*.ckpt")):
        raise UsageError(
            f"resume=true but {run_dir} holds no {CHECKPOINTS}/last.ckpt: point "
            f"hydra.run.dir at the run folder to continue, or give ckpt_path=PATH"
        )
    return None


def plain(value: Any) -> Any:
    """Tuples → lists, recursively, so saved and fresh hyper-parameters compare equal."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def differences(
    saved: Any, current: Any, key: str = "model", ignored: tuple[str, ...] = SPEED_ONLY
) -> list[str]:
    """`key: saved -> current` for every setting that differs, nested (a key one side lacks
    is None)."""
    if isinstance(saved, dict) and isinstance(current, dict):
        keys = sorted((set(saved) | set(current)) - set(ignored), key=str)
        pairs = [(saved.get(k), current.get(k), f"{key}.{k}") for k in keys]
        return [line for pair in pairs for line in differences(*pair, ignored)]
    saved, current = plain(saved), plain(current)
    return [] if saved == current else [f"{key}: {saved!r} in the checkpoint, {current!r} now"]


def saved_hyper_parameters(checkpoint: dict, model: LightningModule) -> dict:
    """The checkpoint's hyper-parameters as the model's class rebuilds them (on the meta device:
    nothing is allocated), so an option renamed since, or newer than the file, reads as what
    the checkpoint was trained with (issue 25: checkpoints from before the rewrite resume)."""
    try:
        with torch.device("meta"):
            return dict(type(model)(**checkpoint["hyper_parameters"]).hparams)
    except (TypeError, ValueError, KeyError, GanlabError):
        return checkpoint["hyper_parameters"]  # then the differences name what does not fit


def check_resumable(
    path: Path,
    model: LightningModule,
    trusted_prefixes: Any = (),
    datamodule: LightningDataModule | None = None,
) -> None:
    """Refuse a checkpoint this run cannot continue, naming what differs."""
    checkpoint = read_checkpoint(path, trusted_prefixes)
    missing = [key for key in ("optimizer_states", "loops") if key not in checkpoint]
    if missing:
        raise UsageError(
            f"{path} holds weights only (no {' or '.join(missing)}): it can generate images "
            f"but not continue training; give a last.ckpt written by ganlab.train"
        )
    saved_module = checkpoint["ganlab"]["module"]
    module = f"{type(model).__module__}.{type(model).__qualname__}"
    if saved_module != module:
        raise UsageError(
            f"{path} was written by {saved_module}, this run builds {module}: resume with the "
            f"model preset that wrote it, or start a new run without resume/ckpt_path"
        )
    changed = differences(saved_hyper_parameters(checkpoint, model), dict(model.hparams))
    if changed:
        more = f" and {len(changed) - MAX_LISTED} more" if len(changed) > MAX_LISTED else ""
        raise UsageError(
            f"{path} does not fit this run's model ({'; '.join(changed[:MAX_LISTED])}{more}): "
            f"resume with the model and data settings of the run that wrote it (its "
            f".hydra/overrides.yaml), or start a new run"
        )
    saved_data = dict(checkpoint.get("datamodule_hyper_parameters") or {})
    changed = []
    if datamodule is not None:
        changed = differences(saved_data, dict(datamodule.hparams), "data", DATA_LOCATION_ONLY)
    if changed:
        raise UsageError(
            f"{path} was trained with other data settings ({'; '.join(changed)}): a resumed "
            f"run must see the batches the interrupted one would have; resume with the data "
            f"settings of the run that wrote it (its .hydra/overrides.yaml), or start a new run"
        )


def checkpoint_for(
    cfg: DictConfig, model: LightningModule, datamodule: LightningDataModule | None = None
) -> Path | None:
    """The checkpoint this run continues, checked against its model and data."""
    resume, run_dir = bool(cfg.get("resume", False)), Path(cfg.paths.output_dir)
    path = checkpoint_to_resume(resume, cfg.get("ckpt_path"), run_dir)
    if path is not None:
        check_resumable(path, model, cfg.get("trusted_prefixes") or (), datamodule)
    elif resume:
        print(
            f"ganlab: note: resume=true but {run_dir} holds no checkpoint yet: starting a "
            f"fresh run there",
            file=sys.stderr,
        )
    return path
