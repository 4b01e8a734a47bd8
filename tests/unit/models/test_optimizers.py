"""`model.optim` names any torch.optim class (Hydra's `_target_` or a `name`), ganlab's own keys
keep their meaning, and checkpoints keep the format they always had."""

from pathlib import Path

import pytest
import torch

from ganlab.errors import UsageError
from ganlab.models import DCGAN
from ganlab.run.checkpoint import load_module
from ganlab.run.fit import train
from tests.helpers import TINY
from tests.helpers.checkpoints import compose_train

NET = {
    "generator": {"_target_": "ganlab.nets.dcgan28.Generator"},
    "discriminator": {"_target_": "ganlab.nets.dcgan28.Discriminator", "dropout": 0.0},
}
MAIN_OPTIM = {"name": "adam", "lr": 2e-4, "lr_g": None, "lr_d": None, "beta1": 0.5, "beta2": 0.999}
"""`model.optim` as every checkpoint written before `_target_` holds it (conf/model/dcgan.yaml)."""


def optimizers(**optim) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    model = DCGAN(net=NET, optim=optim, latent_dim=4, image_shape=(1, 8, 8))
    return model, model.configure_optimizers()


def test_a_target_names_the_class_and_the_ganlab_keys_keep_their_meaning():
    model, (opt_g, opt_d) = optimizers(
        _target_="torch.optim.RMSprop", _partial_=True, lr=1e-3, lr_d=4e-3, alpha=0.9,
        beta1=0.5, beta2=0.999,
    )  # fmt: skip
    assert type(opt_g) is torch.optim.RMSprop and type(opt_d) is torch.optim.RMSprop
    assert opt_g.defaults["lr"] == 1e-3 and opt_d.defaults["lr"] == 4e-3
    assert opt_g.defaults["alpha"] == 0.9  # the class's own option, passed through
    # the checkpoint names the class inside torch.optim, never an import path
    assert model.hparams.optim == {
        "name": "rmsprop", "lr": 1e-3, "lr_d": 4e-3, "alpha": 0.9, "beta1": 0.5, "beta2": 0.999,
    }  # fmt: skip


def test_adam_like_classes_take_beta1_and_beta2_as_betas():
    _, (adam, _) = optimizers(_target_="torch.optim.Adam", lr=1e-3, beta1=0.1, beta2=0.8)
    assert adam.defaults["betas"] == (0.1, 0.8)
    assert adam.defaults["fused"] is True  # the fused CPU/CUDA kernel, as before
    _, (adamw, _) = optimizers(name="adamw", lr=1e-3, beta1=0.2, beta2=0.7, weight_decay=0.1)
    assert type(adamw) is torch.optim.AdamW
    assert (adamw.defaults["betas"], adamw.defaults["weight_decay"]) == ((0.2, 0.7), 0.1)


def test_a_name_still_chooses_the_class():
    _, (opt_g, _) = optimizers(name="rmsprop", lr=5e-5, beta1=0.5, beta2=0.999)
    assert type(opt_g) is torch.optim.RMSprop and opt_g.defaults["lr"] == 5e-5
    model, (opt_g, _) = optimizers(lr=2e-4, beta1=0.5, beta2=0.999)
    assert type(opt_g) is torch.optim.Adam
    assert "name" not in model.hparams.optim  # a config without a class stays as it was


@pytest.mark.parametrize(
    ("optim", "message"),
    [
        ({"_target_": "os.system"}, "model.optim._target_ must name a torch.optim optimizer"),
        ({"_target_": "torch.optim.Nope"}, "model.optim._target_ must name a torch.optim"),
        ({"name": "lion"}, "model.optim.name must name a torch.optim class"),
        (
            {"name": "sgd", "_target_": "torch.optim.Adam"},
            "model.optim.name=sgd and model.optim._target_=torch.optim.Adam name different",
        ),
        ({"name": "sgd", "momentun": 0.9}, "model.optim.momentun: torch.optim.SGD takes no such"),
    ],
)
def test_a_wrong_optimizer_is_a_usage_error(optim, message):
    with pytest.raises(UsageError, match=message):
        optimizers(lr=1e-3, **optim)


def test_a_preset_optimizer_is_stored_as_before(dcgan_run: Path):
    checkpoint = torch.load(dcgan_run / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint["hyper_parameters"]["optim"] == MAIN_OPTIM


def test_a_checkpoint_written_before_targets_loads_and_resumes(
    mnist_root, dcgan_run: Path, tmp_path: Path
):
    """The session's DCGAN checkpoint, its `optim` set to what main wrote, continues under
    today's preset (whose `model.optim` has a `_target_`)."""
    checkpoint = torch.load(dcgan_run / "checkpoints" / "last.ckpt", weights_only=True)
    checkpoint["hyper_parameters"]["optim"] = dict(MAIN_OPTIM)
    old = tmp_path / "old.ckpt"
    torch.save(checkpoint, old)
    assert type(load_module(old).configure_optimizers()[0]) is torch.optim.Adam

    cfg = compose_train(
        f"data.root={mnist_root}",
        "data.splits=[test]",
        "trainer.max_steps=3",
        f"paths.output_dir={tmp_path / 'resumed'}",
        f"ckpt_path={old}",
        "logger=none",
        "seed=1",
        *TINY,
    )
    assert cfg.model.optim._target_ == "torch.optim.Adam"
    train(cfg)
    resumed = torch.load(tmp_path / "resumed" / "checkpoints" / "last.ckpt", weights_only=True)
    assert resumed["global_step"] == 3
    assert resumed["hyper_parameters"]["optim"] == MAIN_OPTIM
