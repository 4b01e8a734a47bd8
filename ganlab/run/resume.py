"""Which checkpoint a run continues (`ckpt_path=PATH` or `resume=true`), and whether it fits.

Lightning's `trainer.fit(ckpt_path=…)` restores the networks, the fixed sample noise (a module
buffer), the optimizers, the epoch/step counters and the logging step; the random generators
and the data order come back through `ganlab.callbacks.RandomState` and the resumable loader.
A resumed run continues the run it comes from, so its model settings must be those of the
checkpoint: Lightning would otherwise load the old optimizer state (learning rates included)
over the new settings without a word. Its data settings too, except where the data is read
from and how it is loaded: another batch size or split would train each later step on other
images than the run it continues. These checks turn every mismatch into one line.

`resume=true` on a folder that holds no checkpoint at all (a new folder, or a run that failed
before its first save) starts a fresh run there, with a note: the same command can start a
run and continue it (a scheduler's requeue).
"""

import inspect
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from hydra.utils import get_object
from lightning.pytorch import LightningDataModule, LightningModule
from omegaconf import DictConfig

from ganlab.errors import GanlabError, UsageError
from ganlab.run.checkpoint import read_checkpoint

CHECKPOINTS = "checkpoints"
MAX_LISTED = 3
DATA_DERIVED = ("image_shape", "num_classes", "class_names")
"""Hyper-parameters the data module sets; the others are `model.*` config keys."""
SPEED_ONLY = ("compile", "channels_last", "cpu_tricks")
"""Keys that change how fast a step runs, never what it computes: a run may resume with
other values (a CPU run continued on a GPU), and checkpoints older than a key lack it."""
DATA_LOCATION_ONLY = ("root", "path", "download", "num_workers", "pin_memory", "on_device")
"""Data keys that say where the images are and how they are loaded, never which ones a step
trains on: a run may resume with other values (data moved, another machine)."""


def newest_last_checkpoint(run_dir: Path) -> Path | None:
    """The most recently written `last*.ckpt` in the run folder (Lightning versions a
    `last.ckpt` it did not write itself as `last-v1.ckpt`)."""
    found = sorted((run_dir / CHECKPOINTS).glob("last*.ckpt"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def holds_checkpoints(run_dir: Path) -> bool:
    return any((run_dir / CHECKPOINTS).glob("*.ckpt"))


def checkpoint_to_resume(resume: bool, ckpt_path: str | None, run_dir: Path) -> Path | None:
    """The checkpoint this run continues, or None for a fresh run (also `resume=true` on a
    folder without any checkpoint)."""
    if resume and ckpt_path:
        raise UsageError(
            "give either resume=true (continue the run folder hydra.run.dir) or "
            "ckpt_path=PATH, not both"
        )
    if ckpt_path:
        path = Path(ckpt_path).expanduser()
        if not path.is_file():
            raise UsageError(
                f"ckpt_path={ckpt_path}: no such file; give a checkpoint written by "
                f"ganlab.train, e.g. outputs/train/runs/<run>/checkpoints/last.ckpt"
            )
        return path
    if resume:
        found = newest_last_checkpoint(run_dir)
        if found is None and holds_checkpoints(run_dir):
            raise UsageError(
                f"resume=true but {run_dir} holds no {CHECKPOINTS}/last.ckpt: point "
                f"hydra.run.dir at the run folder to continue, or give ckpt_path=PATH"
            )
        return found
    return None


def plain(value: Any) -> Any:
    """Tuples → lists, recursively, so saved and fresh hyper-parameters compare equal."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


BUILD_DEFAULTS = {"init": "default", "spectral_norm": False}
"""Keys `ganlab.nets.build` reads beside a network's own options, at the values it applies when
they are absent (`init`: the family's `default_init` when it has one); tests keep the two in
step."""


def added_at_its_default(saved: dict, current: dict, key: str) -> bool:
    """Whether `key` is an option newer than the checkpoint, set to the default of the
    constructor `current` names (`_target_`): the checkpoint's object was built with that
    value, so a run written before a network option existed resumes."""
    if key in saved or not isinstance(current.get("_target_"), str):
        return False
    try:
        cls = get_object(current["_target_"])
        parameters = inspect.signature(cls).parameters
    except (ImportError, AttributeError, ValueError, TypeError):
        return False
    built = {**BUILD_DEFAULTS, "init": getattr(cls, "default_init", BUILD_DEFAULTS["init"])}
    default = (
        parameters[key].default if key in parameters else built.get(key, inspect.Parameter.empty)
    )
    return default is not inspect.Parameter.empty and default == current[key]


def differences(saved: Any, current: Any, prefix: str = "") -> list[str]:
    """`key: saved -> current` for every leaf that differs."""
    if isinstance(saved, dict) and isinstance(current, dict):
        return [
            line
            for key in sorted(set(saved) | set(current))
            if key not in SPEED_ONLY and not added_at_its_default(saved, current, key)
            for line in differences(saved.get(key), current.get(key), f"{prefix}{key}.")
        ]
    if saved == current:
        return []
    key = prefix.rstrip(".")
    key = key if key.startswith(DATA_DERIVED) else f"model.{key}"
    return [f"{key}: {saved!r} in the checkpoint, {current!r} now"]


def data_differences(saved: dict, current: dict) -> list[str]:
    """`data.key: saved -> current` for the data settings that decide what a step trains on
    (keys one side lacks are left out: a checkpoint older than a data option)."""
    return [
        f"data.{key}: {plain(saved[key])!r} in the checkpoint, {plain(current[key])!r} now"
        for key in sorted(set(saved) & set(current))
        if key not in DATA_LOCATION_ONLY and plain(saved[key]) != plain(current[key])
    ]


def check_same_data(path: Path, checkpoint: dict, datamodule: LightningDataModule) -> None:
    changed = data_differences(
        dict(checkpoint.get("datamodule_hyper_parameters") or {}), dict(datamodule.hparams)
    )
    if changed:
        raise UsageError(
            f"{path} was trained with other data settings ({'; '.join(changed)}): a resumed "
            f"run must see the batches the interrupted one would have; resume with the data "
            f"settings of the run that wrote it (its .hydra/overrides.yaml), or start a new run"
        )


def saved_hyper_parameters(checkpoint: dict, model: LightningModule) -> dict:
    """The checkpoint's hyper-parameters as the model's class takes them today: the class
    rebuilds them (on the meta device: nothing is allocated), so an option renamed since, or
    newer than the file, reads as what the checkpoint was trained with."""
    saved = checkpoint["hyper_parameters"]
    try:
        with torch.device("meta"):
            return dict(type(model)(**saved).hparams)
    except (TypeError, ValueError, KeyError, GanlabError):
        return saved  # then the differences name what does not fit


def check_resumable(
    path: Path,
    model: LightningModule,
    trusted_prefixes: Sequence[str] = (),
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
    changed = differences(
        plain(saved_hyper_parameters(checkpoint, model)), plain(dict(model.hparams))
    )
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    saved_shapes = {k: tuple(v.shape) for k, v in checkpoint["state_dict"].items()}
    if not changed and saved_shapes != shapes:
        changed = [
            f"state_dict.{key}: {saved_shapes.get(key)} in the checkpoint, {shapes.get(key)} now"
            for key in sorted(set(saved_shapes) | set(shapes))
            if saved_shapes.get(key) != shapes.get(key)
        ]
    if changed:
        more = f" and {len(changed) - MAX_LISTED} more" if len(changed) > MAX_LISTED else ""
        raise UsageError(
            f"{path} does not fit this run's model ({'; '.join(changed[:MAX_LISTED])}{more}): "
            f"resume with the model and data settings of the run that wrote it (its "
            f".hydra/overrides.yaml), or start a new run"
        )
    if datamodule is not None:
        check_same_data(path, checkpoint, datamodule)


def checkpoint_for(
    cfg: DictConfig, model: LightningModule, datamodule: LightningDataModule | None = None
) -> Path | None:
    """The checkpoint this run continues, checked against its model and data; None for a
    fresh run."""
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
