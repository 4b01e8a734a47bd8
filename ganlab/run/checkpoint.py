"""Reading a checkpoint, the one way every entry point does it: a checkpoint is data.

`torch.load(weights_only=True)` unpickles nothing but tensors and plain containers. What the
file then names to rebuild itself (`ganlab.module`, `ganlab.datamodule`, each `_target_`
anywhere in the hyper-parameters Hydra instantiates) must be a class defined in ganlab's own
procedures, networks and data modules, or under an import prefix the user registered
(`trusted_prefixes` in the entry point's config); see `ganlab.run.trust`. Hyper-parameters
holding an OmegaConf interpolation (`${…}`) are refused too: instantiating them would evaluate
it, and `${oc.create:…}` builds any `_target_`. A refused file stops with one
`UntrustedFileError` line before anything it names is called, and before anything outside the
trusted prefixes is imported.
"""

import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import torch
from hydra.errors import InstantiationException
from lightning.pytorch import LightningDataModule, LightningModule
from omegaconf import DictConfig

from ganlab.errors import UntrustedFileError, UsageError, one_line, user_error_of
from ganlab.run.trust import (
    NotImportable,
    Outside,
    Refusal,
    check_name,
    registered_prefixes,
    resolve,
    trusted_class,
)

BUILDABLE = (torch.nn.Module, LightningDataModule)
"""What a `_target_` in a checkpoint may build: a network (or a layer) or a data module."""


def checkpoint_option(cfg: DictConfig) -> str | None:
    """The checkpoint an entry point reads: `ckpt_path=`, or `ckpt=`, its alias."""
    path, alias = cfg.get("ckpt_path"), cfg.get("ckpt")
    if path is not None and alias is not None and str(path) != str(alias):
        raise UsageError(
            f"ckpt_path={path} and ckpt={alias} name different checkpoints: give one "
            f"(ckpt= is an alias of ckpt_path=)"
        )
    found = path if path is not None else alias
    return None if found is None else str(found)


def read_checkpoint(path: str | Path, trusted_prefixes: Iterable[str] | None = ()) -> dict:
    """The checkpoint's contents (tensors memory-mapped, on the CPU), or one UsageError saying
    what the file is not; refuses a file naming code outside the trusted prefixes."""
    prefixes = registered_prefixes(trusted_prefixes)
    path = Path(path).expanduser()
    if not path.is_file():
        raise UsageError(
            f"checkpoint {path} does not exist: give a .ckpt written by ganlab.train, e.g. "
            f"ckpt_path=outputs/train/runs/<run>/checkpoints/last.ckpt"
        )
    check_records(path)
    try:
        checkpoint = torch_load(path)
    except Exception as error:
        raise unreadable(path, error) from None
    check_layout(path, checkpoint)
    check_trusted(path, checkpoint, prefixes)
    check_weights(path, checkpoint)
    return checkpoint


def check_records(path: Path) -> None:
    """Every record of torch's zip format matches its CRC-32 (bit rot, a truncated copy)."""
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except (OSError, zipfile.BadZipFile, EOFError, ValueError) as error:
        damaged = f"({type(error).__name__}: {one_line(error)[:120]})"
    if damaged is not None:
        raise UsageError(
            f"{path} is damaged: its record {damaged} does not match its checksum; give an "
            f"intact copy of the checkpoint"
        )


def check_weights(path: Path, checkpoint: dict) -> None:
    """Every weight is readable and finite (a diverged or damaged file draws NaN images)."""
    for name, tensor in checkpoint["state_dict"].items():
        try:
            finite = not tensor.is_floating_point() or bool(torch.isfinite(tensor).all())
        except RuntimeError as error:  # a record shorter than its tensor
            raise UsageError(
                f"{path} is damaged: state_dict.{name} cannot be read ({one_line(error)[:120]}); "
                f"give an intact copy of the checkpoint"
            ) from None
        if not finite:
            raise UsageError(
                f"{path} holds non-finite weights (state_dict.{name} has NaN or inf): it cannot "
                f"generate images; give a checkpoint from before the run diverged"
            )


def torch_load(path: Path) -> Any:
    mmap = zipfile.is_zipfile(path)  # torch.save's format; mmap needs it
    with warnings.catch_warnings():  # a file's pickle protocol is no news to the user
        warnings.filterwarnings("ignore", message="Detected pickle protocol")
        return torch.load(path, map_location="cpu", mmap=mmap, weights_only=True)


def unreadable(path: Path, error: Exception) -> UsageError:
    """What `torch.load(weights_only=True)` refused, in one line."""
    text = str(error)
    # torch words it "Unsupported global: GLOBAL x.y was not an allowed global" or
    # "unsupported GLOBAL x.y whose module x is blocked"
    unsafe = re.search(r"[Uu]nsupported (?:global: )?GLOBAL (\S+)", text)
    if unsafe:
        return UntrustedFileError(
            f"{path} holds a pickled object of type {unsafe.group(1)}; reading it would "
            f"run code, so ganlab refuses it: give a checkpoint written by ganlab.train"
        )
    # torch's own advice around the unpickler's reason is pages long: keep the reason
    refused = re.search(r"WeightsUnpickler error:\s*(.*\S)", text)
    reason = refused.group(1) if refused else one_line(error)
    return UsageError(
        f"{path} is not a checkpoint torch can read ({type(error).__name__}: {reason[:160]}); "
        f"give a .ckpt file written by ganlab.train"
    )


def check_layout(path: Path, checkpoint: Any) -> None:
    """The entries ganlab reads are there and of the types it reads them as."""
    info = checkpoint.get("ganlab") if isinstance(checkpoint, dict) else None
    if not isinstance(info, dict) or "module" not in info:
        raise UsageError(
            f"{path} is not a ganlab training checkpoint (no 'ganlab' entry); give a .ckpt "
            f"file written by ganlab.train"
        )
    for key, optional in (
        ("hyper_parameters", False),
        ("state_dict", False),
        ("datamodule_hyper_parameters", True),
    ):
        value = checkpoint.get(key)
        if optional and value is None:
            continue
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise UsageError(
                f"{path} is not a ganlab training checkpoint ({key} is "
                f"{'missing' if value is None else 'not a dict of names'}); give a .ckpt file "
                f"written by ganlab.train"
            )
    weights = checkpoint["state_dict"]
    if not all(isinstance(tensor, torch.Tensor) for tensor in weights.values()):
        name = next(k for k, v in weights.items() if not isinstance(v, torch.Tensor))
        raise UsageError(
            f"{path} is not a ganlab training checkpoint (state_dict.{name} is not a tensor); "
            f"give a .ckpt file written by ganlab.train"
        )


def class_paths(value: Any, where: str) -> Iterator[tuple[str, Any]]:
    """(location, value) of every `_target_` nested anywhere in `value`, lists included."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "_target_":
                yield f"{where}._target_", item
            else:
                yield from class_paths(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from class_paths(item, f"{where}[{index}]")


def interpolations(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """(location, text) of every string, key or value, that OmegaConf would resolve."""
    if isinstance(value, str):
        if "${" in value:
            yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from interpolations(key, f"{where} (a key)")
            yield from interpolations(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from interpolations(item, f"{where}[{index}]")


def named_classes(checkpoint: dict) -> list[tuple[str, Any, tuple[type, ...]]]:
    """(location, class path, what it must be) for everything the file names to rebuild."""
    info = checkpoint["ganlab"]
    named = [("ganlab.module", info["module"], (LightningModule,))]
    if info.get("datamodule") is not None:
        named.append(("ganlab.datamodule", info["datamodule"], (LightningDataModule,)))
    for section in ("hyper_parameters", "datamodule_hyper_parameters"):
        named += [(w, p, BUILDABLE) for w, p in class_paths(checkpoint.get(section), section)]
    return named


def check_trusted(path: Path, checkpoint: dict, prefixes: tuple[str, ...]) -> None:
    """Refuse the file if it names anything outside the trusted classes (names and
    interpolations first, with nothing imported; then each path is walked)."""
    for section in ("hyper_parameters", "datamodule_hyper_parameters"):
        for where, text in interpolations(checkpoint.get(section), section):
            raise UntrustedFileError(
                f"{path} holds the interpolation {shown(text)} at {where}; building from it would "
                f"evaluate it, so ganlab refuses it unread: give a checkpoint written by "
                f"ganlab.train"
            )
    named = named_classes(checkpoint)
    for where, class_path, _ in named:
        try:
            check_name(class_path, prefixes)
        except Outside as refusal:
            raise UntrustedFileError(
                f"{path} names {shown(class_path)} at {where}, {refusal}; refused unread. If it is "
                f"your own code, add its import prefix to trusted_prefixes (e.g. "
                f"trusted_prefixes=[mylab.])"
            ) from None
        except Refusal as refusal:
            raise UntrustedFileError(
                f"{path} holds {shown(class_path)} at {where}, {refusal}; refused unread"
            ) from None
    for where, class_path, kinds in named:
        try:
            trusted_class(class_path, kinds, prefixes)
        except Refusal as refusal:
            raise UntrustedFileError(
                f"{path} names {shown(class_path)} at {where}, {refusal}: ganlab builds only the "
                f"procedure, network and data module classes defined under the trusted "
                f"prefixes, so it refuses this file"
            ) from None
        except NotImportable as error:
            raise UsageError(
                f"{path} names {class_path} at {where}, which is not importable ({error}): "
                f"use the ganlab version that wrote it (or install the package that defines it)"
            ) from None


def shown(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…"


def module_from_checkpoint(checkpoint: dict) -> Any:
    """Rebuild the trained module from a checkpoint dict read by `read_checkpoint`: first on
    the meta device, where nothing is allocated, so that a file whose hyper-parameters ask for
    more than its weights hold is refused before any memory is taken."""
    class_path = checkpoint["ganlab"]["module"]
    cls, hparams = resolve(class_path), checkpoint["hyper_parameters"]
    try:
        with torch.device("meta"):
            shapes = {k: tuple(v.shape) for k, v in cls(**hparams).state_dict().items()}
        saved = {k: tuple(v.shape) for k, v in checkpoint["state_dict"].items()}
        if shapes != saved:
            keys = sorted(k for k in shapes.keys() | saved.keys() if shapes.get(k) != saved.get(k))
            raise ValueError(
                f"its hyper-parameters build {len(keys)} weight(s) its state_dict does not hold, "
                f"first {keys[0]}: {shapes.get(keys[0])} built, {saved.get(keys[0])} saved"
            )
        model = cls(**hparams)
        model.load_state_dict(checkpoint["state_dict"])
    except (TypeError, ValueError, KeyError, RuntimeError, InstantiationException) as error:
        cause = user_error_of(error)
        if cause is not None:
            raise cause from None
        raise UsageError(
            f"the checkpoint's hyper-parameters and weights do not rebuild {class_path} "
            f"({type(error).__name__}: {one_line(error)[:200]}): use the ganlab version that "
            f"wrote it"
        ) from None
    return model


def load_module(path: str | Path, trusted_prefixes: Iterable[str] | None = ()) -> Any:
    """Rebuild a trained module from a checkpoint alone (no config needed)."""
    return module_from_checkpoint(read_checkpoint(path, trusted_prefixes))
