"""Reading a checkpoint, the one way every entry point does it: a checkpoint is data.

`torch.load(weights_only=True)` unpickles nothing but tensors and plain containers, and every
class path the file names (`ganlab.module`, `ganlab.datamodule`, each `_target_` anywhere in the
hyper-parameters) must resolve inside ganlab's own procedures, networks and data modules, or
under an import prefix the user registered (`trusted_prefixes` in the entry point's config).
A file that names anything else is refused before anything is imported or called.
"""

import importlib
import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import torch

from ganlab.errors import UntrustedFileError, UsageError, one_line

TRUSTED_PREFIXES = ("ganlab.models.", "ganlab.nets.", "ganlab.data.")
"""Where a class path read from a file may point; users extend it with `trusted_prefixes`."""


def read_checkpoint(path: str | Path, trusted_prefixes: Iterable[str] = ()) -> dict[str, Any]:
    """The checkpoint's contents (tensors memory-mapped, on the CPU), or one UsageError saying
    what the file is not; refuses a file naming code outside the trusted prefixes."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise UsageError(
            f"checkpoint {path} does not exist: give a .ckpt written by ganlab.train, e.g. "
            f"ckpt_path=outputs/train/runs/<run>/checkpoints/last.ckpt"
        )
    try:
        mmap = zipfile.is_zipfile(path)  # torch.save's format; mmap needs it
        checkpoint = torch.load(path, map_location="cpu", mmap=mmap, weights_only=True)
    except Exception as error:
        unsafe = re.search(r"Unsupported global: GLOBAL (\S+)", str(error))
        if unsafe:
            raise UntrustedFileError(
                f"{path} holds a pickled object of type {unsafe.group(1)}; reading it would "
                f"run code, so ganlab refuses it: give a checkpoint written by ganlab.train"
            ) from None
        reason = one_line(error)[:160]
        raise UsageError(
            f"{path} is not a checkpoint torch can read ({type(error).__name__}: {reason}); "
            f"give a .ckpt file written by ganlab.train"
        ) from None
    info = checkpoint.get("ganlab") if isinstance(checkpoint, dict) else None
    if not isinstance(info, dict) or not isinstance(info.get("module"), str):
        raise UsageError(
            f"{path} is not a ganlab training checkpoint (no 'ganlab' entry); give a .ckpt "
            f"file written by ganlab.train"
        )
    check_trusted(path, checkpoint, trusted_prefixes)
    return checkpoint


def class_paths(value: Any, where: str) -> Iterator[tuple[str, Any]]:
    """(location, value) of every `_target_` nested anywhere in `value`."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "_target_":
                yield where, item
            else:
                yield from class_paths(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from class_paths(item, f"{where}[{index}]")


def is_trusted(class_path: Any, prefixes: Iterable[str]) -> bool:
    return isinstance(class_path, str) and any(
        class_path.startswith(prefix) for prefix in (*TRUSTED_PREFIXES, *prefixes)
    )


def check_trusted(path: Path, checkpoint: dict[str, Any], prefixes: Iterable[str]) -> None:
    prefixes = tuple(prefixes)
    info = checkpoint["ganlab"]
    named = [("ganlab.module", info.get("module"))]
    if info.get("datamodule") is not None:
        named.append(("ganlab.datamodule", info["datamodule"]))
    named += class_paths(checkpoint.get("hyper_parameters"), "hyper_parameters")
    named += class_paths(checkpoint.get("datamodule_hyper_parameters"), "datamodule")
    for where, class_path in named:
        if not is_trusted(class_path, prefixes):
            raise UntrustedFileError(
                f"{path} names {class_path!r} at {where}, outside ganlab's procedures, networks "
                f"and data modules; refused unread. If it is your own code, add its import "
                f"prefix to trusted_prefixes (e.g. trusted_prefixes=[mylab.])"
            )


def resolve(class_path: str) -> Any:
    """Import a class path already checked by `read_checkpoint`."""
    module_path, _, name = class_path.rpartition(".")
    try:
        return getattr(importlib.import_module(module_path), name)
    except (ImportError, AttributeError):
        raise UsageError(
            f"the checkpoint's {class_path} is not importable: use the ganlab version that "
            "wrote it (or install the package that defines it)"
        ) from None


def module_from_checkpoint(checkpoint: dict[str, Any]) -> Any:
    """Rebuild the trained module from a checkpoint dict read by `read_checkpoint`."""
    model = resolve(checkpoint["ganlab"]["module"])(**checkpoint["hyper_parameters"])
    model.load_state_dict(checkpoint["state_dict"])
    return model


def load_module(path: str | Path, trusted_prefixes: Iterable[str] = ()) -> Any:
    """Rebuild a trained module from a checkpoint alone (no config needed)."""
    return module_from_checkpoint(read_checkpoint(path, trusted_prefixes))
