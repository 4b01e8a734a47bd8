"""The presets whose networks were built for 64x64 images train on the default 28x28 MNIST
with no size override: in process through `ganlab.run.fit.train`, and once as a user types
`python -m ganlab.train model=wgan_gp`."""

import pytest
import torch

from ganlab.run.checkpoint import load_module
from ganlab.run.fit import train
from tests.helpers import TINY, run_cli
from tests.helpers.checkpoints import compose_train
from tests.helpers.inprocess import train_in_process

STEPS = 2
# tiny networks: on a few shared cores, OpenMP's thread hand-offs cost more than the maths
ONE_THREAD = {"OMP_NUM_THREADS": "1"}


def run_args(mnist_root, run_dir) -> list[str]:
    return [
        f"data.root={mnist_root}",
        "data.splits=[test]",
        f"trainer.max_steps={STEPS}",
        "model.sample_count=8",
        *TINY,
    ]


@pytest.mark.usefixtures("one_thread")
@pytest.mark.parametrize("model", ["wgan_gp", "wgan", "dcgan64", "cwgan_gp"])
def test_the_64x64_presets_train_on_default_mnist(model, mnist_root, tmp_path):
    cfg = compose_train(
        f"model={model}",
        *run_args(mnist_root, tmp_path),
        f"paths.output_dir={tmp_path}",
        "logger=none",
    )
    assert cfg.data.image_size == 28
    train(cfg)
    module = load_module(tmp_path / "checkpoints" / "last.ckpt")
    assert tuple(module.hparams.image_shape) == (1, 28, 28)
    labels = torch.arange(3) if module.conditional else None
    with torch.no_grad():
        images = module.generator.eval()(torch.randn(3, module.latent_dim), labels)
    assert images.shape == (3, 1, 28, 28)
    # the 28x28 networks grow a 7x7 base map: its size is the first layer's kernel
    assert module.generator.net[0].kernel_size == (7, 7)


def test_wgan_gp_cli_on_default_mnist(mnist_root, tmp_path):
    run_dir = tmp_path / "run"
    result = run_cli(
        "ganlab.train",
        "model=wgan_gp",
        *run_args(mnist_root, run_dir),
        f"hydra.run.dir={run_dir}",
        env=ONE_THREAD,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint["ganlab"]["module"].endswith("WGAN")
    assert tuple(checkpoint["hyper_parameters"]["image_shape"]) == (1, 28, 28)
    assert list((run_dir / "samples").glob("*.png"))


@pytest.mark.usefixtures("one_thread")
def test_resize_conv_generator_trains_from_the_cli(mnist_root, tmp_path):
    """`model=dcgan64 model.net.generator.upsampling=resize_conv`: two steps, and the
    checkpoint's generator is the upsampling + convolution one."""
    result = train_in_process(
        "model=dcgan64",
        "model.net.generator.upsampling=resize_conv",
        *run_args(mnist_root, tmp_path),
        f"hydra.run.dir={tmp_path}",
        "logger=none",
    )
    assert result.returncode == 0
    checkpoint = tmp_path / "checkpoints" / "last.ckpt"
    assert torch.load(checkpoint, weights_only=True)["global_step"] == STEPS
    module = load_module(checkpoint)
    assert sum(isinstance(m, torch.nn.Upsample) for m in module.generator.modules()) == 2
    with torch.no_grad():
        assert module.generator.eval()(torch.randn(3, module.latent_dim)).shape == (3, 1, 28, 28)
