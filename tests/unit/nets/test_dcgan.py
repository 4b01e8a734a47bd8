import warnings

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


@pytest.mark.parametrize("size", [28, 32, 64])
def test_dcgan64_resize_conv_upsamples_then_convolves(size):
    """upsampling=resize_conv: each stride-2 transposed convolution becomes nearest-neighbour
    upsampling by 2 and a 4x4 stride-1 convolution; only the first layer stays transposed."""
    shape = (1, size, size)
    transpose = dcgan64.Generator(latent_dim=8, image_shape=shape, base_channels=8)
    resize = dcgan64.Generator(
        latent_dim=8, image_shape=shape, base_channels=8, upsampling="resize_conv"
    )
    assert resize(torch.randn(3, 8)).shape == (3, *shape)
    transposed = [m for m in resize.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert transposed == [resize.net[0]]
    upsamples = [m for m in resize.modules() if isinstance(m, torch.nn.Upsample)]
    convs = [m for m in resize.modules() if type(m) is torch.nn.Conv2d]
    steps = dcgan64.base_map(size)[1]
    assert len(upsamples) == len(convs) == steps
    assert {(m.scale_factor, m.mode) for m in upsamples} == {(2.0, "nearest")}
    assert {(m.kernel_size, m.stride) for m in convs} == {((4, 4), (1, 1))}
    widths = [
        m.out_channels for m in transpose.modules() if isinstance(m, torch.nn.ConvTranspose2d)
    ]
    assert [transposed[0].out_channels] + [m.out_channels for m in convs] == widths
    # a 4x4 kernel has as many weights either way
    assert sum(p.numel() for p in resize.parameters()) == sum(
        p.numel() for p in transpose.parameters()
    )


def test_dcgan64_resize_conv_pads_as_keras_same():
    """The even 4x4 kernel's 'same' padding is one pixel before and two after, as Keras (and
    PyTorch's own padding='same') pad it, so the map keeps its size and its alignment."""
    generator = dcgan64.Generator(
        latent_dim=8, image_shape=(1, 32, 32), base_channels=8, upsampling="resize_conv"
    )
    pad, conv = generator.net[4], generator.net[5]
    assert isinstance(pad, torch.nn.ZeroPad2d) and isinstance(conv, torch.nn.Conv2d)
    x = torch.randn(2, conv.in_channels, 8, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns that even kernels copy the input
        same = torch.nn.functional.conv2d(x, conv.weight, conv.bias, padding="same")
    torch.testing.assert_close(conv(pad(x)), same)


def test_dcgan64_upsampling_names_its_choices():
    with pytest.raises(
        ValueError, match=r"upsampling must be one of \('transpose', 'resize_conv'\)"
    ):
        dcgan64.Generator(latent_dim=8, image_shape=(1, 32, 32), upsampling="bilinear")
