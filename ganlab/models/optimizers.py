"""The two optimizers a procedure trains with, from `model.optim`: any torch.optim class.

`model.optim` names the class Hydra's way (`_target_: torch.optim.RMSprop`, `_partial_: true`:
a factory still waiting for the parameters) or by `name` (`adam`, `rmsprop`, any torch.optim
class name in lower case). Beside the class's own keyword arguments it takes ganlab's keys:
`lr` for both networks, `lr_g` / `lr_d` to override it per network, and `beta1` / `beta2`,
which become `betas` for the classes that have them (Adam-like) and are ignored by the others.

A class path read back from a checkpoint must not import code, so the class is looked up in
`torch.optim` only, and the hyper-parameters store its `name`, never a `_target_`.
"""

import inspect
from typing import Any

import torch
from torch import nn

from ganlab.errors import UsageError

GANLAB_KEYS = ("lr", "lr_g", "lr_d", "beta1", "beta2")
HYDRA_KEYS = ("_target_", "_partial_")
PREFIX = "torch.optim."
DEFAULT = "adam"


def torch_optimizers() -> dict[str, type[torch.optim.Optimizer]]:
    """torch.optim's optimizer classes by lower-case name (adam, adamw, rmsprop, sgd …)."""
    return {
        cls.__name__.lower(): cls
        for cls in vars(torch.optim).values()
        if inspect.isclass(cls)
        and issubclass(cls, torch.optim.Optimizer)
        and cls is not torch.optim.Optimizer
    }


def class_name(optim: dict[str, Any]) -> str:
    """The lower-case torch.optim class name `model.optim` asks for."""
    known = torch_optimizers()
    name = optim.get("name")
    target = optim.get("_target_")
    if target is not None:
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
    name = str(name or DEFAULT).lower()
    if name not in known:
        raise UsageError(
            f"model.optim.name must name a torch.optim class (adam, adamw, rmsprop, sgd …), "
            f"got {optim.get('name')!r}"
        )
    return name


def stored(optim: dict[str, Any]) -> dict[str, Any]:
    """`model.optim` as the hyper-parameters keep it: the class by `name`, no `_target_`
    (a config without either is kept as it is, as ganlab always wrote it)."""
    if "_target_" not in optim:
        return dict(optim)
    kept = {key: value for key, value in optim.items() if key not in HYDRA_KEYS}
    return {"name": class_name(optim), **kept}


def class_options(optim: dict[str, Any]) -> dict[str, Any]:
    """The keys `model.optim` passes to the class itself, checked against its signature."""
    cls = torch_optimizers()[class_name(optim)]
    options = {k: v for k, v in optim.items() if k not in (*GANLAB_KEYS, *HYDRA_KEYS, "name")}
    accepted = inspect.signature(cls.__init__).parameters
    for key in options:
        if key not in accepted or key in ("self", "params"):
            takes = ", ".join(p for p in accepted if p not in ("self", "params"))
            raise UsageError(
                f"model.optim.{key}: torch.optim.{cls.__name__} takes no such option "
                f"(it takes {takes})"
            )
    return options


def build_optimizers(
    optim: dict[str, Any], generator: nn.Module, discriminator: nn.Module, device: torch.device
) -> list[torch.optim.Optimizer]:
    """[generator optimizer, discriminator optimizer]."""
    cls = torch_optimizers()[class_name(optim)]
    options = class_options(optim)
    accepted = inspect.signature(cls.__init__).parameters
    if "betas" in accepted and "betas" not in options:
        beta1, beta2 = accepted["betas"].default
        options["betas"] = (optim.get("beta1", beta1), optim.get("beta2", beta2))
    if cls is torch.optim.Adam and "fused" not in options:
        # one fused kernel per parameter tensor instead of one per tensor and operation; an
        # explicit choice also spares torch's per-step device probing (0.35 ms per optimizer
        # step on a CPU-only machine, where it looks for NVML)
        options["fused"] = device.type in ("cuda", "cpu")
    rates = {"generator": optim.get("lr_g"), "discriminator": optim.get("lr_d")}
    built = []
    for name, network in (("generator", generator), ("discriminator", discriminator)):
        lr = rates[name] or optim.get("lr")
        built.append(cls(network.parameters(), **options, **({"lr": lr} if lr else {})))
    return built
