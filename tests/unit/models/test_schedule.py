"""The step's rules hold for any procedure: one that only sets its loss and options counts
generator updates, and none may write its own training step."""

import pytest
import torch
from lightning.pytorch import Trainer
from torch.utils.data import DataLoader

from ganlab.errors import UsageError
from ganlab.losses import AdversarialLoss
from ganlab.models import GAN
from tests.helpers import quiet_trainer

NET = {
    "generator": {"_target_": "ganlab.nets.dcgan28.Generator"},
    "discriminator": {"_target_": "ganlab.nets.dcgan28.Discriminator", "dropout": 0.0},
}
OPTIM = {"lr": 1e-3, "beta1": 0.5, "beta2": 0.999}

pytestmark = pytest.mark.usefixtures("one_thread")


class TwoCriticSquares(GAN):
    """Least squares of its own, with two discriminator updates per generator update."""

    def __init__(self, **options):
        super().__init__(n_critic=2, **options)
        self.objective = AdversarialLoss(
            lambda real, fake: ((real - 1) ** 2).mean() + (fake**2).mean(),
            lambda fake: ((fake - 1) ** 2).mean(),
            decision_threshold=0.5,
        )


def fit(model: GAN, batch: int, steps: int) -> Trainer:
    images = torch.rand(batch, 1, 8, 8) * 2 - 1
    loader = DataLoader([(images, torch.zeros(batch, dtype=torch.long))] * steps, batch_size=None)
    trainer = quiet_trainer(steps)
    trainer.fit(model, train_dataloaders=loader)
    return trainer


def build(cls: type[GAN] = TwoCriticSquares) -> GAN:
    torch.manual_seed(0)
    return cls(net=NET, optim=OPTIM, latent_dim=4, image_shape=(1, 8, 8))


def test_a_procedure_of_its_own_loss_counts_generator_updates():
    model = build()
    trainer = fit(model, batch=8, steps=3)
    assert trainer.global_step == 3
    opt_g, opt_d = model.optimizers()
    assert {s["step"].item() for s in opt_g.optimizer.state.values()} == {3.0}
    assert {s["step"].item() for s in opt_d.optimizer.state.values()} == {6.0}
    for name in ("d_loss_step", "g_loss_step", "d_real_step", "d_acc_real_step"):
        assert torch.isfinite(trainer.callback_metrics[name]), name


def test_a_batch_too_small_for_the_updates_is_a_usage_error():
    with pytest.raises(UsageError, match="a training batch of 1 images cannot feed 2"):
        fit(build(), batch=1, steps=1)


def test_a_procedure_may_not_write_its_own_training_step():
    with pytest.raises(TypeError, match="defines training_step"):

        class OwnLoop(GAN):
            def training_step(self, batch, batch_idx):
                return None


def test_several_generator_updates_per_step_each_count_as_one():
    """model.n_generator=3: after the discriminator's update, three generator updates (the
    first through the reused fakes, the others on fresh noise), each a global_step."""
    torch.manual_seed(0)
    model = GAN(net=NET, optim=OPTIM, latent_dim=4, image_shape=(1, 8, 8), n_generator=3)
    calls = []
    model.generator.register_forward_hook(lambda *_: calls.append(1))
    trainer = fit(model, batch=4, steps=6)
    assert trainer.global_step == 6  # max_steps counts generator updates: two batches
    opt_g, opt_d = model.optimizers()
    assert {s["step"].item() for s in opt_g.optimizer.state.values()} == {6.0}
    assert {s["step"].item() for s in opt_d.optimizer.state.values()} == {2.0}
    assert len(calls) == 2 * 3  # per batch: the reused fakes, then two fresh draws
    with pytest.raises(UsageError, match=r"takes one update of each network per step"):
        GAN(net=NET, optim=OPTIM, image_shape=(1, 8, 8), n_generator=2, update="simultaneous")
