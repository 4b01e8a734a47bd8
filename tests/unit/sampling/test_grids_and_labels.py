"""Label-controlled sampling: the labels a request asks for, per-class grids, label swap."""

import pytest
import torch

from ganlab.errors import UsageError
from ganlab.models import DCGAN
from ganlab.nets.conditioning import ClassBatchNorm
from ganlab.sampling.grids import label_swap, per_class_grid
from ganlab.sampling.latents import ALL, condition_classes, labels_for

NET = {
    "generator": {"_target_": "ganlab.nets.mlp.Generator", "hidden": [16]},
    "discriminator": {"_target_": "ganlab.nets.mlp.Discriminator", "hidden": [16]},
}
OPTIM = {"lr": 2e-4, "beta1": 0.5, "beta2": 0.999}


def model(
    num_classes: int = 10, conditional: bool = True, names=None, conditioning: str = "concat"
) -> DCGAN:
    torch.manual_seed(0)
    generator = {**NET["generator"], "conditioning": conditioning}
    built = DCGAN(
        net={**NET, "generator": generator},
        optim=OPTIM,
        latent_dim=6,
        image_shape=(1, 8, 8),
        num_classes=num_classes,
        class_names=names or [str(c) for c in range(num_classes)],
        conditional=conditional,
    )
    with torch.no_grad():  # as if trained: class batch norm starts the same for every class
        for layer in built.generator.modules():
            if isinstance(layer, ClassBatchNorm):
                layer.gain.normal_(1.0, 0.5)
                layer.bias.normal_()
    return built


GENERATOR_CONDITIONING = pytest.mark.parametrize("conditioning", ["concat", "batch_norm"])


def test_labels_for_all_one_class_or_a_name():
    assert labels_for(None, 3, 7).tolist() == [0, 0, 0, 1, 1, 2, 2]
    assert labels_for(ALL, 3, 3).tolist() == [0, 1, 2]
    assert labels_for(2, 3, 4).tolist() == [2, 2, 2, 2]
    assert labels_for("1", 3, 2).tolist() == [1, 1]
    names = ["not_Blond_Hair", "Blond_Hair"]
    assert labels_for("Blond_Hair", 2, 3, names).tolist() == [1, 1, 1]
    assert labels_for(None, 0, 5) is None


@pytest.mark.parametrize("spec", [10, -1, "11", "cat", True, 2.0])
def test_labels_for_refuses_a_label_out_of_range(spec):
    with pytest.raises(UsageError, match=r"not a class of this model: give an index 0-9"):
        labels_for(spec, 10, 4, [str(c) for c in range(10)])


@pytest.mark.parametrize("spec", [0, ALL, "3"])
def test_labels_for_refuses_labels_on_an_unconditional_model(spec):
    with pytest.raises(UsageError, match=r"needs a conditional model.*drop the label"):
        labels_for(spec, 0, 4)


def test_labels_for_refuses_a_bad_count():
    with pytest.raises(UsageError, match="integer >= 1"):
        labels_for(None, 10, 0)


def test_a_model_trained_unconditionally_takes_no_classes():
    # the data had 10 classes but the run was unconditional: the generator takes none
    assert condition_classes(model(10, conditional=False)) == 0
    assert condition_classes(model(10)) == 10


@GENERATOR_CONDITIONING
def test_per_class_grid_one_row_per_class_same_noise_across_rows(conditioning):
    conditional = model(10, conditioning=conditioning)
    grid = per_class_grid(conditional, per_class=4, seed=1)
    assert grid.images.shape == (40, 1, 8, 8)
    assert grid.nrow == 4
    assert grid.labels.tolist() == [c for c in range(10) for _ in range(4)]
    assert grid.caption == "one row per class: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9"
    rows = grid.images.view(10, 4, -1)
    # within a row the noise differs, across rows only the label does: column j of row r is
    # exactly the image of latent j under label r
    assert not torch.allclose(rows[0, 0], rows[0, 1])
    z = torch.randn(4, 6, generator=torch.Generator().manual_seed(1))
    for r in (0, 7):
        expected = conditional.generate(z, torch.full((4,), r))
        torch.testing.assert_close(rows[r], expected.view(4, -1))
    assert torch.equal(per_class_grid(conditional, per_class=4, seed=1).images, grid.images)


def test_per_class_grid_shows_the_first_ten_classes_and_says_how_many():
    grid = per_class_grid(model(12, names=[f"c{i}" for i in range(12)]), per_class=2)
    assert grid.images.shape[0] == 20
    assert grid.labels.max() == 9
    assert grid.caption.startswith("one row per class, the first 10 of 12 classes: c0, c1")


@GENERATOR_CONDITIONING
def test_label_swap_renders_the_same_latents_under_every_label(conditioning):
    conditional = model(3, conditioning=conditioning)
    swapped = label_swap(conditional, n_latents=5, seed=2)
    assert swapped.shape == (5, 3, 1, 8, 8)
    z = torch.randn(5, 6, generator=torch.Generator().manual_seed(2))
    for label in range(3):
        expected = conditional.generate(z, torch.full((5,), label))
        torch.testing.assert_close(swapped[:, label], expected)
    assert not torch.allclose(swapped[:, 0], swapped[:, 1])


@pytest.mark.parametrize(
    "call", [lambda m: per_class_grid(m), lambda m: label_swap(m, 2)], ids=["grid", "swap"]
)
def test_sampling_by_label_refuses_an_unconditional_model(call):
    with pytest.raises(UsageError, match="needs a conditional model"):
        call(model(10, conditional=False))


def test_bad_counts_are_usage_errors():
    with pytest.raises(UsageError, match="per_class must be an integer >= 1"):
        per_class_grid(model(3), per_class=0)
    with pytest.raises(UsageError, match="latent vectors must be an integer >= 1"):
        label_swap(model(3), 0)
