"""The two optimizers from `model.optim`: any torch.optim class, by `_target_` (Hydra's way) or
lower-case `name`, with ganlab's keys beside the class's own: `lr`, `lr_g` / `lr_d`, `beta1` /
`beta2`. The class is looked up in `torch.optim` only (a checkpoint's path imports no code), and
the hyper-parameters store its `name`.
"""

import inspect
from typing import Any

import torch
from torch import nn
from torch.optim import Optimizer

from ganlab.errors import UsageError

NOT_THE_CLASS_OPTIONS = ("lr", "lr_g", "lr_d", "beta1", "beta2", "name", "_target_", "_partial_")
PREFIX = "torch.optim."


def torch_optimizers() -> dict[str, type[Optimizer]]:
    """torch.optim's optimizer classes by lower-case name (adam, adamw, rmsprop, sgd …)."""
    classes = [c for c in vars(torch.optim).values() if inspect.isclass(c) and c is not Optimizer]
    return {c.__name__.lower(): c for c in classes if issubclass(c, Optimizer)}


def class_name(optim: dict[str, Any]) -> str:
    """The lower-case torch.optim class name `model.optim` asks for (adam when it names none)."""
    known, name, target = torch_optimizers(), optim.get("name"), optim.get("_target_")
    if target is None:
        if str(name or "adam").lower() not in known:
            raise UsageError(
                f"model.optim.name must name a torch.optim class (adam, adamw, rmsprop, sgd …), "
                f"got {name!r}"
            )
        return str(name or "adam").lower()
    by_target = str(target).removeprefix(PREFIX).rpartition(".")[2].lower()
    if not str(target).startswith(PREFIX) or by_target not in known:
        raise UsageError(
            f"model.optim._target_ must name a torch.optim optimizer class "
            f"(e.g. torch.optim.RMSprop), got {target!r}"
        )
    if name is not None and str(name).lower() != by_target:
        raise UsageError(
            f"model.optim.name={name} and model.optim._target_={target} name different "
            f"optimizers: set only model.optim._target_"
        )
    return by_target


def stored(optim: dict[str, Any]) -> dict[str, Any]:
    """`model.optim` as the hyper-parameters keep it: the class by `name`, no `_target_`
    (a config without either is kept as it is, as ganlab always wrote it)."""
    if "_target_" not in optim:
        return dict(optim)
    kept = {key: value for key, value in optim.items() if key not in ("_target_", "_partial_")}
    return {"name": class_name(optim), **kept}


def class_options(optim: dict[str, Any]) -> tuple[type[Optimizer], dict[str, Any]]:
    """The class and the keys `model.optim` passes to it, checked against its signature."""
    cls = torch_optimizers()[class_name(optim)]
    accepted = [name for name in inspect.signature(cls).parameters if name != "params"]
    options = {k: v for k, v in optim.items() if k not in NOT_THE_CLASS_OPTIONS}
    for key in options:
        if key not in accepted:
            raise UsageError(
                f"model.optim.{key}: torch.optim.{cls.__name__} takes no such option "
                f"(it takes {', '.join(accepted)})"
            )
    return cls, options


def build_optimizers(
    optim: dict[str, Any], generator: nn.Module, discriminator: nn.Module, device: torch.device
) -> list[Optimizer]:
    """[generator optimizer, discriminator optimizer]."""
    cls, options = class_options(optim)
    betas = inspect.signature(cls).parameters.get("betas")
    if betas is not None and "betas" not in options:
        beta1, beta2 = betas.default
        options["betas"] = (optim.get("beta1", beta1), optim.get("beta2", beta2))
    if cls is torch.optim.Adam and "fused" not in options:
        # one fused kernel per parameter tensor; an explicit choice also spares torch's
        # per-step device probing (it looks for NVML on a CPU-only machine)
        options["fused"] = device.type in ("cuda", "cpu")
    rates = (optim.get("lr_g") or optim.get("lr"), optim.get("lr_d") or optim.get("lr"))
    return [
        cls(network.parameters(), **options, **({"lr": lr} if lr else {}))
        for network, lr in zip((generator, discriminator), rates, strict=True)
    ]
