"""`model.generator_noise`: the alternating generator step reuses the last discriminator
update's fakes (one generator forward per step) or draws fresh noise (one more)."""

import pytest
import torch
from hydra import compose, initialize_config_dir
from torch.utils.data import DataLoader

from ganlab.errors import UsageError
from ganlab.models import DCGAN, WGAN
from ganlab.run.config import CONF_DIR
from ganlab.run.rules import check_config
from tests.helpers import quiet_trainer

NET = {
    "generator": {"_target_": "ganlab.nets.dcgan28.Generator"},
    "discriminator": {"_target_": "ganlab.nets.dcgan28.Discriminator", "dropout": 0.0},
}
OPTIM = {"lr": 1e-3, "beta1": 0.5, "beta2": 0.999}
STEPS = 2

pytestmark = pytest.mark.usefixtures("one_thread")


def generator_forwards(model, batch: int) -> int:
    """How many times the generator runs in `STEPS` training steps."""
    calls = []
    model.generator.register_forward_hook(lambda *_: calls.append(1))
    images = torch.rand(batch, 1, 8, 8) * 2 - 1
    labels = torch.zeros(batch, dtype=torch.long)
    loader = DataLoader([(images, labels)] * STEPS, batch_size=None)
    quiet_trainer(STEPS).fit(model, train_dataloaders=loader)
    return len(calls)


@pytest.mark.parametrize(
    ("cls", "options", "noise", "per_step"),
    [
        (DCGAN, {}, "reused", 1),
        (DCGAN, {}, "fresh", 2),
        (WGAN, {"n_critic": 2}, "fresh", 3),
        (WGAN, {"n_critic": 2}, "reused", 2),
    ],
)
def test_fresh_noise_runs_the_generator_once_more_per_step(cls, options, noise, per_step):
    torch.manual_seed(0)
    model = cls(
        net=NET, optim=OPTIM, latent_dim=4, image_shape=(1, 8, 8), generator_noise=noise, **options
    )
    assert model.reuse_fakes is (noise == "reused")
    assert model.hparams.generator_noise == noise
    assert generator_forwards(model, batch=4 * model.real_batches_per_step) == per_step * STEPS


def test_without_the_key_each_procedure_keeps_its_own_choice():
    for cls, reuses in ((DCGAN, True), (WGAN, False)):
        model = cls(net=NET, optim=OPTIM, latent_dim=4, image_shape=(1, 8, 8))
        assert model.reuse_fakes is reuses


def composed(*overrides: str):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("train", overrides=list(overrides))


def test_the_presets_say_what_each_procedure_does_and_a_bad_value_is_named():
    assert composed("model=dcgan").model.generator_noise == "reused"
    assert composed("model=wgan_gp").model.generator_noise == "fresh"
    assert composed("model=cwgan_gp").model.generator_noise == "fresh"
    with pytest.raises(
        UsageError,
        match=r"model\.generator_noise must be one of \['reused', 'fresh'\] \(or null\), got 'new'",
    ):
        check_config(composed("model.generator_noise=new"))
    with pytest.raises(UsageError, match=r"model\.generator_noise"):
        DCGAN(net=NET, optim=OPTIM, image_shape=(1, 8, 8), generator_noise="new")
