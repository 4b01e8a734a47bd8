import pytest
import torch
from lightning.pytorch import Trainer

from ganlab.data.mnist import MNISTDataModule
from ganlab.errors import UsageError
from ganlab.models import WGAN
from tests.helpers import quiet_trainer

NET = {
    "generator": {"_target_": "ganlab.nets.dcgan28.Generator"},
    "discriminator": {"_target_": "ganlab.nets.dcgan28.Discriminator", "dropout": 0.0},
}
OPTIM = {"lr": 1e-4, "beta1": 0.0, "beta2": 0.9}

pytestmark = pytest.mark.usefixtures("one_thread")


def build(**kwargs) -> WGAN:
    torch.manual_seed(0)
    return WGAN(net=NET, optim=OPTIM, latent_dim=8, image_shape=(1, 28, 28), **kwargs)


def fit(model: WGAN, mnist_root, steps: int, batch_size: int = 4, **trainer_options) -> Trainer:
    datamodule = MNISTDataModule(root=str(mnist_root), splits=["test"], batch_size=batch_size)
    datamodule.batch_multiple = model.real_batches_per_step  # what ganlab.train does
    trainer = quiet_trainer(steps, **trainer_options)
    trainer.fit(model, datamodule=datamodule)
    return trainer


def optimizer_steps(optimizer) -> set[float]:
    return {state["step"].item() for state in optimizer.optimizer.state.values()}


def test_n_critic_critic_updates_per_generator_update(mnist_root):
    model = build(n_critic=3)
    seen: list[torch.Tensor] = []
    discriminator_loss = model.discriminator_loss

    def spy(real_logits, fake_logits, real, *rest):
        seen.append(real.clone())
        return discriminator_loss(real_logits, fake_logits, real, *rest)

    model.discriminator_loss = spy
    trainer = fit(model, mnist_root, steps=2, batch_size=4)
    assert trainer.global_step == 2
    opt_g, opt_d = model.optimizers()
    assert optimizer_steps(opt_g) == {2.0}
    assert optimizer_steps(opt_d) == {6.0}
    # every critic update drew its own real batch of data.batch_size images
    assert [len(real) for real in seen] == [4] * 6
    assert len({round(real.sum().item(), 3) for real in seen}) == 6


def test_logs_the_critic_and_generator_scalars(mnist_root):
    trainer = fit(build(n_critic=2), mnist_root, steps=1)
    for name in ("c_loss", "c_wass", "c_gp", "c_grad_norm", "g_loss"):
        assert f"{name}_step" in trainer.callback_metrics, name
    metrics = {name: value.item() for name, value in trainer.callback_metrics.items()}
    assert metrics["c_loss_step"] == pytest.approx(
        -metrics["c_wass_step"] + 10.0 * metrics["c_gp_step"], rel=1e-4
    )


def test_weight_clipping_keeps_the_critic_in_range(mnist_root):
    model = build(n_critic=2, constraint="weight_clipping", clip_value=0.02)
    trainer = fit(model, mnist_root, steps=2)
    for parameter in model.discriminator.parameters():
        assert parameter.abs().max() <= 0.02
    assert "c_gp_step" not in trainer.callback_metrics
    assert "c_grad_norm_step" in trainer.callback_metrics


def test_conditional_critic_and_penalty_get_the_labels(mnist_root):
    model = build(n_critic=2, num_classes=10, conditional=True)
    calls: list[torch.Tensor | None] = []
    forward = model.discriminator.forward
    model.discriminator.forward = lambda x, labels=None: calls.append(labels) or forward(x, labels)
    fit(model, mnist_root, steps=1)
    # per critic update: real, fake, interpolates; then the generator update
    assert len(calls) == 2 * 3 + 1
    assert all(labels is not None and len(labels) == 4 for labels in calls)


def test_real_batches_per_step_follows_n_critic():
    assert build(n_critic=4).real_batches_per_step == 4
    assert build(n_critic=1).real_batches_per_step == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_critic": 0}, "model.n_critic must be an integer >= 1"),
        ({"penalty_weight": -1.0}, "model.penalty_weight"),
        ({"clip_value": 0.0}, "model.clip_value must be > 0"),
        ({"penalty": "spectral"}, "model.penalty must be one of"),
        ({"loss": "kl"}, "model.loss must be one of"),
        ({"penalty_every": 4}, "model.penalty_every=4 .* applies to model.penalty=r1"),
        ({"gp_weight": -1.0}, r"model.penalty_weight \(the penalty weight\) must be >= 0"),
        ({"constraint": "spectral"}, "model.penalty must be one of"),
    ],
)
def test_bad_options_are_usage_errors(kwargs, message):
    with pytest.raises(UsageError, match=message):
        build(**kwargs)


def test_batch_norm_in_a_gradient_penalty_critic_warns():
    net = {**NET, "discriminator": {**NET["discriminator"], "norm": "batch"}}
    with pytest.warns(UserWarning, match="batch norm"):
        WGAN(net=net, optim=OPTIM, latent_dim=8)


def test_bf16_mixed_precision_trains_with_an_fp32_penalty(mnist_root):
    trainer = fit(build(n_critic=2), mnist_root, steps=1, precision="bf16-mixed")
    assert trainer.global_step == 1
    assert torch.isfinite(trainer.callback_metrics["c_gp_step"])
    assert trainer.callback_metrics["c_gp_step"].dtype == torch.float32
