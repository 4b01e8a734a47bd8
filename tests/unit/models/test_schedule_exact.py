"""Each procedure trains bit for bit like a hand-written loop of its published schedule.

The loops below use the networks and `ganlab.losses` (the options) but nothing of the
procedures' own code: which optimizer steps when, which fakes and real batches each update
sees, and the order in which random numbers are drawn are written out by hand. Both sides
start from the same weights and reseed before every training step, so the logged losses and
every parameter and buffer must be equal, not close.

`REFERENCE` guards the loops themselves against a change made to both sides: the numbers the
loops give in float64, where the rounding differences between CPUs (AVX2 or AVX-512 kernels
sum in different orders) stay far below the tolerance; float32 runs differ by 3e-4 between
such machines after two steps, so the float32 results are only ever compared with each other.
"""

from dataclasses import dataclass, field

import pytest
import torch
from lightning.pytorch import Callback
from torch.utils.data import DataLoader

from ganlab.losses import (
    clip_weights,
    critic_gradient_norms,
    critic_wasserstein_loss,
    discriminator_bce_loss,
    discriminator_targets,
    generator_nonsaturating_loss,
    generator_wasserstein_loss,
    gradient_penalty,
    random_interpolates,
)
from ganlab.models import DCGAN, GAN, WGAN
from tests.helpers import quiet_trainer

pytestmark = pytest.mark.usefixtures("one_thread")

NET = {
    "generator": {"_target_": "ganlab.nets.dcgan28.Generator", "cpu_tricks": True},
    "discriminator": {
        "_target_": "ganlab.nets.dcgan28.Discriminator",
        "dropout": 0.3,
        "cpu_tricks": True,
    },
}
CRITIC_NET = {**NET, "discriminator": {**NET["discriminator"], "dropout": 0.0}}
ADAM = {"lr": 2e-3, "beta1": 0.5, "beta2": 0.999}
LATENT, BATCH, STEPS, CLASSES = 6, 4, 2, 3
SHAPE = (1, 8, 8)


@dataclass
class Case:
    procedure: type[GAN]
    options: dict
    net: dict = field(default_factory=lambda: NET)
    optim: dict = field(default_factory=lambda: ADAM)
    conditional: bool = False


CASES = {
    "dcgan_alternating": Case(
        DCGAN, {"label_smoothing": 0.1, "label_noise": 0.05, "label_flip": 0.1}
    ),
    "dcgan_simultaneous": Case(DCGAN, {"update": "simultaneous", "label_smoothing": 0.1}),
    "wgan_gp": Case(WGAN, {"n_critic": 2}, net=CRITIC_NET),
    "wgan_clipping": Case(
        WGAN,
        {"n_critic": 3, "constraint": "weight_clipping", "clip_value": 0.05},
        net=CRITIC_NET,
        optim={"name": "rmsprop", "lr": 5e-4, "beta1": 0.5, "beta2": 0.999},
    ),
    "conditional_dcgan": Case(DCGAN, {}, conditional=True),
    "conditional_wgan_gp": Case(WGAN, {"n_critic": 2}, net=CRITIC_NET, conditional=True),
}

REFERENCE = {
    "dcgan_alternating": (1.7479881742, 0.8831202987, 1174.7082337447),
    "dcgan_simultaneous": (1.3394318615, 0.7808577504, 1180.5459481467),
    "wgan_gp": (2.7863120576, -1.5150602706, 1200.2665122304),
    "wgan_clipping": (0.8020071033, 0.3361900605, 1210.7176738963),
    "conditional_dcgan": (1.5236687165, 0.7333958881, 1224.1216772939),
    "conditional_wgan_gp": (4.6588589402, -2.0282366301, 1222.5421085381),
}
"""Per case, in float64: the last step's discriminator (or critic) loss, generator loss, and the
sum of the generator's parameters after both steps, as `reference_numbers()` prints them."""


def build(case: Case) -> GAN:
    torch.manual_seed(0)
    return case.procedure(
        net=case.net,
        optim=case.optim,
        latent_dim=LATENT,
        image_shape=SHAPE,
        num_classes=CLASSES if case.conditional else 0,
        conditional=case.conditional,
        **case.options,
    )


def real_batches(case: Case) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """What the loader would deliver: each step's real images for all its updates."""
    per_step = BATCH * case.options.get("n_critic", 1)
    data = torch.Generator().manual_seed(1)
    return [
        (
            torch.rand(per_step, *SHAPE, generator=data) * 2 - 1,
            torch.randint(CLASSES, (per_step,), generator=data),
        )
        for _ in range(STEPS)
    ]


def reseed(step: int) -> None:
    torch.manual_seed(100 + step)


class Record(Callback):
    """Reseed before each training step; keep the losses it logged."""

    def __init__(self):
        self.losses: list[tuple[torch.Tensor, torch.Tensor]] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        reseed(batch_idx)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        metrics = pl_module.step_metrics
        d_loss = metrics.get("d_loss", metrics.get("c_loss"))
        self.losses.append((d_loss.clone(), metrics["g_loss"].clone()))


def train_procedure(case: Case) -> tuple[list, dict[str, torch.Tensor]]:
    model = build(case)
    record = Record()
    trainer = quiet_trainer(STEPS, callbacks=[record])
    loader = DataLoader(real_batches(case), batch_size=None)
    trainer.fit(model, train_dataloaders=loader)
    return record.losses, model.state_dict()


def optimizers(case: Case, generator, discriminator):
    optim = case.optim
    if optim.get("name") == "rmsprop":
        return (
            torch.optim.RMSprop(generator.parameters(), lr=optim["lr"]),
            torch.optim.RMSprop(discriminator.parameters(), lr=optim["lr"]),
        )
    options = {"lr": optim["lr"], "betas": (optim["beta1"], optim["beta2"]), "fused": True}
    return (
        torch.optim.Adam(generator.parameters(), **options),
        torch.optim.Adam(discriminator.parameters(), **options),
    )


def trainable(network: torch.nn.Module, on: bool) -> None:
    for parameter in network.parameters():
        parameter.requires_grad_(on)


def dcgan_step(case, generator, discriminator, opt_g, opt_d, real, labels):
    """pytorch/examples' DCGAN (alternating) or the TensorFlow tutorial's two tapes."""
    tricks = {
        "noise": case.options.get("label_noise", 0.0),
        "flip": case.options.get("label_flip", 0.0),
    }
    smoothing = case.options.get("label_smoothing", 0.0)
    labels = labels if case.conditional else None

    def d_loss_of(real_logits, fake_logits):
        real_target = discriminator_targets(real_logits, True, smoothing=smoothing, **tricks)
        fake_target = discriminator_targets(fake_logits, False, **tricks)
        return discriminator_bce_loss(real_logits, fake_logits, real_target, fake_target)

    fake = generator(torch.randn(len(real), LATENT), labels)
    if case.options.get("update") == "simultaneous":
        leaf = fake.detach().requires_grad_(True)
        real_logits, fake_logits = discriminator(real, labels), discriminator(leaf, labels)
        d_loss = d_loss_of(real_logits, fake_logits)
        g_loss = generator_nonsaturating_loss(fake_logits)
        (leaf_grad,) = torch.autograd.grad(g_loss, leaf, retain_graph=True)
        opt_g.zero_grad(set_to_none=True)
        opt_d.zero_grad(set_to_none=True)
        fake.backward(leaf_grad)
        d_loss.backward(inputs=list(discriminator.parameters()))
        opt_d.step()
        opt_g.step()
        return d_loss, g_loss
    trainable(generator, False)
    d_loss = d_loss_of(discriminator(real, labels), discriminator(fake.detach(), labels))
    opt_d.zero_grad(set_to_none=True)
    d_loss.backward()
    opt_d.step()
    trainable(generator, True)
    trainable(discriminator, False)
    g_loss = generator_nonsaturating_loss(discriminator(fake, labels))
    opt_g.zero_grad(set_to_none=True)
    g_loss.backward()
    opt_g.step()
    trainable(discriminator, True)
    return d_loss, g_loss


def wgan_step(case, generator, discriminator, opt_g, opt_d, images, all_labels):
    """Gulrajani et al.'s Algorithm 1 (or Arjovsky et al.'s clipping): n_critic critic
    updates, each on its own real batch and fresh noise, then one generator update."""
    n_critic = case.options["n_critic"]
    clipping = case.options.get("constraint") == "weight_clipping"
    reals, label_chunks = images.tensor_split(n_critic), all_labels.tensor_split(n_critic)
    critic_losses = []
    trainable(generator, False)
    for i, (real, labels) in enumerate(zip(reals, label_chunks, strict=True)):
        labels = labels if case.conditional else None
        with torch.no_grad():
            fake = generator(torch.randn(len(real), LATENT), labels)
        loss = critic_wasserstein_loss(discriminator(real, labels), discriminator(fake, labels))
        if not clipping:
            penalty, _ = gradient_penalty(discriminator, real, fake, labels)
            loss = loss + 10.0 * penalty
        opt_d.zero_grad(set_to_none=True)
        loss.backward()
        opt_d.step()
        if clipping:
            clip_weights(discriminator, case.options["clip_value"])
            if i == n_critic - 1:  # the logged gradient norm draws its own interpolates
                interpolates = random_interpolates(real, fake)
                critic_gradient_norms(discriminator, interpolates, labels, create_graph=False)
        critic_losses.append(loss.detach())
    trainable(generator, True)
    trainable(discriminator, False)
    labels = label_chunks[-1] if case.conditional else None
    fake = generator(torch.randn(len(reals[-1]), LATENT), labels)
    g_loss = generator_wasserstein_loss(discriminator(fake, labels))
    opt_g.zero_grad(set_to_none=True)
    g_loss.backward()
    opt_g.step()
    trainable(discriminator, True)
    return torch.stack(critic_losses).mean(), g_loss


def train_by_hand(
    case: Case, dtype: torch.dtype = torch.float32
) -> tuple[list, dict[str, torch.Tensor]]:
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        return hand_loop(case)
    finally:
        torch.set_default_dtype(previous)


def hand_loop(case: Case) -> tuple[list, dict[str, torch.Tensor]]:
    model = build(case)  # only for the same starting weights and the same buffers
    generator, discriminator = model.generator.train(), model.discriminator.train()
    opt_g, opt_d = optimizers(case, generator, discriminator)
    step = wgan_step if case.procedure is WGAN else dcgan_step
    losses = []
    for index, (images, labels) in enumerate(real_batches(case)):
        reseed(index)
        d_loss, g_loss = step(case, generator, discriminator, opt_g, opt_d, images, labels)
        losses.append((d_loss.detach(), g_loss.detach()))
    return losses, model.state_dict()


@pytest.mark.parametrize("name", list(CASES))
def test_procedure_trains_exactly_like_its_hand_written_schedule(name):
    case = CASES[name]
    losses, state = train_procedure(case)
    hand_losses, hand_state = train_by_hand(case)
    for step, (ours, theirs) in enumerate(zip(losses, hand_losses, strict=True)):
        assert torch.equal(ours[0], theirs[0]), f"step {step} discriminator loss"
        assert torch.equal(ours[1], theirs[1]), f"step {step} generator loss"
    assert state.keys() == hand_state.keys()
    for key, value in state.items():
        assert torch.equal(value, hand_state[key]), key
    in_float64 = summary(*train_by_hand(case, torch.float64))
    assert in_float64 == pytest.approx(REFERENCE[name], rel=1e-6)


def summary(losses: list, state: dict[str, torch.Tensor]) -> tuple[float, float, float]:
    d_loss, g_loss = losses[-1]
    weights = [v for k, v in state.items() if k.startswith("generator.") and "running" not in k]
    return d_loss.item(), g_loss.item(), sum(v.sum() for v in weights).item()


def reference_numbers() -> None:
    """Print `REFERENCE` (run on main before changing a procedure's schedule)."""
    torch.set_num_threads(1)
    for name, case in CASES.items():
        d_loss, g_loss, generator_sum = summary(*train_by_hand(case, torch.float64))
        print(f'    "{name}": ({d_loss:.10f}, {g_loss:.10f}, {generator_sum:.10f}),')
