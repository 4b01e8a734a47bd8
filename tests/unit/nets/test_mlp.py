import pytest
import torch

from ganlab.nets import mlp


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (1, 16, 16)])
@pytest.mark.parametrize("num_classes", [0, 10])
def test_mlp_shapes(shape, num_classes):
    generator = mlp.Generator(8, shape, num_classes, hidden=[16, 32])
    discriminator = mlp.Discriminator(shape, num_classes, hidden=[32, 16])
    labels = torch.tensor([0, 3, 9]) if num_classes else None
    images = generator(torch.randn(3, 8), labels)
    assert images.shape == (3, *shape)
    assert images.abs().max() <= 1
    assert discriminator(images, labels).shape == (3,)


def test_mlp_is_the_configured_stack():
    generator = mlp.Generator(100, (1, 28, 28), num_classes=10)
    linears = [m for m in generator.modules() if isinstance(m, torch.nn.Linear)]
    # concat(z, one-hot y) in, 28·28·1 out
    assert [(m.in_features, m.out_features) for m in linears] == [
        (110, 256),
        (256, 512),
        (512, 1024),
        (1024, 784),
    ]
    assert isinstance(generator.image[-1], torch.nn.Tanh)
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in generator.modules()) == 3
    discriminator = mlp.Discriminator((1, 28, 28), num_classes=10, dropout=0.5)
    linears = [m for m in discriminator.modules() if isinstance(m, torch.nn.Linear)]
    assert (linears[0].in_features, linears[-1].out_features) == (784 + 10, 1)
    dropouts = [m.p for m in discriminator.modules() if isinstance(m, torch.nn.Dropout)]
    assert dropouts == [0.5] * 3


def test_label_layer_maps_the_label_before_the_concatenation():
    generator = mlp.Generator(100, (1, 28, 28), num_classes=10, label_features=32)
    label_layer = generator.labels.project[0]
    assert (label_layer.in_features, label_layer.out_features) == (10, 32)
    assert generator.body[0].in_features == 100 + 32
    discriminator = mlp.Discriminator((1, 28, 28), num_classes=10, label_features=64)
    assert discriminator.body[0].in_features == 784 + 64
    # unconditional networks have no label path at all
    assert mlp.Generator(100, (1, 28, 28), label_features=32).labels is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hidden": []}, "non-empty list"),
        ({"hidden": [16, 0]}, "non-empty list"),
        ({"dropout": 1.0}, "dropout must be in"),
        ({"norm": "instance"}, "norm must be one of"),
        ({"label_features": -1}, "label_features must be >= 0"),
    ],
)
def test_bad_mlp_options_are_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mlp.Discriminator((1, 28, 28), 10, **kwargs)
