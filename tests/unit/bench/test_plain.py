"""The hand-written loops do what ganlab's procedures do: from the same weights, images and
noise, one plain step and one ganlab step leave the same networks."""

import pytest
import torch

from ganlab.bench.plain import DCGANLoop, Timed, WGANLoop, loop_for, real_batches
from ganlab.data.mnist import MNISTDataModule
from ganlab.models import DCGAN, WGAN
from tests.helpers import quiet_trainer

NET = {
    "generator": {"_target_": "ganlab.nets.dcgan28.Generator"},
    # no dropout: the loader's shuffle would assign masks to other images than the plain loop's
    "discriminator": {"_target_": "ganlab.nets.dcgan28.Discriminator", "dropout": 0.0},
}
# Adam's first step moves each weight by ~lr whatever its gradient's size, so weights would
# amplify last-bit differences of tiny gradients: the test compares the gradients, and a small
# lr keeps the discriminator's alternating update from shifting the generator's gradient
OPTIM = {"lr": 1e-7, "beta1": 0.5, "beta2": 0.999}


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("update", ["alternating", "simultaneous"])
def test_one_plain_step_computes_the_gradients_of_one_ganlab_step(mnist_root, update):
    torch.manual_seed(0)
    module = DCGAN(net=NET, optim=OPTIM, latent_dim=8, image_shape=(1, 8, 8), update=update)
    datamodule = MNISTDataModule(root=str(mnist_root), splits=["test"], image_size=8)
    datamodule.setup("fit")
    images = datamodule.train_set.images
    datamodule.batch_size = len(images)  # one batch: every image, in some order
    plain = Timed(module, images, datamodule.train_set.labels, len(images))
    initial = [p.detach().clone() for p in module.parameters()]
    z = torch.randn(len(images), 8)
    module.noise = lambda like: z
    plain.loop.noise = lambda like: z

    plain.step()
    quiet_trainer(1).fit(module, datamodule=datamodule)

    loop = plain.loop
    pairs = [(module.generator, loop.generator), (module.discriminator, loop.discriminator)]
    for ours, theirs in pairs:
        for (name, a), b in zip(ours.named_parameters(), theirs.parameters(), strict=True):
            assert a.grad is not None and b.grad is not None, name
            assert torch.allclose(a.grad, b.grad, rtol=1e-3, atol=1e-6), name
    theirs = [*loop.generator.parameters(), *loop.discriminator.parameters()]
    for a, b in zip(module.parameters(), theirs, strict=True):
        assert torch.allclose(a, b, atol=3e-7)  # both optimizers stepped alike
    assert all(not torch.equal(a, b) for a, b in zip(initial, module.parameters(), strict=True))


def test_real_batches_cover_an_epoch_before_repeating():
    images = torch.arange(10, dtype=torch.uint8)[:, None, None, None].expand(10, 1, 2, 2)
    batches = real_batches(images.contiguous() * 25, torch.arange(10), batch_size=3, device="cpu")
    epoch = [next(batches) for _ in range(3)]
    labels = torch.cat([labels for _, labels in epoch]).tolist()
    assert len(set(labels)) == 9  # three whole batches of distinct images, one image left out
    first = epoch[0][0]
    assert first.dtype == torch.float32 and first.min() >= -1 and first.max() <= 1
    assert torch.equal(first[:, 0, 0, 0], epoch[0][1] * 25 / 127.5 - 1)
    with pytest.raises(ValueError, match="2 images cannot fill a batch of 3"):
        next(real_batches(images[:2], torch.arange(2), batch_size=3, device="cpu"))


def test_the_loop_matches_the_procedure():
    module = DCGAN(net=NET, optim=OPTIM, latent_dim=8)
    assert loop_for(module.hparams) is DCGANLoop
    critic = WGAN(net=NET, optim=OPTIM, latent_dim=8, n_critic=3)
    assert loop_for(critic.hparams) is WGANLoop
    clipped = WGAN(net=NET, optim=OPTIM, latent_dim=8, penalty="weight_clipping")
    assert loop_for(clipped.hparams) is WGANLoop
    images = torch.zeros(6, 1, 28, 28, dtype=torch.uint8)
    timed = Timed(critic, images, torch.zeros(6, dtype=torch.long), batch_size=2)
    assert timed.images_per_step == 6  # three critic batches, as the procedure reads them
    with pytest.raises(ValueError, match="loss=hinge"):
        loop_for(DCGAN(net=NET, optim=OPTIM, latent_dim=8, loss="hinge").hparams)
    with pytest.raises(ValueError, match="penalty=r1"):
        loop_for(WGAN(net=NET, optim=OPTIM, latent_dim=8, penalty="r1").hparams)
