"""The EMA generator: the average's arithmetic, its place in the module (no gradients, in no
optimizer, in the checkpoint), that it follows every generator update, and that sampling
uses it unless told not to."""

import re

import pytest
import torch
from lightning.pytorch import Callback
from torch import nn
from torch.utils.data import DataLoader

from ganlab.errors import UsageError
from ganlab.metrics.protocol import weights_kind
from ganlab.models import DCGAN, WGAN
from ganlab.models.ema import GeneratorEMA
from ganlab.run.checkpoint import module_from_checkpoint
from ganlab.run.resume import differences, plain
from ganlab.run.rules import check_tool_options
from tests.helpers import quiet_trainer

pytestmark = pytest.mark.usefixtures("one_thread")

NET = {
    "generator": {"_target_": "ganlab.nets.dcgan28.Generator"},
    "discriminator": {"_target_": "ganlab.nets.dcgan28.Discriminator"},
}
ADAM = {"lr": 2e-3, "beta1": 0.5, "beta2": 0.999}
SHAPE, LATENT, BATCH, STEPS = (1, 8, 8), 6, 4, 3


def tiny_generator() -> nn.Module:
    return nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))


def set_weights(network: nn.Module, value: float) -> None:
    """Every parameter `value`, the batch norm's running mean 10·value."""
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.fill_(value)
        network[1].running_mean.fill_(10 * value)


def assert_all(network: nn.Module, value: float) -> None:
    for name, parameter in network.named_parameters():
        assert torch.allclose(parameter, torch.full_like(parameter, value)), name


def test_three_updates_give_the_hand_computed_average():
    live = tiny_generator()
    set_weights(live, 1.0)  # W0: the copy starts here
    ema = GeneratorEMA(live, decay=0.9)
    for step, value in enumerate((2.0, 4.0, 8.0), start=1):
        set_weights(live, value)
        ema.update(live, step)
    # 0.9³·1 + 0.9²·0.1·2 + 0.9·0.1·4 + 0.1·8 = 0.729 + 0.162 + 0.36 + 0.8
    assert_all(ema.generator, 2.051)
    # batch-norm statistics are the live generator's, not averaged
    assert torch.equal(ema.generator[1].running_mean, torch.full((3,), 80.0))
    assert_all(live, 8.0)


def test_before_start_the_copy_follows_the_live_weights():
    live = tiny_generator()
    ema = GeneratorEMA(live, decay=0.9, start=2)
    for step, value in enumerate((2.0, 4.0), start=1):
        set_weights(live, value)
        ema.update(live, step)
        assert_all(ema.generator, value)
    set_weights(live, 8.0)
    ema.update(live, 3)
    assert_all(ema.generator, 0.9 * 4 + 0.1 * 8)


def build(procedure=DCGAN, decay: float | None = 0.5, **options):
    torch.manual_seed(0)
    return procedure(
        net=NET,
        optim=ADAM,
        latent_dim=LATENT,
        image_shape=SHAPE,
        ema={"decay": decay, "start": 0},
        **options,
    )


@pytest.mark.parametrize(
    ("ema", "message"),
    [
        ({"decay": 1.0}, "model.ema.decay must be in [0, 1) (e.g. 0.999) (or null), got 1.0"),
        ({"decay": -0.1}, "model.ema.decay must be in [0, 1)"),
        ({"decay": "high"}, "model.ema.decay must be a number in [0, 1)"),
        ({"decay": 0.9, "start": -1}, "model.ema.start must be >= 0, got -1"),
    ],
)
def test_bad_ema_settings_are_one_usage_error(ema, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        DCGAN(net=NET, optim=ADAM, latent_dim=LATENT, image_shape=SHAPE, ema=ema)


def test_the_copy_has_no_gradients_and_is_in_no_optimizer_but_in_the_state_dict():
    model = build()
    copy = list(model.ema.generator.parameters())
    assert copy and not any(p.requires_grad for p in copy)
    groups = [group for o in model.configure_optimizers() for group in o.param_groups]
    optimized = {id(p) for group in groups for p in group["params"]}
    assert not optimized & {id(p) for p in copy}
    assert optimized == {id(p) for p in model.generator.parameters()} | {
        id(p) for p in model.discriminator.parameters()
    }
    state = model.state_dict()
    assert {k for k in state if k.startswith("ema.generator.")} == {
        f"ema.generator.{k}" for k in model.generator.state_dict()
    }
    assert build(decay=None).ema is None
    assert not any(k.startswith("ema.") for k in build(decay=None).state_dict())


class LiveWeights(Callback):
    """The generator's parameters after every training step (and before the first)."""

    def __init__(self):
        self.after: list[list[torch.Tensor]] = []

    def on_train_start(self, trainer, pl_module):
        self.after.append([p.detach().clone() for p in pl_module.generator.parameters()])

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.after.append([p.detach().clone() for p in pl_module.generator.parameters()])


def train(model, steps: int = STEPS) -> LiveWeights:
    per_step = BATCH * model.real_batches_per_step
    data = torch.Generator().manual_seed(1)
    batches = [
        (torch.rand(per_step, *SHAPE, generator=data) * 2 - 1, torch.zeros(per_step).long())
        for _ in range(steps)
    ]
    live = LiveWeights()
    quiet_trainer(steps, callbacks=[live]).fit(
        model, train_dataloaders=DataLoader(batches, batch_size=None)
    )
    return live


@pytest.mark.parametrize(
    ("procedure", "options"),
    [
        (DCGAN, {}),
        (DCGAN, {"update": "simultaneous"}),
        (DCGAN, {"conditional": True, "num_classes": 3}),
        (WGAN, {"n_critic": 2}),
    ],
    ids=["dcgan", "dcgan_simultaneous", "cdcgan", "wgan_gp_2_critic_steps"],
)
def test_training_folds_in_every_generator_update_once(procedure, options):
    decay = 0.5
    model = build(procedure, decay, **options)
    live = train(model)
    assert model.trainer.global_step == STEPS
    w0, w1, w2, w3 = live.after
    for index, averaged in enumerate(model.ema.generator.parameters()):
        expected = (
            decay**3 * w0[index]
            + decay**2 * (1 - decay) * w1[index]
            + decay * (1 - decay) * w2[index]
            + (1 - decay) * w3[index]
        )
        torch.testing.assert_close(averaged, expected)
    for mine, theirs in zip(model.ema.generator.buffers(), model.generator.buffers(), strict=True):
        assert torch.equal(mine, theirs)


def test_a_spectrally_normalised_generator_is_averaged_through_its_parametrization():
    net = {**NET, "generator": {**NET["generator"], "spectral_norm": True}}
    torch.manual_seed(0)
    model = DCGAN(net=net, optim=ADAM, latent_dim=LATENT, image_shape=SHAPE, ema={"decay": 0.5})
    live = train(model, steps=1)
    assert model.ema.generator.state_dict().keys() == model.generator.state_dict().keys()
    for averaged, before, after in zip(model.ema.generator.parameters(), *live.after, strict=True):
        torch.testing.assert_close(averaged, 0.5 * before + 0.5 * after)
    z = torch.randn(2, LATENT)
    averaged = model.generate(z)
    model.sample_with_ema = False
    assert not torch.allclose(averaged, model.generate(z))


def test_generate_samples_the_average_unless_told_not_to():
    model = build()
    train(model)
    z = torch.randn(5, LATENT)
    averaged, raw = model.generate(z), None
    model.sample_with_ema = False
    raw = model.generate(z)
    assert weights_kind(model) == "raw"
    assert not torch.allclose(averaged, raw)
    model.ema.generator.eval()
    torch.testing.assert_close(averaged, model.ema.generator(z, None))
    model.generator.eval()
    torch.testing.assert_close(raw, model.generator(z, None))


def test_a_checkpoint_round_trip_keeps_the_average_and_one_without_it_still_loads():
    model = build()
    train(model)
    checkpoint = {
        "ganlab": {"module": "ganlab.models.dcgan.DCGAN"},
        "hyper_parameters": dict(model.hparams),
        "state_dict": model.state_dict(),
    }
    loaded = module_from_checkpoint(checkpoint)
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    assert weights_kind(loaded) == "ema"

    older = build(decay=None)  # as written before the option: no ema key at all
    hparams = {k: v for k, v in older.hparams.items() if k != "ema"}
    state = older.state_dict()
    without = module_from_checkpoint(
        {**checkpoint, "hyper_parameters": hparams, "state_dict": state}
    )
    assert without.ema is None and weights_kind(without) == "raw"


def test_the_entry_points_ema_option_is_a_boolean():
    check_tool_options({"ema": False})
    with pytest.raises(UsageError, match=r"ema .* must be true or false, got 'no'"):
        check_tool_options({"ema": "no"})


def test_an_older_checkpoint_resumes_with_the_average_off_and_refuses_it_on():
    older = dict(build(decay=None).hparams)
    older.pop("ema")  # written before the option existed
    assert differences(plain(older), plain(dict(build(decay=None).hparams))) == []
    assert differences(plain(older), plain(dict(build(decay=0.5).hparams))) == [
        "model.ema: None in the checkpoint, {'decay': 0.5, 'start': 0} now"
    ]


def test_channels_last_reaches_the_copy_and_the_average_still_follows():
    model = build(channels_last=True)
    live = train(model, steps=1)
    convolution = next(p for p in model.ema.generator.parameters() if p.dim() == 4)
    assert convolution.is_contiguous(memory_format=torch.channels_last)
    for averaged, before, after in zip(model.ema.generator.parameters(), *live.after, strict=True):
        torch.testing.assert_close(averaged, 0.5 * before + 0.5 * after)
