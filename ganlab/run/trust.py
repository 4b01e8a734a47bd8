"""Which classes a checkpoint may name: those defined in ganlab's procedures, networks and data
modules, or in a package the user registered (`trusted_prefixes`). A name is `module.Class`,
looked up in that module's own namespace; nothing is walked, called or imported outside the
registered packages, so `ganlab.nets.dcgan28.torch.load` names nothing."""

import importlib
from typing import Any

from omegaconf import ListConfig

from ganlab.errors import UsageError

TRUSTED_PREFIXES = ("ganlab.models.", "ganlab.nets.", "ganlab.data.")


class Refusal(Exception):
    """A name ganlab will not build; the message says why (the caller names the file)."""


def registered_prefixes(value: Any) -> tuple[str, ...]:
    """ganlab's prefixes plus the user's, each ending in a dot so that a prefix matches whole
    module names (`mylab` admits `mylab.nets`, not `mylabevil`)."""
    if value is None:
        return TRUSTED_PREFIXES
    if not isinstance(value, (list, tuple, ListConfig)):
        raise UsageError(
            f"trusted_prefixes must be a list of import prefixes, e.g. trusted_prefixes=[mylab.], "
            f"got {value!r}"
        )
    prefixes = []
    for prefix in value:
        names = prefix.removesuffix(".").split(".") if isinstance(prefix, str) else [""]
        if not all(name.isidentifier() for name in names):
            raise UsageError(
                f"trusted_prefixes entry {prefix!r} is not an import prefix: give dotted module "
                f"names, e.g. trusted_prefixes=[mylab.] or [mylab.nets.]"
            )
        prefixes.append(".".join(names) + ".")
    return (*TRUSTED_PREFIXES, *prefixes)


def under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(f"{name}.".startswith(prefix) for prefix in prefixes)


def trusted_class(path: Any, kinds: tuple[type, ...], prefixes: tuple[str, ...]) -> type:
    """The class `path` names, if a registered module defines it and it is one of `kinds`."""
    if not isinstance(path, str) or not all(part.isidentifier() for part in path.split(".")):
        raise Refusal("which is not a dotted class path")
    if not under(path.rpartition(".")[0], prefixes):
        raise Refusal("outside ganlab's procedures, networks and data modules")
    try:
        found = resolve(path)
    except ImportError as error:
        raise Refusal(f"which this installation cannot import ({error})") from None
    if not (
        isinstance(found, type) and under(found.__module__, prefixes) and issubclass(found, kinds)
    ):
        wanted = " or ".join(kind.__name__ for kind in kinds)
        raise Refusal(f"which is not a {wanted} class defined under the trusted prefixes")
    return found


def resolve(path: str) -> Any:
    """What the module of `path` defines under its last name (None if nothing)."""
    module, _, name = path.rpartition(".")
    return vars(importlib.import_module(module)).get(name)
