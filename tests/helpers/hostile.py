"""Hostile checkpoints: real ganlab checkpoints edited so that following what they name would
run code, here `os.mkdir(marker)`, so a test can show the marker never appears."""

import copy
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch


class RunsCode:
    """Unpickling this creates the folder `marker`: a pickle is a program."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return os.mkdir, (self.marker,)


def builds_marker(target: str, marker: Path) -> dict:
    """A Hydra node that calls `target(marker)` when instantiated."""
    return {"_target_": target, "_args_": [str(marker)]}


def net(checkpoint: dict, which: str = "generator") -> dict:
    return checkpoint["hyper_parameters"]["net"][which]


@dataclass(frozen=True)
class Hostile:
    id: str
    edit: Callable[[dict, Path], None]
    message: str
    runs_code_unchecked: bool = False
    """Building from the file with the trust check switched off creates the marker."""


def set_module(path: str) -> Callable[[dict, Path], None]:
    return lambda c, m: c["ganlab"].update(module=path)


HOSTILE = [
    Hostile("foreign_module", set_module("os.mkdir"), "'os.mkdir' at ganlab.module, outside"),
    Hostile(
        "foreign_datamodule",
        lambda c, m: c["ganlab"].update(datamodule="subprocess.Popen"),
        "'subprocess.Popen' at ganlab.datamodule, outside",
    ),
    Hostile(
        "foreign_net",
        lambda c, m: net(c).update(_target_="os.mkdir"),
        "at hyper_parameters.net.generator._target_, outside",
    ),
    Hostile(
        "nested_in_net",
        lambda c, m: net(c).update(label_mode=builds_marker("os.mkdir", m)),
        "'os.mkdir' at hyper_parameters.net.generator.label_mode._target_, outside",
        runs_code_unchecked=True,
    ),
    Hostile(
        "in_a_list",
        lambda c, m: net(c, "discriminator").update(
            norm=[0, {"layers": [builds_marker("os.mkdir", m)]}]
        ),
        "at hyper_parameters.net.discriminator.norm[1].layers[0]._target_, outside",
        runs_code_unchecked=True,
    ),
    Hostile(
        "in_datamodule_hyper_parameters",
        lambda c, m: c.update(datamodule_hyper_parameters=builds_marker("os.mkdir", m)),
        "'os.mkdir' at datamodule_hyper_parameters._target_, outside",
    ),
    Hostile(
        "nested_in_datamodule",
        lambda c, m: c["datamodule_hyper_parameters"].update(root=builds_marker("os.mkdir", m)),
        "at datamodule_hyper_parameters.root._target_, outside",
    ),
    Hostile(
        "non_string_target",
        lambda c, m: net(c).update(_target_=["ganlab.nets.dcgan28.Generator"]),
        "names ['ganlab.nets.dcgan28.Generator'] at hyper_parameters.net.generator._target_, "
        "which is not a dotted class path",
    ),
    Hostile(
        "non_string_module",
        set_module({"_target_": "os.mkdir"}),
        "at ganlab.module, which is not a dotted class path",
    ),
    Hostile(
        "prefix_lookalike",
        set_module("ganlab.modelsevil.DCGAN"),
        "'ganlab.modelsevil.DCGAN' at ganlab.module, outside",
    ),
    Hostile(
        "trusted_module_then_foreign_function",
        lambda c, m: net(c).update(label_mode=builds_marker("ganlab.data.mnist.os.mkdir", m)),
        "'ganlab.data.mnist.os.mkdir' at hyper_parameters.net.generator.label_mode._target_, "
        "which this installation cannot import",
        runs_code_unchecked=True,
    ),
    Hostile(
        "trusted_module_then_foreign_class",
        set_module("ganlab.models.gan.LightningModule"),
        "which is not a LightningModule class defined under the trusted prefixes",
    ),
    Hostile(
        "trusted_module_then_imported_function",
        lambda c, m: net(c).update(_target_="ganlab.nets.build.instantiate"),
        "which is not a Module or LightningDataModule class defined under the trusted",
    ),
    Hostile(
        "trusted_class_of_the_wrong_kind",
        lambda c, m: c["ganlab"].update(datamodule="ganlab.nets.dcgan28.Generator"),
        "'ganlab.nets.dcgan28.Generator' at ganlab.datamodule, which is not a LightningDataModule",
    ),
    Hostile(
        "interpolation",
        lambda c, m: net(c).update(
            label_mode=f"${{oc.create:{{_target_: os.mkdir, _args_: ['{m}']}}}}"
        ),
        "holds the interpolation",
        runs_code_unchecked=True,
    ),
]


def edited_copy(source: Path, target: Path, edit: Callable[[dict, Path], None], marker: Path):
    """`source` with `edit(contents, marker)` applied, saved as `target`."""
    checkpoint = copy.deepcopy(torch.load(source, map_location="cpu", weights_only=True))
    edit(checkpoint, marker)
    target.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, target)
    return target


def pickled_code(target: Path, marker: Path, how: str = "torch") -> Path:
    """A checkpoint-looking file whose unpickling creates `marker`: torch.save's zip format,
    its legacy format, or a bare pickle."""
    contents = {"ganlab": {"module": "ganlab.models.dcgan.DCGAN"}, "payload": RunsCode(marker)}
    target.parent.mkdir(parents=True, exist_ok=True)
    if how == "pickle":
        target.write_bytes(pickle.dumps(contents))
    else:
        torch.save(contents, target, _use_new_zipfile_serialization=how == "torch")
    return target


USER_PACKAGE = "mylab_nets"
USER_NETS = '''"""A user's own networks (dcgan28's, under the user's package)."""

import torch

from ganlab.nets import dcgan28


class Generator(dcgan28.Generator):
    pass


class Discriminator(dcgan28.Discriminator):
    pass
'''


def write_user_package(folder: Path) -> Path:
    """`folder/mylab_nets/`, a package of networks outside ganlab; put `folder` on the path."""
    package = folder / USER_PACKAGE
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(USER_NETS)
    return folder


def with_user_nets(checkpoint: dict, marker: Path) -> None:
    for which in ("generator", "discriminator"):
        net(checkpoint, which)["_target_"] = f"{USER_PACKAGE}.{which.title()}"
