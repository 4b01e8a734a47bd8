import pytest
import torch

from ganlab.nets import dcgan28, dcgan64


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 28, 28), (1, 32, 32), (3, 16, 16)])
def test_dcgan28_shapes(shape):
    generator = dcgan28.Generator(latent_dim=16, image_shape=shape)
    discriminator = dcgan28.Discriminator(image_shape=shape)
    images = generator(torch.randn(5, 16))
    assert images.shape == (5, *shape)
    assert images.abs().max() <= 1
    assert discriminator(images).shape == (5,)


def test_dcgan28_is_the_tutorial_network():
    generator = dcgan28.Generator(latent_dim=100, image_shape=(1, 28, 28))
    first = generator.project[0]
    assert (first.in_features, first.out_features, first.bias) == (100, 7 * 7 * 256, None)
    kernels = [
        m.kernel_size for m in generator.modules() if isinstance(m, torch.nn.ConvTranspose2d)
    ]
    assert kernels == [(5, 5)] * 3
    discriminator = dcgan28.Discriminator(image_shape=(1, 28, 28))
    assert discriminator.classify.in_features == 128 * 7 * 7


@pytest.mark.parametrize("size", [16, 28, 32, 64, 128])
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan64_shapes(size, channels):
    shape = (channels, size, size)
    generator = dcgan64.Generator(latent_dim=8, image_shape=shape, base_channels=8)
    discriminator = dcgan64.Discriminator(image_shape=shape, base_channels=8)
    images = generator(torch.randn(3, 8))
    assert images.shape == (3, *shape)
    assert discriminator(images).shape == (3,)


def test_dcgan64_is_the_book_network():
    generator = dcgan64.Generator(latent_dim=100, image_shape=(3, 64, 64))
    widths = [
        m.out_channels for m in generator.modules() if isinstance(m, torch.nn.ConvTranspose2d)
    ]
    assert widths == [512, 256, 128, 64, 3]
    discriminator = dcgan64.Discriminator(image_shape=(3, 64, 64))
    widths = [m.out_channels for m in discriminator.modules() if isinstance(m, torch.nn.Conv2d)]
    assert widths == [64, 128, 256, 512, 1]


@pytest.mark.parametrize("norm", ["none", "layer", "instance"])
def test_critic_norms_have_no_batch_norm(norm):
    critic = dcgan64.Discriminator(image_shape=(1, 32, 32), base_channels=8, norm=norm)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in critic.modules())
    assert critic(torch.randn(2, 1, 32, 32)).shape == (2,)


@pytest.mark.parametrize(
    ("size", "base", "steps"), [(28, 7, 2), (32, 4, 3), (64, 4, 4), (48, 3, 4), (20, 5, 2)]
)
def test_dcgan64_grows_the_smallest_base_map(size, base, steps):
    assert dcgan64.base_map(size) == (base, steps)
    generator = dcgan64.Generator(latent_dim=8, image_shape=(1, size, size), base_channels=4)
    discriminator = dcgan64.Discriminator(image_shape=(1, size, size), base_channels=4)
    # the base map is the kernel of the generator's first and the discriminator's last layer
    assert generator.net[0].kernel_size == (base, base)
    assert discriminator.net[-2].kernel_size == (base, base)
    strided = [m for m in generator.modules() if getattr(m, "stride", None) == (2, 2)]
    assert len(strided) == steps


def test_unsupported_sizes_say_which_sizes_work():
    with pytest.raises(ValueError, match=r"got 36; model/net=dcgan28 takes any multiple of 4"):
        dcgan64.Generator(latent_dim=8, image_shape=(1, 36, 36))
    with pytest.raises(ValueError, match=r"\(e\.g\. 16, 28, 32, 48, 64, 128\), got 8"):
        dcgan64.Discriminator(image_shape=(1, 8, 8))
    with pytest.raises(ValueError, match=r"divisible by 4 and >= 8.*got 30.*model/net=mlp"):
        dcgan28.Discriminator(image_shape=(1, 30, 30))
    with pytest.raises(ValueError, match="1 or 3 channels"):
        dcgan28.Generator(latent_dim=8, image_shape=(2, 28, 28))


def test_conditional_networks_need_labels():
    generator = dcgan28.Generator(latent_dim=8, image_shape=(1, 28, 28), num_classes=10)
    with pytest.raises(ValueError, match="conditional"):
        generator(torch.randn(2, 8))
    images = generator(torch.randn(2, 8), torch.tensor([1, 2]))
    assert images.shape == (2, 1, 28, 28)
