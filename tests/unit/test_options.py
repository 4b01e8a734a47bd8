"""A config value's rule lives on the class that takes the value: its constructor and
`check_config` (before any data is prepared) refuse a bad value with the same line."""

import sys
import textwrap
from pathlib import Path

import pytest

from ganlab.callbacks import Checkpoint, LastCheckpoint
from ganlab.data.folder import ImageFolderDataModule
from ganlab.data.mnist import MNISTDataModule
from ganlab.errors import UsageError
from ganlab.models import DCGAN, WGAN
from ganlab.run.rules import check_config
from tests.helpers.checkpoints import compose_train

NET = {
    "generator": {"_target_": "ganlab.nets.dcgan28.Generator"},
    "discriminator": {"_target_": "ganlab.nets.dcgan28.Discriminator", "dropout": 0.0},
}
OPTIM = {"lr": 1e-4, "beta1": 0.0, "beta2": 0.9}

CASES = [
    (
        lambda: WGAN(net=NET, optim=OPTIM, n_critic=0),
        ["model=wgan_gp", "model.n_critic=0"],
        "model.n_critic must be an integer >= 1, got 0",
    ),
    (
        lambda: DCGAN(net=NET, optim=OPTIM, label_flip=1.0),
        ["model.label_flip=1.0"],
        "model.label_flip must be in [0, 1), got 1.0",
    ),
    (
        lambda: DCGAN(net=NET, optim=OPTIM, update="both"),
        ["model.update=both"],
        "model.update must be one of ['alternating', 'simultaneous'], got 'both'",
    ),
    (
        lambda: DCGAN(net=NET, optim={**OPTIM, "lr_g": 0}),
        ["model.optim.lr_g=0"],
        "model.optim.lr_g must be > 0 (or null), got 0",
    ),
    (
        lambda: DCGAN(net=NET, optim={**OPTIM, "_target_": "torch.optim.Lion"}),
        ["model.optim._target_=torch.optim.Lion"],
        "model.optim._target_ must name a torch.optim optimizer class",
    ),
    (
        lambda: MNISTDataModule(image_size=4),
        ["data.image_size=4"],
        "data.image_size must be >= 8, got 4",
    ),
    (
        lambda: MNISTDataModule(splits=["val"]),
        ["data.splits=[val]"],
        "data.splits must be a non-empty subset of [train, test], got ['val']",
    ),
    (
        lambda: ImageFolderDataModule(path=".", crop=0),
        ["data=folder", "data.path=.", "data.crop=0"],
        "data.crop must be 'square', a size in pixels >= 1, or null (no crop), got 0",
    ),
]


@pytest.mark.parametrize(("build", "overrides", "message"), CASES, ids=[c[2][:24] for c in CASES])
def test_constructor_and_config_check_say_the_same(build, overrides, message, tmp_path):
    with pytest.raises(UsageError) as built:
        build()
    with pytest.raises(UsageError) as checked:
        check_config(compose_train(f"paths.output_dir={tmp_path}", *overrides))
    assert str(built.value) == str(checked.value)
    assert str(checked.value).startswith(message)


def test_checkpoint_triggers_are_checked_on_every_checkpoint_callback(tmp_path):
    for name in ("last_checkpoint", "periodic_checkpoint"):
        overrides = [
            f"++callbacks.{name}.every_n_train_steps=5",
            f"callbacks.{name}.every_n_epochs=2",
        ]
        with pytest.raises(UsageError, match=f"callbacks.{name} saves every 5 steps and every 2"):
            check_config(compose_train(f"paths.output_dir={tmp_path}", *overrides))
    cfg = compose_train(
        f"paths.output_dir={tmp_path}", "callbacks.periodic_checkpoint.every_n_epochs=-1"
    )
    with pytest.raises(
        UsageError,
        match=r"periodic_checkpoint\.every_n_epochs must be >= 0 \(0: never\) \(or null\)",
    ):
        check_config(cfg)
    with pytest.raises(UsageError, match="LastCheckpoint saves every 5 steps and every 2 epochs"):
        LastCheckpoint(every_n_train_steps=5, every_n_epochs=2)
    assert Checkpoint(every_n_epochs=3).every_n_epochs == 3


def test_a_users_class_is_checked_by_its_own_rules(tmp_path, monkeypatch):
    package = tmp_path / "userlab"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "procedure.py").write_text(
        textwrap.dedent(
            """
            from ganlab.models import DCGAN
            from ganlab.options import Rule, at_least


            class Patient(DCGAN):
                rules = (*DCGAN.rules, Rule("patience", "integer", ">= 1", at_least(1)))

                def __init__(self, *args, patience: int = 3, **kwargs):
                    self.check_values({"patience": patience})
                    super().__init__(*args, **kwargs)
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    cfg = compose_train(
        f"paths.output_dir={tmp_path}",
        "model._target_=userlab.procedure.Patient",
        "+model.patience=0",
    )
    with pytest.raises(UsageError, match=r"model\.patience must be >= 1, got 0"):
        check_config(cfg)
    sys.modules.pop("userlab.procedure", None)
    sys.modules.pop("userlab", None)


def test_a_target_that_does_not_import_is_one_line(tmp_path: Path):
    cfg = compose_train(f"paths.output_dir={tmp_path}", "model._target_=ganlab.models.NoSuchGAN")
    with pytest.raises(UsageError, match=r"model._target_=ganlab.models.NoSuchGAN cannot be"):
        check_config(cfg)
