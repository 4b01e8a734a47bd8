"""Reading a checkpoint, the one way every door does it: a checkpoint is data.

Tensors and plain containers only (`torch.load(weights_only=True)`), every record matching its
CRC-32, every weight finite, no OmegaConf interpolation, and every class the file names defined
in a trusted package (docs/reliability.md). A refused file is one line, before anything is built.
"""

import importlib
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import torch
from hydra.errors import InstantiationException
from lightning.pytorch import LightningDataModule, LightningModule
from omegaconf import ListConfig
from torch import is_tensor

from ganlab.errors import UntrustedFileError, UsageError, one_line, user_error_of

SECTIONS = ("hyper_parameters", "datamodule_hyper_parameters")
NOT_OURS = "give a .ckpt file written by ganlab.train"
TRUSTED_PREFIXES = ("ganlab.models.", "ganlab.nets.", "ganlab.data.")


def registered_prefixes(value: Any) -> tuple[str, ...]:
    """ganlab's prefixes plus the user's, each ending in a dot so that a prefix matches whole
    module names (`mylab` admits `mylab.nets`, not `mylabevil`)."""
    value = [] if value is None else value
    listed = isinstance(value, (list, tuple, ListConfig))
    names = [p.removesuffix(".").split(".") for p in value if isinstance(p, str)] if listed else []
    if not listed or len(names) < len(value) or not all(n.isidentifier() for p in names for n in p):
        raise UsageError(
            f"trusted_prefixes={value!r} is not a list of import prefixes: give dotted module "
            f"names, e.g. trusted_prefixes=[mylab.] or [mylab.nets.]"
        )
    return (*TRUSTED_PREFIXES, *(".".join(parts) + "." for parts in names))


def under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(f"{name}.".startswith(prefix) for prefix in prefixes)


def resolve(path: str) -> Any:
    """What the module of `path` defines under its last name (None if nothing): looked up in
    that module's own namespace, so `ganlab.nets.dcgan28.torch.load` names nothing."""
    module, _, name = path.rpartition(".")
    return vars(importlib.import_module(module)).get(name)


def refusal(path: Any, kinds: tuple[type, ...], prefixes: tuple[str, ...]) -> str | None:
    """Why ganlab will not build the class `path` names; None if a registered module defines
    it and it is one of `kinds` (only registered modules are imported)."""
    if not isinstance(path, str) or not all(part.isidentifier() for part in path.split(".")):
        return "which is not a dotted class path"
    if not under(path.rpartition(".")[0], prefixes):
        return "outside ganlab's procedures, networks and data modules"
    try:
        found = resolve(path)
    except ImportError as error:
        return f"which this installation cannot import ({error})"
    if isinstance(found, type) and under(found.__module__, prefixes) and issubclass(found, kinds):
        return None
    wanted = " or ".join(kind.__name__ for kind in kinds)
    return f"which is not a {wanted} class defined under the trusted prefixes"


def read_checkpoint(path: str | Path, trusted_prefixes: Iterable[str] | None = ()) -> dict:
    """The checkpoint's contents (tensors memory-mapped, on the CPU), or one UsageError."""
    prefixes = registered_prefixes(trusted_prefixes)
    path = Path(path).expanduser()
    if not path.is_file():
        raise UsageError(
            f"checkpoint {path} does not exist (no such file): {NOT_OURS}, e.g. "
            f"ckpt_path=outputs/train/runs/<run>/checkpoints/last.ckpt"
        )
    zipped = zipfile.is_zipfile(path)  # torch.save's format; mmap needs it
    if zipped:
        check_records(path)
    try:
        with warnings.catch_warnings():  # a file's pickle protocol is no news to the user
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            checkpoint = torch.load(path, map_location="cpu", mmap=zipped, weights_only=True)
    except Exception as error:
        raise unreadable(path, error) from None
    check_layout(path, checkpoint)
    check_trusted(path, checkpoint, prefixes)
    check_weights(path, checkpoint)
    return checkpoint


def check_records(path: Path) -> None:
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


def unreadable(path: Path, error: Exception) -> UsageError:
    """What `torch.load(weights_only=True)` refused, in one line."""
    text = str(error)
    unsafe = re.search(r"[Uu]nsupported (?:global: )?GLOBAL (\S+)", text)
    if unsafe:
        return UntrustedFileError(
            f"{path} holds a pickled object of type {unsafe.group(1)}; reading it would "
            f"run code, so ganlab refuses it: give a checkpoint written by ganlab.train"
        )
    refused = re.search(r"WeightsUnpickler error:\s*(.*\S)", text)  # torch's advice is pages
    reason = refused.group(1) if refused else one_line(error)
    return UsageError(
        f"{path} is not a checkpoint torch can read ({type(error).__name__}: {reason[:160]}); "
        f"{NOT_OURS}"
    )


def check_layout(path: Path, checkpoint: Any) -> None:
    """The entries ganlab reads are there, of the types it reads them as."""
    info = checkpoint.get("ganlab") if isinstance(checkpoint, dict) else None
    entries = {key: checkpoint.get(key) for key in ("state_dict", *SECTIONS)} if info else {}
    if entries.get(SECTIONS[1], {}) is None:
        del entries[SECTIONS[1]]  # a checkpoint trained without a data module
    problems = [] if isinstance(info, dict) and "module" in info else ["no 'ganlab' entry"]
    problems += [
        f"{key} is {'missing' if value is None else 'not a dict of names'}"
        for key, value in entries.items()
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value)
    ]
    weights = {} if problems else entries["state_dict"]
    problems += [f"state_dict.{k} is not a tensor" for k, v in weights.items() if not is_tensor(v)]
    if problems:
        raise UsageError(f"{path} is not a ganlab training checkpoint ({problems[0]}); {NOT_OURS}")


def check_weights(path: Path, checkpoint: dict) -> None:
    """Every weight is readable (a record shorter than its tensor) and finite."""
    for name, tensor in checkpoint["state_dict"].items():
        try:
            finite = not tensor.is_floating_point() or bool(torch.isfinite(tensor).all())
        except RuntimeError as error:
            raise UsageError(
                f"{path} is damaged: state_dict.{name} cannot be read ({one_line(error)[:120]}); "
                f"give an intact copy of the checkpoint"
            ) from None
        if not finite:
            raise UsageError(
                f"{path} holds non-finite weights (state_dict.{name} has NaN or inf): it cannot "
                f"generate images; give a checkpoint from before the run diverged"
            )


def found_in(value: Any, where: str) -> Iterator[tuple[str, str, Any]]:
    """('target' or 'text', location, value) for every `_target_` and every string (key or
    value) holding `${`, nested anywhere in dicts and lists."""
    if isinstance(value, str) and "${" in value:
        yield "text", where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from found_in(key, f"{where} (a key)")
            if key == "_target_":
                yield "target", f"{where}._target_", item
            yield from found_in(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from found_in(item, f"{where}[{index}]")


def check_trusted(path: Path, checkpoint: dict, prefixes: tuple[str, ...]) -> None:
    """Refuse a file that names anything outside the trusted classes."""
    info, buildable = checkpoint["ganlab"], (torch.nn.Module, LightningDataModule)
    named = [("ganlab.module", info["module"], (LightningModule,))]
    if info.get("datamodule") is not None:
        named.append(("ganlab.datamodule", info["datamodule"], (LightningDataModule,)))
    for section in SECTIONS:
        for kind, where, value in found_in(checkpoint.get(section), section):
            if kind == "text":
                raise UntrustedFileError(
                    f"{path} holds the interpolation {shown(value)} at {where}; building from it "
                    f"would evaluate it, so ganlab refuses it unread: give a checkpoint written "
                    f"by ganlab.train"
                )
            named.append((where, value, buildable))
    for where, name, kinds in named:
        reason = refusal(name, kinds, prefixes)
        if reason is not None:
            raise UntrustedFileError(
                f"{path} names {shown(name)} at {where}, {reason}: ganlab builds only the "
                f"procedure, network and data module classes of ganlab and of trusted_prefixes, "
                f"so it refuses this file unread; if it is your own code, add its import prefix "
                f"to trusted_prefixes (e.g. trusted_prefixes=[mylab.])"
            )


def shown(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…"


def module_from_checkpoint(checkpoint: dict) -> Any:
    """Rebuild the module from a checkpoint `read_checkpoint` accepted: first on the meta
    device, where nothing is allocated, and compared with the weights the file holds."""
    name = checkpoint["ganlab"]["module"]
    cls = resolve(name)
    hparams, saved = checkpoint["hyper_parameters"], checkpoint["state_dict"]
    try:
        with torch.device("meta"):
            built = {k: tuple(v.shape) for k, v in cls(**hparams).state_dict().items()}
        wrong = sorted(k for k in built.keys() | saved.keys() if built.get(k) != shape(saved, k))
        if wrong:
            raise ValueError(
                f"its hyper-parameters build {len(wrong)} weight(s) its state_dict does not hold, "
                f"first {wrong[0]}: {built.get(wrong[0])} built, {shape(saved, wrong[0])} saved"
            )
        model = cls(**hparams)
        model.load_state_dict(saved)
    except (TypeError, ValueError, KeyError, RuntimeError, InstantiationException) as error:
        cause = user_error_of(error)
        if cause is not None:
            raise cause from None
        raise UsageError(
            f"the checkpoint's hyper-parameters and weights do not rebuild {name} "
            f"({type(error).__name__}: {one_line(error)[:200]}): use the ganlab version that "
            f"wrote it"
        ) from None
    return model


def shape(weights: dict, key: str) -> tuple | None:
    return tuple(weights[key].shape) if key in weights else None


def load_module(path: str | Path, trusted_prefixes: Iterable[str] | None = ()) -> Any:
    """Rebuild a trained module from a checkpoint alone (no config needed)."""
    return module_from_checkpoint(read_checkpoint(path, trusted_prefixes))
