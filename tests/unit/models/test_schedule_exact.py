"""Each procedure trains bit for bit like the hand-written loop of its published schedule.

The loops (`ganlab/bench/plain.py`, the one copy the benchmark times too) use the networks
and `ganlab.losses` but nothing of the procedure's own code: which optimizer steps when, which
fakes and real batches each update sees, and the order in which random numbers are drawn are
written out by hand. Both sides start from the same weights and reseed before every training
step, so the logged losses and every parameter and buffer must be equal, not close.

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

from ganlab.bench.plain import loop_for, make_optimizers
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
    optimizers = make_optimizers(model.hparams, generator, discriminator, fused=True)
    loop = loop_for(model.hparams)(generator, discriminator, *optimizers, model.hparams)
    losses = []
    for index, (images, labels) in enumerate(real_batches(case)):
        reseed(index)
        losses.append(loop.step_on(images, labels))
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
