"""The fast-path options on the CPU, where they apply: bf16 autocast, channels-last networks,
torch.compile (AOTAutograd, the layer that refuses double backward and donated buffers), and
the trainer presets that switch them on."""

import pytest
import torch
from hydra import compose, initialize_config_dir
from lightning.pytorch import Callback, Trainer

from ganlab.data.mnist import MNISTDataModule
from ganlab.models import DCGAN, WGAN
from ganlab.run.config import CONF_DIR
from tests.helpers import quiet_trainer

NET = {
    "generator": {"_target_": "ganlab.nets.dcgan28.Generator"},
    "discriminator": {"_target_": "ganlab.nets.dcgan28.Discriminator", "dropout": 0.3},
}
OPTIM = {"lr": 2e-4, "beta1": 0.5, "beta2": 0.999}


pytestmark = pytest.mark.usefixtures("one_thread")


class StepLosses(Callback):
    """Each step's (d_loss, g_loss) and the layout the networks trained in."""

    def __init__(self):
        self.losses: list[tuple[float, float]] = []
        self.channels_last: list[bool] = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        metrics = pl_module.step_metrics
        self.losses.append((metrics["d_loss"].item(), metrics["g_loss"].item()))
        weight = pl_module.generator.upsample[0].weight
        self.channels_last.append(weight.is_contiguous(memory_format=torch.channels_last))


def fit(mnist_root, steps: int, precision: str = "32-true", net=NET, **module) -> StepLosses:
    torch.manual_seed(0)
    model = DCGAN(net=net, optim=OPTIM, latent_dim=16, image_shape=(1, 8, 8), **module)
    datamodule = MNISTDataModule(root=str(mnist_root), splits=["test"], image_size=8, batch_size=8)
    record = StepLosses()
    quiet_trainer(steps, precision=precision, callbacks=[record]).fit(model, datamodule=datamodule)
    return record


@pytest.mark.parametrize("update", ["alternating", "simultaneous"])
def test_bf16_losses_follow_fp32_over_the_first_steps(mnist_root, update):
    fp32 = torch.tensor(fit(mnist_root, 5, update=update).losses)
    bf16 = torch.tensor(fit(mnist_root, 5, "bf16-mixed", update=update).losses)
    # measured: at most 0.002 apart over these 5 steps (bf16 keeps 8 significant bits)
    assert (fp32 - bf16).abs().max() < 0.01
    assert not torch.equal(fp32, bf16)  # autocast did run in bf16


def test_channels_last_trains_in_that_layout_with_the_same_losses(mnist_root):
    # without dropout: the mask is drawn in memory order, which channels-last permutes
    net = {**NET, "discriminator": {**NET["discriminator"], "dropout": 0.0}}
    plain = fit(mnist_root, 3, net=net)
    fast = fit(mnist_root, 3, net=net, channels_last=True)
    assert fast.channels_last == [True] * 3 and plain.channels_last == [False] * 3
    assert torch.allclose(torch.tensor(plain.losses), torch.tensor(fast.losses), atol=1e-4)


def test_compiled_simultaneous_update_keeps_its_graph(mnist_root):
    # aot_eager runs AOTAutograd (where retain_graph meets donated buffers) without a C++
    # toolchain; compile=true uses the default inductor backend
    eager = fit(mnist_root, 2, update="simultaneous")
    compiled = fit(mnist_root, 2, update="simultaneous", compile={"backend": "aot_eager"})
    assert torch.allclose(torch.tensor(eager.losses), torch.tensor(compiled.losses), atol=1e-4)


@pytest.mark.parametrize(
    ("penalty", "compiled"),
    [
        ("gradient_penalty", ("generator",)),
        ("r1", ("generator",)),
        ("weight_clipping", ("generator", "discriminator")),
    ],
)
def test_a_gradient_penalty_keeps_the_critic_eager(penalty, compiled):
    # torch.compile has no double backward; the penalty differentiates the critic's gradient
    model = WGAN(net=NET, optim=OPTIM, latent_dim=8, penalty=penalty, compile=True)
    model.trainer = Trainer(accelerator="cpu", logger=False)
    model.setup("fit")
    for name in ("generator", "discriminator"):
        is_compiled = getattr(model, name)._compiled_call_impl is not None
        assert is_compiled == (name in compiled), name


def composed(*overrides: str):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("train", overrides=list(overrides))


def test_gpu_and_ddp_presets():
    gpu = composed("trainer=gpu").trainer
    assert (gpu.accelerator, gpu.precision, gpu.benchmark) == ("gpu", "bf16-mixed", True)
    ddp = composed("trainer=ddp", "trainer.num_nodes=2").trainer
    assert ddp.strategy == "ddp_find_unused_parameters_true"
    assert (ddp.precision, ddp.devices, ddp.num_nodes) == ("bf16-mixed", "auto", 2)
    cfg = composed("model.compile=true", "model.channels_last=true")
    assert cfg.model.compile is True and cfg.model.channels_last is True
