"""Which class a class path read from a file may name, decided without calling the file's code.

A checkpoint names the classes that rebuild it (`ganlab.module`, `ganlab.datamodule`, each
`_target_` Hydra instantiates). Starting with a trusted prefix is not enough: a module's
namespace also holds what it imported, so `ganlab.nets.dcgan28.torch.load` starts inside
ganlab and ends at `torch.load`. A path is therefore walked the way Hydra's `_locate` walks
it (import the first name, then attribute by attribute, importing a submodule where there is
no attribute), but with `inspect.getattr_static` (no `__getattr__`, no descriptors run) and
only through trusted modules and classes; it must end at a class defined under a trusted
prefix that is the kind of thing it is built as (a LightningModule, a network, a data module).
"""

import importlib
import inspect
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

from omegaconf import ListConfig

from ganlab.errors import UsageError

TRUSTED_PREFIXES = ("ganlab.models.", "ganlab.nets.", "ganlab.data.")
"""Where a class path read from a file may point; users extend it with `trusted_prefixes`."""


class Refusal(Exception):
    """A class path ganlab will not follow; the message says why (the caller names the file)."""


class Outside(Refusal):
    """A class path under none of the trusted prefixes (perhaps the user's own code)."""


class NotImportable(Exception):
    """A trusted class path that does not resolve in this installation."""


def registered_prefixes(value: Any) -> tuple[str, ...]:
    """ganlab's prefixes plus the user's `trusted_prefixes`, each ending in a dot so that a
    prefix matches whole module names (`mylab` trusts `mylab.nets`, not `mylabevil`)."""
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


def under(name: str, prefixes: Iterable[str]) -> bool:
    """`name` is a trusted prefix's module or lies inside it."""
    return any(f"{name}.".startswith(prefix) for prefix in prefixes)


def above(name: str, prefixes: Iterable[str]) -> bool:
    """`name` is a package that holds a trusted prefix (`ganlab` for `ganlab.nets.`)."""
    return any(prefix.startswith(f"{name}.") for prefix in prefixes)


def defining_module(cls: type) -> str | None:
    """The module a class says it was defined in, read without running a descriptor."""
    module = inspect.getattr_static(cls, "__module__", None)
    return module if isinstance(module, str) else None


def describe(obj: Any) -> str:
    if isinstance(obj, ModuleType):
        return f"the module {obj.__name__}"
    if isinstance(obj, type):
        return f"the class {defining_module(obj)}.{obj.__qualname__}"
    return f"a {type(obj).__module__}.{type(obj).__qualname__} object"


def import_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise NotImportable(str(error)) from None


def walk(class_path: str, may_enter: Callable[[Any], bool]) -> Any:
    """The object `class_path` names, found as Hydra's `_locate` finds it, stepping only into
    objects `may_enter` accepts."""
    parts = class_path.split(".")
    obj = import_module(parts[0])
    for index in range(1, len(parts)):
        if not may_enter(obj):
            raise Refusal(f"which reaches into {describe(obj)}")
        try:
            obj = inspect.getattr_static(obj, parts[index])
        except AttributeError:
            if not isinstance(obj, ModuleType):
                raise NotImportable(f"{describe(obj)} has no {parts[index]}") from None
            obj = import_module(".".join(parts[: index + 1]))
    return obj


def check_name(class_path: Any, prefixes: tuple[str, ...]) -> None:
    """The checks that need no import: a dotted name under a trusted prefix."""
    if not isinstance(class_path, str):
        raise Refusal(f"a {type(class_path).__name__} value where a class path belongs")
    if not all(part.isidentifier() for part in class_path.split(".")):
        raise Refusal("which is not a dotted Python name")
    if not under(class_path, prefixes):
        raise Outside("outside ganlab's procedures, networks and data modules")


def trusted_class(class_path: Any, kinds: tuple[type, ...], prefixes: tuple[str, ...]) -> type:
    """The class `class_path` names, if it is one of `kinds` defined under `prefixes`;
    otherwise `Refusal`. Imports only modules under (or above) the prefixes."""
    check_name(class_path, prefixes)

    def may_enter(obj: Any) -> bool:
        if isinstance(obj, ModuleType):
            return under(obj.__name__, prefixes) or above(obj.__name__, prefixes)
        return isinstance(obj, type) and under(defining_module(obj) or "", prefixes)

    obj = walk(class_path, may_enter)
    if not isinstance(obj, type):
        raise Refusal(f"which is {describe(obj)}, not a class")
    if not under(defining_module(obj) or "", prefixes):
        raise Refusal(f"which is {describe(obj)}, defined outside the trusted prefixes")
    if not issubclass(obj, kinds):
        wanted = " or ".join(kind.__name__ for kind in kinds)
        raise Refusal(f"which is {describe(obj)}, not a {wanted}")
    return obj


def resolve(class_path: str) -> Any:
    """The object a class path already accepted by `trusted_class` names (the same walk)."""
    return walk(class_path, lambda obj: True)
